"""Upload → queued on commit → the real database worker runs Whisper → captions and page.

Runs with the django-tasks database backend (not the test DummyBackend) and real commits,
so the on-commit handlers, the job table and `manage.py db_worker` are all the real ones."""

import re

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from tests.factories import make_recording, make_session
from tests.shared_data import require_shared_file
from tests.transcripts.helpers import parse_webvtt, word_error_rate
from transcripts.models import Transcript

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@override_settings(TASKS=DB_TASKS)
def test_upload_to_captions_through_the_worker(client):
    jfk = require_shared_file("jfk.flac")
    recording = make_recording(jfk, title="JFK inaugural address")
    session = make_session(title="Ask not", slug="ask-not", language="en", recording=recording)

    transcript = Transcript.objects.get(recording=recording)
    assert transcript.status == Transcript.Status.QUEUED
    jobs = DBTaskResult.objects.filter(task_path="transcripts.tasks.transcribe_recording")
    assert jobs.count() >= 1 and {job.args_kwargs["args"][0] for job in jobs} == {recording.pk}

    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)

    transcript.refresh_from_db()
    assert transcript.status == Transcript.Status.DONE, transcript.error
    assert transcript.attempts == 1  # a second job for the same file found the work done
    assert {job.status for job in jobs.all()} == {"SUCCESSFUL"}  # fresh query
    assert word_error_rate(jfk.with_suffix(".txt").read_text(), transcript.text) <= 0.05

    vtt = client.get(f"/sessions/{session.pk}/captions.vtt")
    assert vtt.status_code == 200 and vtt["Content-Type"] == "text/vtt; charset=utf-8"
    cues = parse_webvtt(vtt.content.decode())
    assert len(cues) == transcript.segments.count() >= 1
    starts = [start for start, _, _ in cues]
    assert starts == sorted(starts)
    assert cues[-1][1] <= transcript.audio_seconds + 0.01
    assert "country" in " ".join(text for _, _, text in cues).lower()

    html = client.get(session.url).content.decode()
    assert 'srclang="en"' in html
    rendered = re.findall(r'<span class="transcript-text">(.*?)</span>', html)
    assert rendered == [s.text for s in transcript.segments.all()]
