from django.urls import path

from . import views

app_name = "library"

urlpatterns = [
    path("recordings/<int:pk>/<str:filename>", views.serve_recording, name="recording"),
]
