"""The contract every search engine fulfils (embedded SQLite FTS5, OpenSearch).

The service (search/service.py) builds SessionDocument/MomentDocument values from the
database and hands them to an engine; engines know nothing of Django models."""

from __future__ import annotations

import abc
import html
import time
from dataclasses import dataclass, field, replace

from search.analysis import stop_forms
from search.engines.errors import EngineUnavailable as EngineUnavailable  # re-exported
from search.engines.errors import QueryError
from search.engines.errors import visitor_message as _
from search.engines.matching import Matcher, MomentMatch, QueryPlan, idf, plan_query, remember_words
from search.engines.query_syntax import parse_query

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
    # The titles of the themes a visitor may see (library.access.visible_themes()). A session's
    # document keeps the themes it had when it was indexed, so a theme made private since is
    # dropped from hits and facets here, and a filter on it finds nothing, as for a theme
    # that does not exist. None: every theme counts.
    visible_themes: frozenset[str] | None = None


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
    # When little or nothing matched: the query with its unknown words replaced by words the
    # index holds ("did you mean"), best first.
    did_you_mean: list[str] = field(default_factory=list)
    # No moment held enough of the words, so these hold fewer of them (at least one).
    loosened: bool = False


@dataclass
class Candidate:
    """A moment (or, with ``moment`` None, a session's own fields) that the engine found."""

    session_id: int
    engine_score: float
    moment: MomentDocument | None = None
    # The moment's words as matching.stored_words wrote them at index time, if the engine
    # keeps them (then rescoring need not find them in the text again).
    words: str | None = None


@dataclass
class Retrieved:
    """What an engine found for one search, before ranking (engine-neutral, in ``search``).

    ``candidates``: the engine's best matches, at most RESCORE_WINDOW moments, for the shared
    ranking to score. ``ranked``: the matching sessions that pass the filters in the engine's
    own order, at least up to the requested page (it starts at index ``offset``): the order
    for sessions outside the candidates, and the whole order when browsing."""

    candidates: list[Candidate]
    ranked: list[int]
    total: int
    facets: dict[str, list[tuple[str, int]]]
    offset: int = 0


# Moments the shared ranking re-scores per search (as Elasticsearch's rescore window_size):
# the engine's best this many (400 cost seconds per query at 1x on 2 loaded cores; 100
# still hold the moments a visitor reads on the first page).
RESCORE_WINDOW = 100
# Two moments whose best stretches begin within this many seconds are one place in the talk.
SAME_PLACE_SECONDS = 2.0
SESSION_FIELDS_SHARE = 0.5
# "Did you mean" is offered when at most this many sessions match, with this many queries.
FEW_RESULTS = 0
SUGGESTIONS = 3  # a session's own fields count half as much as a moment

# Years a filter may ask for: a number outside this range means nothing (and overflowed
# OpenSearch's integer field with a 500).
YEAR_RANGE = range(1, 10_000)


def checked_filters(selected: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """The selected facet values, cleaned and validated the same way for every engine.

    Raises QueryError for an unknown facet or a year that is not a plausible year."""
    filters: dict[str, list[str]] = {}
    for facet, values in (selected or {}).items():
        if facet not in FACETS:
            raise QueryError(
                _("Unknown filter %(filter)r; choose from %(filters)s.")
                % {"filter": facet, "filters": ", ".join(FACETS)}
            )
        values = list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
        if not values:
            continue
        if facet == "year":
            # isascii: "²" and "①" are digits to str.isdigit, not to int().
            if not all(v.isascii() and v.isdigit() and int(v) in YEAR_RANGE for v in values):
                raise QueryError(
                    _("Year must be a number from 1 to 9999, not %(values)r.") % {"values": values}
                )
            values = [str(int(v)) for v in values]
        filters[facet] = values
    return filters


def _visible_theme_filter(filters: dict[str, list[str]], visible: frozenset[str] | None):
    """The filters with hidden theme titles taken out (they match no session), and whether
    a theme filter was left with no value at all (then no session passes it)."""
    if visible is None or "theme" not in filters:
        return filters, False
    kept = [title for title in filters["theme"] if title in visible]
    filters = {facet: values for facet, values in filters.items() if facet != "theme"}
    if kept:
        filters["theme"] = kept
    return filters, not kept


def _nothing_but_theme_counts(retrieved: Retrieved) -> Retrieved:
    """What a search whose theme filter names no existing theme finds: no session, and only
    the theme facet's counts (a facet's counts leave out its own filter), as the engines
    answer for a title no document holds. ``retrieved`` was found without the theme filter."""
    facets = {facet: [] for facet in retrieved.facets}
    facets["theme"] = retrieved.facets.get("theme", [])
    return Retrieved(candidates=[], ranked=[], total=0, facets=facets)


def _drop_hidden_theme_values(facets: dict[str, list[tuple[str, int]]], visible: frozenset[str]) -> None:
    if "theme" in facets:
        facets["theme"] = [(title, count) for title, count in facets["theme"] if title in visible]


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
        * ``visible_ids``: only these sessions exist for this search (hits, total, facets);
          ``visible_themes``: only these theme titles exist (hits, facets, theme filters).
        * Each hit carries up to ``moments_per_session`` moments, best first, one per place
          in the talk, whose ``snippet_html`` is escaped text with ``<mark>`` around matched
          words and whose ``at`` is when the matched words begin.
        Raises EngineUnavailable when the engine cannot be reached."""
        started = time.perf_counter()
        if query.page < 1 or query.per_page < 1:
            raise QueryError(_("Page and page size must be positive numbers."))
        parsed = parse_query(query.text)
        filters = checked_filters(query.filters)
        plan = plan_query(parsed)
        filters, no_such_theme = _visible_theme_filter(filters, query.visible_themes)
        retrieved = self._retrieve(query, plan, filters)
        loosened = False
        if not retrieved.total and self._worth_loosening(plan):
            # No moment holds enough of the words (plan.minimum): the moments holding any of
            # them, best first, rather than nothing (a three-word memory with two words misheard).
            plan, loosened = replace(plan, minimum=1), True
            retrieved = self._retrieve(query, plan, filters)
        if no_such_theme:
            retrieved = _nothing_but_theme_counts(retrieved)
        if query.visible_themes is not None:
            _drop_hidden_theme_values(retrieved.facets, query.visible_themes)
        if plan.is_empty:
            hits = self._browse_hits(query, retrieved)
        else:
            hits = self._ranked_hits(query, plan, retrieved)
        if query.visible_themes is not None:
            for hit in hits:
                hit.themes = [title for title in hit.themes if title in query.visible_themes]
        did_you_mean = []
        if not plan.is_empty and (retrieved.total <= FEW_RESULTS or loosened):
            did_you_mean = self._did_you_mean(parsed, plan, query)
        return SearchResults(
            query=query,
            total=retrieved.total,
            hits=hits,
            facets=retrieved.facets,
            took_ms=(time.perf_counter() - started) * 1000,
            did_you_mean=did_you_mean,
            loosened=loosened and bool(hits),
        )

    def _worth_loosening(self, plan: QueryPlan) -> bool:
        """Whether to look again for moments holding fewer of the words than ``plan.minimum``:
        only when a word the index holds, other than a stop word, could bring them (else the
        loosened search would be a page of moments holding "de" or "the")."""
        if plan.minimum <= 1:
            return False
        words = plan.single_words
        for lang in ("nl", "en"):
            telling = [w for w in words if w not in stop_forms(lang)]
            if telling and any(self._frequencies(telling, lang)[1].values()):
                return True
        return False

    def _did_you_mean(self, parsed, plan: QueryPlan, query: SearchQuery) -> list[str]:
        """The visitor's words with each word the index does not hold replaced by the nearest
        one a session the visitor may see holds (in any language), best first; nothing when
        every word is known."""
        words = plan.single_words
        if not words:
            return []
        frequencies = [self._frequencies(words, lang)[1] for lang in ("nl", "en")]
        unknown = [w for w in words if not any(f.get(w) for f in frequencies)]
        options = {}
        for word in unknown:
            found = []
            for lang in ("nl", "en"):
                found += [w for w in self._similar_words(word, lang, SUGGESTIONS) if w != word]
            # Checked one by one, and no more than the suggestions can use.
            visible = []
            for candidate in dict.fromkeys(found):
                if len(visible) == SUGGESTIONS:
                    break
                if self._visible_word(candidate, query):
                    visible.append(candidate)
            found = visible
            if found:
                options[word] = list(dict.fromkeys(found))
        if not options:
            return []
        shown = [t.atoms[0][0] if len(t.atoms) == 1 and len(t.atoms[0]) == 1 else None for t in plan.terms]
        suggestions = []
        for choice in range(SUGGESTIONS):
            picked = [
                (options[w][min(choice, len(options[w]) - 1)] if w in options else w)
                if w is not None
                else '"' + " ".join(t.atoms[0]) + '"'
                for w, t in zip(shown, plan.terms, strict=True)
            ]
            suggestions.append(" ".join(picked))
        return list(dict.fromkeys(suggestions))

    def _visible_word(self, word: str, query: SearchQuery) -> bool:
        """Whether a session in ``query.visible_ids`` holds ``word`` itself. The engine's
        vocabulary may still hold the words of a session hidden since it was indexed (a
        lagging index): offering one as "did you mean" would confirm it is said there."""
        if query.visible_ids is None:
            return True
        exact = replace(query, text=f'"{word}"', filters={}, page=1)
        plan = plan_query(parse_query(exact.text))
        return not plan.is_empty and self._retrieve(exact, plan, {}).total > 0

    def _browse_hits(self, query: SearchQuery, retrieved: Retrieved) -> list[SessionHit]:
        first = (query.page - 1) * query.per_page - retrieved.offset
        ids = retrieved.ranked[max(first, 0) : max(first, 0) + query.per_page]
        fields = self._sessions(ids)
        return [session_hit(sid, fields[sid], 0.0) for sid in ids if sid in fields]

    def _ranked_hits(self, query: SearchQuery, plan: QueryPlan, retrieved: Retrieved) -> list[SessionHit]:
        """Score the candidates with the shared rules, order the sessions, cut the page."""
        first = (query.page - 1) * query.per_page
        wanted = {c.session_id for c in retrieved.candidates}
        wanted.update(retrieved.ranked[: max(0, first + query.per_page - retrieved.offset)])
        fields = self._sessions(sorted(wanted))
        matchers = self._matchers(plan, {f["analysis"] for f in fields.values()})
        texts: dict[str, list[str]] = {lang: [] for lang in matchers}
        for candidate in retrieved.candidates:
            data = fields.get(candidate.session_id)
            if data is not None:
                # A moment is matched with its session's title and speakers; only a match
                # in the session's own fields reads its summary.
                texts[data["analysis"]] += [data["title"], *data["speakers"]]
                if candidate.moment is not None:
                    texts[data["analysis"]].append(candidate.moment.text)
                    remember_words(candidate.moment.text, data["analysis"], candidate.words)
                else:
                    texts[data["analysis"]].append(data["summary"])
        for lang, matcher in matchers.items():
            matcher.prepare(dict.fromkeys(texts[lang]))
        moments: dict[int, list[tuple[float, MomentHit]]] = {}
        snippets: dict[int, tuple[Matcher, str, object]] = {}
        scores: dict[int, float] = {}
        for candidate in retrieved.candidates:
            data = fields.get(candidate.session_id)
            if data is None:
                continue
            matcher = matchers[data["analysis"]]
            sid = candidate.session_id
            if candidate.moment is None:
                own = " ".join([data["title"], data["summary"], *data["speakers"]])
                found = matcher.match(own)
                if found:
                    scores[sid] = scores.get(sid, 0.0) + SESSION_FIELDS_SHARE * found.score
                continue
            context = " ".join([data["title"], *data["speakers"]])
            found = matcher.match(candidate.moment.text, context)
            if found is None:
                continue
            hit = MomentHit(
                start=candidate.moment.start,
                end=candidate.moment.end,
                snippet_html="",  # written below for the moments shown
                score=found.score,
                at=spoken_at(candidate.moment, found),
            )
            snippets[id(hit)] = (matcher, candidate.moment.text, found)
            moments.setdefault(sid, []).append((found.score + 1e-6 * candidate.engine_score, hit))
        for sid, found in moments.items():
            found.sort(key=lambda pair: -pair[0])
            moments[sid] = _one_per_place(found)
            # A session ranks by its best moment, then a little by its next ones.
            best = [score for score, _ in moments[sid][:3]]
            scores[sid] = scores.get(sid, 0.0) + best[0] + 0.1 * sum(best[1:])
        order = sorted(scores, key=lambda sid: (-scores[sid], sid))
        seen = set(order)
        # Sessions beyond the rescore window follow in the engine's order.
        order_rest = [sid for sid in retrieved.ranked if sid not in seen]
        page = (order + order_rest)[first : first + query.per_page]
        missing = [sid for sid in page if sid not in fields]
        if missing:
            fields.update(self._sessions(missing))
        matchers.update(
            self._matchers(plan, {fields[sid]["analysis"] for sid in page if sid in fields} - matchers.keys())
        )
        # The titles and summaries shown are marked: their words learnt in one batch too.
        for lang, matcher in matchers.items():
            shown_fields = [
                text
                for sid in page
                if sid in fields and fields[sid]["analysis"] == lang
                for text in (fields[sid]["title"], fields[sid]["summary"])
            ]
            matcher.prepare(dict.fromkeys(shown_fields))
        hits = []
        for sid in page:
            if sid not in fields:
                continue
            data = fields[sid]
            matcher = matchers[data["analysis"]]
            shown = [hit for _, hit in moments.get(sid, [])[: max(query.moments_per_session, 0)]]
            for hit in shown:
                matcher_of_hit, text, found = snippets[id(hit)]
                hit.snippet_html = matcher_of_hit.snippet(text, found)
            hits.append(
                session_hit(
                    sid,
                    data,
                    scores.get(sid, 0.0),
                    moments=shown,
                    title_html=matcher.marked(data["title"]),
                    summary_html=matcher.marked(data["summary"]),
                )
            )
        return hits

    def _matchers(self, plan: QueryPlan, languages) -> dict[str, Matcher]:
        words = plan.words
        matchers = {}
        for lang in languages:
            count, frequencies = self._frequencies(words, lang)
            weights = {w: idf(count, frequencies.get(w, 0)) for w in words}
            matchers[lang] = Matcher(plan, lang, weights)
        return matchers

    # -- the engine's half -------------------------------------------------------------------------

    @abc.abstractmethod
    def _retrieve(self, query: SearchQuery, plan: QueryPlan, filters: dict[str, list[str]]) -> Retrieved:
        """Find the candidates, the matching sessions in order, the total and the facets.

        ``plan`` is the visitor's query with the matching rules (search/engines/matching.py):
        a moment qualifies when it meets every required term and ``plan.minimum`` loose ones
        (in its text, or its session's title and speakers, holding at least one itself);
        a session qualifies by such a moment or by its own fields. ``filters`` are checked
        facet values (years as digit strings). Empty plan: browse, newest first."""

    @abc.abstractmethod
    def _sessions(self, session_ids) -> dict[int, dict]:
        """Display fields of these sessions, as ``session_fields`` writes them."""

    @abc.abstractmethod
    def _similar_words(self, word: str, lang: str, limit: int) -> list[str]:
        """Words of the transcripts (as spoken, lower case) nearest to ``word``, best first."""

    @abc.abstractmethod
    def _frequencies(self, words: list[str], lang: str) -> tuple[int, dict[str, int]]:
        """How many moments of language ``lang`` there are, and in how many each word occurs."""

    @abc.abstractmethod
    def rebuild(self, documents) -> int:
        """Replace the whole index with these documents (an iterable); return the count.
        Visitors must never see an empty index while it runs."""

    @abc.abstractmethod
    def indexed_session_ids(self) -> set[int]: ...

    def ping(self) -> bool:
        return True


def session_fields(doc: SessionDocument, analysis: str) -> dict:
    """What an engine stores to show a session in results (the keys ``session_hit`` reads)."""
    return {
        "title": doc.title,
        "url": doc.url,
        "summary": doc.summary,
        "language": doc.language,
        "analysis": analysis,
        "speakers": list(doc.speakers),
        "organisations": list(doc.organisations),
        "themes": list(doc.themes),
        "event": doc.event,
        "year": doc.year,
        "date": doc.date,
        "poster_url": doc.poster_url,
        "duration": doc.duration,
    }


def session_hit(
    session_id: int, data: dict, score: float, moments=(), title_html="", summary_html=""
) -> SessionHit:
    return SessionHit(
        session_id=session_id,
        title=data["title"],
        url=data["url"],
        score=score,
        title_html=title_html or html.escape(data["title"]),
        summary_html=summary_html or html.escape(data.get("summary") or ""),
        language=data.get("language") or "",
        speakers=list(data.get("speakers") or []),
        organisations=list(data.get("organisations") or []),
        themes=list(data.get("themes") or []),
        event=data.get("event") or "",
        year=data.get("year"),
        date=data.get("date") or "",
        poster_url=data.get("poster_url") or "",
        duration=data.get("duration"),
        moments=list(moments),
    )


def spoken_at(moment: MomentDocument, found: MomentMatch) -> float | None:
    """When the first word of the ``found`` stretch of the moment's text is said: the start
    of the word (or, without word timings, of its segment) at or before it."""
    if not moment.segment_starts:
        return None
    first_char = found.first  # found only now: finding a word's offset costs a regex scan
    if first_char is None:
        return None
    starts = moment.segment_starts
    return max((seconds for offset, seconds in starts if offset <= first_char), default=starts[0][1])


def _one_per_place(found: list[tuple[float, MomentHit]]) -> list[tuple[float, MomentHit]]:
    """Best first, dropping a moment whose link lands where a better one's does (windows overlap)."""
    kept: list[tuple[float, MomentHit]] = []
    for score, hit in found:
        at = hit.at if hit.at is not None else hit.start
        if any(abs(at - (k.at if k.at is not None else k.start)) < SAME_PLACE_SECONDS for _, k in kept):
            continue
        kept.append((score, hit))
    return kept
