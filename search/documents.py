"""Build the engine's SessionDocuments from the database (the source of truth)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.utils import translation

from library.access import visible_sessions, visible_themes
from library.models import SessionPage
from search.analysis import analysis_language
from search.engines.base import MomentDocument, SessionDocument
from transcripts.models import Transcript

logger = logging.getLogger(__name__)

# A moment is a window of consecutive segments lasting about this long; windows overlap
# by one segment, so a phrase spoken across a segment boundary lies inside one moment.
MOMENT_MIN_SECONDS = 20.0
MOMENT_MAX_SECONDS = 40.0
POSTER_SPEC = "fill-480x270"


def build_moments(segments: Iterable, min_seconds=MOMENT_MIN_SECONDS, max_seconds=MOMENT_MAX_SECONDS):
    """Windows of consecutive segments (objects with start/end/text), ~20–40 s each.

    A window grows until it lasts ``min_seconds``, or until the next segment would take it
    past ``max_seconds``; the next window starts with the last segment of this one."""
    segments = [s for s in segments if (s.text or "").strip()]
    moments: list[MomentDocument] = []
    first = 0
    while first < len(segments):
        last = first
        while (
            last + 1 < len(segments)
            and segments[last].end - segments[first].start < min_seconds
            and segments[last + 1].end - segments[first].start <= max_seconds
        ):
            last += 1
        window = segments[first : last + 1]
        texts = [s.text.strip() for s in window]
        offsets, position = [], 0
        for segment, text in zip(window, texts, strict=True):
            offsets.extend((position + offset, seconds) for offset, seconds in _word_starts(segment, text))
            position += len(text) + 1  # the joining space
        moments.append(
            MomentDocument(
                start=float(window[0].start),
                end=float(window[-1].end),
                text=" ".join(texts),
                segment_starts=tuple(offsets),
            )
        )
        if last + 1 >= len(segments):
            break
        # Overlap by one segment; a one-segment window moves on to the next segment.
        first = last if last > first else last + 1
    return tuple(moments)


def _word_starts(segment, text: str) -> list[tuple[int, float]]:
    """(character offset in ``text``, seconds) for each word when the segment has word timings
    that spell its text (a corrected line has none), else its start alone: deep links then
    start at the matched word rather than at the beginning of its segment."""
    timed = getattr(segment, "words", None) or []
    spoken = "".join(str(w[2]) for w in timed)
    if not timed or spoken.strip() != text:
        return [(0, float(segment.start))]
    starts, position = [], 0
    lead = len(spoken) - len(spoken.lstrip())  # the text is stripped; offsets count from its first letter
    for start, _end, word, *_ in timed:
        begins = position + (len(word) - len(word.lstrip())) - lead
        if word.strip():
            starts.append((max(begins, 0), float(start)))
        position += len(word)
    return starts or [(0, float(segment.start))]


def searchable_sessions():
    """The sessions a visitor may find: library.access.visible_sessions(), the one rule."""
    return visible_sessions()


def _transcript(session: SessionPage) -> Transcript | None:
    if not session.recording_id:
        return None
    # The text visitors see (a re-run in progress keeps the previous one until it is replaced).
    return Transcript.objects.shown().filter(recording_id=session.recording_id).first()


def _theme_titles(session: SessionPage) -> tuple[str, ...]:
    """Visible themes that include the session; a draft or private theme's title stays out
    of hits and facets."""
    themes = visible_themes().filter(session_links__session=session).distinct()
    return tuple(themes.order_by("title").values_list("title", flat=True))


def _poster_url(session: SessionPage) -> str:
    poster = session.shown_poster
    if poster is None:
        return ""
    try:
        return poster.get_rendition(POSTER_SPEC).url
    except Exception:  # a missing or broken image file must not keep the session out of search
        logger.warning("No poster rendition for session %s", session.pk, exc_info=True)
        return ""


def _canonical_url(session: SessionPage) -> str:
    """The session's URL in the site's default language (unprefixed), whoever indexes it;
    the search views show it in the visitor's language (search.views.localized_url)."""
    with translation.override(settings.LANGUAGE_CODE):
        return session.get_url() or session.url_path


def session_document(session: SessionPage) -> SessionDocument:
    transcript = _transcript(session)
    moments = build_moments(transcript.segments.order_by("index")) if transcript else ()
    # The transcript's language (detected or set) decides the analysis; else the session's.
    spoken = (transcript.language if transcript else "") or session.language
    language = "en" if spoken == "auto" else analysis_language(spoken)
    year = session.date.year if session.date else (session.event.year if session.event else None)
    return SessionDocument(
        session_id=session.pk,
        title=session.title,
        url=_canonical_url(session),
        summary=session.summary or "",
        language=language,
        speakers=tuple(session.speaker_names),
        organisations=tuple(session.organisation_names),
        themes=_theme_titles(session),
        event=session.event_name,
        year=year,
        date=session.date.isoformat() if session.date else "",
        poster_url=_poster_url(session),
        duration=session.duration,
        moments=moments,
    )


def all_documents() -> Iterator[SessionDocument]:
    sessions = (
        searchable_sessions()
        .select_related("event", "poster", "recording__poster")
        .prefetch_related("organisations", "speaker_links__speaker")
    )
    for session in sessions.order_by("pk").iterator(chunk_size=100):
        yield session_document(session)
