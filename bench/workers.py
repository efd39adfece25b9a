"""Transcription throughput with 1 and with 2 `db_worker` processes sharing one PostgreSQL queue.

    .venv/bin/python bench/workers.py [--recordings 8] [--workers 1,2] [--seconds 10]

The batch is real speech: short clips (``--seconds`` each) cut with ffmpeg from the shared
recordings in ../shared/data (JFK, the two-speaker and multilingual samples, the four Dutch
talks), ``--recordings`` of them. They are stored as Recordings, so saving them queues their
transcription the way an upload does. For every worker count the transcripts and jobs are
cleared, every recording is queued again (``queueing.queue_transcription``, the path of
`manage.py transcribe`) and that many real `manage.py db_worker --batch` processes are started
at once; they share the queue through the database backend's row locking (SELECT ... FOR
UPDATE SKIP LOCKED) and exit when it is empty.

Printed per worker count: wall time (workers launched -> last one exited, model loading
included), jobs per minute, mean seconds per job, jobs per worker, and duplicates: a job
started twice according to the workers' own logs, or a transcript whose ``attempts`` is
above 1. Then the projection for N worker machines (see ``projection``).

PostgreSQL: ``DATABASE_URL`` when it names one; otherwise the bench starts a throwaway
server with scripts/postgres.sh (``POSTGRES_PORT``, default 55432) and stops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(REPO_ROOT)  # bench/ first would not find the apps
SHARED = Path(os.environ.get("SHARED_DATA_DIR") or REPO_ROOT.parent / "shared" / "data")

# (file in ../shared/data, where the clip starts in seconds): real speech, several languages.
CLIPS = (
    ("jfk.flac", 0),
    ("stereo_diarization.wav", 0),
    ("multilingual.mp3", 0),
    ("dutch-dev/dutch-dev-1.mp3", 60),
    ("dutch-dev/dutch-dev-2.mp3", 60),
    ("dutch-dev/dutch-dev-3.mp3", 60),
    ("dutch-dev/dutch-dev-4.mp3", 60),
    ("multilingual.mp3", 30),
    ("dutch-dev/dutch-dev-1.mp3", 200),
    ("dutch-dev/dutch-dev-2.mp3", 200),
)
STARTED = re.compile(r"Task id=(\S+) path=(\S+) state=RUNNING")
TRANSCRIBE_TASK = "transcripts.tasks.transcribe_recording"


@dataclass
class Run:
    workers: int
    jobs: int
    wall_s: float
    job_s: float  # mean seconds one transcription job ran
    per_worker: dict[str, int]
    duplicates: int
    failed: int

    @property
    def jobs_per_minute(self) -> float:
        return self.jobs / self.wall_s * 60


class Postgres:
    """The database the bench runs on: DATABASE_URL, or a throwaway server of its own."""

    def __init__(self):
        self.started = False
        self.url = os.environ.get("DATABASE_URL", "")

    def __enter__(self) -> str:
        if self.url.startswith(("postgres://", "postgresql://")):
            return self.url
        subprocess.run([str(REPO_ROOT / "scripts" / "postgres.sh"), "start"], check=True)
        self.started = True
        self.url = subprocess.run(
            [str(REPO_ROOT / "scripts" / "postgres.sh"), "url"], check=True, capture_output=True, text=True
        ).stdout.strip()
        return self.url

    def __exit__(self, *exc):
        if self.started:
            subprocess.run([str(REPO_ROOT / "scripts" / "postgres.sh"), "stop"], check=False)


def cut_clips(count: int, seconds: float, folder: Path) -> list[Path]:
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        raise SystemExit("ffmpeg is needed (make system-deps)")
    clips = []
    for n in range(count):
        name, start = CLIPS[n % len(CLIPS)]
        source = SHARED / name
        if not source.is_file():
            raise SystemExit(f"{source} not found: the bench needs the shared recordings")
        target = folder / f"clip-{n:02d}-{Path(name).stem}.wav"
        subprocess.run(
            [ffmpeg, "-v", "error", "-y", "-ss", str(start), "-t", str(seconds), "-i", str(source)]
            + ["-ac", "1", "-ar", "16000", str(target)],
            check=True,
        )
        clips.append(target)
    return clips


def worker_command(worker_id: str) -> list[str]:
    return [
        sys.executable,
        str(REPO_ROOT / "manage.py"),
        "db_worker",
        "--queue-name",
        "*",
        "--batch",
        "--no-startup-delay",
        "--no-reload",
        "--worker-id",
        worker_id,
    ]


def run_batch(workers: int, recording_ids: list[int], logs: Path) -> Run:
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from transcripts.models import Transcript
    from transcripts.queueing import queue_transcription

    DBTaskResult.objects.all().delete()
    Transcript.objects.all().delete()
    for recording_id in recording_ids:
        queue_transcription(recording_id)
    jobs = DBTaskResult.objects.filter(task_path=TRANSCRIBE_TASK)
    assert jobs.count() == len(recording_ids), "each recording is queued once"
    connection.close()  # the workers get the database to themselves

    names = [f"w{workers}-{n}" for n in range(1, workers + 1)]
    started = time.perf_counter()
    processes = {}
    for name in names:
        with (logs / f"{name}.log").open("w") as out:
            processes[name] = subprocess.Popen(
                worker_command(name), cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT
            )
    for process in processes.values():
        process.wait()
    wall = time.perf_counter() - started

    runs = Counter()
    per_worker = {}
    for name in names:
        started_jobs = [
            job for job, path in STARTED.findall((logs / f"{name}.log").read_text()) if "transcribe" in path
        ]
        per_worker[name] = len(started_jobs)
        runs.update(started_jobs)
    twice = sum(1 for count in runs.values() if count > 1)
    attempts_over_one = Transcript.objects.filter(attempts__gt=1).count()
    done = list(jobs.all())
    durations = [(job.finished_at - job.started_at).total_seconds() for job in done if job.finished_at]
    failed = sum(job.status != "SUCCESSFUL" for job in done) + sum(
        code != 0 for code in (p.returncode for p in processes.values())
    )
    return Run(
        workers=workers,
        jobs=len(done),
        wall_s=wall,
        job_s=statistics.mean(durations) if durations else float("nan"),
        per_worker=per_worker,
        duplicates=max(twice, attempts_over_one),
        failed=failed,
    )


def projection(runs: list[Run], audio_seconds: float, machines=(1, 2, 4, 8, 16)) -> list[str]:
    """Jobs per minute for N worker machines, from the measured one-worker rate.

    The model: transcription is CPU-bound (Whisper uses every core of its machine), so one
    worker per machine is the unit, and N machines sharing the queue do N times the work of
    one, as long as the shared parts keep up: PostgreSQL (a claim and a few status/segment
    writes per job, milliseconds against the job's seconds; SKIP LOCKED means workers never
    wait on each other's claims) and the shared media storage each worker reads from. Two
    workers on this one 2-core machine split the same cores, so their row shows that the
    queue is shared without duplicates and what contention costs, not scale-out."""
    one = next((run for run in runs if run.workers == 1), None)
    if one is None:
        return []
    lines = [f"{'worker machines':>16}{'jobs/min':>10}{'audio h/hour':>14}"]
    for n in machines:
        rate = n * one.jobs_per_minute
        lines.append(f"{n:>16}{rate:>10.1f}{rate * 60 * audio_seconds / 3600:>14.2f}")
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recordings", type=int, default=8, help="recordings in the batch (>= 8)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each clip")
    parser.add_argument("--workers", default="1,2", help="worker counts to compare")
    args = parser.parse_args(argv)
    if args.recordings < 8:
        parser.error("--recordings must be at least 8")
    counts = [int(n) for n in args.workers.split(",") if n.strip()]

    with Postgres() as url, tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        tmp = Path(tmp)
        os.environ.update(
            DJANGO_SETTINGS_MODULE="config.settings.base",
            DATABASE_URL=url,
            MEDIA_ROOT=str(tmp / "media"),
            SEARCH_EMBEDDED_PATH=str(tmp / "search.sqlite3"),
            TASKS_BACKEND="django_tasks_db.DatabaseBackend",
            LOG_LEVEL="INFO",
        )
        import django

        django.setup()
        from django.core.management import call_command

        from library.models import Recording

        print(f"database {url}; migrating ...", flush=True)
        call_command("migrate", verbosity=0)
        clips = cut_clips(args.recordings, args.seconds, tmp)
        recording_ids = [Recording.store(clip, clip.stem, "audio").pk for clip in clips]
        print(
            f"{len(clips)} recordings of {args.seconds:.0f} s real speech; cores: {os.cpu_count()}",
            flush=True,
        )

        runs = []
        for workers in counts:
            print(f"{workers} worker(s) ...", flush=True)
            runs.append(run_batch(workers, recording_ids, tmp))
            run = runs[-1]
            print(f"  {run.jobs} jobs in {run.wall_s:.1f} s, per worker {run.per_worker}", flush=True)

    print()
    print(
        f"{'workers':>8}{'jobs':>6}{'wall s':>9}{'jobs/min':>10}{'s/job':>8}"
        f"{'duplicates':>12}{'failed':>8}  jobs per worker"
    )
    for run in runs:
        print(
            f"{run.workers:>8}{run.jobs:>6}{run.wall_s:>9.1f}{run.jobs_per_minute:>10.1f}{run.job_s:>8.1f}"
            f"{run.duplicates:>12}{run.failed:>8}  {', '.join(map(str, run.per_worker.values()))}"
        )
    one = next((run for run in runs if run.workers == 1), None)
    for run in runs:
        if one and run is not one:
            print(
                f"{run.workers} workers on one machine: "
                f"{run.jobs_per_minute / one.jobs_per_minute:.2f}x the jobs/min of one"
            )
    print()
    print(f"Projection, one worker per {os.cpu_count()}-core machine, sharing one PostgreSQL queue:")
    print("\n".join(projection(runs, args.seconds)))
    print((projection.__doc__ or "").split("\n\n", 1)[1].replace("    ", "  "))


if __name__ == "__main__":
    main()
