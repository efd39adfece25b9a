"""Search benchmark: query latency and indexing throughput per engine and corpus scale.

    .venv/bin/python bench/search.py [--scales 1,10] [--engines embedded,opensearch]
                                     [--index-budget SECONDS]

Scale 1 is the reference festival: 107 sessions of 60 minutes (~64k transcript segments
of ~6 s, windowed into ~30 s moments as the service indexes them); scale 10 and 100
multiply the sessions. The text is real Dutch and English found offline on this
machine: the translation catalogues (.mo) of installed programs and packages (English
msgid with its Dutch msgstr) and the docstrings of Python's standard library. Nothing is
downloaded. Sessions are generated deterministically from those pools (seeded per
session; the pools depend on what is installed), lazily, so scale 100 does not need the
whole corpus in memory.

For every engine and scale it prints: full re-index time (``rebuild``), bulk throughput
in moments/s, and p50/p95/max latency over the query set (1–3 words and quoted phrases
drawn from the corpus, a quarter of them with a facet filter), and the p95 of this
process's CPU time per query ("cpu p95": the embedded engine's whole work, only the client's
for OpenSearch), which stays comparable when other work shares the cores. The engines are driven
directly with SessionDocuments — no Django database — so the bench runs standalone.

A streamed corpus (beyond 10x) prints a progress line every ``PROGRESS_EVERY`` sessions
(sessions handed to the engine, moments/s so far). ``--index-budget`` stops handing sessions
over after that many seconds: the rebuild then completes with what it has, and the row says
how many of the scale's sessions it holds (for a machine that cannot index all of 100x in
the time there is; the figures are then for that smaller corpus, and say so).

``--keep-index`` (OpenSearch only): the corpus of each scale goes into an index kept on the node
(alias ``bench-kept-<scale>x``), and a later run with the option queries that index instead of
re-indexing (the row then says so and has no re-index time). For repeatable comparisons of
query-side changes on one index: a fresh index's segments, and so its latencies, differ from
one load to the next. Delete the index (``DELETE /bench-kept-*``) after a change to the mapping
or to what is indexed. With ``OPENSEARCH_SHARDS`` above 1 the kept index is another one
(``bench-kept-<scale>x-<n>shards``), so that shard counts can be compared on one cluster.

OpenSearch: uses ``OPENSEARCH_URL`` (default http://127.0.0.1:9200) when a node answers
there; otherwise it starts its own node with ``search-node/start.sh`` on
``SEARCH_NODE_PORT`` (default 9250; heap ``SEARCH_NODE_HEAP``, default 2g) and stops it
afterwards.
"""

from __future__ import annotations

import argparse
import ast
import gc
import gettext
import glob
import inspect
import logging
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Running `python bench/search.py` puts bench/ first on sys.path, where this file would
# shadow the `search` app; the repository root must come first instead.
sys.path[0] = str(REPO_ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()
# The client logs every request at INFO; thousands of them would bury the table.
logging.getLogger("opensearch").setLevel(logging.WARNING)

from search.engines.base import MomentDocument, SearchQuery, SessionDocument  # noqa: E402

SESSIONS_PER_SCALE = 107
SESSION_SECONDS = 60 * 60
SEGMENT_SECONDS = 6.0  # Whisper segments are a few seconds each
SEGMENTS_PER_MOMENT = 5  # ~30 s moments, overlapping by one segment
QUERY_COUNT = 240
WARMUP_QUERIES = 20
TARGETS = {  # (engine, scale) -> p95 ms
    ("embedded", 1): 30.0,
    ("opensearch", 10): 100.0,
    ("opensearch", 100): 100.0,  # on a cluster (issue 12)
}
PROGRESS_EVERY = 500  # sessions, when the corpus is streamed
REINDEX_TARGET_S = {1: 30.0}

THEMES = (
    "Digitale overheid",
    "Artificial intelligence",
    "Open data",
    "Privacy",
    "Klimaat",
    "Leiderschap",
    "Inclusie",
    "Innovation",
    "Informatiebeveiliging",
    "Samenwerking",
    "Wetgeving",
    "Dienstverlening",
)
ORGANISATIONS = (
    "Ministerie van Binnenlandse Zaken",
    "Ministerie van Financiën",
    "Ministerie van Justitie en Veiligheid",
    "Ministerie van Economische Zaken",
    "Ministerie van Infrastructuur en Waterstaat",
    "Rijkswaterstaat",
    "Belastingdienst",
    "CBS",
    "Logius",
    "Kadaster",
    "Rijksdienst voor Ondernemend Nederland",
    "UWV",
)
FIRST_NAMES = (
    "Anna Bram Chantal Daan Eva Fatima Gerrit Hanna Ivo Joost Karin Lars Mila Noor Olaf "
    "Priya Ruben Sanne Thijs Umut Vera Wouter Yara Zeynep"
).split()
LAST_NAMES = (
    "de Vries|Jansen|van den Berg|Bakker|Visser|Smit|Meijer|de Boer|Mulder|de Groot|Bos|"
    "Vos|Peters|Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra|Smits|El Amrani|Yilmaz"
).split("|")

WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


# -- corpus ---------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Keep the words of a catalogue string or docstring (drop options, %s, markup)."""
    return " ".join(WORD.findall(text.replace("&", "")))


def load_text_pools() -> dict[str, list[str]]:
    """Real sentences per language, from what is installed here."""
    english: set[str] = set()
    dutch: set[str] = set()
    patterns = [
        "/usr/share/locale/nl/LC_MESSAGES/*.mo",
        "/usr/share/**/nl/LC_MESSAGES/*.mo",
        f"{sys.prefix}/lib/python3*/site-packages/**/nl/LC_MESSAGES/*.mo",
    ]
    for path in sorted({p for pattern in patterns for p in glob.glob(pattern, recursive=True)}):
        try:
            with open(path, "rb") as handle:
                catalog = gettext.GNUTranslations(handle)._catalog
        except Exception:  # an unreadable or malformed catalogue is skipped, not fatal
            continue
        for msgid, msgstr in catalog.items():
            if not (isinstance(msgid, str) and isinstance(msgstr, str)):
                continue
            en, nl = _clean(msgid), _clean(msgstr)
            if len(en.split()) >= 4:
                english.add(en)
            if len(nl.split()) >= 4 and nl != en:
                dutch.add(nl)
    stdlib = Path(os.__file__).parent
    for path in sorted(stdlib.glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node)
                for paragraph in (doc or "").split("\n\n"):
                    sentence = _clean(paragraph)
                    if 4 <= len(sentence.split()) <= 60:
                        english.add(sentence)
    return {"nl": sorted(dutch), "en": sorted(english)}


@dataclass
class Corpus:
    scale: int
    pools: dict[str, list[str]]
    seed: int = 2024

    @property
    def session_count(self) -> int:
        return SESSIONS_PER_SCALE * self.scale

    def _words(self, rng: random.Random, language: str, count: int) -> list[str]:
        words: list[str] = []
        pool = self.pools[language]
        while len(words) < count:
            words.extend(rng.choice(pool).split())
        return words[:count]

    def session(self, session_id: int) -> SessionDocument:
        return self.session_and_segments(session_id)[0]

    def session_and_segments(self, session_id: int) -> tuple[SessionDocument, list[tuple[float, float, str]]]:
        """The session's document and the ~6 s (start, end, text) segments its moments window
        (bench/findability.py stores these as a transcript, for the product to window itself)."""
        rng = random.Random(self.seed * 1_000_003 + session_id)
        language = "nl" if rng.random() < 0.45 else "en"
        segments = []
        for n in range(int(SESSION_SECONDS / SEGMENT_SECONDS)):
            words = self._words(rng, language, rng.randint(10, 20))
            segments.append((n * SEGMENT_SECONDS, (n + 1) * SEGMENT_SECONDS, " ".join(words)))
        step = SEGMENTS_PER_MOMENT - 1
        moments = tuple(
            MomentDocument(
                start=segments[i][0],
                end=segments[min(i + SEGMENTS_PER_MOMENT, len(segments)) - 1][1],
                text=" ".join(s[2] for s in segments[i : i + SEGMENTS_PER_MOMENT]),
            )
            for i in range(0, len(segments) - 1, step)
        )
        year = 2023 + session_id % 3
        document = SessionDocument(
            session_id=session_id,
            title=" ".join(self._words(rng, language, rng.randint(4, 9))).capitalize(),
            url=f"/sessions/{session_id}/",
            summary=" ".join(self._words(rng, language, rng.randint(25, 60))),
            language=language,
            speakers=tuple(
                f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(rng.randint(1, 3))
            ),
            organisations=tuple(sorted(set(rng.sample(ORGANISATIONS, rng.randint(1, 2))))),
            themes=tuple(sorted(set(rng.sample(THEMES, rng.randint(1, 3))))),
            event=f"Kennisfestival {year}",
            year=year,
            date=f"{year}-{1 + session_id % 12:02d}-{1 + session_id % 28:02d}",
            poster_url=f"/media/posters/{session_id}.jpg",
            duration=float(SESSION_SECONDS),
            moments=moments,
        )
        return document, segments

    def sessions(self) -> Iterator[SessionDocument]:
        for session_id in range(1, self.session_count + 1):
            yield self.session(session_id)

    def queries(self, count: int = QUERY_COUNT) -> list[SearchQuery]:
        """1–3 words or a quoted phrase taken from random moments; a quarter filtered."""
        rng = random.Random(self.seed + self.scale)
        queries = []
        while len(queries) < count:
            doc = self.session(rng.randint(1, self.session_count))
            words = [w for w in rng.choice(doc.moments).text.split() if len(w) >= 4]
            if len(words) < 3:
                continue
            at = rng.randrange(len(words) - 2)
            kind = rng.random()
            if kind < 0.45:
                text = words[at]
            elif kind < 0.75:
                text = " ".join(words[at : at + 2])
            elif kind < 0.85:
                text = " ".join(words[at : at + 3])
            else:
                text = '"' + " ".join(words[at : at + 2]) + '"'
            filters = {}
            if rng.random() < 0.25:
                facet = rng.choice(["theme", "year", "language"])
                value = {"theme": rng.choice(doc.themes), "year": str(doc.year), "language": doc.language}
                filters = {facet: [value[facet]]}
            queries.append(SearchQuery(text=text, filters=filters))
        return queries


# -- engines --------------------------------------------------------------------------


class OpenSearchNode:
    """The node the bench talks to: an answering one, or one it starts and stops itself."""

    def __init__(self):
        self.url = os.environ.get("OPENSEARCH_URL", "http://127.0.0.1:9200")
        self.started = False

    def __enter__(self) -> str:
        from search.engines.opensearch import OpenSearchEngine

        if OpenSearchEngine(url=self.url, index="bench-ping", timeout=3).ping():
            return self.url
        port = os.environ.get("SEARCH_NODE_PORT", "9250")
        self.url = f"http://127.0.0.1:{port}"
        print(f"no node answers; starting one with search-node/start.sh on port {port}", flush=True)
        # 2 GB heap: scale 100 (1.6M moments) ran fine with it; the dev default is 512 MB.
        env = {"SEARCH_NODE_HEAP": "2g", **os.environ, "SEARCH_NODE_PORT": port}
        subprocess.run([str(REPO_ROOT / "search-node" / "start.sh")], check=True, env=env, cwd=REPO_ROOT)
        self.started = True
        deadline = time.monotonic() + 180
        while not OpenSearchEngine(url=self.url, index="bench-ping", timeout=3).ping():
            if time.monotonic() > deadline:
                raise SystemExit(f"the node on {self.url} did not answer within 180 s")
            time.sleep(1)
        return self.url

    def __exit__(self, *exc):
        if self.started:
            env = {**os.environ, "SEARCH_NODE_PORT": self.url.rsplit(":", 1)[1]}
            subprocess.run([str(REPO_ROOT / "search-node" / "stop.sh")], check=False, env=env, cwd=REPO_ROOT)


def make_engine(name: str, node_url: str | None, workdir: Path, kept_scale: int | None = None):
    """``kept_scale``: OpenSearch on the index kept for that scale (--keep-index)."""
    if name == "opensearch":
        from search.engines.connection import configured
        from search.engines.opensearch import OpenSearchEngine

        index = f"bench-moments-{uuid.uuid4().hex[:8]}"
        if kept_scale:  # one kept index per shard count (OPENSEARCH_SHARDS), to compare them
            shards = configured().get("shards") or 1
            index = f"bench-kept-{kept_scale}x" + (f"-{shards}shards" if shards > 1 else "")
        return OpenSearchEngine(url=node_url, index=index, timeout=60)
    if name == "embedded":
        from django.test import override_settings

        from search.engines import embedded
        from search.engines.base import SearchEngine

        engine_class = next(
            value
            for value in vars(embedded).values()
            if isinstance(value, type)
            and issubclass(value, SearchEngine)
            and value.__module__ == embedded.__name__
        )
        # A fresh database file per run, whichever way the engine takes its path.
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.sqlite3"
        if "path" in inspect.signature(engine_class).parameters:
            return engine_class(path=path)
        with override_settings(SEARCH_EMBEDDED_PATH=path):
            return engine_class()
    raise SystemExit(f"unknown engine {name!r}; choose embedded or opensearch")


def drop_engine(engine) -> None:
    if engine.name == "opensearch":
        engine.client.indices.delete(index=f"{engine.alias}*", ignore_unavailable=True)


def forget_answers(engine) -> None:
    """Drop what the node kept of earlier answers (its shard request cache holds the results
    of searches without hits, such as counts), so that a kept index measured again answers
    as it did the first time, apart from the operating system's file cache."""
    if engine.name == "opensearch":
        engine.client.indices.clear_cache(index=engine.alias, request=True)


# -- measurement ----------------------------------------------------------------------


@dataclass
class Row:
    engine: str
    scale: int
    sessions: int
    segments: int
    moments: int
    reindex_s: float
    moments_per_s: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    cpu_p95_ms: float
    queries: int
    mean_hits: float
    note: str = ""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def streamed(corpus: Corpus, budget_s: float | None, started: float) -> Iterator[SessionDocument]:
    """The corpus's sessions with a progress line now and then; none after ``budget_s``."""
    per_session = len(corpus.session(1).moments)
    for n, document in enumerate(corpus.sessions(), start=1):
        elapsed = time.perf_counter() - started
        if budget_s is not None and elapsed > budget_s:
            print(f"  index budget of {budget_s:.0f} s spent: {n - 1} of {corpus.session_count} sessions")
            return
        yield document
        if n % PROGRESS_EVERY == 0:
            print(
                f"  {n}/{corpus.session_count} sessions handed to the engine in {elapsed:.0f} s "
                f"({n * per_session / max(elapsed, 1e-9):.0f} moments/s)",
                flush=True,
            )


def measure(
    engine,
    corpus: Corpus,
    queries: list[SearchQuery],
    materialise: bool,
    budget_s: float | None = None,
    reuse: bool = False,
) -> Row:
    """``reuse``: query what the engine already holds when that is the whole corpus."""
    kept = len(engine.indexed_session_ids()) if reuse else 0
    shards = getattr(engine, "shards", 1)
    if kept == corpus.session_count:
        sessions, reindex, note = kept, math.nan, "kept index: not re-indexed"
    else:
        documents = list(corpus.sessions()) if materialise else None
        started = time.perf_counter()
        sessions = engine.rebuild(documents if materialise else streamed(corpus, budget_s, started))
        reindex = time.perf_counter() - started
        del documents
        note = "" if materialise else "re-index includes generating the corpus"
    moments = sessions * len(corpus.session(1).moments)
    segments = sessions * int(SESSION_SECONDS / SEGMENT_SECONDS)
    if sessions < corpus.session_count:
        note = f"PARTIAL: {sessions} of {corpus.session_count} sessions (index budget); " + note
    if shards > 1:
        note = f"{shards} shards; " + note

    forget_answers(engine)
    # What this process holds by now (Django, the corpus's text pools, the engine) stays out
    # of the garbage collector's full passes, as config/gunicorn.py keeps a web process's
    # start-up objects out of them: a pass over it all stopped a search now and then for up
    # to 113 ms (100x on the cluster: p95 106 -> 86 ms, probe of 240 searches).
    gc.collect()
    gc.freeze()
    for query in queries[:WARMUP_QUERIES]:
        engine.search(query)
    latencies, cpu, hits = [], [], []
    for query in queries:
        started, started_cpu = time.perf_counter(), time.process_time()
        results = engine.search(query)
        latencies.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        hits.append(results.total)
    gc.unfreeze()
    return Row(
        engine=engine.name,
        scale=corpus.scale,
        sessions=sessions,
        segments=segments,
        moments=moments,
        reindex_s=reindex,
        moments_per_s=moments / reindex,
        p50_ms=statistics.median(latencies),
        p95_ms=percentile(latencies, 0.95),
        max_ms=max(latencies),
        cpu_p95_ms=percentile(cpu, 0.95),
        queries=len(latencies),
        mean_hits=statistics.mean(hits),
        note=note,
    )


def verdict(row: Row) -> str:
    checks = []
    target = TARGETS.get((row.engine, row.scale))
    if target is not None:
        checks.append(f"p95≤{target:.0f}ms {'OK' if row.p95_ms <= target else 'MISSED'}")
    reindex_target = REINDEX_TARGET_S.get(row.scale)
    if reindex_target is not None and not math.isnan(row.reindex_s):
        checks.append(
            f"re-index≤{reindex_target:.0f}s {'OK' if row.reindex_s <= reindex_target else 'MISSED'}"
        )
    return "; ".join(checks + ([row.note] if row.note else []))


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'engine':<11}{'scale':>6}{'sessions':>9}{'segments':>10}{'moments':>9}"
        f"{'reindex s':>10}{'moments/s':>10}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'cpu p95':>8}"
        f"{'queries':>8}{'avg hits':>9}  targets"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.engine:<11}{str(r.scale) + 'x':>6}{r.sessions:>9}{r.segments:>10}{r.moments:>9}"
            f"{r.reindex_s:>10.1f}{r.moments_per_s:>10.0f}{r.p50_ms:>8.1f}{r.p95_ms:>8.1f}{r.max_ms:>8.1f}{r.cpu_p95_ms:>8.1f}"
            f"{r.queries:>8}{r.mean_hits:>9.1f}  {verdict(r)}"
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10", help="corpus sizes as multiples of the festival")
    parser.add_argument("--engines", default="embedded,opensearch")
    parser.add_argument("--queries", type=int, default=QUERY_COUNT, help="timed queries per run (≥200)")
    parser.add_argument(
        "--index-budget", type=float, help="seconds to hand a streamed corpus to the engine (then partial)"
    )
    parser.add_argument(
        "--keep-index",
        action="store_true",
        help="OpenSearch: query the index kept from an earlier run with this option (else build and keep it)",
    )
    args = parser.parse_args(argv)
    if args.queries < 200:
        parser.error("--queries must be at least 200 for a meaningful p95")
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]

    started = time.perf_counter()
    pools = load_text_pools()
    print(
        f"text pools: {len(pools['nl'])} Dutch and {len(pools['en'])} English sentences "
        f"({time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    rows: list[Row] = []
    node = OpenSearchNode() if "opensearch" in engines else None
    node_url = node.__enter__() if node else None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-search-") as workdir:
            for scale in scales:
                corpus = Corpus(scale=scale, pools=pools)
                queries = corpus.queries(args.queries)
                for name in engines:
                    keep = args.keep_index and name == "opensearch"
                    engine = make_engine(name, node_url, Path(workdir), kept_scale=scale if keep else None)
                    print(f"{name} {scale}x: {corpus.session_count} sessions ...", flush=True)
                    try:
                        # Up to 10x the corpus fits in memory; beyond, stream it.
                        budget = args.index_budget
                        row = measure(engine, corpus, queries, scale <= 10, budget_s=budget, reuse=keep)
                        rows.append(row)
                    except Exception as error:  # report, then go on with the next run
                        print(f"{name} {scale}x failed: {type(error).__name__}: {error}", flush=True)
                    finally:
                        if not keep:
                            drop_engine(engine)
                    if rows and (rows[-1].engine, rows[-1].scale) == (name, scale):
                        print_table(rows[-1:])
    finally:
        if node:
            node.__exit__(None, None, None)
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
