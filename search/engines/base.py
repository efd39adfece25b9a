"""The contract every search engine fulfils (embedded SQLite FTS5, OpenSearch).

The service (search/service.py) builds SessionDocument/MomentDocument values from the
database and hands them to an engine; engines know nothing of Django models."""

from __future__ import annotations

import abc
import time
from dataclasses import dataclass, field

from search.engines.errors import EngineUnavailable as EngineUnavailable  # re-exported
from search.engines.errors import QueryError
from search.engines.query_syntax import ParsedQuery, parse_query

FACETS = ("theme", "speaker", "organisation", "event", "year", "language")


@dataclass(frozen=True)
class MomentDocument:
    """A window of consecutive segments (~20–40 s, overlapping by one segment)."""

    start: float
    end: float
    text: str
    # Where each segment begins: (character offset in ``text``, seconds). Optional; an
    # engine that keeps it can point a hit at the segment of the first matched word.
    segment_starts: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True)
class SessionDocument:
    session_id: int
    title: str
    url: str
    summary: str = ""
    language: str = "en"  # analysis language: "nl" or "en"
    speakers: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    event: str = ""
    year: int | None = None
    date: str = ""  # ISO date, for display/sorting
    poster_url: str = ""
    duration: float | None = None
    moments: tuple[MomentDocument, ...] = ()


@dataclass(frozen=True)
class SearchQuery:
    text: str
    filters: dict[str, list[str]] = field(default_factory=dict)  # facet name -> selected values
    page: int = 1
    per_page: int = 10
    moments_per_session: int = 3
    # The ids of the sessions a visitor may see (library.access.visible_sessions()), applied
    # inside the engine query so hits, totals and facets all agree, however far the index
    # lags behind the database. None: no restriction (benchmarks, engine tests).
    visible_ids: frozenset[int] | None = None


@dataclass
class MomentHit:
    start: float
    end: float
    snippet_html: str  # HTML-escaped text with <mark>…</mark> around matched terms
    score: float = 0.0
    # When the first matched word's segment begins (the deep link ``?t=``); None: use start.
    at: float | None = None


@dataclass
class SessionHit:
    session_id: int
    title: str
    url: str
    score: float
    title_html: str = ""
    summary_html: str = ""
    language: str = ""
    speakers: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    event: str = ""
    year: int | None = None
    date: str = ""
    poster_url: str = ""
    duration: float | None = None
    moments: list[MomentHit] = field(default_factory=list)


@dataclass
class SearchResults:
    query: SearchQuery
    total: int  # matching sessions (after filters)
    hits: list[SessionHit]
    facets: dict[str, list[tuple[str, int]]]  # facet -> [(value, session count)], counts desc
    took_ms: float = 0.0


# Years a filter may ask for: a number outside this range means nothing (and overflowed
# OpenSearch's integer field with a 500).
YEAR_RANGE = range(1, 10_000)


def checked_filters(selected: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """The selected facet values, cleaned and validated the same way for every engine.

    Raises QueryError for an unknown facet or a year that is not a plausible year."""
    filters: dict[str, list[str]] = {}
    for facet, values in (selected or {}).items():
        if facet not in FACETS:
            raise QueryError(f"Unknown filter {facet!r}; choose from {', '.join(FACETS)}.")
        values = list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
        if not values:
            continue
        if facet == "year":
            if not all(v.isdigit() and int(v) in YEAR_RANGE for v in values):
                raise QueryError(f"Year must be a number from 1 to 9999, not {values!r}.")
            values = [str(int(v)) for v in values]
        filters[facet] = values
    return filters


class SearchEngine(abc.ABC):
    """An engine keeps only its own storage, query building and scoring; reading the query,
    checking filters and paging, timing and choosing each moment's snippet and deep link are
    the same for every engine and live here (as Wagtail's BaseSearchBackend._search does)."""

    name: str

    @abc.abstractmethod
    def index_sessions(self, documents: list[SessionDocument]) -> None:
        """Add or replace these sessions (and all their moments)."""

    @abc.abstractmethod
    def remove_session(self, session_id: int) -> None: ...

    def search(self, query: SearchQuery) -> SearchResults:
        """Sessions matching ``query``, best first, ``query.per_page`` per page.

        * Words: moments holding every word rank first; moments holding most of them still
          match, below (search/engines/matching.py has the rule); misheard, misspelt and
          compound words meet through fuzzy and compound matching; the last word is also
          read as a prefix. "quoted phrases" match exactly and in order; ``-word`` excludes.
          Odd syntax never raises an engine error: it is read as words, or raises QueryError
          with a message for people (too long, only excluded words, unknown filter, bad
          year, page < 1).
        * Empty ``text``: browse every session, newest ``date`` first, without moments.
        * ``filters``: OR within a facet, AND across facets. ``facets`` count *sessions*;
          the counts of facet X apply every selected filter except X's own.
        * ``visible_ids``: only these sessions exist for this search (hits, total, facets).
        * Each hit carries up to ``moments_per_session`` moments, best first, one per place
          in the talk, whose ``snippet_html`` is escaped text with ``<mark>`` around matched
          words and whose ``at`` is when the matched words begin.
        Raises EngineUnavailable when the engine cannot be reached."""
        started = time.perf_counter()
        if query.page < 1 or query.per_page < 1:
            raise QueryError("Page and page size must be positive numbers.")
        parsed = parse_query(query.text)
        filters = checked_filters(query.filters)
        results = self._search(query, parsed, filters)
        results.took_ms = (time.perf_counter() - started) * 1000
        return results

    @abc.abstractmethod
    def _search(
        self, query: SearchQuery, parsed: ParsedQuery, filters: dict[str, list[str]]
    ) -> SearchResults:
        """The engine's half of ``search``: ``parsed`` is the visitor's query, ``filters``
        are checked facet values (years as digit strings)."""

    @abc.abstractmethod
    def rebuild(self, documents) -> int:
        """Replace the whole index with these documents (an iterable); return the count.
        Visitors must never see an empty index while it runs."""

    @abc.abstractmethod
    def indexed_session_ids(self) -> set[int]: ...

    def ping(self) -> bool:
        return True
