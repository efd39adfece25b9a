import mimetypes
import os
from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpResponse
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
    if settings.RECORDINGS_ACCEL_REDIRECT:
        if not os.path.isfile(path):
            raise Http404("Recording file missing")
        return accel_redirect_response(recording.file.name, path)
    try:
        return ranged_file_response(request, path)
    except FileNotFoundError as exc:
        raise Http404("Recording file missing") from exc


def accel_redirect_response(name: str, path: str) -> HttpResponse:
    """Access is checked: nginx sends the file (and answers Range) from its internal location
    over MEDIA_ROOT (settings.RECORDINGS_ACCEL_REDIRECT; deploy/nginx/session-library.conf)."""
    response = HttpResponse(content_type=mimetypes.guess_type(path)[0] or "application/octet-stream")
    response["X-Accel-Redirect"] = settings.RECORDINGS_ACCEL_REDIRECT.rstrip("/") + "/" + quote(name)
    return response
