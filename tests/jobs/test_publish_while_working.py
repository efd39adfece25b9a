"""Editors publish while the worker transcribes: 20 admin saves (new sessions with a recording,
language changes, new themes, drafts) through the real admin views, a real worker process
writing to the same SQLite file all along (segments, leases, index jobs). None may fail, and
every publish must have queued its work (transcription and indexing)."""

import signal
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from jobs.models import Lease
from library.models import HomePage, Recording, SessionPage, ThemeIndexPage, ThemePage
from tests.factories import make_recording, make_session
from tests.jobs.processes import DB_TASKS, Worker, wait_for
from tests.shared_data import require_ffmpeg, require_model, require_shared_file
from transcripts.models import Transcript

pytestmark = [
    pytest.mark.slow,
    pytest.mark.worker_process,  # scripts/test.sh runs these on PostgreSQL as well
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TRANSCRIBE = "transcripts.tasks.transcribe_recording"
INDEX = "search.tasks.index_session_task"
ROUNDS = 5  # x 4 admin saves


def jobs(task_path, pk) -> int:
    return sum(
        1
        for a in DBTaskResult.objects.filter(task_path=task_path).values_list("args_kwargs", flat=True)
        if a["args"] == [pk]
    )


def session_form(title, slug, recording, language, publish=True):
    data = nested_form_data(
        {
            "title": title,
            "slug": slug,
            "date": "2026-03-01",
            "language": language,
            "speaker_links": inline_formset([]),
            "summary": "",
            "recording": recording.pk,
        }
    )
    return {**data, "action-publish": "action-publish"} if publish else data


def theme_form(title, slug, session, intro="", publish=True):
    data = nested_form_data(
        {
            "title": title,
            "slug": slug,
            "intro": rich_text(intro),
            "session_links": inline_formset([{"session": session.pk}]),
            "body": streamfield([]),
        }
    )
    return {**data, "action-publish": "action-publish"} if publish else data


@override_settings(TASKS=DB_TASKS)
def test_publishing_never_fails_while_the_worker_writes(shared_database, client, tmp_path):
    require_ffmpeg()
    require_model()
    jfk = require_shared_file("jfk.flac")
    home = HomePage.objects.get(slug="home")
    themes = ThemeIndexPage.under(home)
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw")
    client.force_login(user)
    # Uploads no session uses yet wait; each publish below gives one a session.
    recordings = [make_recording(jfk, title=f"Upload {i}") for i in range(ROUNDS)]
    assert not Transcript.objects.exists()
    # Something for the worker to be busy with from the start (60 s of speech).
    busy = make_session(title="Busy", recording=make_recording(require_shared_file("multilingual.mp3")))

    worker = Worker(shared_database, tmp_path / "worker.log", lease_seconds=3)  # a heartbeat a second
    try:
        wait_for(
            lambda: Transcript.objects.filter(recording=busy.recording, status="running").exists(),
            120,
            "the worker to start transcribing",
            worker,
        )
        saves = []  # seconds each admin save took

        def save(url, data, what):
            started = time.monotonic()
            response = client.post(url, data)
            saves.append(time.monotonic() - started)
            assert response.status_code == 302, (
                f"{what}: {response.status_code}\n{response.content.decode()[:2000]}"
            )

        add_session = reverse("wagtailadmin_pages:add", args=["library", "sessionpage", home.pk])
        add_theme = reverse("wagtailadmin_pages:add", args=["library", "themepage", themes.pk])
        for i, recording in enumerate(recordings):
            save(add_session, session_form(f"Talk {i}", f"talk-{i}", recording, "nl"), "new session")
            session = SessionPage.objects.get(slug=f"talk-{i}")
            assert Transcript.objects.get(recording=recording).requested_language == "nl"
            assert jobs(TRANSCRIBE, recording.pk) == 1 and jobs(INDEX, session.pk) >= 1

            index_jobs = jobs(INDEX, session.pk)
            edit_session = reverse("wagtailadmin_pages:edit", args=[session.pk])
            save(edit_session, session_form(f"Talk {i}", f"talk-{i}", recording, "en"), "language change")
            assert Transcript.objects.get(recording=recording).requested_language == "en"
            assert jobs(TRANSCRIBE, recording.pk) == 2 and jobs(INDEX, session.pk) > index_jobs

            index_jobs = jobs(INDEX, session.pk)
            save(add_theme, theme_form(f"Theme {i}", f"theme-{i}", session), "new theme")
            theme = ThemePage.objects.get(slug=f"theme-{i}")
            assert theme.live and jobs(INDEX, session.pk) > index_jobs

            revisions = theme.revisions.count()
            edit_theme = reverse("wagtailadmin_pages:edit", args=[theme.pk])
            save(
                edit_theme, theme_form(f"Theme {i}", f"theme-{i}", session, "Draft.", publish=False), "draft"
            )
            assert theme.revisions.count() == revisions + 1
        worker_was_busy = Lease.objects.exists()
        # Stop as `make run` does: SIGTERM lets the job finish; a second one hands it back.
        # (Python runs its handler once for signals that arrive together: wait until it ran.)
        worker.signal(signal.SIGTERM)
        wait_for(
            lambda: not worker.running or "shutting down gracefully" in worker.output(), 60, "the signal"
        )
        if worker.running:
            worker.signal(signal.SIGTERM)
        exit_code = worker.wait(timeout=120)  # 0: it was idle or finished its job; 1: handed it back
    finally:
        worker.stop()
    print(
        f"{len(saves)} admin saves, slowest {max(saves):.2f} s; "
        f"worker still busy at the end: {worker_was_busy}, exit code {exit_code}"
    )
    assert len(saves) == ROUNDS * 4
    log = worker.output()
    assert "Traceback" not in log and "database is locked" not in log, log[-3000:]
    # Nothing failed and nothing was lost: every transcription is done or waits in the queue.
    statuses = set(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses <= {"SUCCESSFUL", "READY"}, statuses
    assert not Lease.objects.exists()
    for recording in Recording.objects.filter(sessions__isnull=False):
        transcript = Transcript.objects.get(recording=recording)
        assert transcript.status in ("done", "queued"), (recording.title, transcript.status, transcript.error)
