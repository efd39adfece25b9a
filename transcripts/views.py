"""Public caption files of a session (WebVTT for the player's <track>, SRT for download)."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from library.access import is_editor, page_visible_to
from library.models import SessionPage

from .captions import build_srt, build_webvtt
from .models import Transcript

FORMATS = {
    "vtt": (build_webvtt, "text/vtt; charset=utf-8"),
    "srt": (build_srt, "application/x-subrip; charset=utf-8"),
}


@require_safe
def captions(request, page_id: int, fmt: str):
    """404 unless the visitor may see the session (editors may, like its recording) and it
    has a finished transcript; a 404 rather than a 403 so a hidden session stays unknown."""
    page = get_object_or_404(SessionPage, pk=page_id)
    if not (page_visible_to(page, request) or is_editor(request)):
        raise Http404("No such session")
    transcript = (
        Transcript.objects.filter(recording_id=page.recording_id, status=Transcript.Status.DONE).first()
        if page.recording_id
        else None
    )
    if transcript is None:
        raise Http404("This session has no transcript")
    build, content_type = FORMATS[fmt]
    response = HttpResponse(build(transcript.segments.all()), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="session-{page.pk}.{fmt}"'
    # Built from the database on every request: revalidate so corrections show up at once,
    # and keep shared caches out of it (a session may become private).
    patch_cache_control(response, private=True, no_cache=True)
    return response
