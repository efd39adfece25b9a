"""A session's transcript as files: captions (WebVTT for the player's <track>, SRT), plain
text and JSON, all behind one access check and named after the session's title."""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from library.access import is_editor, page_visible_to
from library.models import SessionPage
from library.templatetags.library_tags import timestamp

from .captions import build_srt, build_webvtt
from .models import Transcript

FORMATS = {
    "vtt": (build_webvtt, "text/vtt; charset=utf-8"),
    "srt": (build_srt, "application/x-subrip; charset=utf-8"),
}


def download_name(page: SessionPage, extension: str) -> str:
    """The session's title as a file name ("open-data-en-de-burger.srt"); ASCII, so every
    browser and file system takes it; the page id when the title has no letters left."""
    return f"{slugify(page.title)[:120].strip('-') or f'session-{page.pk}'}.{extension}"


def visible_transcript(request, page_id: int) -> tuple[SessionPage, Transcript]:
    """The session and its finished transcript, or 404 unless the visitor may see the session
    (editors may, like its recording); a 404 rather than a 403 so a hidden session stays unknown."""
    page = get_object_or_404(SessionPage, pk=page_id)
    if not (page_visible_to(page, request) or is_editor(request)):
        raise Http404("No such session")
    # Shown = has segments: a re-run in progress keeps serving the previous captions.
    transcript = (
        Transcript.objects.shown().filter(recording_id=page.recording_id).first()
        if page.recording_id
        else None
    )
    if transcript is None:
        raise Http404("This session has no transcript")
    return page, transcript


def _file(response, page: SessionPage, extension: str, attachment: bool):
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{download_name(page, extension)}"'
    # Built from the database on every request: revalidate so corrections show up at once,
    # and keep shared caches out of it (a session may become private).
    patch_cache_control(response, private=True, no_cache=True)
    return response


@require_safe
def captions(request, page_id: int, fmt: str):
    page, transcript = visible_transcript(request, page_id)
    build, content_type = FORMATS[fmt]
    response = HttpResponse(build(transcript.segments.all()), content_type=content_type)
    # The player fetches the WebVTT file; ?download (the page's links) saves it instead.
    return _file(response, page, fmt, attachment=fmt == "srt" or "download" in request.GET)


@require_safe
def transcript_text(request, page_id: int):
    """The transcript to read or paste: the title, then one line per segment with its time."""
    page, transcript = visible_transcript(request, page_id)
    lines = [page.title, ""] + [f"[{timestamp(s.start)}] {s.text}" for s in transcript.segments.all()]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    return _file(response, page, "txt", attachment=True)


@require_safe
def transcript_json(request, page_id: int):
    """The transcript as data: its segments with times, language and provenance (machine
    or corrected, per transcript and per line)."""
    page, transcript = visible_transcript(request, page_id)
    review = transcript.review()
    data = {
        "session": {"id": page.pk, "title": page.title, "url": request.build_absolute_uri(page.url or "/")},
        "language": transcript.language or page.language,
        "provenance": transcript.provenance,
        "model": transcript.model_name,
        "lines": review.lines,
        "checked": review.checked,
        "corrected": review.corrected,
        "segments": [
            {
                "index": s.index,
                "start": round(s.start, 3),
                "end": round(s.end, 3),
                "text": s.text,
                "provenance": "corrected" if s.corrected else "machine",
                "checked": s.checked,
            }
            for s in transcript.segments.all()
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    return _file(response, page, "json", attachment=False)
