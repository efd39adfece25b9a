from django.urls import path

from . import views

app_name = "transcripts"

urlpatterns = [
    path("sessions/<int:page_id>/captions.vtt", views.captions, {"fmt": "vtt"}, name="captions_vtt"),
    path("sessions/<int:page_id>/captions.srt", views.captions, {"fmt": "srt"}, name="captions_srt"),
    path("sessions/<int:page_id>/transcript.txt", views.transcript_text, name="transcript_txt"),
    path("sessions/<int:page_id>/transcript.json", views.transcript_json, name="transcript_json"),
]
