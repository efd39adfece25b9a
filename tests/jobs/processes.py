"""Real worker processes against the test's own database.

A worker is another process, so it cannot see pytest-django's in-memory SQLite database.
`shared_database` copies that database (schema and the rows the migrations made) into a file
with SQLite's backup API, points this process's connection at the file for the test, and gives
the URL the workers open. On PostgreSQL the test database is already shared: its URL is given.
Tests using it need ``django_db(transaction=True, serialized_rollback=True)``: the worker only
sees what is committed, and the migrations' rows must be there to copy."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connections

from tests.shared_data import REPO

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _database_url(settings_dict) -> str:
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{settings_dict['NAME']}"


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    """The URL of a database this process and worker processes share, for the test's length."""
    original = connections["default"]
    if original.vendor != "sqlite":
        yield _database_url(original.settings_dict)
        return
    original.ensure_connection()
    path = tmp_path / "shared.sqlite3"
    target = sqlite3.connect(path)
    original.connection.backup(target)
    target.close()
    wrapper = original.__class__({**original.settings_dict, "NAME": str(path)}, alias="default")
    connections["default"] = wrapper
    try:
        yield f"sqlite:///{path}"
    finally:
        wrapper.close()
        connections["default"] = original


class Worker:
    """`manage.py db_worker` in its own process group (so a test can kill it with its children)."""

    def __init__(self, database_url: str, log: Path, lease_seconds: float):
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.e2e",  # dev-like, everything from the environment
            DATABASE_URL=database_url,
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
            SEARCH_ENGINE="embedded",
            SEARCH_EMBEDDED_PATH=str(settings.SEARCH_EMBEDDED_PATH),
            SHARED_DATA_DIR=str(settings.SHARED_DATA_DIR),
            TASKS_BACKEND="django_tasks_db.DatabaseBackend",
            JOBS_LEASE_SECONDS=str(lease_seconds),
            PYTHONUNBUFFERED="1",
        )
        self.log = log
        with log.open("a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.2"]
                + ["--no-startup-delay", "--verbosity", "2"],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def kill_group(self) -> None:
        """kill -9 of the worker and everything it started (ffmpeg): no cleanup of any kind."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def signal(self, signum=signal.SIGTERM) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.running:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def output(self) -> str:
        return self.log.read_text()


def wait_for(condition, timeout: float, what: str, worker: Worker | None = None, every: float = 0.2):
    """Poll ``condition()`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        if worker is not None and not worker.running:
            pytest.fail(
                f"the worker exited (rc={worker.process.returncode}) before {what}:\n"
                + worker.output()[-3000:]
            )
        time.sleep(every)
    tail = f"\nworker log:\n{worker.output()[-3000:]}" if worker else ""
    pytest.fail(f"timed out after {timeout} s waiting for {what}{tail}")
