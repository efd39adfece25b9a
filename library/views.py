import mimetypes
import os
from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods, require_safe
from django.views.static import was_modified_since
from wagtail.images import get_image_model

from .access import image_visible_to, recording_visible_to
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


def _image_stored_as(name: str):
    """(image, stored file) of the Wagtail image whose original, or one of whose renditions,
    is stored under ``name``; (None, None) when none is."""
    Image = get_image_model()
    image = Image.objects.filter(file=name).first()
    if image is not None:
        return image, image.file
    rendition = Image.get_rendition_model().objects.filter(file=name).select_related("image").first()
    return (rendition.image, rendition.file) if rendition else (None, None)


@require_safe
def serve_image(request, path: str):
    """Image files (originals and renditions) at their MEDIA_URL address, after the access
    check: an image of a hidden session answers 404, like a file that does not exist.

    Only files a Wagtail image or rendition names are served (never any other file under
    MEDIA_ROOT). The answer is private and revalidated, so no shared cache keeps an image
    after its session turns private. Behind nginx (settings.RECORDINGS_ACCEL_REDIRECT) nginx
    sends the bytes from the same internal location as recordings."""
    image, stored = _image_stored_as(path)
    if image is None or not image_visible_to(image, request):
        raise Http404("No such image")
    try:
        file_path = stored.path
        modified = stored.storage.get_modified_time(stored.name).timestamp()
    except (NotImplementedError, OSError) as exc:
        raise Http404("Image file missing") from exc
    if settings.RECORDINGS_ACCEL_REDIRECT:
        return accel_redirect_response(stored.name, file_path)
    if not was_modified_since(request.headers.get("If-Modified-Since"), modified):
        response = HttpResponseNotModified()
    else:
        response = ranged_file_response(request, file_path)
    patch_cache_control(response, private=True, no_cache=True)
    return response
