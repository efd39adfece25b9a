"""The catalogue's query: every session a visitor may see, filtered, sorted and paged in
the database, with the same facets as search (theme, speaker, organisation, event, year,
language) and the same meaning: OR within a facet, AND across facets, and the counts of
facet X apply every selected filter except X's own. Values are the ones search uses
(theme titles, names, "Event 2026", years, language codes), so a filtered catalogue link
and a filtered search link take the same parameters.

Kept in the database rather than the search engine: the engine browses newest first only,
and the catalogue needs four orders; a few grouped queries answer 10,000 sessions quickly
(bench/catalogue.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear, Lower
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model

from library.access import visible_sessions, visible_themes
from library.models import Event, SessionPage, SessionSpeaker, ThemeSession
from transcripts.models import Transcript

FACETS = ("theme", "speaker", "organisation", "event", "year", "language")
PER_PAGE = 24
MAX_VALUES_PER_FACET = 20  # as many values as a visitor can scan; search's filters take 20 too
POSTER_SPEC = "fill-320x180"

SORTS = {
    "newest": (_("Newest first"), (F("date").desc(nulls_last=True), F("first_published_at").desc(), "pk")),
    "oldest": (_("Oldest first"), (F("date").asc(nulls_last=True), F("first_published_at").asc(), "pk")),
    "title": (_("Title (A–Z)"), (Lower("title"), "pk")),
    "longest": (_("Longest first"), (F("duration").desc(nulls_last=True), Lower("title"), "pk")),
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


def annotated_sessions() -> QuerySet:
    """Visible sessions with the two facet values that are not plain columns: the year
    (the session's date, else its event's year) and the spoken language (the session's,
    or, for one set to "detect", the language its finished transcript was made in)."""
    transcript_language = Transcript.objects.filter(
        recording_id=OuterRef("recording_id"), status=Transcript.Status.DONE
    ).values("language")[:1]
    return visible_sessions().annotate(
        facet_year=Coalesce(ExtractYear("date"), F("event__year"), output_field=IntegerField()),
        facet_language=Case(
            When(language="auto", then=Subquery(transcript_language)),
            default=F("language"),
            output_field=CharField(),
        ),
    )


def _event_ids(labels: list[str]) -> list[int]:
    # Events are few; their label ("Kennismaand 2026") is what search and the facet show.
    wanted = set(labels)
    return [event.pk for event in Event.objects.all() if str(event) in wanted]


def _matching(facet: str, values: list[str]) -> Q:
    """The sessions with at least one of ``values`` for ``facet``."""
    if facet == "theme":
        themes = visible_themes().filter(title__in=values)
        return Q(pk__in=ThemeSession.objects.filter(theme__in=themes).values("session_id"))
    if facet == "speaker":
        return Q(pk__in=SessionSpeaker.objects.filter(speaker__name__in=values).values("page_id"))
    if facet == "organisation":
        through = SessionPage.organisations.through
        return Q(pk__in=through.objects.filter(organisation__name__in=values).values("sessionpage_id"))
    if facet == "event":
        return Q(event_id__in=_event_ids(values))
    if facet == "year":
        return Q(facet_year__in=[int(v) for v in values])
    if facet == "language":
        return Q(facet_language__in=values)
    raise ValueError(f"unknown facet {facet!r}")


def _filtered(base: QuerySet, filters: dict[str, list[str]], leave_out: str | None = None) -> QuerySet:
    for facet, values in filters.items():
        if facet != leave_out:
            base = base.filter(_matching(facet, values))
    return base


def _counts(facet: str, sessions: QuerySet) -> list[tuple[str, int]]:
    """(value, number of ``sessions`` with it) for one facet."""
    ids = sessions.values("pk")
    if facet == "theme":
        rows = (
            ThemeSession.objects.filter(session__in=ids, theme__in=visible_themes())
            .values_list("theme__title")
            .annotate(n=Count("session_id", distinct=True))
        )
    elif facet == "speaker":
        rows = (
            SessionSpeaker.objects.filter(page__in=ids)
            .values_list("speaker__name")
            .annotate(n=Count("page_id", distinct=True))
        )
    elif facet == "organisation":
        rows = (
            SessionPage.organisations.through.objects.filter(sessionpage__in=ids)
            .values_list("organisation__name")
            .annotate(n=Count("sessionpage_id", distinct=True))
        )
    elif facet == "event":
        rows = [
            (f"{name} {year}", n)
            for name, year, n in sessions.filter(event__isnull=False)
            .values_list("event__name", "event__year")
            .annotate(n=Count("pk"))
            .order_by()
        ]
    elif facet == "year":
        rows = [
            (str(year), n)
            for year, n in sessions.filter(facet_year__isnull=False)
            .values_list("facet_year")
            .annotate(n=Count("pk"))
            .order_by()
        ]
    else:  # language
        rows = (
            sessions.exclude(facet_language__isnull=True)
            .exclude(facet_language__in=["", "auto"])
            .values_list("facet_language")
            .annotate(n=Count("pk"))
            .order_by()
        )
    merged: dict[str, int] = {}
    for value, n in rows:
        merged[value] = merged.get(value, 0) + n  # two themes may share a title
    return sorted(merged.items(), key=lambda item: (-item[1], item[0]))


def facet_counts(base: QuerySet, filters: dict[str, list[str]]) -> dict[str, list[tuple[str, int]]]:
    facets = {}
    for facet in FACETS:
        values = _counts(facet, _filtered(base, filters, leave_out=facet))
        # A selected value always shows (to be switched off), even past the cut.
        selected = set(filters.get(facet, []))
        shown = values[:MAX_VALUES_PER_FACET] + [v for v in values[MAX_VALUES_PER_FACET:] if v[0] in selected]
        facets[facet] = shown
    return facets


def _with_cards(sessions: QuerySet) -> QuerySet:
    """What a session card shows, in a fixed number of queries (posters with their
    thumbnail rendition, event, speakers)."""
    posters = get_image_model().objects.prefetch_renditions(POSTER_SPEC)
    return sessions.select_related("event").prefetch_related(
        Prefetch("poster", queryset=posters),
        Prefetch("speaker_links", queryset=SessionSpeaker.objects.select_related("speaker")),
    )


def browse(
    filters: dict[str, list[str]] | None = None,
    sort: str = DEFAULT_SORT,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Catalogue:
    filters = filters or {}
    sort = parse_sort(sort)
    base = annotated_sessions()
    matching = _filtered(base, filters)
    total = matching.count()
    pages = max(1, -(-total // per_page))
    page = max(1, page)
    sessions: list[SessionPage] = []
    if page <= pages:
        first = (page - 1) * per_page
        ordered = matching.order_by(*SORTS[sort][1])
        sessions = list(_with_cards(ordered)[first : first + per_page])
    return Catalogue(
        sessions=sessions,
        total=total,
        page=page,
        pages=pages,
        facets=facet_counts(base, filters),
        filters=filters,
        sort=sort,
    )
