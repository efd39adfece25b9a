"""Findability benchmark: does a visitor find the moment they remember, on real speech?

    .venv/bin/python bench/findability.py [--folder DIR] [--programme CSV] [--queries JSON]
        [--engines embedded,opensearch] [--reuse-transcripts DIR] [--distractors N]

Runs the product path on a fresh temporary library (its own SQLite database, media folder
and search index): ``import_event`` of the folder and programme, transcription of every
recording by the real model (the pipeline the worker runs), indexing, then ``/api/search/``
for every query. Default set: ``../shared/data/dutch-dev`` (four sessions of real Dutch
speech, 136 phrase queries; see its README).

Prints per engine: recall@3 (the query's session among the first three results, and one of
its moments links ``?t=`` within ±3 s of the spoken line), mean reciprocal rank of the
first such hit, the share of queries with no result at all, and the word error rate of the
transcripts against the timed reference lines (``<recording>.json`` beside each file).

``--reuse-transcripts DIR`` keeps each recording's segments in DIR after transcribing it and
loads them on later runs instead of running Whisper again (for tuning search only).

``--distractors N`` (default 0) puts N more sessions in the library before indexing, so that
the right moment competes with a library of festival size (107: the reference festival of
bench/search.py): sessions 1..N of bench/search.py's corpus (``Corpus(scale=1)``: 60 minutes
of real Dutch or English text in ~6 s segments, with its title, summary, speakers,
organisations and themes), made as an imported and transcribed session is (import_event's
row import under the same home page and event, published; the pipeline's storing of a
finished run: segments with word timings, status done), without audio or Whisper. Indexing,
the visible sessions and ``/api/search/`` treat them as any other session; they are never a
query's right answer (scored by session id). The table says how many the library held.

OpenSearch: uses ``OPENSEARCH_URL`` when a node answers there, else starts its own node with
``search-node/start.sh`` on ``SEARCH_NODE_PORT`` (default 9251) and stops it afterwards.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO_ROOT)  # bench/ first on sys.path would shadow the search app
DEFAULT_SET = REPO_ROOT.parent / "shared" / "data" / "dutch-dev"
WINDOW_SECONDS = 3.0
TOP = 3


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folder", type=Path, default=DEFAULT_SET, help="folder with the recordings")
    parser.add_argument("--programme", type=Path, help="programme CSV (default: FOLDER/programme.csv)")
    parser.add_argument("--queries", type=Path, help="queries JSON (default: FOLDER/queries.json)")
    parser.add_argument("--engines", default="embedded,opensearch")
    parser.add_argument("--reuse-transcripts", type=Path, help="keep/load segments here (tuning only)")
    parser.add_argument("--misses", type=int, default=0, help="print this many missed queries per engine")
    parser.add_argument(
        "--distractors",
        type=int,
        default=0,
        help="also put this many sessions of the bench/search.py corpus in the library (107: the festival)",
    )
    args = parser.parse_args()
    if args.distractors < 0:
        parser.error("--distractors must be 0 or more")
    args.programme = args.programme or args.folder / "programme.csv"
    args.queries = args.queries or args.folder / "queries.json"
    return args


def setup_django(workdir: Path, engine: str, opensearch_url: str = "") -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'db.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ["SEARCH_EMBEDDED_PATH"] = str(workdir / "index.sqlite3")
    os.environ["SEARCH_ENGINE"] = engine
    if opensearch_url:
        os.environ["OPENSEARCH_URL"] = opensearch_url
    import django

    django.setup()


def node_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=2):
            return True
    except OSError:
        return False


class OpenSearchNode:
    """The node at OPENSEARCH_URL, or one of our own for the length of the bench."""

    def __init__(self):
        self.url = os.environ.get("OPENSEARCH_URL", "")
        self.started = False

    def __enter__(self) -> str:
        if self.url and node_answers(self.url):
            return self.url
        port = os.environ.get("SEARCH_NODE_PORT", "9251")
        env = {**os.environ, "SEARCH_NODE_PORT": port}
        subprocess.run([str(REPO_ROOT / "search-node" / "start.sh")], check=True, env=env)
        self.started, self.url = True, f"http://127.0.0.1:{port}"
        return self.url

    def __exit__(self, *exc):
        if self.started:
            subprocess.run([str(REPO_ROOT / "search-node" / "stop.sh")], check=False)


def import_library(folder: Path, programme: Path) -> None:
    from django.core.management import call_command

    from library.models import HomePage

    call_command("migrate", verbosity=0, interactive=False)
    HomePage.of_default_site()
    call_command("import_event", str(folder), programme=str(programme), stdout=open(os.devnull, "w"))


def transcribe_all(reuse: Path | None) -> dict[str, float]:
    """Transcribe every recording (or load its kept segments); returns seconds per file."""
    from library.models import Recording
    from transcripts.models import Segment, Transcript
    from transcripts.pipeline import run_transcription

    timings = {}
    for recording in Recording.objects.order_by("pk"):
        name = Path(recording.file.name).name
        kept = reuse / f"{_digest(recording)}.json" if reuse else None
        started = time.perf_counter()
        if kept and not kept.exists() and any(reuse.glob(f"{kept.name.split('-')[0]}-*.json")):
            print(f"{name}: {reuse} keeps it only under other Whisper settings: transcribing it again")
        if kept and kept.exists():
            data = json.loads(kept.read_text())
            transcript, _ = Transcript.objects.update_or_create(
                recording=recording, defaults={"status": Transcript.Status.DONE, "language": data["language"]}
            )
            transcript.replace_segments([Segment(**s) for s in data["segments"]])
        else:
            transcript = run_transcription(recording.pk)
            if transcript.status != Transcript.Status.DONE:
                raise SystemExit(f"{name}: transcription failed: {transcript.error}")
            if kept:
                kept.parent.mkdir(parents=True, exist_ok=True)
                segments = [
                    {"index": s.index, "start": s.start, "end": s.end, "text": s.text, "words": s.words}
                    for s in transcript.segments.order_by("index")
                ]
                kept.write_text(json.dumps({"language": transcript.language, "segments": segments}))
        timings[name] = time.perf_counter() - started
    return timings


def _digest(recording) -> str:
    from transcripts.whisper import WhisperConfig

    with recording.file.open("rb") as handle:
        content = hashlib.sha256(handle.read()).hexdigest()[:16]
    # Every setting that can change a transcript (beam, VAD, segmenting...), not just the model:
    # a folder reused under other settings must not serve another setting's transcripts.
    settings = repr(sorted(dataclasses.asdict(WhisperConfig.from_environment()).items()))
    return f"{content}-{hashlib.sha256(settings.encode()).hexdigest()[:8]}"


def distractor_transcript(segments, language: str):
    """A finished machine run's result for segments (start, end, text) of the bench/search.py
    corpus: Whisper's shape, words timed evenly across their segment (leading space included,
    so they spell its text, as Whisper's do)."""
    from transcripts.whisper import SegmentResult, TranscriptionResult

    results = []
    for start, end, text in segments:
        words = text.split()
        step = (end - start) / max(len(words), 1)
        timed = [
            (round(start + i * step, 3), round(start + (i + 1) * step, 3), f" {word}", 0.9)
            for i, word in enumerate(words)
        ]
        results.append(SegmentResult(start=start, end=end, text=text, avg_logprob=-0.3, words=timed))
    duration = float(segments[-1][1]) if segments else 0.0
    return TranscriptionResult(
        language=language, language_probability=None, duration=duration, segments=results
    )


def add_distractors(count: int, folder: Path, pools_file: Path | None = None) -> set[int]:
    """``count`` sessions of the bench/search.py corpus (``Corpus(scale=1).session(1..count)``)
    made as the imported ones were: ``import_event``'s row import (a published page under the
    same home page and event, speakers, organisations, themes) with a recording that has no
    file, then the pipeline's own storing of a finished run (``pipeline._store``: segments,
    status done, language), without audio or Whisper. Returns their page ids.

    ``pools_file`` keeps the corpus's text pools for the next engine's library (reading them
    takes seconds)."""
    if count <= 0:
        return set()
    import datetime
    import importlib.util

    from wagtail.models import Collection

    from library import importer as importer_module
    from library.importer import EventImporter, SessionRow
    from library.models import Recording, SessionPage, ThemeIndexPage, ThemePage, ThemeSession
    from transcripts import pipeline
    from transcripts.models import Transcript
    from transcripts.whisper import WhisperConfig

    spec = importlib.util.spec_from_file_location("bench_search_corpus", REPO_ROOT / "bench" / "search.py")
    corpus_module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = corpus_module  # its dataclasses look their module up there
    spec.loader.exec_module(corpus_module)
    if pools_file and pools_file.exists():
        pools = json.loads(pools_file.read_text())
    else:
        pools = corpus_module.load_text_pools()
        if pools_file:
            pools_file.write_text(json.dumps(pools))
    corpus = corpus_module.Corpus(scale=1, pools=pools)

    class DistractorImporter(EventImporter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.themed: dict[str, list[SessionPage]] = {}

        def _add_to_themes(self, session: SessionPage, titles: list[str]) -> None:
            for title in titles:  # one revision per theme at the end, not one per session
                self.themed.setdefault(title, []).append(session)

        def add_to_themes(self) -> None:
            for title, sessions in self.themed.items():
                theme = ThemePage.objects.filter(title__iexact=title).first()
                if theme is None:
                    theme = ThemeIndexPage.under(self.home).add_theme(title)
                draft = theme.get_latest_revision_as_object()
                for session in sessions:
                    draft.session_links.add(ThemeSession(session=session))
                importer_module._save(draft, had_draft=theme.has_unpublished_changes)

        @staticmethod
        def _store_recording(row: SessionRow) -> Recording:
            # No audio: a recording without a file (its transcript is stored below).
            recording = Recording(
                title=row.title,
                type=row.media_type,
                collection=Collection.get_first_root_node(),
                duration=row.duration,
            )
            recording.save()
            return recording

    # One line per session from the queueing and the pipeline would bury the table.
    for name in ("transcripts.queueing", "transcripts.pipeline"):
        logging.getLogger(name).setLevel(logging.WARNING)
    event = SessionPage.objects.exclude(event=None).order_by("pk").first().event
    importer = DistractorImporter(folder, event_name=event.name, year=event.year)
    config = WhisperConfig.from_environment()
    ids = set()
    for session_id in range(1, count + 1):
        document, segments = corpus.session_and_segments(session_id)
        month, day = (int(part) for part in document.date.split("-")[1:])
        row = SessionRow(
            line=session_id,
            file=Path(f"distractor-{session_id}"),
            title=document.title,
            date=datetime.date(event.year, month, day),
            speakers=list(dict.fromkeys(document.speakers)),
            organisations=list(document.organisations),
            themes=list(document.themes),
            language=document.language,
            summary=document.summary,
            media_type="audio",
            duration=document.duration,
        )
        action, detail = importer.import_row(row)
        if action != "created":
            raise SystemExit(f"distractor {session_id} ({row.title!r}) was {action}, not created: {detail}")
        page = SessionPage.objects.get(event=event, title=row.title)
        transcript, _ = Transcript.objects.get_or_create(recording_id=page.recording_id)
        pipeline._store(transcript, distractor_transcript(segments, row.language), config, time.monotonic())
        ids.add(page.pk)
    importer.add_to_themes()
    return ids


def word_error_rate(folder: Path, programme: Path) -> float:
    """WER of all transcripts against the reference lines (``<file>.json`` beside each file)."""
    from library.models import SessionPage
    from transcripts.accuracy import word_error_rate as wer
    from transcripts.models import Transcript

    references, hypotheses = [], []
    for row in csv.DictReader(programme.open(encoding="utf-8-sig")):
        reference = folder / (Path(row["file"]).stem + ".json")
        session = SessionPage.objects.filter(title=row["title"]).first()
        if not reference.exists() or session is None or not session.recording_id:
            continue
        transcript = Transcript.objects.get(recording_id=session.recording_id)
        references.append(" ".join(line["text"] for line in json.loads(reference.read_text())))
        hypotheses.append(" ".join(transcript.segments.order_by("index").values_list("text", flat=True)))
    return wer(" ".join(references), " ".join(hypotheses)) if references else float("nan")


def run_queries(queries: list[dict], distractor_ids: set[int] = frozenset()) -> dict:
    from django.test import Client

    client = Client()
    found, reciprocal, empty, misses, took = 0, 0.0, 0, [], []
    for query in queries:
        started = time.perf_counter()
        response = client.get("/api/search/", {"q": query["q"]})
        took.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (query["q"], response.status_code)
        sessions = response.json()["sessions"]
        if not sessions:
            empty += 1
        rank = _rank_of_moment(sessions, query, distractor_ids)
        if rank is not None:
            reciprocal += 1.0 / rank
            if rank <= TOP:
                found += 1
                continue
        misses.append((query, [(s["title"], [m["at"] for m in s["moments"]]) for s in sessions[:TOP]]))
    took.sort()
    count = len(queries)
    return {
        "recall": found / count,
        "mrr": reciprocal / count,
        "no_result": empty / count,
        "p95_ms": took[int(0.95 * (count - 1))],
        "misses": misses,
    }


def _rank_of_moment(sessions: list[dict], query: dict, distractor_ids: set[int] = frozenset()) -> int | None:
    """1-based rank of the first session that is the query's and links within the window
    (a distractor is never the query's, whatever its title)."""
    for rank, session in enumerate(sessions, start=1):
        if session["title"] != query["title"] or session["id"] in distractor_ids:
            continue
        if any(
            query["start"] - WINDOW_SECONDS <= m["at"] <= query["end"] + WINDOW_SECONDS
            for m in session["moments"]
        ):
            return rank
    return None


def measure(engine: str, args, workdir: Path, opensearch_url: str = "") -> dict:
    """One engine, in a child process (Django is set up once per process)."""
    out = workdir / f"{engine}.json"
    command = [
        sys.executable,
        __file__,
        "--child",
        engine,
        str(workdir),
        opensearch_url,
        json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}),
    ]
    subprocess.run(command, check=True)
    return json.loads(out.read_text())


def child(engine: str, workdir: Path, opensearch_url: str, options: dict) -> None:
    folder, programme = Path(options["folder"]), Path(options["programme"])
    reuse = Path(options["reuse_transcripts"]) if options.get("reuse_transcripts") else None
    library = workdir / engine
    library.mkdir()
    setup_django(library, engine, opensearch_url)
    import_library(folder, programme)
    timings = transcribe_all(reuse)
    started = time.perf_counter()
    distractor_ids = add_distractors(options.get("distractors", 0), folder, workdir / "text-pools.json")
    distractors_s = time.perf_counter() - started
    if distractor_ids:
        print(
            f"{engine}: {len(distractor_ids)} distractor sessions added in {distractors_s:.1f} s", flush=True
        )
    from search import service

    started = time.perf_counter()
    sessions = service.rebuild()
    indexed_s = time.perf_counter() - started
    queries = json.loads(Path(options["queries"]).read_text())
    figures = run_queries(queries, distractor_ids)
    figures.update(
        wer=word_error_rate(folder, programme),
        sessions=sessions,
        distractors=len(distractor_ids),
        distractors_s=distractors_s,
        transcribe_s=sum(timings.values()),
        index_s=indexed_s,
        queries=len(queries),
        misses=[
            {"q": q["q"], "title": q["title"], "start": q["start"], "got": got}
            for q, got in figures["misses"]
        ],
    )
    (workdir / f"{engine}.json").write_text(json.dumps(figures))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, engine, workdir, url, options = sys.argv
        child(engine, Path(workdir), url, json.loads(options))
        return
    args = parse_args()
    for path in (args.folder, args.programme, args.queries):
        if not path.exists():
            raise SystemExit(f"Not found: {path}")
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    with tempfile.TemporaryDirectory(prefix="findability-") as tmp:
        workdir = Path(tmp)
        results = {}
        for engine in engines:
            if engine == "opensearch":
                with OpenSearchNode() as url:
                    results[engine] = measure(engine, args, workdir, url)
            else:
                results[engine] = measure(engine, args, workdir)
    first = results[engines[0]]
    print(
        f"\nFindability on {args.queries} ({first['queries']} queries; library: "
        f"{first['sessions'] - first['distractors']} sessions + {first['distractors']} distractor "
        "sessions of bench/search.py)\n"
    )
    header = ("engine", "recall@3", "MRR", "no result", "WER", "p95 ms", "transcribe s", "distractors")
    print(
        f"{header[0]:<12}"
        + "".join(f"{h:>{w}}" for h, w in zip(header[1:], (10, 8, 11, 7, 8, 14, 13), strict=True))
    )
    for engine, r in results.items():
        print(
            f"{engine:<12}{r['recall']:>10.3f}{r['mrr']:>8.3f}{r['no_result']:>11.3f}{r['wer']:>7.3f}"
            f"{r['p95_ms']:>8.1f}{r['transcribe_s']:>14.1f}{r['distractors']:>13}"
        )
    for engine, r in results.items():
        for miss in r["misses"][: args.misses]:
            print(f"  {engine} missed: {miss['q']!r} ({miss['title']} at {miss['start']}): got {miss['got']}")


if __name__ == "__main__":
    main()
