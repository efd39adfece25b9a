"""The embedded engine: SQLite FTS5 in its own file (``settings.SEARCH_EMBEDDED_PATH``).

No server; the default. Design (what makes p95 small at ~6k moments on 2 cores):

* Plain tables hold what is shown and counted: ``sessions`` (display fields as JSON),
  ``facet_values`` (one row per session/facet/value) and ``moments`` (original text and
  times). Facets are counted in Python over the facet rows of the matched sessions,
  which each connection keeps in memory until the file changes (SessionFacts).
* Full-text tables per analysis language hold *stemmed* text (search/analysis.py):
  ``session_text_<lang>`` (title, summary, speakers; rowid = session id) and
  ``moment_text_<lang>`` (moment text plus a ``context`` column with the session's title
  and speakers, so "kennedy country" finds the moment where a speaker called Kennedy
  says "country"; rowid = moments.id). A query is stemmed once per language and run
  against that language's tables only, so Dutch and English stems never mix.
* Ranking is bm25 (title/summary/speakers boosted over the context column); a session
  scores by its best moments plus its own fields. Snippets are built here from the
  original text: HTML-escaped first, then the words whose stem the query asked for are
  wrapped in ``<mark>``.
* The file runs in WAL mode: readers keep their snapshot while a writer commits, so a
  ``rebuild`` (one transaction: drop, create, fill) never shows visitors an empty index.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import logging
import math
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from search.analysis import (
    LANGUAGES,
    analyse,
    analysed_words,
    analysis_language,
    stem,
    stop_forms,
    words,
)
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
    session_fields,
)
from search.engines.errors import visitor_message as _
from search.engines.matching import (
    FUZZY_VARIANTS,
    QueryPlan,
    Term,
    compound_splits,
    fuzziness,
    stored_words,
)

# "At least m of n" is written out as combinations; beyond this many, more words are required.
MAX_COMBINATIONS = 64
VOCABULARY_SECONDS = 30.0
# bm25 column weights: moment text over its session context; title over summary/speakers.
MOMENT_WEIGHTS = "1.0, 0.3"
SESSION_WEIGHTS = "3.0, 2.0, 2.0"
# Above this many matching moments bm25 ranks only those with every word (_moment_scores).
BM25_MOMENTS = 2000
CHEAP_PER_SESSION = 10

logger = logging.getLogger(__name__)

_TOKENIZER = "tokenize = 'unicode61 remove_diacritics 0'"
# Bumped whenever the tables change; an index file of another version is emptied (it is
# only a copy of the database: `search_index --rebuild` fills it again).
SCHEMA_VERSION = 5
# Versions a file is brought up to date from in place, by these statements, instead of
# emptied: version 4 lacked the moments' stored words (those rows are tokenised when read).
MIGRATIONS = {4: ["ALTER TABLE moments ADD COLUMN words TEXT"]}
# A moment's id (= its full-text rowid) is session_id << MOMENT_BITS | position, so the
# session of a matching moment is known from the rowid alone: reading a stored column of
# every match doubled the time of a common word.
MOMENT_BITS = 16


def _schema() -> list[str]:
    statements = [
        "CREATE TABLE IF NOT EXISTS sessions (session_id INTEGER PRIMARY KEY, date TEXT NOT NULL, "
        "analysis TEXT NOT NULL, data TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS facet_values (session_id INTEGER NOT NULL, facet TEXT NOT NULL, "
        "value TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS facet_values_session ON facet_values (session_id)",
        "CREATE TABLE IF NOT EXISTS moments (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL, "
        'start REAL NOT NULL, "end" REAL NOT NULL, text TEXT NOT NULL, segment_starts TEXT, words TEXT)',
        "CREATE INDEX IF NOT EXISTS moments_session ON moments (session_id)",
    ]
    for lang in LANGUAGES:
        statements.append(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS session_text_{lang} USING fts5("
            f"title, summary, speakers, {_TOKENIZER})"
        )
        statements.append(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS moment_text_{lang} USING fts5(text, context, {_TOKENIZER})"
        )
        # Every stem with the number of moments holding it: fuzzy words and idf come from here.
        statements.append(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS moment_vocab_{lang} "
            f"USING fts5vocab(moment_text_{lang}, 'row')"
        )
    return statements


_TABLES = (
    [f"moment_vocab_{lang}" for lang in LANGUAGES]
    + ["sessions", "facet_values", "moments"]
    + [f"{kind}_text_{lang}" for kind in ("session", "moment") for lang in LANGUAGES]
)


def _fts_string(stems: list[str]) -> str:
    # Stems are letters and digits only (analysis.WORD), so quoting cannot be broken.
    return '"' + " ".join(stems) + '"'


NEAR_CACHE_LIMIT = 10_000  # words whose fuzzy variants a process keeps


class Vocabulary:
    """The stems of one language's moments with their moment counts, read from fts5vocab.

    Kept per process for VOCABULARY_SECONDS, and on while the file does not change (dropped
    when this process writes): a word added since is still found exactly, only not yet as
    a fuzzy variant."""

    def __init__(self, rows: list[tuple[str, int]], moments: int, lang: str):
        self.documents = dict(rows)
        self._stop = stop_forms(lang)  # never looked up as a misheard form (matching.py)
        self.moments = moments
        self.by_length: dict[int, list[str]] = {}
        for term in self.documents:
            self.by_length.setdefault(len(term), []).append(term)
        self._near: dict[tuple[str, int, int], list[str]] = {}  # one query asks several times

    def near(self, word: str, edits: int, limit: int = FUZZY_VARIANTS) -> list[str]:
        """Stems within ``edits`` of ``word`` (not itself), most frequent first."""
        if not edits:
            return []
        key = (word, edits, limit)
        if key not in self._near:
            if len(self._near) > NEAR_CACHE_LIMIT:
                self._near.clear()
            self._near[key] = self._find_near(word, edits, limit)
        return self._near[key]

    def _find_near(self, word: str, edits: int, limit: int) -> list[str]:
        found = []
        for length in range(len(word) - edits, len(word) + edits + 1):
            pool = self.by_length.get(length)
            if pool:
                found += [
                    term
                    for term, _, _ in process.extract(
                        word, pool, scorer=Levenshtein.distance, score_cutoff=edits, limit=limit * 4
                    )
                    if term != word and term not in self._stop
                ]
        found.sort(key=lambda term: -self.documents[term])
        return found[:limit]


def _term_alternatives(term: Term, lang: str, vocabulary: Vocabulary) -> list[str]:
    """FTS5 strings for every form of ``term`` the matching rules accept (matching.py)."""
    alternatives = []
    for atom in term.atoms:
        stems = [stem(w, lang) for w in atom]
        alternatives.append(_fts_string(stems))
        if len(stems) > 1:
            continue
        word = stems[0]
        if term.prefix:
            alternatives.append(_fts_string([word]) + "*")
        alternatives += [_fts_string([v]) for v in vocabulary.near(word, fuzziness(word))]
        if not term.required:
            for a, b in compound_splits(atom[0]):
                parts = [stem(a, lang), stem(b, lang)]
                if all(part in vocabulary.documents for part in parts):
                    alternatives.append(_fts_string(parts))
    return alternatives


def _joined_alternatives(term: Term, lang: str, vocabulary: Vocabulary) -> list[str]:
    if not term.joined_with_next:
        return []
    joined = stem(term.joined_with_next, lang)
    return [_fts_string([joined])] + [_fts_string([v]) for v in vocabulary.near(joined, fuzziness(joined))]


def _rowids_per_session(connection, table: str, expression: str) -> dict[int, tuple[int, str]]:
    """Per session: how many of its moments match, and their ids in order, comma-separated
    (one row per session: far cheaper than fetching thousands of moment rows; ``_first_ids``
    reads the few that are needed)."""
    return {
        sid: (count, ids)
        for sid, count, ids in connection.execute(
            f"SELECT rowid >> {MOMENT_BITS}, count(*), group_concat(rowid) FROM {table} "
            f"WHERE {table} MATCH ? GROUP BY 1",
            (expression,),
        )
    }


def _first_ids(ids: str) -> list[int]:
    return [int(mid) for mid in ids.split(",", CHEAP_PER_SESSION)[:CHEAP_PER_SESSION]] if ids else []


def _at_least(expressions: list[str], minimum: int) -> str:
    """FTS5 for "at least ``minimum`` of these": OR of every AND of that many (FTS5 has no
    minimum-should-match). Long queries, whose combinations would explode, require more."""
    n = len(expressions)
    while minimum < n and math.comb(n, minimum) > MAX_COMBINATIONS:
        minimum += 1
    if minimum >= n:
        return " AND ".join(expressions)
    if minimum <= 1:
        return " OR ".join(expressions)
    groups = [" AND ".join(group) for group in itertools.combinations(expressions, minimum)]
    return " OR ".join(f"({group})" for group in groups)


def fts_expressions(plan: QueryPlan, lang: str, vocabulary: Vocabulary) -> tuple[str, str]:
    """FTS5 MATCH expressions (sessions, moments) for one analysis language.

    A moment matches when its text or its session's context meets every required term and
    ``plan.minimum`` of the loose ones, and its own text meets at least one."""
    term_exprs = []
    joined = [_joined_alternatives(term, lang, vocabulary) for term in plan.terms]
    for i, term in enumerate(plan.terms):
        alternatives = _term_alternatives(term, lang, vocabulary) + joined[i]
        if i > 0:
            alternatives += joined[i - 1]
        term_exprs.append("(" + " OR ".join(dict.fromkeys(alternatives)) + ")")
    required = [e for e, t in zip(term_exprs, plan.terms, strict=True) if t.required]
    loose = [e for e, t in zip(term_exprs, plan.terms, strict=True) if not t.required]
    parts = required + ([f"({_at_least(loose, plan.minimum)})"] if loose else [])
    condition = " AND ".join(parts)
    anywhere = " OR ".join(term_exprs)
    session_expr = f"({condition})"
    if not required and plan.minimum <= 1:
        # "Any one word" is what the moment's own text must hold anyway: the context
        # column would add nothing but work (half the time of a common word at 10x).
        moment_expr = f"text : ({anywhere})"
    else:
        moment_expr = f"{{text context}} : ({condition}) AND text : ({anywhere})"
    if plan.excluded:
        excluded = " OR ".join(_fts_string([stem(w, lang) for w in atom]) for atom in plan.excluded)
        session_expr += f" NOT ({excluded})"
        moment_expr += f" NOT {{text context}} : ({excluded})"
    return session_expr, moment_expr


class SessionFacts:
    """What the plain tables say of every session (facet values, date, display fields),
    read once and kept per connection until the file changes (``PRAGMA data_version``
    moves when another connection commits; this connection's own writes drop it): a
    search counts facets over hundreds of matched sessions, and reading their rows for
    every query cost more than matching the words at 10x."""

    def __init__(self, connection: sqlite3.Connection, version: int):
        self.version = version
        pairs: dict[int, list[tuple[str, str]]] = {}
        for session_id, facet, value in connection.execute(
            "SELECT session_id, facet, value FROM facet_values"
        ):
            pairs.setdefault(session_id, []).append((facet, value))
        self.pairs = {sid: tuple(found) for sid, found in pairs.items()}
        self.values = {
            sid: {facet: {v for f, v in found if f == facet} for facet, _ in found}
            for sid, found in self.pairs.items()
        }
        self.dates: dict[int, str] = {}
        self._raw: dict[int, tuple[str, str]] = {}
        for session_id, date, analysis, data in connection.execute(
            "SELECT session_id, date, analysis, data FROM sessions"
        ):
            self.dates[session_id] = date
            self._raw[session_id] = (analysis, data)
        self._fields: dict[int, dict] = {}

    def fields(self, session_id: int) -> dict | None:
        """The display fields ``session_fields`` wrote (parsed once)."""
        found = self._fields.get(session_id)
        if found is None and session_id in self._raw:
            analysis, data = self._raw[session_id]
            found = self._fields[session_id] = {**json.loads(data), "analysis": analysis}
        return found


def _facet_counts(matched, facts: SessionFacts, filters: dict[str, set[str]]):
    """The sessions every filter lets through, and the facet counts (a session counts for
    facet X when every selected filter lets it through, or only X's own does not)."""
    counts: Counter = Counter()
    if not filters:
        selected = list(matched)
        counts.update(itertools.chain.from_iterable(facts.pairs.get(sid, ()) for sid in selected))
    else:
        selected = []
        for sid in matched:
            own = facts.values.get(sid, {})
            failed = [facet for facet, wanted in filters.items() if not own.get(facet, set()) & wanted]
            if not failed:
                selected.append(sid)
                counts.update(facts.pairs.get(sid, ()))
            elif len(failed) == 1 and failed[0] in own:
                counts.update((failed[0], value) for value in own[failed[0]])
    by_facet: dict[str, list[tuple[str, int]]] = {facet: [] for facet in FACETS}
    for (facet, value), count in counts.items():
        by_facet[facet].append((value, count))
    facets = {facet: sorted(found, key=lambda item: (-item[1], item[0])) for facet, found in by_facet.items()}
    return selected, facets


# -- the engine ----------------------------------------------------------------------------------

_local = threading.local()
# (path, language) -> (when read, the connection that read it, its data_version then, it)
_vocabularies: dict[tuple[str, str], tuple[float, tuple[int, int], int, Vocabulary]] = {}


def _identity(connection) -> tuple[int, int]:
    """A connection lives as long as its thread (``_local``): thread and object together
    name it (sqlite3 connections take no weak references)."""
    return threading.get_ident(), id(connection)


def _data_version(connection) -> int:
    """Moves when another connection (or process) has committed to the file."""
    return connection.execute("PRAGMA data_version").fetchone()[0]


class EmbeddedEngine(SearchEngine):
    name = "embedded"

    def __init__(self, path: str | Path | None = None):
        if path is None:
            from django.conf import settings

            path = settings.SEARCH_EMBEDDED_PATH
        self.path = Path(path)

    # -- connection ------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        """A connection per thread and file, with the schema in place.

        Any failure to open or prepare the file (missing folder that cannot be made,
        unwritable or locked file, not a database) means the engine is down."""
        connections = getattr(_local, "connections", None)
        if connections is None:
            connections = _local.connections = {}
        key = str(self.path)
        connection = connections.get(key)
        if connection is not None:
            return connection
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(key, timeout=30, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._prepare_schema(connection)
        except (OSError, sqlite3.Error) as error:
            raise EngineUnavailable(f"The search index at {self.path} cannot be opened: {error}") from error
        connections[key] = connection
        return connection

    @staticmethod
    def _prepare_schema(connection: sqlite3.Connection) -> None:
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        if version != SCHEMA_VERSION:
            connection.execute("BEGIN IMMEDIATE")
            # Read again: another process may have brought it up to date meanwhile.
            (version,) = connection.execute("PRAGMA user_version").fetchone()
            if version in MIGRATIONS:
                for statement in MIGRATIONS[version]:
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version != SCHEMA_VERSION:
                if version:
                    logger.warning(
                        "Search index schema %s replaced by %s: run search_index --rebuild",
                        version,
                        SCHEMA_VERSION,
                    )
                for table in _TABLES:
                    connection.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in _schema():
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")

    def _run(self, work):
        """Run ``work(connection)``; storage failures become EngineUnavailable."""
        connection = self._connect()
        try:
            return work(connection)
        except sqlite3.OperationalError as error:
            if "fts5" in str(error):  # our parser should make this impossible; never a 500
                raise QueryError(_("This search could not be understood; try plain words.")) from error
            self._forget(connection)
            raise EngineUnavailable(f"The search index at {self.path} failed: {error}") from error
        except sqlite3.DatabaseError as error:
            self._forget(connection)
            raise EngineUnavailable(f"The search index at {self.path} failed: {error}") from error

    def _forget(self, connection: sqlite3.Connection) -> None:
        getattr(_local, "connections", {}).pop(str(self.path), None)
        self._forget_facts()
        try:
            connection.close()
        except sqlite3.Error:
            pass

    def ping(self) -> bool:
        try:
            self._run(lambda c: c.execute("SELECT count(*) FROM sessions").fetchone())
        except EngineUnavailable:
            return False
        return True

    # -- writing -----------------------------------------------------------------------------

    @staticmethod
    def _rows(doc: SessionDocument) -> dict:
        """Everything stored for one session, analysed before any write lock is taken."""
        lang = analysis_language(doc.language)
        data = session_fields(doc, lang)
        facets = {
            "theme": doc.themes,
            "speaker": doc.speakers,
            "organisation": doc.organisations,
            "event": [doc.event] if doc.event else [],
            "year": [str(doc.year)] if doc.year else [],
            "language": [doc.language] if doc.language else [],
        }
        context = analyse(" ".join([doc.title, *doc.speakers]), lang)
        return {
            "id": doc.session_id,
            "lang": lang,
            "session": (doc.session_id, doc.date or "", lang, json.dumps(data)),
            "facets": [
                (doc.session_id, facet, str(v))
                for facet, values in facets.items()
                for v in dict.fromkeys(values)
            ],
            "text": (
                doc.session_id,
                analyse(doc.title, lang),
                analyse(doc.summary, lang),
                analyse(" ".join(doc.speakers), lang),
            ),
            # Positions beyond the id range would spill into the next session's ids.
            "moments": [
                (
                    m.start,
                    m.end,
                    m.text,
                    " ".join(forms[0]),  # the stems: what FTS matches
                    json.dumps(m.segment_starts) if m.segment_starts else None,
                    stored_words(*forms),
                )
                for m in doc.moments[: 1 << MOMENT_BITS]
                for forms in [analysed_words(m.text, lang)]
            ],
            "context": context,
        }

    @staticmethod
    def _delete(connection: sqlite3.Connection, session_id: int) -> None:
        first, last = session_id << MOMENT_BITS, ((session_id + 1) << MOMENT_BITS) - 1
        for lang in LANGUAGES:
            connection.execute(f"DELETE FROM moment_text_{lang} WHERE rowid BETWEEN ? AND ?", (first, last))
            connection.execute(f"DELETE FROM session_text_{lang} WHERE rowid = ?", (session_id,))
        for table in ("moments", "facet_values", "sessions"):
            connection.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))

    @staticmethod
    def _insert(connection: sqlite3.Connection, rows: dict) -> None:
        lang, session_id = rows["lang"], rows["id"]
        connection.execute(
            "INSERT INTO sessions (session_id, date, analysis, data) VALUES (?, ?, ?, ?)", rows["session"]
        )
        connection.executemany(
            "INSERT INTO facet_values (session_id, facet, value) VALUES (?, ?, ?)", rows["facets"]
        )
        connection.execute(
            f"INSERT INTO session_text_{lang} (rowid, title, summary, speakers) VALUES (?, ?, ?, ?)",
            rows["text"],
        )
        for position, (start, end, text, stemmed, segment_starts, kept_words) in enumerate(rows["moments"]):
            moment_id = (session_id << MOMENT_BITS) | position
            connection.execute(
                'INSERT INTO moments (id, session_id, start, "end", text, segment_starts, words) '
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (moment_id, session_id, start, end, text, segment_starts, kept_words),
            )
            connection.execute(
                f"INSERT INTO moment_text_{lang} (rowid, text, context) VALUES (?, ?, ?)",
                (moment_id, stemmed, rows["context"]),
            )

    def _write(self, work) -> None:
        def transaction(connection):
            connection.execute("BEGIN IMMEDIATE")
            try:
                work(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            finally:
                self._forget_facts()  # data_version does not move for our own commits
            connection.execute("COMMIT")

        self._run(transaction)

    def index_sessions(self, documents: list[SessionDocument]) -> None:
        prepared = [self._rows(doc) for doc in documents]
        if not prepared:
            return

        def work(connection):
            for rows in prepared:
                self._delete(connection, rows["id"])
                self._insert(connection, rows)

        self._write(work)
        self._forget_vocabulary()

    def remove_session(self, session_id: int) -> None:
        self._write(lambda connection: self._delete(connection, session_id))
        self._forget_vocabulary()

    def rebuild(self, documents) -> int:
        """Analyse everything first, then swap the contents in one transaction (WAL readers
        keep seeing the old index until it commits; writers wait for it)."""
        prepared = [self._rows(doc) for doc in documents]

        def work(connection):
            for table in _TABLES:
                connection.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in _schema():
                connection.execute(statement)
            for rows in prepared:
                self._insert(connection, rows)
            for lang in LANGUAGES:
                for kind in ("session", "moment"):
                    table = f"{kind}_text_{lang}"
                    connection.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")

        self._write(work)
        self._forget_vocabulary()
        return len(prepared)

    # -- reading -----------------------------------------------------------------------------

    def indexed_session_ids(self) -> set[int]:
        return {
            row[0] for row in self._run(lambda c: c.execute("SELECT session_id FROM sessions").fetchall())
        }

    def _retrieve(self, query: SearchQuery, plan: QueryPlan, filters: dict[str, list[str]]) -> Retrieved:
        selected = {facet: set(values) for facet, values in filters.items()}
        return self._run(lambda connection: self._read(connection, query, plan, selected))

    def _read(self, connection, query: SearchQuery, plan: QueryPlan, filters) -> Retrieved:
        """All reads of one search in one snapshot (WAL), so a concurrent write cannot make
        the matches, facets and candidates disagree."""
        connection.execute("BEGIN")
        try:
            return self._find(connection, query, plan, filters)
        finally:
            connection.execute("COMMIT")

    def _find(self, connection, query: SearchQuery, plan: QueryPlan, filters) -> Retrieved:
        text_search = not plan.is_empty
        scores: dict[int, float] = {}
        field_matches: dict[int, float] = {}
        moment_scores: list[tuple[float, int]] = []  # (score, -moment id): the heap's order
        by_count: dict[int, tuple[float, str, str]] = {}  # sessions scored by their matches' count
        if text_search:
            for lang in LANGUAGES:
                vocabulary = self._vocabulary(connection, lang)
                session_expr, moment_expr = fts_expressions(plan, lang, vocabulary)
                for session_id, score in connection.execute(
                    f"SELECT rowid, -bm25(session_text_{lang}, {SESSION_WEIGHTS}) FROM session_text_{lang} "
                    f"WHERE session_text_{lang} MATCH ?",
                    (session_expr,),
                ):
                    field_matches[session_id] = score
                    scores[session_id] = scores.get(session_id, 0.0) + score
                ranked_moments, best_per_session, counted = self._moment_scores(
                    connection, lang, plan, vocabulary, moment_expr
                )
                moment_scores += ranked_moments
                by_count.update(counted)
                for session_id, score in best_per_session.items():
                    if score > scores.get(session_id, 0.0):
                        scores[session_id] = score
            matched = set(scores)
        else:
            matched = None  # browsing: every session
        if query.visible_ids is not None:
            matched = set(query.visible_ids) if matched is None else matched & query.visible_ids

        facts = self._facts(connection)
        dates = facts.dates
        matched = set(dates) if matched is None else matched & dates.keys()
        selected, facets = _facet_counts(matched, facts, filters)
        if text_search:
            selected.sort(key=lambda sid: (-scores[sid], sid))
        else:
            selected.sort(key=lambda sid: sid)
            selected.sort(key=lambda sid: dates.get(sid, ""), reverse=True)
        candidates = []
        if text_search:
            # Every matched session selected (no filter took one out): no moment to sift.
            wanted = None if len(selected) == len(scores) else set(selected)
            candidates = self._candidates(connection, wanted, moment_scores, by_count, field_matches)
        return Retrieved(candidates=candidates, ranked=selected, total=len(selected), facets=facets)

    @staticmethod
    def _moment_scores(connection, lang: str, plan: QueryPlan, vocabulary, moment_expr: str):
        """(score, -moment id) of the matching moments worth ranking, each session's best
        score, and the sessions scored by count: every moment, by bm25, when there are at
        most BM25_MOMENTS.

        bm25 costs a few microseconds per match and query word, so a query whose words are
        in most moments (a common word, or "at least 1 of 2" with one of them common) would
        spend tens of milliseconds on it. Above BM25_MOMENTS matches a session's moments
        score instead by how many of them match (the session that talks about it most),
        the k-th 1/k of that, moments with every word first, CHEAP_PER_SESSION of each
        session; the shared ranking picks among them. Those sessions come back as
        {session: (weight, ids with every word, ids)}: ``_candidates`` turns only the ones
        that can reach the rescore window into moments."""
        table = f"moment_text_{lang}"
        per_session = _rowids_per_session(connection, table, moment_expr)
        if sum(count for count, _ in per_session.values()) <= BM25_MOMENTS:
            scored = connection.execute(
                f"SELECT -bm25({table}, {MOMENT_WEIGHTS}), -rowid FROM {table} WHERE {table} MATCH ?",
                (moment_expr,),
            ).fetchall()
            best: dict[int, float] = {}
            for score, negative_id in scored:
                sid = -negative_id >> MOMENT_BITS
                if score > best.get(sid, -math.inf):
                    best[sid] = score
            return scored, best, {}
        every_word = dataclasses.replace(plan, minimum=len(plan.loose))
        strict_expr = fts_expressions(every_word, lang, vocabulary)[1]
        strict = _rowids_per_session(connection, table, strict_expr) if strict_expr != moment_expr else {}
        best, counted = {}, {}
        for sid, (count, ids) in per_session.items():
            weight = best[sid] = math.log1p(count)  # the first of its moments scores weight / 1
            counted[sid] = (weight, strict.get(sid, (0, ""))[1], ids)
        return [], best, counted

    @staticmethod
    def _candidates(connection, selected: set[int] | None, moment_scores, by_count, field_matches):
        """The best RESCORE_WINDOW moments of the selected sessions (None: of every matched
        one), and their own fields. ``moment_scores`` holds (score, -moment id): the best
        score first, then the lowest id, compared in C without a key function; ``by_count``
        the sessions scored by count (``_moment_scores``)."""
        counted = list(by_count.items())
        if selected is not None:
            moment_scores = [pair for pair in moment_scores if -pair[1] >> MOMENT_BITS in selected]
            counted = [item for item in counted if item[0] in selected]
        if len(counted) > RESCORE_WINDOW:
            # A session's k-th moment scores weight / k: a session whose weight is below the
            # RESCORE_WINDOW-th best has every moment below that many sessions' first ones.
            floor = heapq.nlargest(RESCORE_WINDOW, [found[0] for _session, found in counted])[-1]
            counted = [item for item in counted if item[1][0] >= floor]
        from_counts = []
        for weight, every_word_ids, ids in (found for _session, found in counted):
            first = list(dict.fromkeys([*_first_ids(every_word_ids), *_first_ids(ids)]))[:CHEAP_PER_SESSION]
            from_counts += [(weight / k, -mid) for k, mid in enumerate(first, start=1)]
        top = heapq.nlargest(RESCORE_WINDOW, itertools.chain(moment_scores, from_counts))
        best = [(score, -negative_id) for score, negative_id in top]
        candidates = [
            Candidate(sid, score)
            for sid, score in field_matches.items()
            if selected is None or sid in selected
        ]
        if best:
            marks = ",".join("?" * len(best))
            rows = {
                row[0]: row[1:]
                for row in connection.execute(
                    'SELECT id, start, "end", text, segment_starts, words FROM moments '
                    f"WHERE id IN ({marks})",
                    tuple(mid for _, mid in best),
                )
            }
            for score, mid in best:
                if mid not in rows:
                    continue
                start, end, text, segment_starts, kept_words = rows[mid]
                starts = tuple(tuple(pair) for pair in json.loads(segment_starts)) if segment_starts else ()
                moment = MomentDocument(start=start, end=end, text=text, segment_starts=starts)
                candidates.append(Candidate(mid >> MOMENT_BITS, score, moment, kept_words))
        return candidates

    def _vocabulary(self, connection, lang: str) -> Vocabulary:
        """The vocabulary, read again after VOCABULARY_SECONDS only if the file has changed
        since (as this connection sees it): reading it costs a few hundred milliseconds at
        10x, which a search that happened to come after 30 s of nothing paid."""
        key = (str(self.path), lang)
        kept = _vocabularies.get(key)
        if kept:
            loaded_at, loader, version, vocabulary = kept
            if time.monotonic() - loaded_at < VOCABULARY_SECONDS:
                return vocabulary
            if loader == _identity(connection) and _data_version(connection) == version:
                _vocabularies[key] = (time.monotonic(), loader, version, vocabulary)
                return vocabulary
        version = _data_version(connection)
        rows = connection.execute(f"SELECT term, doc FROM moment_vocab_{lang}").fetchall()
        (moments,) = connection.execute(
            "SELECT count(*) FROM moments "
            "WHERE session_id IN (SELECT session_id FROM sessions WHERE analysis = ?)",
            (lang,),
        ).fetchone()
        vocabulary = Vocabulary(rows, moments, lang)
        _vocabularies[key] = (time.monotonic(), _identity(connection), version, vocabulary)
        return vocabulary

    def _forget_vocabulary(self) -> None:
        for lang in LANGUAGES:
            _vocabularies.pop((str(self.path), lang), None)

    def _facts(self, connection) -> SessionFacts:
        """This connection's SessionFacts, read again when the file has changed."""
        version = _data_version(connection)
        kept = getattr(_local, "facts", {}).get(str(self.path))
        if kept is None or kept.version != version:
            kept = SessionFacts(connection, version)
            if not hasattr(_local, "facts"):
                _local.facts = {}
            _local.facts[str(self.path)] = kept
        return kept

    def _forget_facts(self) -> None:
        getattr(_local, "facts", {}).pop(str(self.path), None)

    def _sessions(self, session_ids) -> dict[int, dict]:
        ids = list(session_ids)
        if not ids:
            return {}

        def read(connection):
            facts = self._facts(connection)
            return {sid: found for sid in ids if (found := facts.fields(sid)) is not None}

        return self._run(read)

    def _similar_words(self, word: str, lang: str, limit: int) -> list[str]:
        """Stems a couple of letters away, said as they are said in a moment that holds them."""

        def read(connection):
            vocabulary = self._vocabulary(connection, lang)
            found = []
            for variant in vocabulary.near(stem(word, lang), 2 if len(word) >= 4 else 1, limit):
                row = connection.execute(
                    f"SELECT text FROM moments WHERE id = (SELECT rowid FROM moment_text_{lang} "
                    f"WHERE moment_text_{lang} MATCH ? LIMIT 1)",
                    (_fts_string([variant]),),
                ).fetchone()
                spoken = (
                    [m.group().lower() for m in words(row[0]) if stem(m.group(), lang) == variant]
                    if row
                    else []
                )
                if spoken:
                    found.append(spoken[0])
            return found

        return self._run(read)

    def _frequencies(self, words: list[str], lang: str) -> tuple[int, dict[str, int]]:
        vocabulary = self._run(lambda connection: self._vocabulary(connection, lang))
        return vocabulary.moments, {w: vocabulary.documents.get(stem(w, lang), 0) for w in words}
