"""The embedded engine: SQLite FTS5 in its own file (``settings.SEARCH_EMBEDDED_PATH``).

No server; the default. Design (what makes p95 small at ~6k moments on 2 cores):

* Plain tables hold what is shown and counted: ``sessions`` (display fields as JSON),
  ``facet_values`` (one row per session/facet/value) and ``moments`` (original text and
  times). Facets are counted in Python over the facet rows of the matched sessions,
  which each connection keeps in memory until the file changes (SessionFacts).
* Full-text tables per analysis language hold *stemmed* text (search/analysis.py):
  ``session_text_<lang>`` (title, summary, speakers; rowid = session id) and
  ``moment_text_<lang>`` (moment text; rowid = moments.id; its ``context`` column, the
  session's title and speakers, is no longer searched: ``moments_held`` reads the session's
  own fields instead, so "kennedy country" still finds the moment where a speaker called
  Kennedy says "country"). A query is stemmed once per language and run against that
  language's tables only, so Dutch and English stems never mix.
* Sessions' own fields rank by bm25 (title over summary and speakers); moments by the
  rarity of the words they hold (``moments_held``), and the best RESCORE_WINDOW of them go
  to the shared ranking (matching.py), which also builds the snippets.
* The file runs in WAL mode: readers keep their snapshot while a writer commits, so a
  ``rebuild`` (one transaction: drop, create, fill) never shows visitors an empty index.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import numpy
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
    FUZZY,
    FUZZY_VARIANTS,
    QueryPlan,
    Term,
    compound_splits,
    fuzziness,
    idf,
    stored_words,
)

# "At least m of n" is written out as combinations; beyond this many, more words are required.
MAX_COMBINATIONS = 64
VOCABULARY_SECONDS = 30.0
# bm25 column weights of a session's own fields: title over summary and speakers.
SESSION_WEIGHTS = "3.0, 2.0, 2.0"
# Sessions whose own fields match that go to the shared ranking, best bm25 first (as the
# moments, a window: a common word meets hundreds of summaries at 10x, each matched whole).
FIELDS_WINDOW = 30
# Of a word met only in its session's title or speakers, what counts towards a moment.
CONTEXT_SHARE = 0.3
NO_IDS, NO_SCORES = numpy.zeros(0, dtype=numpy.int64), numpy.zeros(0, dtype=numpy.float64)

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


def _term_forms(term: Term, lang: str, vocabulary: Vocabulary) -> tuple[list[str], list[str]]:
    """FTS5 strings for the forms of ``term`` the matching rules accept (matching.py): its own
    (the word or phrase, the last word as a prefix, a compound written apart) and its
    misheard ones (the index's words a letter or two away)."""
    own, misheard = [], []
    for atom in term.atoms:
        stems = [stem(w, lang) for w in atom]
        own.append(_fts_string(stems))
        if len(stems) > 1:
            continue
        word = stems[0]
        if term.prefix:
            own.append(_fts_string([word]) + "*")
        misheard += [_fts_string([v]) for v in vocabulary.near(word, fuzziness(word))]
        if not term.required:
            for a, b in compound_splits(atom[0]):
                parts = [stem(a, lang), stem(b, lang)]
                if all(part in vocabulary.documents for part in parts):
                    own.append(_fts_string(parts))
    return own, misheard


def _joined_alternatives(term: Term, lang: str, vocabulary: Vocabulary) -> list[str]:
    if not term.joined_with_next:
        return []
    joined = stem(term.joined_with_next, lang)
    return [_fts_string([joined])] + [_fts_string([v]) for v in vocabulary.near(joined, fuzziness(joined))]


def plan_forms(plan: QueryPlan, lang: str, vocabulary: Vocabulary) -> list[tuple[list[str], list[str]]]:
    """(own forms, misheard forms) of every term, as FTS5 strings, each once: a word written
    together with its neighbour ("mee zien" as "meezien") counts as a misheard form of both."""
    joined = [_joined_alternatives(term, lang, vocabulary) for term in plan.terms]
    forms = []
    for i, term in enumerate(plan.terms):
        own, misheard = _term_forms(term, lang, vocabulary)
        misheard += joined[i] + (joined[i - 1] if i > 0 else [])
        own = list(dict.fromkeys(own))
        forms.append((own, [form for form in dict.fromkeys(misheard) if form not in own]))
    return forms


def _required_loose(n: int, minimum: int) -> int:
    """How many of n loose terms a moment must hold: ``minimum``, or more for long queries
    whose combinations ``_at_least`` would write out beyond MAX_COMBINATIONS."""
    while minimum < n and math.comb(n, minimum) > MAX_COMBINATIONS:
        minimum += 1
    return minimum


def _at_least(expressions: list[str], minimum: int) -> str:
    """FTS5 for "at least ``minimum`` of these": OR of every AND of that many (FTS5 has no
    minimum-should-match). Long queries, whose combinations would explode, require more."""
    n = len(expressions)
    minimum = _required_loose(n, minimum)
    if minimum >= n:
        return " AND ".join(expressions)
    if minimum <= 1:
        return " OR ".join(expressions)
    groups = [" AND ".join(group) for group in itertools.combinations(expressions, minimum)]
    return " OR ".join(f"({group})" for group in groups)


def session_expression(plan: QueryPlan, forms, lang: str) -> str:
    """FTS5 MATCH expression of the sessions whose own fields meet the query: every required
    term and ``plan.minimum`` of the loose ones (``forms``: ``plan_forms``)."""
    term_exprs = ["(" + " OR ".join(own + misheard) + ")" for own, misheard in forms]
    required = [e for e, t in zip(term_exprs, plan.terms, strict=True) if t.required]
    loose = [e for e, t in zip(term_exprs, plan.terms, strict=True) if not t.required]
    parts = required + ([f"({_at_least(loose, plan.minimum)})"] if loose else [])
    expression = "(" + " AND ".join(parts) + ")"
    if plan.excluded:
        expression += f" NOT ({_excluded(plan, lang)})"
    return expression


def _excluded(plan: QueryPlan, lang: str) -> str:
    """FTS5 for any of the visitor's excluded words or phrases (``-word``)."""
    return " OR ".join(_fts_string([stem(w, lang) for w in atom]) for atom in plan.excluded)


def _ids(connection, table: str, expression: str) -> numpy.ndarray:
    """The rowids matching ``expression``, ascending (FTS5's order), read as one string:
    far cheaper than a row per match."""
    (found,) = connection.execute(
        f"SELECT group_concat(rowid) FROM {table} WHERE {table} MATCH ?", (expression,)
    ).fetchone()
    return numpy.fromstring(found, dtype=numpy.int64, sep=",") if found else NO_IDS


def _union(parts: list[numpy.ndarray]) -> numpy.ndarray:
    """The ids of all these ascending arrays, once each, ascending. A stable sort (timsort)
    merges the ascending runs; numpy.unique hashed every id first, some 25 ms for the
    150,000 moments of a common word at 10x, against 1 ms."""
    merged = numpy.sort(numpy.concatenate(parts), kind="stable") if parts else NO_IDS
    return merged[numpy.concatenate(([True], merged[1:] != merged[:-1]))] if len(merged) else merged


def _among(ids: numpy.ndarray, part: numpy.ndarray) -> numpy.ndarray:
    """Which of ``ids`` (ascending) ``part`` holds, ``part`` being ascending ids among them:
    a binary search per id of ``part`` rather than numpy.isin's sort of both."""
    held = numpy.zeros(len(ids), dtype=bool)
    held[numpy.searchsorted(ids, part)] = True
    return held


def moments_held(connection, lang: str, plan: QueryPlan, forms, moments: int):
    """The moments matching ``plan`` (ids, ascending), each scored by the words it holds.

    A moment matches when its text or its session's title and speakers meet every required
    term and ``plan.minimum`` of the loose ones, and its own text meets at least one. Each
    term is looked up once (its own forms, its misheard ones, in the sessions' fields) and
    the rule is applied here, over the ids: FTS5 has no minimum-should-match, and writing
    "2 of 5" out as ten ANDs made it evaluate every word several times.

    The score: per term, the rarity (idf among ``moments``) of its forms as the index holds
    them, its own forms fully, its misheard ones at the matching rules' FUZZY, and a term met
    only in the session's fields at CONTEXT_SHARE. It leaves out what bm25 adds (how often,
    how densely); the shared ranking (matching.py) weighs that for the candidates, and bm25
    cost a few microseconds per match and per form of every word (a hundred milliseconds
    and more for a remembered sentence of common words at 10x). A word met only by a
    common form weighs little, so moments of another language, where a typed word meets
    only similar words ("het" as "head"), do not crowd out the ones holding the visitor's
    rarest words. Measured with ``bench/findability.py --distractors 107`` (the dev set
    in a festival-size library): recall@3 0.603 (bm25 up to 2,000 matches, by their
    session's count beyond) -> 0.860; bm25 throughout gave 0.875 (in a harness) at twice
    the time at 10x. The dev set alone: 0.956 either way."""
    table, fields = f"moment_text_{lang}", f"session_text_{lang}"
    found = []
    for own, misheard in forms:
        found.append(
            (
                _ids(connection, table, f"text : ({' OR '.join(own)})"),
                _ids(connection, table, f"text : ({' OR '.join(misheard)})") if misheard else NO_IDS,
                _ids(connection, fields, f"{{title speakers}} : ({' OR '.join(own + misheard)})"),
            )
        )
    ids = _union([part for own, misheard, _ in found for part in (own, misheard)])
    sessions = ids >> MOMENT_BITS
    scores = numpy.zeros(len(ids))
    loose_met = numpy.zeros(len(ids), dtype=numpy.int32)
    qualifies = numpy.ones(len(ids), dtype=bool)
    for term, (own, misheard, in_fields) in zip(plan.terms, found, strict=True):
        own_weight = idf(moments, len(own))
        misheard_weight = FUZZY * idf(moments, len(misheard))
        holds_own, holds_misheard = _among(ids, own), _among(ids, misheard)
        in_context = numpy.isin(sessions, in_fields)
        held = numpy.maximum(
            numpy.where(holds_own, own_weight, 0.0), numpy.where(holds_misheard, misheard_weight, 0.0)
        )
        scores += numpy.where(
            held > 0, held, numpy.where(in_context, CONTEXT_SHARE * max(own_weight, misheard_weight), 0.0)
        )
        met = holds_own | holds_misheard | in_context
        if term.required:
            qualifies &= met
        else:
            loose_met += met
    qualifies &= loose_met >= _required_loose(len(plan.loose), plan.minimum)
    if plan.excluded:
        excluded = _excluded(plan, lang)
        qualifies &= ~numpy.isin(ids, _ids(connection, table, excluded), assume_unique=True)
        qualifies &= ~numpy.isin(sessions, _ids(connection, fields, excluded))
    return ids[qualifies], scores[qualifies]


def _best_per_session(ids: numpy.ndarray, scores: numpy.ndarray) -> dict[int, float]:
    """Each session's best moment score. ``ids`` ascending (``moments_held``): a session's
    moments are one run of them, so no sort is needed."""
    if not len(ids):
        return {}
    sessions = ids >> MOMENT_BITS
    starts = numpy.flatnonzero(numpy.concatenate(([True], sessions[1:] != sessions[:-1])))
    best = numpy.maximum.reduceat(scores, starts)
    return dict(zip(sessions[starts].tolist(), best.tolist(), strict=True))


def _top(ids: numpy.ndarray, scores: numpy.ndarray, count: int) -> numpy.ndarray:
    """Positions of the ``count`` best scores, best first, the lowest id first among equals.
    Only the scores at or above the count-th best are sorted (a common word's 150,000
    matches at 10x took 6-16 ms to sort whole)."""
    if len(scores) > count:
        threshold = numpy.partition(scores, len(scores) - count)[len(scores) - count]
        picked = numpy.flatnonzero(scores >= threshold)
    else:
        picked = numpy.arange(len(scores))
    return picked[numpy.lexsort((ids[picked], -scores[picked]))][:count]


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
        ranked: list[tuple[numpy.ndarray, numpy.ndarray]] = []  # (moment ids, scores) per language
        if text_search:
            for lang in LANGUAGES:
                vocabulary = self._vocabulary(connection, lang)
                forms = plan_forms(plan, lang, vocabulary)
                for session_id, score in connection.execute(
                    f"SELECT rowid, -bm25(session_text_{lang}, {SESSION_WEIGHTS}) FROM session_text_{lang} "
                    f"WHERE session_text_{lang} MATCH ?",
                    (session_expression(plan, forms, lang),),
                ):
                    field_matches[session_id] = score
                    scores[session_id] = scores.get(session_id, 0.0) + score
                ids, moment_scores = moments_held(connection, lang, plan, forms, vocabulary.moments)
                ranked.append((ids, moment_scores))
                for session_id, score in _best_per_session(ids, moment_scores).items():
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
            wanted = None if len(selected) == len(scores) else selected
            candidates = self._candidates(connection, wanted, ranked, field_matches)
        return Retrieved(candidates=candidates, ranked=selected, total=len(selected), facets=facets)

    @staticmethod
    def _candidates(connection, selected: list[int] | None, ranked, field_matches):
        """The best RESCORE_WINDOW moments of the selected sessions (None: of every matched
        one), best score first, then the lowest id; and the selected sessions' own fields."""
        ids = numpy.concatenate([found for found, _ in ranked]) if ranked else NO_IDS
        scores = numpy.concatenate([found for _, found in ranked]) if ranked else NO_SCORES
        if selected is not None:
            kept = numpy.isin(ids >> MOMENT_BITS, numpy.array(selected, dtype=numpy.int64))
            ids, scores = ids[kept], scores[kept]
        top = _top(ids, scores, RESCORE_WINDOW)
        best = list(zip(scores[top].tolist(), ids[top].tolist(), strict=True))
        allowed = None if selected is None else set(selected)
        own_fields = sorted(
            ((score, sid) for sid, score in field_matches.items() if allowed is None or sid in allowed),
            key=lambda pair: (-pair[0], pair[1]),
        )
        candidates = [Candidate(sid, score) for score, sid in own_fields[:FIELDS_WINDOW]]
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
