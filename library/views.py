from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from .access import recording_visible_to
from .models import Recording
from .range_serving import ranged_file_response


@require_http_methods(["GET", "HEAD"])
def serve_recording(request, pk: int, filename: str):
    recording = get_object_or_404(Recording, pk=pk)
    # 404 rather than 403: a visitor learns nothing about private sessions.
    if filename != recording.filename or not recording_visible_to(recording, request):
        raise Http404("No such recording")
    try:
        path = recording.file.path
    except (ValueError, NotImplementedError) as exc:
        raise Http404("Recording file missing") from exc
    try:
        return ranged_file_response(request, path)
    except FileNotFoundError as exc:
        raise Http404("Recording file missing") from exc
