"""The catalogue's listing: every session a visitor may see, filtered, sorted and paged,
with the same facets as search (theme, speaker, organisation, event, year, language) and
the same meaning: OR within a facet, AND across facets, and the counts of facet X apply
every selected filter except X's own. Values are the ones search uses (theme titles,
names, "Event 2026", years, language codes), so catalogue and search links take the same
parameters.

How it stays fast for 10,000 sessions (bench/catalogue_page.py): what the sessions *are*
(sort keys and facet values, a few flat rows per session) is read in one go into an
index kept in this process, and rebuilt when a session, theme, speaker, organisation,
event or transcript changes (signals bump a version) or after INDEX_TTL seconds. What a
visitor may *see* is never cached: every request takes the visible sessions and themes
from library.access afresh, and the index only serves the ones in that set. Counting and
sorting then happen in Python, and only the page's sessions are loaded as pages.

The search engine browses newest first only; the catalogue needs four orders, hence its
own listing rather than the engine's browse mode."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model

from library.access import visible_sessions, visible_themes
from library.models import SessionPage, SessionSpeaker, ThemeSession
from transcripts.models import Transcript

FACETS = ("theme", "speaker", "organisation", "event", "year", "language")  # theme first: see Entry
PER_PAGE = 24
MAX_VALUES_PER_FACET = 20  # as many values as a visitor can scan; search's filters take 20 too
POSTER_SPEC = "fill-320x180"
INDEX_TTL = 300.0  # seconds; changes seen by the signals rebuild it at once

SORTS = {
    "newest": _("Newest first"),
    "oldest": _("Oldest first"),
    "title": _("Title (A–Z)"),
    "longest": _("Longest first"),
}
DEFAULT_SORT = "newest"


@dataclass
class Catalogue:
    sessions: list[SessionPage]  # this page's sessions, with posters and speakers loaded
    total: int  # sessions after filters
    page: int
    pages: int
    facets: dict[str, list[tuple[str, int]]]  # facet -> [(value, sessions)], most first
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = DEFAULT_SORT

    @property
    def past_the_end(self) -> bool:
        return self.page > self.pages


def parse_filters(params) -> dict[str, list[str]]:
    """Facet filters from a QueryDict (``?theme=A&theme=B&year=2026``); other keys ignored,
    a year that is not a number ignored (never an error)."""
    filters = {}
    for facet in FACETS:
        values = [v.strip() for v in params.getlist(facet) if v and v.strip()]
        if facet == "year":
            values = [v for v in values if v.isdigit() and len(v) <= 4]
        if values:
            filters[facet] = list(dict.fromkeys(values))[:20]
    return filters


def parse_sort(value) -> str:
    return value if value in SORTS else DEFAULT_SORT


@dataclass(frozen=True)
class Entry:
    """One session in the index: its sort keys and its facet values (themes by id, so the
    request's visible themes decide which titles count)."""

    pk: int
    date: int | None  # proleptic ordinal, for sorting
    published: float
    duration: float | None
    title: str  # case-folded
    theme_ids: tuple[int, ...]
    values: tuple[tuple[str, ...], ...]  # the values of every facet after theme, in FACETS order


class _Index:
    """The index of every session (visible or not), rebuilt when stale."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: dict[int, Entry] = {}
        self._built_at = 0.0
        self._built_version = -1
        self.version = 0

    def invalidate(self, **_kwargs) -> None:
        self.version += 1

    def entries(self, needed: set[int]) -> dict[int, Entry]:
        with self._lock:
            fresh = self._built_version == self.version and time.monotonic() - self._built_at < INDEX_TTL
            if not (fresh and needed <= self._entries.keys()):
                version = self.version
                self._entries = _read_entries()
                self._built_at, self._built_version = time.monotonic(), version
            return self._entries


def _read_entries() -> dict[int, Entry]:
    """Every session's sort keys and facet values, in six flat queries."""
    speakers: dict[int, list[str]] = {}
    links = SessionSpeaker.objects.order_by("sort_order").values_list("page_id", "speaker__name")
    for page_id, name in links:
        speakers.setdefault(page_id, []).append(name)
    organisations: dict[int, list[str]] = {}
    through = SessionPage.organisations.through
    for page_id, name in through.objects.values_list("sessionpage_id", "organisation__name"):
        organisations.setdefault(page_id, []).append(name)
    themes: dict[int, list[int]] = {}
    for session_id, theme_id in ThemeSession.objects.values_list("session_id", "theme_id"):
        themes.setdefault(session_id, []).append(theme_id)
    # A session set to "detect" counts in the language its finished transcript was made in.
    spoken = dict(
        Transcript.objects.filter(status=Transcript.Status.DONE).values_list("recording_id", "language")
    )
    entries = {}
    rows = SessionPage.objects.values_list(
        "pk",
        "title",
        "date",
        "first_published_at",
        "recording__duration",
        "language",
        "recording_id",
        "event__name",
        "event__year",
    )
    for pk, title, date, published, duration, language, recording_id, event_name, event_year in rows:
        if language == "auto":
            language = spoken.get(recording_id) or ""
        year = date.year if date else event_year
        values = (
            tuple(dict.fromkeys(speakers.get(pk, ()))),
            tuple(dict.fromkeys(organisations.get(pk, ()))),
            (f"{event_name} {event_year}",) if event_name else (),
            (str(year),) if year else (),
            (language,) if language else (),
        )
        entries[pk] = Entry(
            pk=pk,
            date=date.toordinal() if date else None,
            published=published.timestamp() if published else 0.0,
            duration=duration or None,  # a recording not probed yet stores 0
            title=title.casefold(),
            theme_ids=tuple(themes.get(pk, ())),
            values=values,
        )
    return entries


index = _Index()


def _sort(entries: list[Entry], sort: str) -> list[Entry]:
    if sort == "title":
        return sorted(entries, key=lambda e: (e.title, e.pk))
    if sort == "longest":
        return sorted(entries, key=lambda e: (e.duration is None, -(e.duration or 0.0), e.title, e.pk))
    newest = sort == "newest"

    def by_date(e):
        # Sessions without a date come last in both directions.
        sign = -1 if newest else 1
        return (e.date is None, sign * (e.date or 0), sign * e.published, e.pk)

    return sorted(entries, key=by_date)


def _facet_table(entries, visible_theme_titles: dict[int, str], filters: dict[str, list[str]]):
    """The sessions every filter lets through, and the facet counts (search's semantics:
    a session counts for facet X when every selected filter lets it through but X's own)."""
    wanted = [(FACETS.index(facet), set(values)) for facet, values in filters.items()]
    counts: list[dict[str, int]] = [{} for _ in FACETS]
    selected = []
    for entry in entries:
        themes = tuple({visible_theme_titles[t]: 0 for t in entry.theme_ids if t in visible_theme_titles})
        own = (themes, *entry.values)
        failed = [i for i, values in wanted if values.isdisjoint(own[i])]
        if not failed:
            selected.append(entry)
            for bucket, values in zip(counts, own, strict=True):
                for value in values:
                    bucket[value] = bucket.get(value, 0) + 1
        elif len(failed) == 1:
            bucket = counts[failed[0]]
            for value in own[failed[0]]:
                bucket[value] = bucket.get(value, 0) + 1
    facets = {}
    for i, facet in enumerate(FACETS):
        values = sorted(counts[i].items(), key=lambda item: (-item[1], item[0]))
        # A selected value always shows (to be switched off), even past the cut.
        chosen = set(filters.get(facet, ()))
        shown = values[:MAX_VALUES_PER_FACET]
        facets[facet] = shown + [v for v in values[MAX_VALUES_PER_FACET:] if v[0] in chosen]
    return selected, facets


def _cards(ids: list[int]) -> list[SessionPage]:
    """The page's sessions with what a card shows (poster thumbnails, event, speakers), in order."""
    posters = get_image_model().objects.prefetch_renditions(POSTER_SPEC)
    pages = (
        SessionPage.objects.filter(pk__in=ids)
        .select_related("event", "recording")
        .prefetch_related(
            Prefetch("poster", queryset=posters),
            Prefetch("recording__poster", queryset=posters),
            Prefetch("speaker_links", queryset=SessionSpeaker.objects.select_related("speaker")),
        )
    )
    by_id = {page.pk: page for page in pages}
    return [by_id[pk] for pk in ids if pk in by_id]


def browse(
    filters: dict[str, list[str]] | None = None,
    sort: str = DEFAULT_SORT,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Catalogue:
    filters = filters or {}
    sort = parse_sort(sort)
    # Who may see what: asked afresh on every request, never cached.
    visible = set(visible_sessions().values_list("pk", flat=True))
    theme_titles = dict(visible_themes().values_list("pk", "title"))
    entries = index.entries(visible)
    selected, facets = _facet_table((entries[pk] for pk in visible if pk in entries), theme_titles, filters)
    total = len(selected)
    pages = max(1, -(-total // per_page))
    page = max(1, page)
    sessions: list[SessionPage] = []
    if page <= pages:
        first = (page - 1) * per_page
        ids = [entry.pk for entry in _sort(selected, sort)[first : first + per_page]]
        sessions = _cards(ids)
    return Catalogue(
        sessions=sessions, total=total, page=page, pages=pages, facets=facets, filters=filters, sort=sort
    )
