"""The embedded engine: SQLite FTS5 in its own file (``settings.SEARCH_EMBEDDED_PATH``).

No server; the default. Design (what makes p95 small at ~6k moments on 2 cores):

* Plain tables hold what is shown and counted: ``sessions`` (display fields as JSON),
  ``facet_values`` (one row per session/facet/value) and ``moments`` (original text and
  times). Facets are counted in Python over the facet rows of the matched sessions.
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

import html
import json
import logging
import sqlite3
import threading
from collections import Counter
from pathlib import Path

from search.analysis import LANGUAGES, analyse, analysis_language, stem, words
from search.engines.base import (
    FACETS,
    EngineUnavailable,
    MomentHit,
    QueryError,
    SearchEngine,
    SearchQuery,
    SearchResults,
    SessionDocument,
    SessionHit,
)
from search.engines.query_syntax import Clause, ParsedQuery

SNIPPET_WORDS = 40  # words shown around the first highlighted word of a moment
SNIPPET_LEAD = 10  # of which before it
SESSION_FIELD_BOOST = 2.0
# bm25 column weights: moment text over its session context; title over summary/speakers.
MOMENT_WEIGHTS = "1.0, 0.3"
SESSION_WEIGHTS = "3.0, 2.0, 2.0"
# Above this many matched sessions the facet rows are read whole (no giant IN list).
FACET_IN_LIMIT = 900

logger = logging.getLogger(__name__)

_TOKENIZER = "tokenize = 'unicode61 remove_diacritics 0'"
# Bumped whenever the tables change; an index file of another version is emptied (it is
# only a copy of the database: `search_index --rebuild` fills it again).
SCHEMA_VERSION = 3
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
        'start REAL NOT NULL, "end" REAL NOT NULL, text TEXT NOT NULL, segment_starts TEXT)',
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
    return statements


_TABLES = ["sessions", "facet_values", "moments"] + [
    f"{kind}_text_{lang}" for kind in ("session", "moment") for lang in LANGUAGES
]


def _fts_string(stems: list[str]) -> str:
    # Stems are letters and digits only (analysis.WORD), so quoting cannot be broken.
    return '"' + " ".join(stems) + '"'


def _fts_atom(atom: list[str], lang: str) -> str:
    return _fts_string([stem(w, lang) for w in atom])


def _fts_clause(clause: Clause, lang: str) -> str:
    atoms = [_fts_atom(atom, lang) for atom in clause.atoms()]
    return atoms[0] if len(atoms) == 1 else "(" + " OR ".join(atoms) + ")"


def fts_expressions(parsed: ParsedQuery, lang: str) -> tuple[str, str]:
    """FTS5 MATCH expressions (sessions, moments) for one analysis language.

    A moment matches when every clause is found in its text or its session's context, and
    at least one in its own text (so its snippet shows why it is there)."""
    required = " AND ".join(_fts_clause(c, lang) for c in parsed.required)
    anywhere = " OR ".join(_fts_atom(atom, lang) for c in parsed.required for atom in c.atoms())
    session_expr = f"({required})"
    if len(parsed.required) == 1:  # the same condition, evaluated once: the common case
        moment_expr = f"text : ({required})"
    else:
        moment_expr = f"{{text context}} : ({required}) AND text : ({anywhere})"
    if parsed.excluded:
        excluded = " OR ".join(_fts_atom(atom, lang) for atom in parsed.excluded)
        session_expr += f" NOT ({excluded})"
        moment_expr += f" NOT {{text context}} : ({excluded})"
    return session_expr, moment_expr


# -- highlighting --------------------------------------------------------------------------------


def highlight(text: str, stems: set[str], lang: str, max_words: int | None = None) -> str:
    """``text`` HTML-escaped, with the words whose stem is in ``stems`` in ``<mark>``.

    Escaping happens per piece before any tag is added, so only our marks are markup.
    With ``max_words`` the text is cut to a window around the first marked word."""
    found = words(text)
    marked = [i for i, m in enumerate(found) if stems and stem(m.group(), lang) in stems]
    start_char, end_char = 0, len(text)
    prefix = suffix = ""
    if max_words and len(found) > max_words:
        first = max(0, (marked[0] if marked else 0) - SNIPPET_LEAD)
        last = min(len(found), first + max_words)
        first = max(0, last - max_words)
        if first > 0:
            start_char, prefix = found[first].start(), "… "
        if last < len(found):
            end_char, suffix = found[last - 1].end(), " …"
    out, position = [prefix], start_char
    for i in marked:
        m = found[i]
        if m.start() < start_char or m.end() > end_char:
            continue
        out.append(html.escape(text[position : m.start()]))
        out.append(f"<mark>{html.escape(m.group())}</mark>")
        position = m.end()
    out.append(html.escape(text[position:end_char]))
    out.append(suffix)
    return "".join(out)


def spoken_at(text: str, segment_starts: str | None, stems: set[str], lang: str) -> float | None:
    """When the segment holding the first matched word begins (None: not known)."""
    if not segment_starts or not stems:
        return None
    first = next((m.start() for m in words(text) if stem(m.group(), lang) in stems), None)
    if first is None:
        return None
    starts = json.loads(segment_starts)
    return max((seconds for offset, seconds in starts if offset <= first), default=starts[0][1])


# -- the engine ----------------------------------------------------------------------------------

_local = threading.local()


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
            (version,) = connection.execute("PRAGMA user_version").fetchone()
            if version != SCHEMA_VERSION:  # another process may have done it meanwhile
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
                raise QueryError("This search could not be understood; try plain words.") from error
            self._forget(connection)
            raise EngineUnavailable(f"The search index at {self.path} failed: {error}") from error
        except sqlite3.DatabaseError as error:
            self._forget(connection)
            raise EngineUnavailable(f"The search index at {self.path} failed: {error}") from error

    def _forget(self, connection: sqlite3.Connection) -> None:
        getattr(_local, "connections", {}).pop(str(self.path), None)
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
        data = {
            "title": doc.title,
            "url": doc.url,
            "summary": doc.summary,
            "language": doc.language,
            "speakers": list(doc.speakers),
            "organisations": list(doc.organisations),
            "themes": list(doc.themes),
            "event": doc.event,
            "year": doc.year,
            "date": doc.date,
            "poster_url": doc.poster_url,
            "duration": doc.duration,
        }
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
                    analyse(m.text, lang),
                    json.dumps(m.segment_starts) if m.segment_starts else None,
                )
                for m in doc.moments[: 1 << MOMENT_BITS]
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
        for position, (start, end, text, stemmed, segment_starts) in enumerate(rows["moments"]):
            moment_id = (session_id << MOMENT_BITS) | position
            connection.execute(
                'INSERT INTO moments (id, session_id, start, "end", text, segment_starts) '
                "VALUES (?, ?, ?, ?, ?, ?)",
                (moment_id, session_id, start, end, text, segment_starts),
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

    def remove_session(self, session_id: int) -> None:
        self._write(lambda connection: self._delete(connection, session_id))

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
        return len(prepared)

    # -- reading -----------------------------------------------------------------------------

    def indexed_session_ids(self) -> set[int]:
        return {
            row[0] for row in self._run(lambda c: c.execute("SELECT session_id FROM sessions").fetchall())
        }

    def _search(
        self, query: SearchQuery, parsed: ParsedQuery, filters: dict[str, list[str]]
    ) -> SearchResults:
        selected = {facet: set(values) for facet, values in filters.items()}
        return self._run(lambda connection: self._read(connection, query, parsed, selected))

    def _read(self, connection, query: SearchQuery, parsed: ParsedQuery, filters) -> SearchResults:
        """All reads of one search in one snapshot (WAL), so a concurrent write cannot make
        the matches, facets and hits disagree."""
        connection.execute("BEGIN")
        try:
            return self._find(connection, query, parsed, filters)
        finally:
            connection.execute("COMMIT")

    def _find(self, connection, query: SearchQuery, parsed: ParsedQuery, filters) -> SearchResults:
        text_search = bool(parsed.required)
        scores: dict[int, float] = {}
        moment_scores: dict[int, list[tuple[float, int]]] = {}
        if text_search:
            for lang in LANGUAGES:
                session_expr, moment_expr = fts_expressions(parsed, lang)
                for session_id, score in connection.execute(
                    f"SELECT rowid, -bm25(session_text_{lang}, {SESSION_WEIGHTS}) FROM session_text_{lang} "
                    f"WHERE session_text_{lang} MATCH ?",
                    (session_expr,),
                ):
                    scores[session_id] = scores.get(session_id, 0.0) + SESSION_FIELD_BOOST * score
                for moment_id, score in connection.execute(
                    f"SELECT rowid, -bm25(moment_text_{lang}, {MOMENT_WEIGHTS}) "
                    f"FROM moment_text_{lang} "
                    f"WHERE moment_text_{lang} MATCH ?",
                    (moment_expr,),
                ):
                    moment_scores.setdefault(moment_id >> MOMENT_BITS, []).append((score, moment_id))
            for session_id, found in moment_scores.items():
                found.sort(key=lambda pair: (-pair[0], pair[1]))
                # A session ranks by its best moments (three at most, the ones shown).
                scores[session_id] = scores.get(session_id, 0.0) + sum(s for s, _ in found[:3])
            matched = set(scores)
        else:
            matched = None  # browsing: every session

        if query.visible_ids is not None:
            visible = query.visible_ids
            if matched is None:
                matched = set(visible)
            else:
                matched &= visible
            scores = {sid: score for sid, score in scores.items() if sid in visible}
        facet_rows = self._facet_rows(connection, matched)
        values_of: dict[int, dict[str, set[str]]] = {}
        for session_id, facet, value in facet_rows:
            values_of.setdefault(session_id, {}).setdefault(facet, set()).add(value)
        if not text_search:
            dates = dict(connection.execute("SELECT session_id, date FROM sessions"))
            matched = set(dates) if matched is None else matched & set(dates)
        else:
            dates = {}

        # Post-filter semantics in one pass: a session counts for facet X when every
        # selected filter lets it through, or only X's own filter does not.
        counts: dict[str, Counter] = {facet: Counter() for facet in FACETS}
        selected = []
        for sid in matched:
            own = values_of.get(sid, {})
            failed = [facet for facet, wanted in filters.items() if not own.get(facet, set()) & wanted]
            if not failed:
                selected.append(sid)
                for facet, values in own.items():
                    counts[facet].update(values)
            elif len(failed) == 1 and failed[0] in own:
                counts[failed[0]].update(own[failed[0]])
        facets = {
            facet: sorted(counts[facet].items(), key=lambda item: (-item[1], item[0])) for facet in FACETS
        }
        if text_search:
            selected.sort(key=lambda sid: (-scores[sid], sid))
        else:
            selected.sort(key=lambda sid: sid)
            selected.sort(key=lambda sid: dates.get(sid, ""), reverse=True)
        first = (query.page - 1) * query.per_page
        page_ids = selected[first : first + query.per_page]
        hits = self._hits(connection, query, parsed, page_ids, scores, moment_scores)
        return SearchResults(query=query, total=len(selected), hits=hits, facets=facets)

    @staticmethod
    def _facet_rows(connection, matched: set[int] | None):
        if matched is None or len(matched) > FACET_IN_LIMIT:
            rows = connection.execute("SELECT session_id, facet, value FROM facet_values").fetchall()
            return rows if matched is None else [row for row in rows if row[0] in matched]
        if not matched:
            return []
        marks = ",".join("?" * len(matched))
        return connection.execute(
            f"SELECT session_id, facet, value FROM facet_values WHERE session_id IN ({marks})", tuple(matched)
        ).fetchall()

    def _hits(self, connection, query, parsed, page_ids, scores, moment_scores) -> list[SessionHit]:
        if not page_ids:
            return []
        marks = ",".join("?" * len(page_ids))
        sessions = {
            sid: (lang, json.loads(data))
            for sid, lang, data in connection.execute(
                f"SELECT session_id, analysis, data FROM sessions WHERE session_id IN ({marks})",
                tuple(page_ids),
            )
        }
        shown = {sid: moment_scores.get(sid, [])[: max(query.moments_per_session, 0)] for sid in page_ids}
        moment_ids = [mid for best in shown.values() for _, mid in best]
        moments = {}
        if moment_ids:
            moment_marks = ",".join("?" * len(moment_ids))
            moments = {
                row[0]: row[1:]
                for row in connection.execute(
                    f'SELECT id, start, "end", text, segment_starts FROM moments '
                    f"WHERE id IN ({moment_marks})",
                    tuple(moment_ids),
                )
            }
        hits = []
        for sid in page_ids:
            if sid not in sessions:  # removed between the two reads of this search
                continue
            lang, data = sessions[sid]
            stems = {stem(w, lang) for w in parsed.all_words()}
            hit_moments = [
                MomentHit(
                    start=moments[mid][0],
                    end=moments[mid][1],
                    snippet_html=highlight(moments[mid][2], stems, lang, max_words=SNIPPET_WORDS),
                    score=score,
                    at=spoken_at(moments[mid][2], moments[mid][3], stems, lang),
                )
                for score, mid in shown[sid]
                if mid in moments
            ]
            hits.append(
                SessionHit(
                    session_id=sid,
                    title=data["title"],
                    url=data["url"],
                    score=scores.get(sid, 0.0),
                    title_html=highlight(data["title"], stems, lang),
                    summary_html=highlight(data["summary"], stems, lang),
                    language=data["language"],
                    speakers=data["speakers"],
                    organisations=data["organisations"],
                    themes=data["themes"],
                    event=data["event"],
                    year=data["year"],
                    date=data["date"],
                    poster_url=data["poster_url"],
                    duration=data["duration"],
                    moments=hit_moments,
                )
            )
        return hits
