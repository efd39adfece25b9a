"""The contract every search engine fulfils (embedded SQLite FTS5, OpenSearch).

The service (search/service.py) builds SessionDocument/MomentDocument values from the
database and hands them to an engine; engines know nothing of Django models."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

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


class QueryError(ValueError):
    """The query cannot be understood; the message is shown to the visitor."""


class EngineUnavailable(RuntimeError):
    """The engine cannot be reached; callers answer 503 and keep pending changes."""


class SearchEngine(abc.ABC):
    name: str

    @abc.abstractmethod
    def index_sessions(self, documents: list[SessionDocument]) -> None:
        """Add or replace these sessions (and all their moments)."""

    @abc.abstractmethod
    def remove_session(self, session_id: int) -> None: ...

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResults:
        """Sessions matching ``query``, best first, ``query.per_page`` per page.

        * Words must all match (in moment text or the session's title/summary/speakers);
          "quoted phrases" match in order; ``-word`` excludes. Odd syntax never raises an
          engine error: it is read as words, or raises QueryError with a message for people
          (too long, only excluded words, unknown filter, non-numeric year, page < 1).
        * Empty ``text``: browse every session, newest ``date`` first, without moments.
        * ``filters``: OR within a facet, AND across facets. ``facets`` count *sessions*;
          the counts of facet X apply every selected filter except X's own.
        * Each hit carries up to ``moments_per_session`` moments, best first, whose
          ``snippet_html`` is escaped text with ``<mark>`` around matched words.
        Raises EngineUnavailable when the engine cannot be reached."""

    @abc.abstractmethod
    def rebuild(self, documents) -> int:
        """Replace the whole index with these documents (an iterable); return the count.
        Visitors must never see an empty index while it runs."""

    @abc.abstractmethod
    def indexed_session_ids(self) -> set[int]: ...

    def ping(self) -> bool:
        return True
