from django.urls import path

from . import views, views_people

app_name = "library"

urlpatterns = [
    path("recordings/<int:pk>/<str:filename>", views.serve_recording, name="recording"),
    path("speakers/", views_people.speaker_list, name="speakers"),
    path("speakers/<slug:slug>/", views_people.speaker_detail, name="speaker"),
    path("organisations/", views_people.organisation_list, name="organisations"),
    path("organisations/<slug:slug>/", views_people.organisation_detail, name="organisation"),
]
