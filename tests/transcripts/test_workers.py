"""Several `manage.py db_worker` processes on one PostgreSQL queue: every job runs exactly once.

Two real worker processes poll the real job table (django-tasks' database backend claims a
row with SELECT ... FOR UPDATE SKIP LOCKED); the jobs probe a real file and store its facts on
the recording (the first step of a transcription run), cheap enough to run dozens. Each
worker's own log says which jobs it started, so a job run twice would show up there even if
the job row were overwritten."""

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from library import media
from library.models import Recording
from tests.factories import generate_tone, make_recording
from tests.shared_data import REPO, require_ffmpeg
from transcripts.pipeline import local_file
from transcripts.recording_facts import apply_media_info

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
JOBS = 24
WORKERS = ("worker-1", "worker-2")
STARTED = re.compile(r"Task id=(\S+) path=\S+ state=RUNNING")


@task()
def probe_recording(recording_id: int) -> dict:
    """A real job the workers import from this module: ffprobe the file, store what it says."""
    recording = Recording.objects.get(pk=recording_id)
    with local_file(recording) as path:
        apply_media_info(recording, path, media.probe(path))
    return {"recording_id": recording_id, "probed": True}


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_worker(worker_id: str, log: Path) -> subprocess.Popen:
    """A real worker process, as `manage.py db_worker` runs in production, on the test database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SEARCH_EMBEDDED_PATH": str(settings.SEARCH_EMBEDDED_PATH),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "LOG_LEVEL": "INFO",
    }
    command = [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.1"]
    command += ["--no-startup-delay", "--no-reload", "--worker-id", worker_id]
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_two_workers_share_one_queue_and_run_each_job_once(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (scripts/test.sh runs it on a throwaway server; or set DATABASE_URL)")
    require_ffmpeg()
    # Each recording its own length, so each job's effect can be told apart.
    recordings = [
        make_recording(generate_tone(tmp_path / f"tone-{n}.wav", seconds=1 + n / 10), title=f"Tone {n}")
        for n in range(JOBS)
    ]
    logs = {worker: tmp_path / f"{worker}.log" for worker in WORKERS}
    workers = {worker: start_worker(worker, log) for worker, log in logs.items()}
    try:
        # Both poll the empty queue before any job exists, so both compete for every job.
        wait_for(
            lambda: (
                all(f"worker_id={w}" in logs[w].read_text() for w in WORKERS)
                or any(p.poll() is not None for p in workers.values())
            ),
            timeout=90,
            what="both workers to start",
        )
        exited = {w: p.returncode for w, p in workers.items() if p.poll() is not None}
        assert not exited, f"worker exited at start: {exited}\n" + "\n".join(
            log.read_text() for log in logs.values()
        )
        with override_settings(TASKS=DB_TASKS), transaction.atomic():
            ids = {str(probe_recording.enqueue(recording.pk).id) for recording in recordings}
        jobs = DBTaskResult.objects.filter(id__in=ids)
        wait_for(lambda: jobs.finished().count() == JOBS, timeout=120, what=f"{JOBS} jobs to finish")
    finally:
        for process in workers.values():
            stop(process)

    started = {worker: STARTED.findall(log.read_text()) for worker, log in logs.items()}
    runs = Counter(job for jobs_of_worker in started.values() for job in jobs_of_worker)
    assert set(runs) == ids
    assert [job for job, count in runs.items() if count > 1] == [], "a job ran more than once"
    taken = {worker: len(jobs_of_worker) for worker, jobs_of_worker in started.items()}
    assert all(taken.values()), f"both workers took jobs: {taken}"
    for job in jobs.all():
        assert job.status == "SUCCESSFUL", job.traceback
        assert job.return_value["probed"] is True
        assert len(job.worker_ids) == 1 and job.worker_ids[0] in WORKERS
    for n, recording in enumerate(recordings):
        assert Recording.objects.get(pk=recording.pk).duration == pytest.approx(1 + n / 10, abs=0.05)
