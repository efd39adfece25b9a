"""Load benchmark: concurrent visitors against the development server and the production stack.

    .venv/bin/python bench/load.py [--visitors 50] [--duration 60] [--think 1.0]
                                   [--targets runserver,serve,postgres]
                                   [--port P] [--postgres-port P] [--opensearch-port P]

Builds a temporary library like the reference festival (107 public sessions of 60 minutes,
each with a ~900-segment transcript with word timings, on one shared 60-minute audio file),
then lets N visitors loose on each target in turn for the given time. A visitor repeats: a
search (60 %), a session page (30 %, every one has a 60-minute transcript) or a media range
request of 256 KiB at a random offset (10 %), pausing a random time (exponential, mean
``--think`` seconds; 0 floods) between requests. The first ``--warmup`` seconds are not counted.

Targets (one after the other; only one runs at a time):
  runserver  `manage.py runserver` with the dev settings, as `make run` serves
  serve      `scripts/serve.sh` (what `make serve` runs): gunicorn + 1 task worker, production
             settings, SQLite and the embedded search engine
  postgres   `scripts/serve.sh` on PostgreSQL (scripts/postgres.sh) and OpenSearch
             (search-node/start.sh)

Setup queues what the site's own handlers queue for a new library (index jobs, the rendering
of every session page into the cache by library/tasks.py); the serve and postgres targets'
task worker runs all of it before the visitors come, as a deployed library has long done, so
what is measured is a library whose pages the worker has rendered. Searches say in
Server-Timing whether their answer came from the search cache: the hit rate and the CPU of
cached and uncached searches are printed apart.

Per target and kind it prints req/s, client-side p50/p95/max (what the visitor waits, queueing
in the server included), server time p50/p95 (Django's own time, from the Server-Timing header
ops/server_timing.py sets), the CPU time p50/p95 those requests used (the same header: what a
request costs, whatever else runs on the machine; with it the req/s the mix would reach on 2
cores of its own) and errors (a status other than the expected one, a timeout or a
broken connection). Everything listens on 127.0.0.1 only: ports 8160-8162 (web; ``--port``
puts every target on one port, as they run one after the other) and 8164 (PostgreSQL), 9260
(OpenSearch); all of it is started and stopped (by PID) here, in a temp dir.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO_ROOT)  # bench/ first on sys.path would shadow the search app

from library.demo.render import render_tone  # noqa: E402

PY = str(REPO_ROOT / ".venv" / "bin" / "python")

SESSIONS = 107
SESSION_SECONDS = 60 * 60
SEGMENT_SECONDS = 4.0  # ~900 segments per hour, as Whisper cuts them
QUERIES = 400
RANGE_BYTES = 256 * 1024
KINDS = ("search", "session", "media")
WEIGHTS = (0.6, 0.3, 0.1)
EXPECTED_STATUS = {"search": 200, "session": 200, "media": 206}
REQUEST_TIMEOUT_S = 30.0
PORTS = {"runserver": 8160, "serve": 8161, "postgres": 8162}
POSTGRES_PORT = 8164
OPENSEARCH_PORT = 9260
TARGET_P95_MS = 100.0
# Seconds of load, not counted, before a target's first measurement (--prime): a freshly started
# OpenSearch node answers slowly in its first minutes (about twice the CPU per search).
PRIME_SECONDS = {"postgres": 60.0}
LABELS = {
    "runserver": "runserver (dev)",
    "serve": "make serve (gunicorn, SQLite, embedded)",
    "postgres": "gunicorn + PostgreSQL + OpenSearch",
}


# -- the library (runs inside Django: `bench/load.py setup PLAN AUDIO`) ---------------------------


def build_library(plan_path: Path, audio: Path, sessions: int = SESSIONS) -> None:
    """Sessions, recordings and transcripts in the database the environment names, the search
    index rebuilt from it, and the plan (URLs, queries) the visitors use written as JSON."""
    import django

    django.setup()
    import importlib.util

    from django.db import transaction
    from django.utils import timezone
    from wagtail.models import Collection

    from library.models import Event, HomePage, Organisation, Recording, SessionPage, SessionSpeaker, Speaker
    from search import service
    from transcripts.models import Segment, Transcript

    # Real Dutch and English sentences found offline, as bench/search.py builds its corpus.
    spec = importlib.util.spec_from_file_location("bench_search_corpus", REPO_ROOT / "bench" / "search.py")
    corpus = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = corpus  # its dataclasses look their module up there
    spec.loader.exec_module(corpus)
    pools = corpus.load_text_pools()
    rng = random.Random(2026)

    def words(language: str, count: int) -> list[str]:
        out: list[str] = []
        while len(out) < count:
            out.extend(rng.choice(pools[language]).split())
        return out[:count]

    home = HomePage.of_default_site()
    event = Event.objects.get_or_create(name="Kennisfestival", year=2026)[0]
    organisations = [Organisation.named(name) for name in corpus.ORGANISATIONS]
    first = Recording.store(audio, "Bench recording 1", "audio", filename="bench-60min.mp3")
    plan = {"sessions": [], "recordings": [], "queries": []}
    texts: list[tuple[str, str]] = []
    started = time.monotonic()
    for n in range(1, sessions + 1):
        language = "nl" if rng.random() < 0.55 else "en"
        with transaction.atomic():
            if n == 1:
                recording = first
            else:  # the same file under another recording: one 14 MB file, 107 transcripts
                recording = Recording(
                    title=f"Bench recording {n}",
                    type="audio",
                    collection=Collection.get_first_root_node(),
                    file=first.file.name,
                )
                recording.save()
            Recording.objects.filter(pk=recording.pk).update(duration=SESSION_SECONDS)
            page = SessionPage(
                title=" ".join(words(language, rng.randint(4, 8))).capitalize()[:200],
                slug=f"bench-session-{n}",
                language=language,
                recording=recording,
                date=datetime_date(2026, 1 + n % 12, 1 + n % 28),
                event=event,
                summary=" ".join(words(language, rng.randint(25, 60))),
            )
            for _ in range(rng.randint(1, 3)):
                name = f"{rng.choice(corpus.FIRST_NAMES)} {rng.choice(corpus.LAST_NAMES)}"
                speaker = Speaker.named(name)
                if speaker.pk not in {link.speaker_id for link in page.speaker_links.all()}:
                    page.speaker_links.add(SessionSpeaker(speaker=speaker))
            page.organisations = rng.sample(organisations, rng.randint(1, 2))
            home.add_child(instance=page)
            page.save_revision().publish()
            transcript, _ = Transcript.objects.get_or_create(recording=recording)
            Transcript.objects.filter(pk=transcript.pk).update(
                status=Transcript.Status.DONE,
                language=language,
                # As a finished run of this file in this language: nothing to transcribe again.
                source_file=recording.file_signature(),
                requested_language=language,
                provenance=Transcript.Provenance.MACHINE,
                engine="bench",
                model_name="synthetic",
                audio_seconds=SESSION_SECONDS,
                finished_at=timezone.now(),
            )
            segments = []
            for index in range(int(SESSION_SECONDS / SEGMENT_SECONDS)):
                start = index * SEGMENT_SECONDS
                said = words(language, rng.randint(8, 16))
                step = SEGMENT_SECONDS / len(said)
                segments.append(
                    Segment(
                        transcript=transcript,
                        index=index,
                        start=start,
                        end=start + SEGMENT_SECONDS,
                        text=" ".join(said),
                        avg_logprob=-0.3,
                        words=[
                            [round(start + i * step, 2), round(start + (i + 1) * step, 2), w, 0.9]
                            for i, w in enumerate(said)
                        ],
                    )
                )
                texts.append((language, segments[-1].text))
            Segment.objects.bulk_create(segments, batch_size=500)
        page = SessionPage.objects.get(pk=page.pk)
        plan["sessions"].append(page.url)
        plan["recordings"].append({"url": recording.serve_url, "size": first.file.size})
    print(f"library: {sessions} sessions in {time.monotonic() - started:.0f} s", flush=True)

    started = time.monotonic()
    indexed = service.rebuild()
    print(
        f"search index ({service.get_engine().name}): {indexed} sessions "
        f"in {time.monotonic() - started:.0f} s"
    )

    while len(plan["queries"]) < QUERIES:
        language, text = rng.choice(texts)
        found = [w for w in text.split() if len(w) >= 4]
        if len(found) < 3:
            continue
        at = rng.randrange(len(found) - 2)
        kind = rng.random()
        q = found[at] if kind < 0.45 else " ".join(found[at : at + 2 if kind < 0.85 else at + 3])
        if 0.85 <= kind < 0.95:
            q = '"' + " ".join(found[at : at + 2]) + '"'
        params = {"q": q}
        if rng.random() < 0.2:
            params["language"] = language
        plan["queries"].append("/search/?" + urllib.parse.urlencode(params))
    plan_path.write_text(json.dumps(plan))


def datetime_date(year, month, day):
    import datetime

    return datetime.date(year, month, day)


# -- a small HTTP/1.1 client (keep-alive), so 50 visitors fit in one process beside the server ----


class Connection:
    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], int]:
        reused = self.writer is not None
        try:
            return await self._get(path, headers)
        except (ConnectionError, asyncio.IncompleteReadError):
            if not reused:
                raise
            # The server closed an idle keep-alive connection (gunicorn after 5 s, or a worker
            # restart): a browser opens a new one and asks again, so does a visitor here.
            self.close()
            return await self._get(path, headers)

    async def _get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], int]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Accept-Encoding: identity"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("connection closed before the answer")
        status = int(status_line.split()[1])
        answer: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            answer[name.strip().lower()] = value.strip()
        size = 0
        if "content-length" in answer:
            size = int(answer["content-length"])
            await self.reader.readexactly(size)
        elif answer.get("transfer-encoding", "").lower() == "chunked":
            while chunk := int((await self.reader.readline()).split(b";")[0], 16):
                await self.reader.readexactly(chunk + 2)
                size += chunk
            await self.reader.readline()
        else:
            size = len(await self.reader.read())
            answer["connection"] = "close"
        if answer.get("connection", "").lower() == "close":
            self.close()
        return status, answer, size

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Stats:
    latency_ms: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    server_ms: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    cpu_ms: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in KINDS})
    # CPU ms of the requests whose answer came from the search cache ("hit") or not ("miss").
    cache_cpu_ms: dict[str, list[float]] = field(default_factory=lambda: {"hit": [], "miss": []})
    # The engine's own time of the searches it answered (Server-Timing engine;dur).
    engine_ms: list[float] = field(default_factory=list)
    # Cores busy during the counted time, per part of the stack (cpu_by_part) and in all.
    cores: dict[str, float] = field(default_factory=dict)

    def add(self, other: Stats) -> None:
        for kind in KINDS:
            self.latency_ms[kind] += other.latency_ms[kind]
            self.server_ms[kind] += other.server_ms[kind]
            self.cpu_ms[kind] += other.cpu_ms[kind]
            self.errors[kind] += other.errors[kind]
        for outcome in self.cache_cpu_ms:
            self.cache_cpu_ms[outcome] += other.cache_cpu_ms[outcome]
        self.engine_ms += other.engine_ms


def _server_ms(headers: dict[str, str], metric: str = "app") -> float | None:
    """``app``: Django's time for the request; ``cpu``: the CPU time it used (ops/server_timing.py)."""
    for part in headers.get("server-timing", "").split(","):
        name, _, rest = part.strip().partition(";")
        if name == metric and rest.startswith("dur="):
            return float(rest[4:])
    return None


def _cache_outcome(headers: dict[str, str]) -> str | None:
    """``hit`` or ``miss`` from ``Server-Timing: cache;desc=...`` (search/service.py), if said."""
    for part in headers.get("server-timing", "").split(","):
        name, _, rest = part.strip().partition(";")
        if name == "cache" and rest.startswith("desc="):
            return rest[5:]
    return None


def _request_for(kind: str, plan: dict, rng: random.Random) -> tuple[str, dict[str, str]]:
    if kind == "search":
        return rng.choice(plan["queries"]), {}
    if kind == "session":
        return rng.choice(plan["sessions"]), {}
    recording = rng.choice(plan["recordings"])
    start = rng.randrange(0, recording["size"] - RANGE_BYTES)
    return recording["url"], {"Range": f"bytes={start}-{start + RANGE_BYTES - 1}"}


async def visitor(port, plan, seed, counted_from, deadline, think, stats: Stats):
    rng = random.Random(seed)
    connection = Connection(port)
    loop = asyncio.get_running_loop()
    while loop.time() < deadline:
        kind = rng.choices(KINDS, WEIGHTS)[0]
        path, headers = _request_for(kind, plan, rng)
        began = loop.time()
        try:
            status, answer, _ = await asyncio.wait_for(connection.get(path, headers), REQUEST_TIMEOUT_S)
            error = None if status == EXPECTED_STATUS[kind] else f"HTTP {status}"
        except (TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
            connection.close()
            answer, error = {}, type(exc).__name__
        ended = loop.time()
        if began >= counted_from and ended <= deadline + REQUEST_TIMEOUT_S:
            stats.latency_ms[kind].append((ended - began) * 1000)
            if (server := _server_ms(answer)) is not None:
                stats.server_ms[kind].append(server)
            if (cpu := _server_ms(answer, "cpu")) is not None:
                stats.cpu_ms[kind].append(cpu)
                if (outcome := _cache_outcome(answer)) in stats.cache_cpu_ms:
                    stats.cache_cpu_ms[outcome].append(cpu)
            if (engine := _server_ms(answer, "engine")) is not None:
                stats.engine_ms.append(engine)
            if error:
                stats.errors[kind][error] += 1
        if think > 0:
            await asyncio.sleep(min(rng.expovariate(1 / think), max(0.0, deadline - loop.time())))
    connection.close()


async def run_load(port, plan, visitors, duration, warmup, think, parts=None) -> tuple[Stats, float]:
    stats = Stats()
    loop = asyncio.get_running_loop()
    counted_from = loop.time() + warmup
    deadline = counted_from + duration

    async def count_cores():
        await asyncio.sleep(warmup)
        before, began = cpu_by_part(parts or {}), loop.time()
        await asyncio.sleep(max(0.0, deadline - loop.time()))
        after, seconds = cpu_by_part(parts or {}), loop.time() - began
        stats.cores = {part: (after[part] - before.get(part, 0.0)) / seconds for part in after}

    await asyncio.gather(
        count_cores(),
        *(visitor(port, plan, n, counted_from, deadline, think, stats) for n in range(visitors)),
    )
    return stats, duration


# -- where the cores go ----------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds used so far) of every process, from /proc."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
        except OSError:
            continue  # gone meanwhile
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS)
    return table


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read()
    except OSError:
        return b""


def cpu_by_part(parts: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each part of the stack: the process trees under the given
    pids (the web server's tree without its task workers, which count as "task worker"), this
    client itself, and the whole machine (/proc/stat: processes of others included)."""
    table = _processes()
    used = {part: 0.0 for part in parts} | {"task worker": 0.0, "bench client": 0.0}
    roots = {pid: part for part, pid in parts.items()}
    for pid, (_, seconds) in table.items():
        if pid == os.getpid():
            used["bench client"] += seconds
            continue
        seen, at = 0, pid
        while at not in roots and at in table and seen < 64:
            at, seen = table[at][0], seen + 1
        if at in roots:
            part = roots[at]
            if part == "web" and b"db_worker" in _cmdline(pid):
                part = "task worker"
            used[part] += seconds
    with open("/proc/stat") as stat:
        ticks = [int(n) for n in stat.readline().split()[1:]]
    used["machine"] = (sum(ticks[:8]) - ticks[3] - ticks[4]) / TICKS  # all but idle and iowait
    return used


# -- servers -----------------------------------------------------------------------------------


class Server:
    """One target, started in its own process group and stopped by its PID."""

    def __init__(self, name: str, port: int, command: list[str], env: dict[str, str], log: Path):
        self.name, self.port, self.command, self.env, self.log = name, port, command, env, log
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=REPO_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        port = self.port
        deadline = time.monotonic() + 600  # serve.sh collects static files on its first start
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(1)
        raise SystemExit(f"{self.name} did not answer on {port} in time:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *exc):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group this bench started
            self.process.wait()


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    print(f"{what}: {time.monotonic() - started:.0f} s", flush=True)


def prepare(env: dict[str, str], work: Path, audio: Path, label: str, sessions: int) -> dict:
    _run([PY, "manage.py", "migrate", "--no-input"], env, f"{label}: migrate")
    plan_path = work / f"plan-{label}.json"
    command = [PY, str(Path(__file__).resolve()), "setup", str(plan_path), str(audio), str(sessions)]
    _run(command, env, f"{label}: library")
    return json.loads(plan_path.read_text())


class PostgresAndOpenSearch:
    """PostgreSQL (scripts/postgres.sh) and an OpenSearch node (search-node/start.sh) for the
    third target; stopped again by the scripts, which stop only what they started."""

    def __init__(self, postgres_port: int = POSTGRES_PORT, opensearch_port: int = OPENSEARCH_PORT):
        self.opensearch_port = opensearch_port
        self.env = {
            **os.environ,
            "POSTGRES_PORT": str(postgres_port),
            # Not inside the bench's own temp dir: as root the server runs as `postgres`, which
            # must reach its directory (the script makes it and deletes it on stop).
            "POSTGRES_DIR": str(
                Path(tempfile.gettempdir()) / f"session-library-load-pg-{uuid.uuid4().hex[:8]}"
            ),
            "SEARCH_NODE_PORT": str(opensearch_port),
        }
        self.postgres = self.opensearch = False
        self.index = f"bench-load-{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> dict[str, str]:
        script = REPO_ROOT / "scripts" / "postgres.sh"
        if not script.exists():
            raise SystemExit("the postgres target needs scripts/postgres.sh (PostgreSQL in make test)")
        subprocess.run(
            [str(script), "start"], cwd=REPO_ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL
        )
        self.postgres = True
        url = subprocess.run(
            [str(script), "url"], cwd=REPO_ROOT, env=self.env, check=True, capture_output=True, text=True
        ).stdout.strip()
        subprocess.run([str(REPO_ROOT / "search-node" / "start.sh")], cwd=REPO_ROOT, env=self.env, check=True)
        self.opensearch = True
        self.env_for_site = {
            "DATABASE_URL": url,
            "SEARCH_ENGINE": "opensearch",
            "OPENSEARCH_URL": f"http://127.0.0.1:{self.opensearch_port}",
            "OPENSEARCH_INDEX": self.index,
        }
        return self

    def pids(self) -> dict[str, int]:
        """The PostgreSQL server's and the OpenSearch node's main process (their pid files)."""
        found = {}
        for part, pidfile in (
            ("PostgreSQL", Path(self.env["POSTGRES_DIR"]) / "server.pid"),
            ("OpenSearch", REPO_ROOT / "search-node" / "run" / "node.pid"),
        ):
            try:
                found[part] = int(pidfile.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pass
        return found

    def __exit__(self, *exc):
        if self.opensearch:
            try:  # the bench's index, then the node
                request = urllib.request.Request(
                    f"http://127.0.0.1:{self.opensearch_port}/{self.index}*", method="DELETE"
                )
                urllib.request.urlopen(request, timeout=30).close()
            except OSError as error:
                print(f"could not delete the bench index: {error}")
            subprocess.run(
                [str(REPO_ROOT / "search-node" / "stop.sh")], cwd=REPO_ROOT, env=self.env, check=False
            )
        if self.postgres:
            subprocess.run([str(REPO_ROOT / "scripts" / "postgres.sh"), "stop"], cwd=REPO_ROOT, env=self.env)


# -- report ----------------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def capacity(stats: Stats, cores: int = 2) -> str:
    """What the web processes could answer on ``cores`` cores of their own: the cores over the
    mean CPU time of a request of the mix (the server's own CPU time, so a busy machine does
    not change it; time in OpenSearch or PostgreSQL is not in it)."""
    cpu = [value for kind in KINDS for value in stats.cpu_ms[kind]]
    if not cpu:
        return ""
    mean = statistics.mean(cpu)
    return f"   mean CPU {mean:.1f} ms/request: ~{cores * 1000 / mean:.0f} req/s on {cores} free cores"


def pooled(results: dict[str, tuple[str, Stats, float]]) -> dict[str, tuple[str, Stats, float]]:
    """The runs of each configuration (labels ending in " #N") added up, as "... (N runs)"."""
    pools: dict[str, tuple[str, Stats, float, int]] = {}
    for label, (name, stats, seconds) in results.items():
        base, sep, round_ = label.rpartition(" #")
        if not sep or not round_.isdigit():
            continue
        _, total, counted, rounds = pools.get(base, (name, Stats(), 0.0, 0))
        total.add(stats)
        pools[base] = (name, total, counted + seconds, rounds + 1)
    return {f"{base} ({n} runs)": (name, stats, seconds) for base, (name, stats, seconds, n) in pools.items()}


def report(results: dict[str, tuple[str, Stats, float]], args) -> bool:
    print()
    print(
        f"{args.visitors} visitors, {args.duration:.0f} s each (after {args.warmup:.0f} s warm-up), "
        f"think time {args.think:g} s; {os.cpu_count()} CPUs, load average at the end "
        f"{os.getloadavg()[0]:.1f}"
    )
    every = {**results, **pooled(results)}
    width = max([40, *(len(label) for label in every)])
    head = (
        f"{'target':<{width}} {'kind':<8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'srv p50':>8} {'srv p95':>8} {'cpu p50':>8} {'cpu p95':>8} {'errors':>7}"
    )
    print(head)
    print("-" * len(head))
    ok = True
    for label, (_, stats, seconds) in every.items():
        total = sum(len(v) for v in stats.latency_ms.values())
        for kind in KINDS:
            lat, srv = stats.latency_ms[kind], stats.server_ms[kind]
            errors = sum(stats.errors[kind].values())
            print(
                f"{label:<{width}} {kind:<8} {len(lat) / seconds:>7.1f} {_pct(lat, 50):>8.1f} "
                f"{_pct(lat, 95):>8.1f} {max(lat, default=float('nan')):>8.1f} {_pct(srv, 50):>8.1f} "
                f"{_pct(srv, 95):>8.1f} {_pct(stats.cpu_ms[kind], 50):>8.1f} "
                f"{_pct(stats.cpu_ms[kind], 95):>8.1f} {errors:>7}"
                + (f"  {dict(stats.errors[kind])}" if errors else "")
            )
        print(f"{label:<{width}} {'all':<8} {total / seconds:>7.1f}{capacity(stats)}")
        hits, misses = stats.cache_cpu_ms["hit"], stats.cache_cpu_ms["miss"]
        if hits or misses:
            print(
                f"{'':<{width}} search answers from the cache: {len(hits)} of {len(hits) + len(misses)} "
                f"({100 * len(hits) / (len(hits) + len(misses)):.0f} %); CPU p50/p95 cached "
                f"{_pct(hits, 50):.1f}/{_pct(hits, 95):.1f} ms, uncached {_pct(misses, 50):.1f}/"
                f"{_pct(misses, 95):.1f} ms"
            )
        if stats.engine_ms:
            print(
                f"{'':<{width}} engine time of the uncached searches p50/p95 "
                f"{_pct(stats.engine_ms, 50):.1f}/{_pct(stats.engine_ms, 95):.1f} ms"
            )
        if stats.cores:
            machine = stats.cores.pop("machine", None)
            busy = ", ".join(f"{part} {cores:.2f}" for part, cores in stats.cores.items())
            others = machine - sum(stats.cores.values()) if machine is not None else None
            print(
                f"{'':<{width}} cores busy: {busy}"
                + (
                    f"; other processes {others:.2f}; machine {machine:.2f} of {os.cpu_count()}"
                    if machine
                    else ""
                )
            )
    print()
    for label, (name, stats, _) in every.items():
        errors = sum(sum(c.values()) for c in stats.errors.values())
        session = _pct(stats.server_ms["session"], 95)
        search_srv = _pct(stats.server_ms["search"], 95)
        search_client = _pct(stats.latency_ms["search"], 95)
        checks = [
            ("0 errors", errors == 0, f"{errors}"),
            ("session page server p95 <= 100 ms", session <= TARGET_P95_MS, f"{session:.0f} ms"),
            ("search server p95 <= 100 ms", search_srv <= TARGET_P95_MS, f"{search_srv:.0f} ms"),
            (
                "search p95 as visitors wait <= 100 ms",
                search_client <= TARGET_P95_MS,
                f"{search_client:.0f} ms",
            ),
        ]
        line = "; ".join(f"{check}: {'yes' if passed else 'NO'} ({value})" for check, passed, value in checks)
        print(f"{label}: {line}")
        if name != "runserver":
            ok = ok and all(passed for _, passed, _ in checks)
    return ok


# -- main ------------------------------------------------------------------------------------------


def _web_configs(text: str) -> list[tuple[int, int]]:
    configs = []
    for config in text.split(","):
        processes, _, threads = config.strip().lower().partition("x")
        if not (processes.isdigit() and threads.isdigit() and int(processes) >= 1 and int(threads) >= 1):
            raise argparse.ArgumentTypeError(f"{config!r} is not PROCESSESxTHREADS, e.g. 2x4")
        configs.append((int(processes), int(threads)))
    return configs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds counted per target")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds not counted, before")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a visitor's requests")
    parser.add_argument("--targets", default="runserver,serve,postgres")
    parser.add_argument(
        "--sessions", type=int, default=SESSIONS, help="sessions of 60 minutes in the library"
    )
    parser.add_argument("--web-workers", default=os.environ.get("WEB_WORKERS", ""), help="gunicorn processes")
    parser.add_argument(
        "--web-threads", default=os.environ.get("WEB_THREADS", ""), help="threads per process"
    )
    parser.add_argument(
        "--web",
        type=_web_configs,
        default=[],
        help="gunicorn configurations to measure in turn on the same library, PROCESSESxTHREADS "
        "comma-separated (e.g. 2x1,4x2,4x2,2x1: a repeated one is numbered, and also shown added "
        "up); instead of --web-workers/--web-threads",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure the configurations this often, in turn"
    )
    parser.add_argument(
        "--prime",
        type=float,
        help="seconds of uncounted load before a target's first measurement (default: 60 for "
        "postgres, whose search node starts cold, else 0)",
    )
    parser.add_argument("--port", type=int, help="one web port for every target (default 8160-8162)")
    parser.add_argument("--postgres-port", type=int, default=POSTGRES_PORT)
    parser.add_argument("--opensearch-port", type=int, default=OPENSEARCH_PORT)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs) afterwards")
    args = parser.parse_args()
    targets = [t for t in args.targets.split(",") if t]
    unknown = set(targets) - set(PORTS)
    if unknown:
        parser.error(f"unknown target(s) {', '.join(sorted(unknown))}; choose from {', '.join(PORTS)}")
    if not 1 <= args.visitors <= 1000 or not 1 <= args.duration <= 3600 or not 1 <= args.sessions <= 1000:
        parser.error("--visitors 1..1000, --duration 1..3600 and --sessions 1..1000")
    if not 1 <= args.rounds <= 10:
        parser.error("--rounds 1..10")

    work = Path(tempfile.mkdtemp(prefix="session-library-load-"))
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "SEARCH_", "OPENSEARCH_"))
    }
    base_env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        LOCAL_HTTP="1",
        MEDIA_ROOT=str(work / "media"),
        STATIC_ROOT=str(work / "collected-static"),
        CACHE_DIR=str(work / "cache"),
        SEARCH_EMBEDDED_PATH=str(work / "search-index.sqlite3"),
        DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
        SEARCH_ENGINE="embedded",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        WEB_ACCESS_LOG="",  # one line per request would cost the server time we measure
        DJANGO_SETTINGS_MODULE="config.settings.production",
        HOST="127.0.0.1",
        WORKERS="1",
    )
    # Setup queues what the site's own handlers queue for a new library (index jobs, the
    # rendering of the session pages into the cache) into the database queue; the target's task
    # worker runs it before the visitors come (wait_for_worker). The transcripts look like
    # finished runs of their file, so nothing is transcribed.
    setup_env = base_env
    results: dict[str, tuple[str, Stats, float]] = {}
    failed: dict[str, str] = {}
    try:
        audio = work / "source-60min.mp3"
        render_tone(audio, SESSION_SECONDS, 220, 16000, ac=1, acodec="libmp3lame", audio_bitrate="32k")
        plan = None
        if {"runserver", "serve"} & set(targets):
            plan = prepare(setup_env, work, audio, "sqlite", args.sessions)
        for name in targets:
            try:
                results.update(run_target(name, plan, base_env, work, audio, args))
            except (Exception, SystemExit) as error:  # report the other targets all the same
                failed[name] = str(error)[-2000:]
                print(f"{name} failed: {failed[name]}", flush=True)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    ok = report(results, args)
    for name, reason in failed.items():
        print(f"{LABELS[name]}: not measured ({reason.splitlines()[0] if reason else 'failed'})")
    return 0 if ok and not failed else 1


def run_target(name: str, plan: dict | None, base_env: dict, work: Path, audio: Path, args) -> dict:
    """Start one target, let the visitors loose on it, stop it: once per web configuration of
    ``--web`` and round, on the same library. Results by label."""
    port = args.port or PORTS[name]
    if name == "runserver":
        env = {**base_env, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
        command = [PY, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
        with Server(name, port, command, env, work / f"{name}.log") as server:
            return {LABELS[name]: (name, *measure(name, port, plan, args, {"web": server.process.pid}))}
    if name == "serve":
        return _each_web_config(name, port, plan, {**base_env, "PORT": str(port)}, work, args, {})
    with PostgresAndOpenSearch(args.postgres_port, args.opensearch_port) as stack:
        extra = stack.env_for_site
        env = {**base_env, **extra, "MEDIA_ROOT": str(work / "media-pg"), "CACHE_DIR": str(work / "cache-pg")}
        pg_plan = prepare(env, work, audio, "postgres", args.sessions)
        return _each_web_config(name, port, pg_plan, {**env, "PORT": str(port)}, work, args, stack.pids())


def _each_web_config(name, port, plan, env, work, args, pids: dict[str, int]) -> dict:
    configs = args.web or [(args.web_workers, args.web_threads)]
    results = {}
    serve = [str(REPO_ROOT / "scripts" / "serve.sh")]
    prime = args.prime if args.prime is not None else PRIME_SECONDS.get(name, 0)
    if prime:
        # A node long online has warmed up (compiled code, caches); a node that has just
        # indexed the library is slower for minutes, which would count against whichever
        # configuration came first. Not counted; the answers cached are dropped.
        with Server(name, port, serve, env, work / f"{name}-prime.log"):
            wait_for_worker(name, port)
            asyncio.run(run_load(port, plan, args.visitors, prime, 0.0, args.think))
        print(f"{name}: primed for {prime:.0f} s (not counted)", flush=True)
    times = Counter(configs)
    seen: Counter = Counter()
    for _ in range(args.rounds):
        for workers, threads in configs:
            label = LABELS[name]
            if args.web:
                label += f" {workers}x{threads}"
            seen[(workers, threads)] += 1
            if args.rounds * times[(workers, threads)] > 1:  # measured more than once: numbered
                label += f" #{seen[(workers, threads)]}"
            run_env = dict(env)
            for key, value in (("WEB_WORKERS", workers), ("WEB_THREADS", threads)):
                if value:
                    run_env[key] = str(value)
            # Every configuration starts with no search answer cached (the pages the worker
            # rendered stay, as on a library long online).
            shutil.rmtree(Path(env["CACHE_DIR"]) / "search", ignore_errors=True)
            log = work / f"{name}-{workers or 'd'}x{threads or 'd'}-{seen[(workers, threads)]}.log"
            with Server(name, port, serve, run_env, log) as server:
                results[label] = (name, *measure(name, port, plan, args, {"web": server.process.pid, **pids}))
    return results


def wait_for_worker(name: str, port: int, limit_s: float = 900) -> None:
    """Until the target's task worker has run every queued job (the health endpoint's queue):
    a deployed library has rendered its pages into the cache long before the visitors come."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as answer:
            workers = json.load(answer)["checks"]["workers"]
        if workers.get("queue_length") == 0 and workers.get("running") == 0:
            print(
                f"{name}: task worker done with setup's jobs in {time.monotonic() - started:.0f} s",
                flush=True,
            )
            return
        time.sleep(2)
    raise SystemExit(f"{name}: the task worker did not empty its queue in {limit_s:.0f} s")


def measure(name: str, port: int, plan: dict, args, parts: dict[str, int]) -> tuple[Stats, float]:
    if name != "runserver":  # `make run`'s dev server has no worker (nor a shared cache)
        wait_for_worker(name, port)
    print(f"{name}: {args.visitors} visitors for {args.duration:.0f} s", flush=True)
    return asyncio.run(run_load(port, plan, args.visitors, args.duration, args.warmup, args.think, parts))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "setup":
        build_library(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(main())
