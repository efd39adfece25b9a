"""Uploads, replaced files and language changes queue a transcription after commit, once."""

import pytest
from django.core.files.base import ContentFile
from django_tasks import default_task_backend

from tests.factories import generate_tone, make_recording, make_session
from transcripts.models import Transcript
from transcripts.queueing import queue_transcription
from transcripts.tasks import probe_recording, transcribe_recording

pytestmark = pytest.mark.django_db


class TranscriptionJobs:
    """The transcription jobs the DummyBackend recorded (Wagtail queues its own index jobs there too)."""

    def __iter__(self):
        results = default_task_backend.results
        return iter([job for job in results if job.task.func is transcribe_recording.func])

    def __len__(self):
        return len(list(iter(self)))

    def __getitem__(self, index):
        return list(iter(self))[index]

    def __eq__(self, other):
        return list(iter(self)) == other


@pytest.fixture(autouse=True)
def jobs():
    default_task_backend.clear()
    yield TranscriptionJobs()
    default_task_backend.clear()


def queued_ids(jobs):
    return [job.args[0] for job in jobs]


def test_new_recording_is_queued_on_commit(jobs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        recording = make_recording(title="Upload")
        assert jobs == [] and not Transcript.objects.exists()  # nothing before the commit
    assert queued_ids(jobs) == [recording.pk]
    transcript = Transcript.objects.get(recording=recording)
    assert transcript.status == Transcript.Status.QUEUED
    assert transcript.queued_at is not None
    assert transcript.requested_language == "auto"  # no session uses it yet
    assert transcript.source_file.startswith(recording.file.name)


def test_saving_an_unchanged_recording_does_not_queue_again(jobs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        recording = make_recording(title="Upload")
    with django_capture_on_commit_callbacks(execute=True):
        recording.title = "Renamed"
        recording.save()
        recording.save()
    assert queued_ids(jobs) == [recording.pk]


def test_replacing_the_file_queues_again(jobs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        recording = make_recording(title="Upload")
    Transcript.objects.filter(recording=recording).update(status=Transcript.Status.DONE, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        recording.file.save("replacement.wav", ContentFile(b"RIFF" + bytes(500)), save=True)
    assert queued_ids(jobs) == [recording.pk, recording.pk]
    assert Transcript.objects.get(recording=recording).status == Transcript.Status.QUEUED


def test_publishing_a_session_with_another_language_queues(jobs, home, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        recording = make_recording(title="Talk")
    Transcript.objects.filter(recording=recording).update(status=Transcript.Status.DONE, language="en")
    # Detection found English; a session that says English needs no new run.
    with django_capture_on_commit_callbacks(execute=True):
        session = make_session(home, title="Talk", language="en", recording=recording)
    assert len(jobs) == 1
    # The editor says it is Dutch: transcribe again in Dutch, once.
    with django_capture_on_commit_callbacks(execute=True):
        session.language = "nl"
        session.save_revision().publish()
    assert queued_ids(jobs) == [recording.pk, recording.pk]
    assert Transcript.objects.get(recording=recording).requested_language == "nl"
    with django_capture_on_commit_callbacks(execute=True):
        session.save_revision().publish()  # republished unchanged
    assert len(jobs) == 2


def test_corrected_transcript_needs_force(jobs, home, django_capture_on_commit_callbacks):
    recording = make_recording(title="Talk")
    session = make_session(home, title="Talk", language="nl", recording=recording)
    Transcript.objects.update_or_create(
        recording=recording,
        defaults=dict(
            status=Transcript.Status.DONE,
            language="nl",
            requested_language="nl",
            provenance=Transcript.Provenance.CORRECTED,
            source_file=f"{recording.file.name}:{recording.file.size}",
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        session.language = "en"
        session.save_revision().publish()  # automatic: corrections are kept
        assert queue_transcription(recording.pk) is False  # explicit without force: refused
    assert jobs == []
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_transcription(recording.pk, force=True) is True
    assert queued_ids(jobs) == [recording.pk]
    assert jobs[0].kwargs == {"force": True}


def test_rolled_back_upload_queues_nothing(jobs, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            make_recording(title="Upload")
            raise RuntimeError("upload form failed")
    assert jobs == []


def test_new_session_on_a_transcribed_recording_gets_its_duration(
    home, tmp_path, django_capture_on_commit_callbacks
):
    recording = make_recording(generate_tone(tmp_path / "tone.wav", seconds=2.0), title="Tone")
    Transcript.objects.update_or_create(
        recording=recording,
        defaults=dict(
            status=Transcript.Status.NO_SPEECH,
            requested_language="en",
            source_file=f"{recording.file.name}:{recording.file.size}",
        ),
    )
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        session = make_session(home, title="Tone", language="en", recording=recording)
    probes = [job for job in default_task_backend.results if job.task.func is probe_recording.func]
    assert [job.args for job in probes] == [[recording.pk]]
    assert probe_recording.call(recording.pk) == {"recording_id": recording.pk, "probed": True}
    session.refresh_from_db()
    assert session.duration == pytest.approx(2.0, abs=0.05)
