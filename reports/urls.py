from django.urls import path

from . import views

app_name = "editor_reports"

urlpatterns = [
    path("transcription/", views.TranscriptionQueueView.as_view(), name="transcription"),
    path(
        "transcription/results/",
        views.TranscriptionQueueView.as_view(results_only=True),
        name="transcription_results",
    ),
    path("transcription/<int:pk>/retry/", views.retry_transcript, name="transcript_retry"),
    path("search-insights/", views.SearchInsightsView.as_view(), name="search_insights"),
]
