"""The OpenSearch engine: one index document per *moment*, grouped per session at query time.

Index design
* Every moment (a window of transcript segments) is one document carrying a copy of its
  session's fields (title, summary, speakers, facets, display fields), so a search and
  its filters work on moment documents without joins.
* Every session also has one ``kind=session`` document (no moment text), so a session
  without a transcript is still found by its title, summary or speakers.
* Text is analysed per transcript language: ``text_nl``/``title.nl``/... use a Dutch
  analyzer (Lucene's ``dutch`` plus plurals in -ies), ``text_en``/``title.en``/... an
  English one (as Lucene's ``english``); both fold accents. A document is queried only
  on the fields of its own language, so stop words and stemming stay consistent across
  all fields of one query (a Dutch stop word like "de" would otherwise have to match
  literally in some field).
* Results are grouped per session with ``collapse`` on ``session_id``; ``inner_hits`` give
  each session's best moments with highlighted (HTML-escaped) snippets. Pagination is
  over sessions (from/size on the collapsed hits).
* A moment's deep link starts at the segment holding its first matched word, as in the
  embedded engine: each moment document keeps where its segments begin (``segments``,
  stored but not indexed), and the position of the first ``<mark>`` in the highlighted
  text, unescaped, is the character offset that picks the segment (``spoken_at``).
* Counts are *sessions*, not documents ("reverse" approach): the hits request also
  collects the ids of all matching sessions (a ``terms`` aggregation on ``session_id``),
  and a second request counts facet values over those sessions' ``kind=session``
  documents, one per session. Exact up to 40,000 matching sessions
  (``MATCHED_SESSIONS_LIMIT``). A ``cardinality`` sub-aggregation per facet bucket
  over all matching moments gave the same counts 2.5-4x slower (measured at 1x and
  10x the reference festival).
* Facets stay stable when one is selected: selected filters go into ``post_filter``
  (they narrow the hits, not the facets), and each facet's aggregation applies all the
  *other* selected filters.
* The visitor's text is read as the embedded engine reads it (words and "phrases"
  required, ``a OR b``, ``-word``; see ``visitor_query``) and handed to
  ``simple_query_string`` with only those operators enabled, so no input is syntax.
* The index is reached through an alias (``settings.OPENSEARCH_INDEX``). ``rebuild``
  loads a new concrete index ``<alias>-<timestamp>`` and swaps the alias atomically, so
  visitors never see an empty or half-filled index.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from search import dsl
from search.engines import connection
from search.engines.base import (
    FACETS,
    EngineUnavailable,
    MomentDocument,
    MomentHit,
    QueryError,
    SearchEngine,
    SearchQuery,
    SearchResults,
    SessionDocument,
    SessionHit,
)
from search.engines.query_syntax import ParsedQuery

ANALYSIS_LANGUAGES = ("nl", "en")

# Both analyzers mirror Lucene's built-in ``dutch`` / ``english`` analyzers (stop words,
# stemmer, Dutch stemmer overrides) and end with ASCII folding, so "ideeen" meets "ideeën"
# and "cafe" meets "café", as in the embedded engine (search/analysis.py).
# Dutch adds one rule: Snowball leaves the plural of words in -ie alone ("innovaties"
# stays "innovaties", "innovatie" stays "innovatie"), and such words (organisatie,
# informatie, situatie, discussie) are everywhere in civil-service talks.
DUTCH = dsl.analyzer(
    "dutch_text",
    tokenizer="standard",
    filter=[
        "lowercase",
        dsl.token_filter("dutch_stop", "stop", stopwords="_dutch_"),
        dsl.token_filter("dutch_ie_plural", "pattern_replace", pattern=r"^(\p{L}{2,}ie)s$", replacement="$1"),
        # The overrides of Lucene's DutchAnalyzer; they also keep these from the stemmer.
        dsl.token_filter(
            "dutch_overrides",
            "stemmer_override",
            rules=["fiets=>fiets", "bromfiets=>bromfiets", "ei=>eier", "kind=>kinder"],
        ),
        dsl.token_filter("dutch_snowball", "stemmer", language="dutch"),
        "asciifolding",
    ],
)
ENGLISH = dsl.analyzer(
    "english_text",
    tokenizer="standard",
    filter=[
        dsl.token_filter("english_possessive", "stemmer", language="possessive_english"),
        "lowercase",
        dsl.token_filter("english_stop", "stop", stopwords="_english_"),
        dsl.token_filter("english_porter", "stemmer", language="english"),
        "asciifolding",
    ],
)
ANALYZERS = {"nl": DUTCH, "en": ENGLISH}

# Facet name (as in the contract) -> keyword field in the index.
FACET_FIELDS = {
    "theme": "themes",
    "speaker": "speakers",
    "organisation": "organisations",
    "event": "event",
    "year": "year",
    "language": "language",
}
FACET_SIZE = 100  # values returned per facet (sessions have a handful of each)
# Facets and the total are exact up to this many matching sessions (the reference
# festival has 107; 100x is 10,700). Beyond it they count the sessions with most matches.
MATCHED_SESSIONS_LIMIT = 40_000
# OpenSearch refuses from+size beyond index.max_result_window (10,000 by default).
MAX_RESULT_WINDOW = 10_000
BULK_CHUNK = 2_000
# Sessions per stale-moment lookup (one bool clause each; the default clause limit is 1024).
STALE_DELETE_BATCH = 500

# Shards and replicas are per engine (engines/connection.py): one shard by default (exact
# per-session counts and facet ordering; a node holds millions of moments comfortably;
# OPENSEARCH_SHARDS spreads one search over a cluster's nodes), replicas 0 on one node and
# 1 on a cluster (OPENSEARCH_REPLICAS).
INDEX_SETTINGS: dict = {}


def _language_text(**kwargs) -> dict:
    """Sub-fields of a text field, one per analysis language."""
    return {lang: dsl.Text(analyzer=ANALYZERS[lang], **kwargs) for lang in ANALYSIS_LANGUAGES}


class MomentIndexDocument(dsl.Document):
    """The mapping of one index document: a session (``kind=session``) or a moment."""

    kind = dsl.Keyword()  # "session" | "moment"
    # Keyword: collapse and terms aggregations work on it. Every search aggregates on it
    # and on the facet fields, so their global ordinals are built at refresh, not by the
    # first visitor after each change.
    session_id = dsl.Keyword(eager_global_ordinals=True)
    analysis = dsl.Keyword()  # "nl" | "en": which *_nl / *_en fields hold this document's text
    title = dsl.Text(fields=_language_text())
    summary = dsl.Text(fields=_language_text())
    speakers = dsl.Keyword(multi=True, eager_global_ordinals=True, fields=_language_text())
    organisations = dsl.Keyword(multi=True, eager_global_ordinals=True)
    themes = dsl.Keyword(multi=True, eager_global_ordinals=True)
    event = dsl.Keyword(eager_global_ordinals=True)
    year = dsl.Integer()
    language = dsl.Keyword()
    date = dsl.Keyword()  # ISO date: sorts chronologically as a keyword
    url = dsl.Keyword(index=False)
    poster_url = dsl.Keyword(index=False)
    duration = dsl.Float(index=False)
    # Moment documents only:
    position = dsl.Integer()  # index of the moment in its session; finds stale moments
    start = dsl.Float()
    end = dsl.Float(index=False)
    text_nl = dsl.Text(analyzer=ANALYZERS["nl"])
    text_en = dsl.Text(analyzer=ANALYZERS["en"])
    # Where each segment of the moment begins: {"offsets": [character offset in the text],
    # "seconds": [start]}. Read back with the hit only, so not parsed or indexed.
    segments = dsl.Object(enabled=False)


def analysis_language(language: str) -> str:
    """The analyzer family for a session language; anything not Dutch is analysed as English."""
    return "nl" if (language or "").lower().startswith("nl") else "en"


def session_source(doc: SessionDocument) -> dict:
    """The session fields copied onto every index document of the session."""
    return {
        "session_id": str(doc.session_id),
        "analysis": analysis_language(doc.language),
        "title": doc.title,
        "summary": doc.summary,
        "speakers": list(doc.speakers),
        "organisations": list(doc.organisations),
        "themes": list(doc.themes),
        "event": doc.event or None,  # absent rather than "": no empty facet value
        "year": doc.year,
        "language": doc.language,
        "date": doc.date or None,
        "url": doc.url,
        "poster_url": doc.poster_url,
        "duration": doc.duration,
    }


def bulk_actions(doc: SessionDocument, index: str) -> Iterator[dict]:
    """Bulk index actions for one session: its session document and one per moment.

    Deterministic ids (``<session>`` and ``<session>-<n>``) make re-indexing overwrite in
    place; plain dicts rather than Document instances keep bulk loading fast."""
    common = session_source(doc)
    text_field = f"text_{common['analysis']}"
    yield {"_index": index, "_id": str(doc.session_id), "_source": {**common, "kind": "session"}}
    for position, moment in enumerate(doc.moments):
        yield {
            "_index": index,
            "_id": f"{doc.session_id}-{position}",
            "_source": {
                **common,
                "kind": "moment",
                "position": position,
                "start": moment.start,
                "end": moment.end,
                text_field: moment.text,
                **moment_segments(moment),
            },
        }


def moment_segments(moment: MomentDocument) -> dict:
    """The ``segments`` field of a moment document (nothing when the starts are unknown)."""
    if not moment.segment_starts:
        return {}
    offsets, seconds = zip(*moment.segment_starts, strict=True)
    return {"segments": {"offsets": list(offsets), "seconds": list(seconds)}}


class OpenSearchEngine(SearchEngine):
    name = "opensearch"

    def __init__(
        self,
        url: str | None = None,
        index: str | None = None,
        timeout: float = 10.0,
        replicas: int | None = None,
    ):
        """``url``: one node, or a cluster's nodes comma-separated (see engines/connection.py)."""
        if url is None or index is None:
            from django.conf import settings

            url = url or settings.OPENSEARCH_URL
            index = index or settings.OPENSEARCH_INDEX
        configured = connection.configured()
        self.url = url
        self.alias = index
        self.timeout = timeout
        if replicas is None:
            replicas = configured.get("replicas")
        self.replicas = connection.default_replicas(url) if replicas is None else replicas
        self.shards = configured.get("shards") or 1
        # A single node is not retried: unreachable surfaces as EngineUnavailable at once.
        self.client = connection.make_client(url, timeout=timeout, **configured.get("credentials", {}))

    # -- connection ------------------------------------------------------------------

    @contextmanager
    def _reachable(self):
        """Turn "cannot talk to the node" into EngineUnavailable; other errors pass."""
        try:
            yield
        except dsl.UNREACHABLE_ERRORS as error:
            raise EngineUnavailable(f"OpenSearch at {self.url} is unreachable: {error}") from error
        except dsl.TransportError as error:
            if error.status_code in (429, 502, 503, 504):
                raise EngineUnavailable(f"OpenSearch at {self.url} is not serving: {error}") from error
            raise

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except Exception:  # ping answers a yes/no question; any failure is a "no"
            return False

    # -- index management ------------------------------------------------------------

    def _new_index(self, *, name: str = "", loading: bool = False) -> str:
        """Create a concrete index ``<alias>-<timestamp>`` with our mapping; return its name."""
        name = name or f"{self.alias}-{datetime.now(UTC):%Y%m%d%H%M%S%f}"
        index = dsl.Index(name, using=self.client)
        settings = {**INDEX_SETTINGS, "number_of_shards": self.shards, "number_of_replicas": self.replicas}
        if loading:
            settings["refresh_interval"] = "-1"  # no refreshes while bulk loading
            # Replicas are copied once loaded (segment recovery), not indexed twice meanwhile.
            settings["number_of_replicas"] = 0
        index.settings(**settings)
        index.document(MomentIndexDocument)
        index.create()
        return name

    def _wait_for_replicas(self, index: str, attempts: int = 20) -> None:
        """Until the index's replicas are copied (green), so visitors switch to an index that
        survives a node; each attempt waits up to the server's 30 s. Gives up yellow: a
        rebuilt index without its replicas yet still serves."""
        for _ in range(attempts if self.replicas else 0):
            health = self.client.cluster.health(index=index, wait_for_status="green", request_timeout=60)
            if health["status"] == "green":
                return

    def _aliased_indices(self) -> list[str]:
        if not self.client.indices.exists_alias(name=self.alias):
            return []
        return sorted(self.client.indices.get_alias(name=self.alias))

    def _ensure_index(self) -> None:
        """Make sure the alias exists (first indexing into an empty node).

        The first index has a fixed name, so two workers racing here create it once and
        both point the alias at it (adding an alias twice is harmless)."""
        if self.client.indices.exists_alias(name=self.alias):
            return
        name = f"{self.alias}-{0:020d}"
        try:
            self._new_index(name=name)
        except dsl.RequestError as error:
            if error.error != "resource_already_exists_exception":
                raise
        self._swap_alias(name)

    def _swap_alias(self, new_index: str) -> list[str]:
        """Point the alias at ``new_index`` only, in one atomic request; return the old indices."""
        current = self._aliased_indices()
        old = [name for name in current if name != new_index]
        actions = [{"remove": {"index": name, "alias": self.alias}} for name in old]
        if not current and self.client.indices.exists(index=self.alias):
            # A concrete index squats on the alias name (auto-created): replace it too.
            actions.append({"remove_index": {"index": self.alias}})
        actions.append({"add": {"index": new_index, "alias": self.alias}})
        self.client.indices.update_aliases(body={"actions": actions})
        return old

    # -- writing ---------------------------------------------------------------------

    def index_sessions(self, documents: list[SessionDocument]) -> None:
        documents = list(documents)
        if not documents:
            return
        with self._reachable():
            self._ensure_index()
            actions = (action for doc in documents for action in bulk_actions(doc, self.alias))
            dsl.bulk(self.client, actions, chunk_size=BULK_CHUNK, request_timeout=120)
            self._delete_stale_moments(documents)
            self.client.indices.refresh(index=self.alias)

    def _delete_stale_moments(self, documents: list[SessionDocument]) -> None:
        """Remove moments beyond each session's new moment count (left from a longer transcript)."""
        for first in range(0, len(documents), STALE_DELETE_BATCH):
            batch = documents[first : first + STALE_DELETE_BATCH]
            stale = dsl.Q(
                "bool",
                should=[
                    dsl.Q(
                        "bool",
                        filter=[
                            dsl.Q("term", session_id=str(doc.session_id)),
                            dsl.Q("term", kind="moment"),
                            dsl.Q("range", position={"gte": len(doc.moments)}),
                        ],
                    )
                    for doc in batch
                ],
                minimum_should_match=1,
            )
            self._delete_matching(stale)

    def remove_session(self, session_id: int) -> None:
        with self._reachable():
            if not self.client.indices.exists_alias(name=self.alias):
                return
            self._delete_matching(dsl.Q("term", session_id=str(session_id)))
            self.client.indices.refresh(index=self.alias)

    def _delete_matching(self, query: dsl.Q) -> None:
        """Delete the documents matching ``query``: scroll their ids, then bulk-delete.

        Not ``_delete_by_query``: that lives in OpenSearch's optional reindex module, and
        a minimal node (like search-node/) need not have it."""
        search = dsl.Search(using=self.client, index=self.alias).filter(query).source(False)
        deletes = (
            {"_op_type": "delete", "_index": hit.meta.index, "_id": hit.meta.id} for hit in search.scan()
        )
        _, errors = dsl.bulk(self.client, deletes, chunk_size=BULK_CHUNK, raise_on_error=False)
        # A document already gone (404) is what we wanted; anything else is a failure.
        failed = [error for error in errors if error.get("delete", {}).get("status") != 404]
        if failed:
            raise dsl.BulkIndexError(f"{len(failed)} document(s) could not be deleted", failed)

    def rebuild(self, documents: Iterable[SessionDocument]) -> int:
        """Load everything into a fresh index, then swap the alias atomically.

        Changes indexed into the old index while this runs are not carried over: the
        caller reads ``documents`` from the database, which stays the source of truth."""
        sessions = 0

        def actions(index: str) -> Iterator[dict]:
            nonlocal sessions
            for doc in documents:
                sessions += 1
                yield from bulk_actions(doc, index)

        with self._reachable():
            new_index = self._new_index(loading=True)
            try:
                dsl.bulk(self.client, actions(new_index), chunk_size=BULK_CHUNK, request_timeout=300)
                self.client.indices.put_settings(
                    index=new_index,
                    body={"index": {"refresh_interval": None, "number_of_replicas": self.replicas}},
                )
                self.client.indices.refresh(index=new_index)
                self._wait_for_replicas(new_index)
                old_indices = self._swap_alias(new_index)
            except BaseException:
                try:  # leave no half-loaded index behind (best effort: the node may be gone)
                    self.client.indices.delete(index=new_index, ignore_unavailable=True)
                except dsl.TransportError:
                    pass
                raise
            for name in old_indices:
                self.client.indices.delete(index=name, ignore_unavailable=True)
        return sessions

    # -- reading ---------------------------------------------------------------------

    def indexed_session_ids(self) -> set[int]:
        """Every session id in the index (composite aggregation, paged: no size limit)."""
        ids: set[int] = set()
        after = None
        with self._reachable():
            if not self.client.indices.exists_alias(name=self.alias):
                return ids
            while True:
                composite = {"size": 1000, "sources": [{"id": {"terms": {"field": "session_id"}}}]}
                if after:
                    composite["after"] = after
                search = (
                    dsl.Search(using=self.client, index=self.alias)
                    .filter("term", kind="session")
                    .extra(size=0)
                )
                search.aggs.bucket("ids", "composite", **composite)
                buckets = search.execute().aggregations.ids
                ids.update(int(bucket.key.id) for bucket in buckets.buckets)
                after = buckets.to_dict().get("after_key")
                if not after or not buckets.buckets:
                    return ids

    def _search(
        self, query: SearchQuery, parsed: ParsedQuery, filters: dict[str, list[str]]
    ) -> SearchResults:
        """Two requests: the page of sessions (collapsed moments), then the facets.

        The first also collects the ids of every matching session; the second counts
        facet values over those sessions' own documents (one per session), so counts
        are exact session counts and cheap (see the module docstring)."""
        filters = self._filter_queries(filters)
        text = visitor_query(parsed)
        visible = _visible_filter(query)
        hits_search = self._hits_search(query, text, filters, visible)
        with self._reachable():
            try:
                raw, facets_raw = self._execute(hits_search, text, filters, visible)
            except dsl.NotFoundError:
                try:  # a rebuild deleted the index that answered the first request: once more
                    raw, facets_raw = self._execute(hits_search, text, filters, visible)
                except dsl.NotFoundError:  # nothing indexed yet: the alias does not exist
                    raw, facets_raw = {"hits": {"hits": []}}, None
        hits = [self._session_hit(hit, query) for hit in raw["hits"]["hits"]]
        aggs = (facets_raw or {}).get("aggregations")
        facets = {
            facet: [
                (str(bucket["key"]), int(bucket["doc_count"]))
                for bucket in (aggs[f"facet_{facet}"]["values"]["buckets"] if aggs else [])
            ]
            for facet in FACETS
        }
        return SearchResults(
            query=query,
            total=int(aggs["total"]["doc_count"]) if aggs else 0,
            hits=hits,
            facets=facets,
        )

    def _execute(
        self, hits_search: dsl.Search, text: VisitorQuery, filters: dict[str, dsl.Q], visible: dsl.Q | None
    ) -> tuple[dict, dict]:
        raw = hits_search.execute().to_dict()
        matched = None  # browsing: every session matches
        if not text.is_empty:
            matched = [bucket["key"] for bucket in raw["aggregations"]["matched"]["buckets"]]
            if not matched:
                return raw, None
        # Ask the concrete index that answered the first request: a rebuild may swap the
        # alias in between, and the new index need not hold the same sessions.
        index = raw["hits"]["hits"][0]["_index"] if raw["hits"]["hits"] else self.alias
        return raw, self._facets_search(index, matched, filters, visible).execute().to_dict()

    # -- query building --------------------------------------------------------------

    @staticmethod
    def _filter_queries(filters: dict[str, list[str]]) -> dict[str, dsl.Q]:
        """One query per selected facet: any of its values (OR within a facet, AND across)."""
        return {
            facet: dsl.Q(
                "terms", **{FACET_FIELDS[facet]: [int(v) for v in values] if facet == "year" else values}
            )
            for facet, values in filters.items()
        }

    @staticmethod
    def _text_query(text: VisitorQuery) -> dsl.Q:
        """Match sessions (title, summary, speakers) and moments (their text), per language.

        A moment must contain at least one query term in its own text (so its snippet shows
        why it is there); the remaining terms may match its session's title or speakers."""
        clauses = []
        for lang in ANALYSIS_LANGUAGES:
            session_fields = [f"title.{lang}^3", f"summary.{lang}^2", f"speakers.{lang}^2"]
            in_language = dsl.Q("term", analysis=lang)
            clauses.append(
                dsl.Q(
                    "bool",
                    filter=[dsl.Q("term", kind="session"), in_language],
                    must=[_simple_query(text.required, session_fields, "and")],
                )
            )
            clauses.append(
                dsl.Q(
                    "bool",
                    filter=[
                        dsl.Q("term", kind="moment"),
                        in_language,
                        _simple_query(text.any_term, [f"text_{lang}"], "or"),
                    ],
                    must=[_simple_query(text.required, [f"text_{lang}", *session_fields], "and")],
                )
            )
        return dsl.Q("bool", should=clauses, minimum_should_match=1)

    def _hits_search(
        self, query: SearchQuery, text: VisitorQuery, filters: dict[str, dsl.Q], visible: dsl.Q | None
    ) -> dsl.Search:
        """One page of sessions, each with its best moments; plus the ids of all matches."""
        first = (query.page - 1) * query.per_page
        if first + query.per_page > MAX_RESULT_WINDOW:
            raise QueryError(f"Results can be paged up to {MAX_RESULT_WINDOW} sessions; refine the search.")
        search = (
            dsl.Search(using=self.client, index=self.alias)
            .source(excludes=["text_nl", "text_en"])
            .extra(track_total_hits=False)  # the total is counted in sessions, by the facets request
        )
        if visible is not None:  # in the query itself: hits, matched ids and facets agree
            search = search.filter(visible)
        if not text.is_empty:
            search = search.query(self._text_query(text))
            search = search.collapse(
                "session_id",
                inner_hits={
                    "name": "moments",
                    # +1: the session's own document may be among the best hits; it is dropped.
                    "size": max(query.moments_per_session, 0) + 1,
                    "_source": ["kind", "start", "end", "text_nl", "text_en", "segments"],
                    "highlight": _highlight(["text_nl", "text_en"]),
                },
            )
            search = search.highlight_options(**_highlight_options()).highlight(
                *[f"{field}.{lang}" for field in ("title", "summary") for lang in ANALYSIS_LANGUAGES],
                number_of_fragments=0,
            )
            # Every matching session (before the facet filters), for the facets request.
            search.aggs.bucket("matched", "terms", field="session_id", size=MATCHED_SESSIONS_LIMIT)
        else:
            # No words: browse all sessions, newest first (session documents only).
            search = search.filter("term", kind="session").sort({"date": {"order": "desc"}}, "session_id")
        if filters:
            search = search.post_filter(dsl.Q("bool", filter=list(filters.values())))
        return search[first : first + query.per_page]

    def _facets_search(
        self, index: str, matched: list[str] | None, filters: dict[str, dsl.Q], visible: dsl.Q | None
    ) -> dsl.Search:
        """Facet counts and the total, over the session documents of the matched sessions.

        Facet fields hold the same values on every document of a session, so counting
        session documents counts sessions. Each facet applies every selected filter but
        its own, so the other values of a selected facet stay on offer."""
        search = dsl.Search(using=self.client, index=index).filter("term", kind="session").extra(size=0)
        if matched is not None:
            search = search.filter("terms", session_id=matched)
        if visible is not None:
            search = search.filter(visible)
        for facet in FACETS:
            others = [q for name, q in filters.items() if name != facet]
            search.aggs.bucket(f"facet_{facet}", "filter", filter=dsl.Q("bool", filter=others)).bucket(
                "values",
                "terms",
                field=FACET_FIELDS[facet],
                size=FACET_SIZE,
                order=[{"_count": "desc"}, {"_key": "asc"}],
            )
        search.aggs.bucket("total", "filter", filter=dsl.Q("bool", filter=list(filters.values())))
        return search

    # -- result reading --------------------------------------------------------------

    def _session_hit(self, hit: dict, query: SearchQuery) -> SessionHit:
        source = hit["_source"]
        lang = source.get("analysis", "en")
        highlight = hit.get("highlight", {})
        moments = []
        inner = hit.get("inner_hits", {}).get("moments", {}).get("hits", {}).get("hits", [])
        for moment in inner:
            moment_source = moment["_source"]
            if moment_source.get("kind") != "moment":
                continue
            marked = moment.get("highlight", {})
            field = f"text_{lang}"
            snippet = _first(marked.get(field)) or _first(marked.get("text_nl") or marked.get("text_en"))
            at = spoken_at(snippet, moment_source.get("segments"))
            if not snippet:
                snippet = html.escape(moment_source.get(field) or "")
            moments.append(
                MomentHit(
                    start=float(moment_source["start"]),
                    end=float(moment_source.get("end") or moment_source["start"]),
                    snippet_html=snippet,
                    score=float(moment.get("_score") or 0.0),
                    at=at,
                )
            )
        return SessionHit(
            session_id=int(source["session_id"]),
            title=source.get("title", ""),
            url=source.get("url", ""),
            score=float(hit.get("_score") or 0.0),
            title_html=_marked(highlight, "title", lang) or html.escape(source.get("title", "")),
            summary_html=_marked(highlight, "summary", lang) or html.escape(source.get("summary", "")),
            language=source.get("language", ""),
            speakers=list(source.get("speakers") or []),
            organisations=list(source.get("organisations") or []),
            themes=list(source.get("themes") or []),
            event=source.get("event") or "",
            year=source.get("year"),
            date=source.get("date") or "",
            poster_url=source.get("poster_url", ""),
            duration=source.get("duration"),
            moments=moments[: query.moments_per_session],
        )


@dataclass(frozen=True)
class VisitorQuery:
    """The visitor's query (read by ``query_syntax.parse_query``, as in the embedded engine)
    in simple_query_string syntax. Words are letters and digits only, so nothing in them is
    an operator."""

    required: str  # every clause, for default_operator=and
    any_term: str  # any required word or phrase, for default_operator=or

    @property
    def is_empty(self) -> bool:
        return not self.required


def _atom(words: list[str]) -> str:
    return words[0] if len(words) == 1 else '"' + " ".join(words) + '"'


def _visible_filter(query: SearchQuery) -> dsl.Q | None:
    if query.visible_ids is None:
        return None
    return dsl.Q("terms", session_id=[str(pk) for pk in sorted(query.visible_ids)])


def visitor_query(parsed: ParsedQuery) -> VisitorQuery:
    if not parsed.required:
        return VisitorQuery(required="", any_term="")
    required = []
    for clause in parsed.required:
        atoms = [_atom(atom) for atom in clause.atoms()]
        required.append(atoms[0] if len(atoms) == 1 else "(" + " | ".join(atoms) + ")")
    return VisitorQuery(
        required=" ".join(required + [f"-{_atom(atom)}" for atom in parsed.excluded]),
        any_term=" | ".join(_atom(atom) for clause in parsed.required for atom in clause.atoms()),
    )


def _simple_query(text: str, fields: list[str], operator: str) -> dsl.Q:
    return dsl.Q(
        "simple_query_string",
        query=text,
        fields=fields,
        default_operator=operator,
        # Only what visitor_query writes: phrases, -excluded, a | b, (grouping).
        flags="OR|NOT|PHRASE|PRECEDENCE|WHITESPACE",
        lenient=True,
    )


_MARK = "<mark>"


def _highlight_options() -> dict:
    # encoder=html escapes the source text; only our <mark> tags are markup.
    return {"encoder": "html", "pre_tags": [_MARK], "post_tags": ["</mark>"]}


def _highlight(fields: list[str]) -> dict:
    return {**_highlight_options(), "fields": {field: {"number_of_fragments": 0} for field in fields}}


def spoken_at(highlighted: str, segments: dict | None) -> float | None:
    """When the segment holding the first marked word begins (None: not known).

    ``highlighted`` is the moment's whole text (``number_of_fragments: 0``) as the html
    encoder returns it: escaped, with ``<mark>`` around matched words and no other tags.
    Unescaped, the part before the first ``<mark>`` is as long as the original text up
    to that word, which is the offset ``segments`` counts in."""
    before, marked, _ = (highlighted or "").partition(_MARK)
    offsets, seconds = (segments or {}).get("offsets") or [], (segments or {}).get("seconds") or []
    if not marked or not offsets or len(offsets) != len(seconds):
        return None
    first = len(html.unescape(before))
    return float(max((s for o, s in zip(offsets, seconds, strict=True) if o <= first), default=seconds[0]))


def _first(fragments) -> str:
    return fragments[0] if fragments else ""


def _marked(highlight: dict, field: str, lang: str) -> str:
    """The highlighted field, preferring the sub-field of the document's own language."""
    return _first(highlight.get(f"{field}.{lang}")) or _first(
        next((highlight[key] for key in highlight if key.startswith(f"{field}.")), None)
    )
