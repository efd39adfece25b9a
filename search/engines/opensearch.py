"""The OpenSearch engine: one index document per *moment*, grouped per session at query time.

Index design
* Every moment (a window of transcript segments) is one document carrying a copy of its
  session's fields (title, summary, speakers, facets, display fields), so a search and
  its filters work on moment documents without joins.
* Every session also has one ``kind=session`` document (no moment text), so a session
  without a transcript is still found by its title, summary or speakers.
* Text is analysed per transcript language: ``text_nl``/``title.nl``/... use a Dutch
  analyzer (Lucene's ``dutch`` plus plurals in -ies), ``text_en``/``title.en``/... an
  English one (as Lucene's ``english``); both fold accents and keep stop words, as the
  embedded engine does: a visitor remembers "vraag me af of deze", and the short words
  are what place it. A document is queried only on the fields of its own language.
* Matching and ranking follow the shared rules (search/engines/matching.py): each query
  word becomes a ``bool`` of its accepted forms (stem, fuzzy, prefix, compound parts or
  joined with its neighbour), and a moment needs ``plan.minimum`` of them
  (``minimum_should_match``). The best RESCORE_WINDOW documents come back with their text;
  the shared code scores them, picks the stretch a moment links to and marks it.
* A moment keeps where its words (or segments) begin (``segments``: character offsets and
  seconds, stored but not indexed), so the shared code links to the first matched word.
* A moment also keeps its words as the shared ranking reads them (``words``:
  matching.stored_words, stored but not indexed), so rescoring a candidate needs no
  tokenising (10x: 5 ms of the Python side at the median, 11-12 ms at the 95th percentile).
* Every session also has one ``kind=transcript`` document: its session's fields and its
  whole transcript (``transcript_nl``/``transcript_en``, one array value per moment).
* Counts are *sessions*, not documents. When a moment matches exactly when its own text
  holds one of the query's terms (one or two words, or one quoted phrase: most queries,
  ``decided_by_own_text``), the sessions holding a matching moment are the session
  whose transcript document holds such a term: the total and the facets are counted over
  one document per session, in a second search beside the candidates' (one ``_msearch``),
  and neither search aggregates over the matching moments (at 100x a common word is in
  half of 1.6 M moments). Otherwise (three words or more, a phrase and words, excluded
  words) the candidates' request also counts, over the matching moments: on one shard a
  ``diversified_sampler`` keeps one moment per session for the facet aggregations; on
  several, the ids of all matching sessions are collected (a ``terms`` aggregation on
  ``session_id``) and a second request counts facet values over those sessions'
  ``kind=session`` documents. Exact up to 40,000 matching sessions
  (``MATCHED_SESSIONS_LIMIT``). A ``cardinality`` sub-aggregation per facet bucket over all
  matching moments gave the same counts 2.5-4x slower (measured at 1x and 10x).
* Facets stay stable when one is selected: selected filters go into ``post_filter``
  (they narrow the hits, not the facets), and each facet's aggregation applies all the
  *other* selected filters.
* The visitor's text is read once for both engines (query_syntax.parse_query); words
  reach OpenSearch only as ``match`` query text, so no input is syntax.
* The index is reached through an alias (``settings.OPENSEARCH_INDEX``). ``rebuild``
  loads a new concrete index ``<alias>-<timestamp>``, merges it into one segment per shard
  and swaps the alias atomically, so visitors never see an empty or half-filled index.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice

from search import dsl
from search.analysis import analysed_words, stop_forms
from search.engines import connection
from search.engines.base import (
    FACETS,
    RESCORE_WINDOW,
    Candidate,
    EngineUnavailable,
    MomentDocument,
    QueryError,
    Retrieved,
    SearchEngine,
    SearchQuery,
    SessionDocument,
)
from search.engines.errors import visitor_message as _
from search.engines.matching import (
    COMPOUND,
    FUZZY,
    FUZZY_VARIANTS,
    PREFIX,
    QueryPlan,
    compound_splits,
    fuzziness,
    stored_words,
)

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
# What a candidate moment (or session document) brings back with it.
CANDIDATE_FIELDS = ["kind", "session_id", "start", "end", "text_nl", "text_en", "segments", "words"]
FACET_SIZE = 100  # values returned per facet (sessions have a handful of each)
# Facets and the total are exact up to this many matching sessions (the reference
# festival has 107; 100x is 10,700). Beyond it they count the sessions with most matches.
MATCHED_SESSIONS_LIMIT = 40_000
# OpenSearch refuses from+size beyond index.max_result_window (10,000 by default).
MAX_RESULT_WINDOW = 10_000
BULK_CHUNK = 2_000
# A full rebuild sends its bulk requests on this many connections at once: one request keeps
# one of the node's write threads busy (a shard takes documents from several threads at
# once), and the next chunk is serialised here while the node indexes the previous one.
# bench/search.py's 1x corpus (16,050 moments) on one node, 2 shared cores (load 7): 30.8 s
# with one connection, 17.3 s with two, an unsynced translog and no unqueried base fields.
REBUILD_BULK_THREADS = 2
REBUILD_BULK_CHUNK = 1_000
# Seconds a rebuild waits for the loaded index to be merged (100x on 2 cores: 41 s).
REBUILD_MERGE_TIMEOUT = 3_600
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
    """The mapping of one index document: a session (``kind=session``), its transcript or a moment."""

    kind = dsl.Keyword()  # "session" | "transcript" | "moment"
    # Keyword: collapse and terms aggregations work on it. Every search aggregates on it
    # and on the facet fields, so their global ordinals are built at refresh, not by the
    # first visitor after each change.
    session_id = dsl.Keyword(eager_global_ordinals=True)
    analysis = dsl.Keyword()  # "nl" | "en": which *_nl / *_en fields hold this document's text
    # Searched only through their per-language sub-fields (title.nl, summary.en, ...): the
    # field itself is kept in _source for display but not indexed (less work per document).
    title = dsl.Text(index=False, fields=_language_text())
    summary = dsl.Text(index=False, fields=_language_text())
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
    # The moment's words as the shared ranking reads them (matching.stored_words), returned
    # with a candidate so that rescoring it needs no tokenising. Kept in _source only.
    words = dsl.Keyword(index=False, doc_values=False)
    # Transcript documents only: the text of every moment, one array value per moment (a
    # phrase does not run from one into the next: position_increment_gap), so that the
    # sessions holding a word are counted over one document per session (_sessions_query).
    # A document of its own, not a field of the session document: ``_mget`` reads those, and
    # a document's stored fields are read whole. (Left out of _source by a mapping's
    # ``excludes``, the node keeps every document's source twice, as ``_recovery_source``:
    # 100x grew from 1.8 to 3.1 GB, and reading 100 session documents took 16-25 ms.)
    transcript_nl = dsl.Text(analyzer=ANALYZERS["nl"])
    transcript_en = dsl.Text(analyzer=ANALYZERS["en"])


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
    lang = common["analysis"]
    text_field = f"text_{lang}"
    yield {"_index": index, "_id": str(doc.session_id), "_source": {**common, "kind": "session"}}
    transcript = {**common, "kind": "transcript", f"transcript_{lang}": [m.text for m in doc.moments]}
    yield {"_index": index, "_id": f"{doc.session_id}-transcript", "_source": transcript}
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
                "words": stored_words(*analysed_words(moment.text, lang)),
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
            if "too many nested clauses" in str(error).lower() or "too_many_clauses" in str(error):
                # Many words, each read several ways (fuzzy, prefix, compound parts), can pass
                # the node's limit of 1024 clauses within the words a query may have.
                raise QueryError(
                    _("This search has too many parts for the search engine; use fewer words.")
                ) from error
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
            # No fsync of the translog per bulk request: a crash mid-load loses only an index
            # that is thrown away anyway (the alias still points at the old one).
            settings["translog"] = {"durability": "async"}
        index.settings(**settings)
        index.document(MomentIndexDocument)
        index.create()
        return name

    def _wait_for_replicas(self, index: str, attempts: int = 20) -> None:
        """Until the index's replicas are copied (green), so visitors switch to an index that
        survives a node; each attempt waits up to the server's 30 s. Gives up yellow: a
        rebuilt index without its replicas yet still serves."""
        for _attempt in range(attempts if self.replicas else 0):
            try:
                health = self.client.cluster.health(index=index, wait_for_status="green", request_timeout=60)
            except dsl.TransportError as error:
                if error.status_code == 408:  # not green within the server's wait: ask again
                    continue
                raise
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
                self._bulk_in_parallel(actions(new_index))
                self._merge_loaded(new_index)
                # Back to the defaults: refreshes, durable writes, the replicas copied now.
                self.client.indices.put_settings(
                    index=new_index,
                    body={
                        "index": {
                            "refresh_interval": None,
                            "translog.durability": None,
                            "number_of_replicas": self.replicas,
                        }
                    },
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

    def _merge_loaded(self, index: str) -> None:
        """Merge a freshly loaded index into one segment per shard, before its replicas are
        copied (they receive the merged segment, not merge again) and before visitors reach
        it. A search visits every segment of the shard: the 100x corpus loaded in 26-33
        segments answered bench/search.py in p50 60-68 / p95 130-163 ms, merged (41 s) in
        p50 45-47 / p95 91-94 ms. Later changes add small segments, which the node's merge
        policy keeps merging: one shard of the 100x corpus (2.4 GB) stays below its 5 GB
        largest segment, so the merged one remains part of that."""
        self.client.indices.forcemerge(index=index, max_num_segments=1, request_timeout=REBUILD_MERGE_TIMEOUT)

    def _bulk_in_parallel(self, actions: Iterator[dict]) -> None:
        """Send ``actions`` in chunks, REBUILD_BULK_THREADS requests at a time. The actions
        are read here, in the caller's thread (they come from the database, whose connection
        is per thread); only the requests go to the pool. A failed document raises."""
        with ThreadPoolExecutor(REBUILD_BULK_THREADS, thread_name_prefix="bulk") as pool:
            pending: set = set()
            while chunk := list(islice(actions, REBUILD_BULK_CHUNK)):
                if len(pending) >= REBUILD_BULK_THREADS:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        future.result()
                pending.add(
                    pool.submit(dsl.bulk, self.client, chunk, chunk_size=len(chunk), request_timeout=300)
                )
            for future in pending:
                future.result()

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

    def _retrieve(self, query: SearchQuery, plan: QueryPlan, filters: dict[str, list[str]]) -> Retrieved:
        """The candidates, the matching sessions in order, their total and the facets."""
        first = (query.page - 1) * query.per_page
        if first + query.per_page > MAX_RESULT_WINDOW:
            raise QueryError(
                _("Results can be paged up to %(sessions)d sessions; refine the search.")
                % {"sessions": MAX_RESULT_WINDOW}
            )
        selected, visible = self._filter_queries(filters), _visible_filter(query)
        with self._reachable():
            try:
                return self._read(query, plan, selected, visible, first)
            except dsl.NotFoundError:
                try:  # a rebuild deleted the index that answered the first request: once more
                    return self._read(query, plan, selected, visible, first)
                except dsl.NotFoundError:  # nothing indexed yet: the alias does not exist
                    return Retrieved(candidates=[], ranked=[], total=0, facets={f: [] for f in FACETS})

    def _read(self, query: SearchQuery, plan: QueryPlan, selected, visible, first: int) -> Retrieved:
        if plan.is_empty:
            return self._browse(query, selected, visible, first)
        variants = self._fuzzy_variants(plan)
        by_sessions = decided_by_own_text(plan)
        if by_sessions or self.shards == 1:
            return self._read_side_by_side(query, plan, variants, selected, visible, first, by_sessions)
        return self._read_over_shards(query, plan, variants, selected, visible, first)

    def _browse(self, query: SearchQuery, selected, visible, first: int) -> Retrieved:
        """No words: all sessions, newest first (session documents only)."""
        search = dsl.Search(using=self.client, index=self.alias).extra(track_total_hits=False)
        if visible is not None:
            search = search.filter(visible)
        search = search.filter("term", kind="session").sort({"date": {"order": "desc"}}, "session_id")
        search = search.source(["session_id"])
        if selected:
            search = search.post_filter(dsl.Q("bool", filter=list(selected.values())))
        raw = search[first : first + query.per_page].execute().to_dict()
        ranked = [int(hit["_source"]["session_id"]) for hit in raw["hits"]["hits"]]
        index = raw["hits"]["hits"][0]["_index"] if raw["hits"]["hits"] else self.alias
        facets, total = self._facets(index, None, selected, visible)
        return Retrieved(candidates=[], ranked=ranked, total=total, facets=facets, offset=first)

    def _read_side_by_side(
        self,
        query: SearchQuery,
        plan: QueryPlan,
        variants: dict,
        selected,
        visible,
        first: int,
        by_sessions: bool,
    ) -> Retrieved:
        """The candidates in one search, the matching sessions (their order and counts) in
        another, in one round trip: the node runs them side by side, and the candidates'
        search, aggregating nothing, skips the moments that cannot reach the best
        RESCORE_WINDOW.

        ``by_sessions`` (a ``decided_by_own_text`` plan): sessions are counted over one
        document per session, by their transcripts. At 100x the reference festival a common
        word is in half of the 1.6 M moments; counting their sessions over them took 115 ms
        (p95 node time) of a search's 153. Otherwise (one shard) over the matching moments,
        without scores: one document per matching session (its best), of which the facet
        aggregations count the values. Every document of a session holds its facet values,
        so counting these counts sessions; on one shard only: over several, a session's
        moments lie on several shards."""
        narrowed = [f for f in [visible, *selected.values()] if f is not None]
        hits = (
            dsl.Search(using=self.client, index=self.alias)
            .extra(track_total_hits=False)
            .query(dsl.Q("bool", must=[_text_query(plan, variants)], filter=narrowed))
            .source(CANDIDATE_FIELDS)[:RESCORE_WINDOW]
        )
        # Facets count before the selected filters (each facet applies the others), the
        # order of the sessions (beyond the candidates) after them.
        sessions = dsl.Search(using=self.client, index=self.alias).extra(track_total_hits=False)
        if visible is not None:
            sessions = sessions.filter(visible)
        wanted = max(1, first + query.per_page)
        if by_sessions:
            sessions = sessions.query(_sessions_query(plan, variants)).source(False)[:wanted]
            if selected:
                sessions = sessions.post_filter(dsl.Q("bool", filter=list(selected.values())))
            _facet_aggs(sessions.aggs, selected)
        else:
            # By their number of matching moments (ordering by best score took a script).
            sessions = sessions.filter(_text_query(plan, variants)).extra(size=0)
            sessions.aggs.bucket(
                "ranked", "filter", filter=dsl.Q("bool", filter=list(selected.values()))
            ).bucket("sessions", "terms", field="session_id", size=wanted)
            sample = sessions.aggs.bucket(
                "sessions",
                "diversified_sampler",
                field="session_id",
                max_docs_per_value=1,
                shard_size=MATCHED_SESSIONS_LIMIT,
            )
            _facet_aggs(sample, selected)
        found = self._msearch({"hits": hits.to_dict(), "sessions": sessions.to_dict()})
        aggs = found["sessions"]["aggregations"]
        if by_sessions:
            facets, total = _facet_counts(aggs)
            ranked = [int(hit["_id"].split("-")[0]) for hit in found["sessions"]["hits"]["hits"]]
        else:
            facets, total = _facet_counts(aggs["sessions"])
            ranked = [int(bucket["key"]) for bucket in aggs["ranked"]["sessions"]["buckets"]]
        candidates = [_candidate(hit) for hit in found["hits"]["hits"]["hits"]]
        return Retrieved(candidates=candidates, ranked=ranked, total=total, facets=facets)

    def _read_over_shards(
        self, query: SearchQuery, plan: QueryPlan, variants: dict, selected, visible, first: int
    ) -> Retrieved:
        """Several shards, counted over the matching moments: the candidates with the ids of
        every matching session (before the facet filters), then the facets over those
        sessions' documents."""
        search = dsl.Search(using=self.client, index=self.alias).extra(track_total_hits=False)
        if visible is not None:  # in the query itself: hits, matched ids and facets agree
            search = search.filter(visible)
        search = search.query(_text_query(plan, variants)).source(CANDIDATE_FIELDS)
        search.aggs.bucket("ranked", "filter", filter=dsl.Q("bool", filter=list(selected.values()))).bucket(
            "sessions", "terms", field="session_id", size=max(1, first + query.per_page)
        )
        search.aggs.bucket("matched", "terms", field="session_id", size=MATCHED_SESSIONS_LIMIT)
        if selected:
            search = search.post_filter(dsl.Q("bool", filter=list(selected.values())))
        raw = search[:RESCORE_WINDOW].execute().to_dict()
        aggs = raw["aggregations"]
        matched = [bucket["key"] for bucket in aggs["matched"]["buckets"]]
        if not matched:
            return Retrieved(candidates=[], ranked=[], total=0, facets={f: [] for f in FACETS})
        # Ask the concrete index that answered: a rebuild may swap the alias in between.
        index = raw["hits"]["hits"][0]["_index"] if raw["hits"]["hits"] else self.alias
        facets, total = self._facets(index, matched, selected, visible)
        candidates = [_candidate(hit) for hit in raw["hits"]["hits"]]
        ranked = [int(b["key"]) for b in aggs["ranked"]["sessions"]["buckets"]]
        return Retrieved(candidates=candidates, ranked=ranked, total=total, facets=facets)

    def _facets(self, index, matched, selected, visible) -> tuple[dict, int]:
        search = self._facets_search(index, matched, selected, visible)
        return _facet_counts(search.execute().to_dict()["aggregations"])

    def _sessions(self, session_ids) -> dict[int, dict]:
        ids = [str(sid) for sid in session_ids]
        if not ids:
            return {}
        with self._reachable():
            try:
                docs = self.client.mget(index=self.alias, body={"ids": ids})["docs"]
            except dsl.NotFoundError:
                return {}
        return {int(doc["_id"]): _fields(doc["_source"]) for doc in docs if doc.get("found")}

    def _fuzzy_variants(self, plan: QueryPlan) -> dict[tuple[str, str], list[str]]:
        """Indexed terms a few edits from each word that may be misheard, per language, as
        the embedded engine reads its vocabulary: the term suggester, one search per word
        (``fuzziness`` on every match clause had OpenSearch expand the same words once per
        field, kind and language: 0.5 s a query on a four-session index). The same
        ``_msearch`` counts the query's words per language for the ranking
        (``_frequencies``), so that a search makes one round trip for both; the node runs
        its searches side by side."""
        words = {w for term in plan.terms for atom in term.atoms if len(atom) == 1 for w in atom}
        words |= {t.joined_with_next for t in plan.terms if t.joined_with_next}
        variants: dict[tuple[str, str], list[str]] = {}
        now = time.monotonic()
        for word in sorted(w for w in words if fuzziness(w)):
            for lang in ANALYSIS_LANGUAGES:
                kept = _variant_cache.get((self.alias, lang, word))
                if kept and now - kept[0] < FREQUENCY_SECONDS:
                    variants[(lang, word)] = kept[1]
        words = sorted({w for w in words if fuzziness(w)} - {w for _, w in variants})
        typed = plan.words  # as SearchEngine._matchers asks for their counts
        uncounted = [lang for lang in ANALYSIS_LANGUAGES if self._kept_frequencies(lang, typed) is None]
        if not words and not uncounted:
            return variants
        searches = {("suggest", word): _suggest_search(word) for word in words}
        for lang in uncounted:
            searches.update(_count_searches(typed, lang))
        try:  # called by _read, inside _reachable()
            found = self._msearch(searches)
        except dsl.NotFoundError:
            return {}
        for lang in uncounted:
            self._keep_frequencies(lang, typed, _counted(found, typed, lang))
        if len(_variant_cache) > 10_000:
            _variant_cache.clear()
        for word in words:
            suggested = found[("suggest", word)].get("suggest", {})
            for lang in ANALYSIS_LANGUAGES:
                stop = stop_forms(lang)  # never looked up as a misheard form (matching.py)
                options = [o["text"] for entry in suggested.get(lang, []) for o in entry["options"]]
                variants[(lang, word)] = [text for text in options if text not in stop]
                _variant_cache[(self.alias, lang, word)] = (now, variants[(lang, word)])
        return variants

    def _msearch(self, searches: dict) -> dict:
        """Run several search bodies in one ``_msearch`` round trip; their responses by key.

        A failed search raises as a failed ``search`` request would (NotFoundError for a
        missing index, TransportError with the node's status otherwise)."""
        lines: list[dict] = []
        for body in searches.values():
            lines += [{"index": self.alias}, body]
        responses = self.client.msearch(body=lines)["responses"]
        for response in responses:
            if "error" in response:
                status = int(response.get("status") or 500)
                error = response["error"]
                kind = error.get("type", "") if isinstance(error, dict) else str(error)
                failure = {404: dsl.NotFoundError, 400: dsl.RequestError}.get(status, dsl.TransportError)
                raise failure(status, kind, {"error": error})
        return dict(zip(searches, responses, strict=True))

    def _similar_words(self, word: str, lang: str, limit: int) -> list[str]:
        """The term suggester's nearest indexed terms, each as said in a moment holding it
        (the highlighter marks the spoken word)."""
        field = f"text_{lang}"
        body = {
            "size": 0,
            "suggest": {
                "near": {
                    "text": word,
                    "term": {"field": field, "suggest_mode": "always", "max_edits": 2, "size": limit},
                }
            },
        }
        with self._reachable():
            try:
                raw = self.client.search(index=self.alias, body=body)
            except dsl.NotFoundError:
                return []
            options = [
                o["text"] for entry in raw.get("suggest", {}).get("near", []) for o in entry["options"]
            ]
            found = []
            for term in options:
                hit = self.client.search(
                    index=self.alias,
                    body={
                        "size": 1,
                        "_source": False,
                        "query": {"term": {field: term}},
                        "highlight": {
                            "fields": {field: {"number_of_fragments": 1, "fragment_size": 60}},
                            "pre_tags": ["<mark>"],
                            "post_tags": ["</mark>"],
                        },
                    },
                )["hits"]["hits"]
                fragments = hit[0].get("highlight", {}).get(field, []) if hit else []
                spoken = re.search(r"<mark>(.*?)</mark>", fragments[0]) if fragments else None
                if spoken:
                    found.append(spoken.group(1).lower())
        return found

    def _frequencies(self, words: list[str], lang: str) -> tuple[int, dict[str, int]]:
        """Moments of the language, and in how many each word occurs (analysed as indexed)."""
        kept = self._kept_frequencies(lang, words)
        if kept is not None:
            return kept
        with self._reachable():
            try:
                found = _counted(self._msearch(_count_searches(words, lang)), words, lang)
            except dsl.NotFoundError:
                return 0, {}
        self._keep_frequencies(lang, words, found)
        return found

    def _kept_frequencies(self, lang: str, words) -> tuple[int, dict[str, int]] | None:
        kept = _frequency_cache.get((self.alias, lang, tuple(words)))
        if kept and time.monotonic() - kept[0] < FREQUENCY_SECONDS:
            return kept[1]
        return None

    def _keep_frequencies(self, lang: str, words, found: tuple[int, dict[str, int]]) -> None:
        if len(_frequency_cache) > 10_000:
            _frequency_cache.clear()
        _frequency_cache[(self.alias, lang, tuple(words))] = (time.monotonic(), found)

    # -- query building --------------------------------------------------------------

    @staticmethod
    def _filter_queries(filters: dict[str, list[str]]) -> dict[str, dsl.Q]:
        """One query per selected facet: any of its values (OR within a facet, AND across)."""
        queries = {}
        for facet, values in filters.items():
            terms = [int(v) for v in values] if facet == "year" else values
            queries[facet] = dsl.Q("terms", **{FACET_FIELDS[facet]: terms})
        return queries

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
        _facet_aggs(search.aggs, filters)
        return search


def _facet_aggs(aggs, filters: dict[str, dsl.Q]) -> None:
    """Under ``aggs``: each facet's values, with every selected filter but its own (so the
    other values of a selected facet stay on offer), and the total with all of them. Over
    one document per session, they count sessions."""
    for facet in FACETS:
        others = [q for name, q in filters.items() if name != facet]
        aggs.bucket(f"facet_{facet}", "filter", filter=dsl.Q("bool", filter=others)).bucket(
            "values",
            "terms",
            field=FACET_FIELDS[facet],
            size=FACET_SIZE,
            order=[{"_count": "desc"}, {"_key": "asc"}],
        )
    aggs.bucket("total", "filter", filter=dsl.Q("bool", filter=list(filters.values())))


def _facet_counts(aggs: dict) -> tuple[dict[str, list[tuple[str, int]]], int]:
    """The facet counts and the total that ``_facet_aggs`` asked for."""
    facets = {
        facet: [(str(b["key"]), int(b["doc_count"])) for b in aggs[f"facet_{facet}"]["values"]["buckets"]]
        for facet in FACETS
    }
    return facets, int(aggs["total"]["doc_count"])


FREQUENCY_SECONDS = 30.0
_frequency_cache: dict[tuple, tuple[float, tuple[int, dict[str, int]]]] = {}
_variant_cache: dict[tuple[str, str, str], tuple[float, list[str]]] = {}


def _suggest_search(word: str) -> dict:
    """A search for the indexed terms of each language a few edits from ``word`` (term
    suggester), nothing else."""
    suggest = {
        lang: {
            "text": word,
            "term": {
                "field": f"text_{lang}",
                "suggest_mode": "always",
                "max_edits": fuzziness(word),
                "prefix_length": 0,  # the model mishears first letters too (deksel/teksel)
                "min_word_length": 1,
                # Also for words in up to 99 % of the moments (by default only words in
                # under 1 % get suggestions), looking at more candidates.
                "max_term_freq": 0.99,
                "max_inspections": 20,
                "size": FUZZY_VARIANTS,
                "sort": "frequency",
            },
        }
        for lang in ANALYSIS_LANGUAGES
    }
    return {"size": 0, "track_total_hits": False, "query": {"match_none": {}}, "suggest": suggest}


def _count_searches(words: list[str], lang: str) -> dict:
    """Searches counting the moments of ``lang`` and those holding each of ``words``.

    Counts (``track_total_hits``), not a ``filters`` aggregation: that visited every
    document of the index per search (2 x 30 ms of a 10x index's 35 ms at the median);
    a count of one term is the term's document frequency. Only a moment holds ``text_<lang>``,
    and only one of that language."""
    in_language = {"bool": {"filter": [{"term": {"kind": "moment"}}, {"term": {"analysis": lang}}]}}
    searches = {("moments", lang): {"size": 0, "track_total_hits": True, "query": in_language}}
    for word in words:
        query = {"match": {f"text_{lang}": word}}
        searches[("word", lang, word)] = {"size": 0, "track_total_hits": True, "query": query}
    return searches


def _counted(found: dict, words: list[str], lang: str) -> tuple[int, dict[str, int]]:
    """The counts of ``_count_searches(words, lang)`` from their responses."""

    def total(key) -> int:
        return int(found[key]["hits"]["total"]["value"])

    return total(("moments", lang)), {w: total(("word", lang, w)) for w in words}


def _candidate(hit: dict) -> Candidate:
    source = hit["_source"]
    session_id, score = int(source["session_id"]), float(hit.get("_score") or 0.0)
    if source.get("kind") != "moment":
        return Candidate(session_id, score)
    segments = source.get("segments") or {}
    starts = tuple(zip(segments.get("offsets") or [], segments.get("seconds") or [], strict=False))
    text = source.get("text_nl") or source.get("text_en") or ""
    moment = MomentDocument(
        start=float(source["start"]),
        end=float(source.get("end") or source["start"]),
        text=text,
        segment_starts=starts,
    )
    return Candidate(session_id, score, moment, source.get("words"))


def _fields(source: dict) -> dict:
    """A session document's source as the display fields ``session_hit`` reads."""
    return {
        "title": source.get("title") or "",
        "url": source.get("url") or "",
        "summary": source.get("summary") or "",
        "language": source.get("language") or "",
        "analysis": source.get("analysis") or "en",
        "speakers": list(source.get("speakers") or []),
        "organisations": list(source.get("organisations") or []),
        "themes": list(source.get("themes") or []),
        "event": source.get("event") or "",
        "year": source.get("year"),
        "date": source.get("date") or "",
        "poster_url": source.get("poster_url") or "",
        "duration": source.get("duration"),
    }


def _visible_filter(query: SearchQuery) -> dsl.Q | None:
    if query.visible_ids is None:
        return None
    return dsl.Q("terms", session_id=[str(pk) for pk in sorted(query.visible_ids)])


def _variants_query(terms: list[str], fields: list[str], boost: float) -> list[dsl.Q]:
    """Indexed terms (already analysed) in any of ``fields`` ("name^boost" as multi_match)."""
    if not terms:
        return []
    queries = []
    for field in fields:
        name, _, weight = field.partition("^")
        queries.append(dsl.Q("terms", **{name: terms}, boost=boost * float(weight or 1)))
    return queries


def _term_query(plan: QueryPlan, i: int, fields: list[str], lang: str, variants: dict) -> dsl.Q:
    """Every form of term ``i`` the matching rules accept (search/engines/matching.py)."""
    term = plan.terms[i]
    alternatives = []
    for atom in term.atoms:
        phrase = " ".join(atom)
        if len(atom) > 1:
            alternatives.append(dsl.Q("multi_match", query=phrase, type="phrase", fields=fields))
            continue
        word = atom[0]
        alternatives.append(dsl.Q("multi_match", query=word, fields=fields))
        alternatives += _variants_query(variants.get((lang, word), []), fields, FUZZY)
        if term.prefix:
            # A constant score, as the misheard forms have: scored as terms of their own, the
            # expansions of a short stem ("us*": user, usage, ...) held every moment with any
            # of them in the race for the best RESCORE_WINDOW (100x: 84 -> 68 ms node time
            # at the 95th percentile, the candidates' search alone); the shared ranking
            # scores the candidates anyway.
            prefix = dsl.Q("multi_match", query=word, type="phrase_prefix", fields=fields)
            alternatives.append(dsl.Q("constant_score", filter=prefix, boost=PREFIX))
        if not term.required:
            alternatives += [
                dsl.Q("multi_match", query=f"{a} {b}", type="phrase", fields=fields, boost=COMPOUND)
                for a, b in compound_splits(word)
            ]
    neighbours = [plan.terms[i]] + ([plan.terms[i - 1]] if i > 0 else [])
    for neighbour in neighbours:
        if neighbour.joined_with_next:
            joined = neighbour.joined_with_next
            alternatives.append(dsl.Q("multi_match", query=joined, fields=fields, boost=COMPOUND))
            alternatives += _variants_query(variants.get((lang, joined), []), fields, COMPOUND)
    return dsl.Q("bool", should=alternatives, minimum_should_match=1)


def decided_by_own_text(plan: QueryPlan) -> bool:
    """Whether a moment matches exactly when its own text holds one of the query's terms:
    one or two loose words (one of them is enough) or one quoted phrase, nothing excluded.
    Then the sessions holding a matching moment are the sessions whose transcript holds one
    of the terms, counted over one document per session (``_sessions_query``) rather than
    over every matching moment (most queries: 1 and 2 words are 75 % of bench/search.py's)."""
    required = sum(1 for term in plan.terms if term.required)
    loose = len(plan.terms) - required
    return not plan.excluded and required + (plan.minimum if loose else 0) == 1


def _text_query(plan: QueryPlan, variants: dict | None = None) -> dsl.Q:
    """Sessions (title, summary, speakers) and moments (their text, with their session's
    title and speakers as context), per language, under the same rules as the embedded engine."""
    variants = variants or {}
    clauses = []
    for lang in ANALYSIS_LANGUAGES:
        clauses += [_session_clause(plan, lang, variants), _moment_clause(plan, lang, variants)]
    return dsl.Q("bool", should=clauses, minimum_should_match=1)


def _sessions_query(plan: QueryPlan, variants: dict | None = None) -> dsl.Q:
    """The transcript documents (one per session) of the sessions ``_text_query`` finds,
    when the plan is ``decided_by_own_text``: by their session's own fields, or by a term in
    their transcript (which is where a matching moment holds it). Scored by both, for the
    order of the sessions."""
    variants = variants or {}
    clauses = []
    for lang in ANALYSIS_LANGUAGES:
        field = [f"transcript_{lang}"]
        said = [_term_query(plan, i, field, lang, variants) for i in range(len(plan.terms))]
        clauses.append(_session_clause(plan, lang, variants, kind="transcript"))
        clauses.append(
            dsl.Q(
                "bool",
                filter=[dsl.Q("term", kind="transcript"), dsl.Q("term", analysis=lang)],
                must=[dsl.Q("bool", should=said, minimum_should_match=1)],
            )
        )
    return dsl.Q("bool", should=clauses, minimum_should_match=1)


def _excluded(plan: QueryPlan, lang: str) -> list[dsl.Q]:
    """A document of ``lang`` holding an excluded word (or phrase) in its text or session fields."""
    fields = [f"text_{lang}", f"title.{lang}", f"summary.{lang}", f"speakers.{lang}"]
    return [
        dsl.Q("multi_match", query=" ".join(atom), type="phrase", fields=fields) for atom in plan.excluded
    ]


def _session_clause(plan: QueryPlan, lang: str, variants: dict, kind: str = "session") -> dsl.Q:
    """Session (or transcript) documents of ``lang`` by their title, summary and speakers."""
    fields = [f"title.{lang}^3", f"summary.{lang}^2", f"speakers.{lang}^2"]
    terms = [_term_query(plan, i, fields, lang, variants) for i in range(len(plan.terms))]
    return _words_clause(plan, terms, [dsl.Q("term", kind=kind), dsl.Q("term", analysis=lang)], lang)


def _moment_clause(plan: QueryPlan, lang: str, variants: dict) -> dsl.Q:
    """Moment documents of ``lang``: their own text holds at least one of the words, and
    with their session's title and speakers as context they meet the plan's rules."""
    text = f"text_{lang}"
    # Only a moment of ``lang`` holds ``text_<lang>`` (bulk_actions), and every moment
    # clause requires its own text to hold a word: no filter on kind and language, two
    # conjunctions with the whole index fewer (100x, the candidates' search: mean 26.7 -> 23.1,
    # p95 64 -> 57 ms node time; the same hits and counts).
    own = dsl.Q(
        "bool",
        should=[_term_query(plan, i, [text], lang, variants) for i in range(len(plan.terms))],
        minimum_should_match=1,
    )
    context = [f"title.{lang}^0.3", f"speakers.{lang}^0.3"]
    if decided_by_own_text(plan):
        # The own text decides: it is the one required clause, which lets the node skip the
        # moments that cannot reach the best RESCORE_WINDOW (the context only adds score).
        # Filtering on it and then matching the words again over all three fields cost the
        # 100x corpus twice the time (p95 109 -> 72 ms node time, hits only).
        boost = [_term_query(plan, i, context, lang, variants) for i in range(len(plan.terms))]
        return dsl.Q("bool", must=[own], should=boost)
    fields = [text, *context]
    terms = [_term_query(plan, i, fields, lang, variants) for i in range(len(plan.terms))]
    return _words_clause(plan, terms, [own], lang)


def _words_clause(plan: QueryPlan, terms: list[dsl.Q], filters: list[dsl.Q], lang: str) -> dsl.Q:
    """Documents passing ``filters`` with every required term and ``plan.minimum`` loose ones."""
    required = [q for q, t in zip(terms, plan.terms, strict=True) if t.required]
    loose = [q for q, t in zip(terms, plan.terms, strict=True) if not t.required]
    return dsl.Q(
        "bool",
        filter=filters,
        must=required,
        should=loose,
        minimum_should_match=plan.minimum if loose else 0,
        must_not=_excluded(plan, lang),
    )
