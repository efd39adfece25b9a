"""A worker stopped twice hands its job back; a worker killed with `kill -9` mid-transcription
leaves it, and another worker takes the job up once its lease runs out and finishes it, with
no duplicate segments. All along the session keeps showing (and captioning) the previous
transcript.

Real processes, the real model, a real recording, a real SQLite file shared between them."""

import datetime
import signal
import time

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.models import Lease
from tests.factories import make_recording, make_session
from tests.jobs.processes import DB_TASKS, Worker, wait_for
from tests.shared_data import require_ffmpeg, require_model, require_shared_file
from transcripts.models import Segment, Transcript

pytestmark = [
    pytest.mark.slow,
    pytest.mark.worker_process,  # scripts/test.sh runs these on PostgreSQL as well
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LEASE_SECONDS = 6.0
PREVIOUS = ["Vorige tekst een.", "Vorige tekst twee."]


def previous_transcript(recording) -> Transcript:
    """What an earlier run left: a finished Dutch transcript (the session is now set to English)."""
    transcript = Transcript.objects.create(
        recording=recording,
        status=Transcript.Status.DONE,
        language="nl",
        requested_language="nl",
        source_file=recording.file_signature(),
        finished_at=timezone.now() - datetime.timedelta(hours=1),
    )
    transcript.replace_segments(
        [Segment(start=i * 2.0, end=i * 2.0 + 2, text=t) for i, t in enumerate(PREVIOUS)]
    )
    return transcript


def inside_whisper(worker, job):
    """Wait until ``worker`` runs ``job`` inside Whisper (faster-whisper logs this as it starts
    decoding) and has renewed the job's lease since."""
    wait_for(lambda: Lease.objects.filter(task=job).exists(), 120, "the worker to take the job", worker)
    wait_for(lambda: "Processing audio" in worker.output(), 120, "Whisper to start", worker)
    since = Lease.objects.get(task=job).renewed_at
    wait_for(
        lambda: Lease.objects.filter(task=job, renewed_at__gt=since).exists(), 60, "a lease renewal", worker
    )


def assert_previous_text_is_served(client, session):
    captions = client.get(f"/sessions/{session.pk}/captions.vtt")
    assert captions.status_code == 200
    assert PREVIOUS[0] in captions.content.decode()
    html = client.get(session.url).content.decode()
    # The transcript's lines, no status notice ("being prepared") in their place.
    assert PREVIOUS[1] in html and 'class="transcript-segments"' in html and 'class="notice"' not in html


@override_settings(TASKS=DB_TASKS)
def test_a_stopped_or_killed_worker_s_job_is_finished_by_another(shared_database, client, tmp_path):
    require_ffmpeg()
    require_model()
    # 60 s of speech: long enough that a worker is surely inside Whisper when stopped or killed.
    recording = make_recording(require_shared_file("multilingual.mp3"), title="Multilingual")
    previous_transcript(recording)
    session = make_session(title="Talk", slug="talk", language="en", recording=recording)
    transcript = Transcript.objects.get(recording=recording)
    assert transcript.status == Transcript.Status.QUEUED  # the session's language differs: re-run
    job = DBTaskResult.objects.get(task_path="transcripts.tasks.transcribe_recording")

    # A worker told to stop twice (as `make run` does when the job outlasts its grace) hands the
    # job back: queued again, nothing failed, the previous text untouched and still shown.
    stopped = Worker(shared_database, tmp_path / "stopped.log", LEASE_SECONDS)
    try:
        inside_whisper(stopped, job)
        stopped.signal(signal.SIGTERM)  # finish the job, then stop ...
        # (Python runs a handler once for signals that arrive together: wait until it ran.)
        wait_for(lambda: "shutting down gracefully" in stopped.output(), 60, "the first signal", stopped)
        stopped.signal(signal.SIGTERM)  # ... no: stop now
        assert stopped.wait(timeout=60) == 1
    finally:
        stopped.stop()
    job.refresh_from_db()
    transcript.refresh_from_db()
    assert (job.status, transcript.status) == ("READY", Transcript.Status.QUEUED)
    assert not Lease.objects.exists()
    assert_previous_text_is_served(client, session)

    # A worker killed outright: nothing is cleaned up, the job is left running with its lease.
    killed = Worker(shared_database, tmp_path / "killed.log", LEASE_SECONDS)
    try:
        inside_whisper(killed, job)
        assert_previous_text_is_served(client, session)
        killed.kill_group()
    finally:
        killed.stop()
    killed_at = time.monotonic()
    transcript.refresh_from_db()
    job.refresh_from_db()
    assert (transcript.status, job.status) == (Transcript.Status.RUNNING, "RUNNING"), "killed too late"
    assert list(transcript.segments.values_list("text", flat=True)) == PREVIOUS
    assert_previous_text_is_served(client, session)

    second = Worker(shared_database, tmp_path / "second.log", LEASE_SECONDS)
    try:
        wait_for(
            lambda: len(DBTaskResult.objects.get(pk=job.pk).worker_ids) == 3,
            LEASE_SECONDS * 2 + 30,  # the lease runs out, then the next upkeep (a quarter lease) reclaims
            "the second worker to take the job up",
            second,
        )
        taken_up_after = time.monotonic() - killed_at
        wait_for(
            lambda: Transcript.objects.filter(pk=transcript.pk, status=Transcript.Status.DONE).exists(),
            300,
            "the second worker to finish the transcript",
            second,
        )
        done_after = time.monotonic() - killed_at
        wait_for(
            lambda: (
                DBTaskResult.objects.filter(pk=job.pk, status="SUCCESSFUL").exists()
                and not Lease.objects.exists()
            ),
            60,
            "the job to be recorded as done and its lease released",
            second,
        )
        second.signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0  # idle: a stop signal ends it at once
    finally:
        second.stop()
    print(
        f"lease {LEASE_SECONDS} s: taken up {taken_up_after:.1f} s after the kill, "
        f"done after {done_after:.1f} s"
    )
    assert taken_up_after <= LEASE_SECONDS * 1.25 + 10  # lease + one upkeep interval + a slow start

    job.refresh_from_db()
    transcript.refresh_from_db()
    assert job.status == "SUCCESSFUL" and len(set(job.worker_ids)) == 3
    assert transcript.attempts == 3 and transcript.language == "en"
    assert not Lease.objects.exists()
    segments = list(transcript.segments.order_by("index"))
    assert len(segments) >= 3
    assert [s.index for s in segments] == list(range(len(segments)))  # one run's segments, once
    assert len({(s.start, s.text) for s in segments}) == len(segments)
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    assert not set(PREVIOUS) & {s.text for s in segments}
    text = transcript.text.lower()
    assert "permission" in text and "software" in text  # the English half of the recording
    captions = client.get(f"/sessions/{session.pk}/captions.vtt").content.decode()
    assert segments[0].text in captions and PREVIOUS[0] not in captions
