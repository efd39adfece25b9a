"""End-to-end fixtures: a real server with the transcribed demo festival, and a real
Chromium driven by Playwright.

The server is built once per test session (migrate, load_demo, transcribe with the real
Whisper model, rebuild the search index) in a temp dir, then served by `runserver` in a
subprocess. These tests never touch pytest-django's test database: they only talk HTTP.

Set E2E_SITE_DIR to a folder to keep the prepared site between runs (it is reused
when it holds a finished build), which saves the transcription time while iterating."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from .support import ARTIFACTS, REPO, chromium_path, skip_or_fail

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Media must be able to play without a user gesture in a headless browser.
    "--autoplay-policy=no-user-gesture-required",
]
SETUP_TIMEOUT_S = 1800  # transcribing the demo with the real model on a small shared CPU
BUILT_MARKER = "e2e-site-ready"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveSite:
    url: str
    root: Path
    log: Path


def _site_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.e2e",
        DATABASE_URL=f"sqlite:///{root / 'db.sqlite3'}",
        MEDIA_ROOT=str(root / "media"),
        SEARCH_ENGINE="embedded",
        SEARCH_EMBEDDED_PATH=str(root / "search-index.sqlite3"),
        SHARED_DATA_DIR=str(settings.SHARED_DATA_DIR),
        TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(root: Path, log: Path, *args: str, timeout: float = SETUP_TIMEOUT_S) -> str:
    command = [sys.executable, "manage.py", *args]
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=REPO, env=_site_env(root), capture_output=True, text=True, timeout=timeout
    )
    with log.open("a") as handle:
        handle.write(f"$ {' '.join(args)}  ({time.monotonic() - started:.1f} s, rc={result.returncode})\n")
        handle.write(result.stdout + result.stderr + "\n")
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed (rc={result.returncode}); see {log}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def _commands(root: Path, log: Path) -> set[str]:
    out = _manage(root, log, "help", "--commands")
    return {line.strip() for line in out.splitlines() if line.strip()}


def _build_site(root: Path, log: Path):
    """The demo festival, transcribed by the real model and indexed."""
    _manage(root, log, "migrate", "--noinput")
    _manage(root, log, "load_demo")
    commands = _commands(root, log)
    if "transcribe" in commands:
        _manage(root, log, "transcribe", "--all", "--now")
    # Whatever load_demo and the transcripts enqueued (transcription, indexing): run it all.
    _manage(root, log, "db_worker", "--batch", "--no-startup-delay")
    if "search_index" in commands:
        _manage(root, log, "search_index", "--rebuild")
    # Journeys on a half-transcribed demo would fail far from the cause: say it here.
    report = _manage(root, log, "shell", "--no-imports", "-c", TRANSCRIPT_REPORT).strip()
    unfinished = [line for line in report.splitlines() if not line.startswith(("done ", "no_speech "))]
    if not report or unfinished:
        raise RuntimeError(f"the demo is not fully transcribed: {unfinished or 'no transcripts'}; see {log}")
    (root / BUILT_MARKER).write_text("ok\n")


TRANSCRIPT_REPORT = """
from transcripts.models import Transcript
for t in Transcript.objects.select_related("recording"):
    print(t.status, t.recording.title, t.error[:200].replace(chr(10), " "))
"""


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the live server exited (rc={process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the live server did not answer {url} within {timeout} s; see {log}")


@pytest.fixture(scope="session")
def live_site(tmp_path_factory) -> LiveSite:
    kept = os.environ.get("E2E_SITE_DIR")
    root = Path(kept) if kept else tmp_path_factory.mktemp("e2e-site")
    root.mkdir(parents=True, exist_ok=True)
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "e2e-server.log"
    log.write_text("")
    if not (root / BUILT_MARKER).exists():
        _build_site(root, log)
    elif "search_index" in _commands(root, log):
        # A kept site: bring its schema and search index up to the code under test (cheap).
        _manage(root, log, "migrate", "--noinput")
        _manage(root, log, "search_index", "--rebuild")

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("a") as server_log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=REPO,
            env=_site_env(root),
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(url + "/", process, log)
        yield LiveSite(url=url, root=root, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        skip_or_fail("Chromium is not installed (scripts/install-system-deps.sh test installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        # launch() gives every run a fresh, throwaway user-data-dir of its own.
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, live_site):
    context = browser.new_context(base_url=live_site.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.js_errors = errors
    try:
        yield tab
    finally:
        context.close()


LONG_SESSION_SLUG = "oefensessie-lang"
LONG_SESSION_SCRIPT = """
import json
from pathlib import Path
from django.db import transaction
from library.models import HomePage, Recording, SessionPage
from transcripts.models import Segment, Transcript

folder = Path({folder!r})
home = HomePage.of_default_site()
page = SessionPage.objects.filter(slug={slug!r}).first()
lines = json.loads((folder / "dutch-dev-1.json").read_text())
if page is None:
    with transaction.atomic():
        recording = Recording.store(folder / "dutch-dev-1.mp3", "Oefensessie (lang)", "audio",
                                    duration=lines[-1]["end"])
        page = SessionPage(title="Oefensessie: een lang gesprek", slug={slug!r}, language="nl",
                           recording=recording)
        home.add_child(instance=page)
        page.save_revision().publish()
page = SessionPage.objects.get(slug={slug!r})
with transaction.atomic():
    transcript, _ = Transcript.objects.update_or_create(
        recording_id=page.recording_id,
        defaults={{"status": Transcript.Status.DONE, "language": "nl", "model_name": "reference"}})
    transcript.replace_segments([Segment(start=l["start"], end=l["end"], text=l["text"]) for l in lines])
print(page.url_path, transcript.segments.count())
"""


@pytest.fixture(scope="session")
def long_session(live_site) -> str:
    """A session of 8 minutes of real Dutch speech (../shared/data/dutch-dev/dutch-dev-1.mp3)
    whose transcript is its 104 timed reference lines: long enough to scroll. The reference
    rather than Whisper's lines, so the journeys know every word on the page (and need no
    model run). Returns the page's path."""
    from tests.shared_data import require_shared_file

    folder = require_shared_file("dutch-dev/dutch-dev-1.mp3").parent
    script = LONG_SESSION_SCRIPT.format(folder=str(folder), slug=LONG_SESSION_SLUG)
    out = _manage(live_site.root, live_site.log, "shell", "--no-imports", "-c", script).strip().splitlines()
    assert out and out[-1].endswith(" 104"), out
    return f"/{LONG_SESSION_SLUG}/"
