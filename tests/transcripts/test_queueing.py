"""Uploads, replaced files and language changes queue a transcription after commit, once."""

import pytest
from django.core.files.base import ContentFile
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone
from django_tasks import default_task_backend
from django_tasks.backends.dummy import DummyBackend

from library.models import Recording, SessionPage
from tests.factories import generate_tone, make_recording, make_session
from transcripts.models import Transcript
from transcripts.queueing import LOST_JOB_AFTER, queue_missed, queue_transcription
from transcripts.tasks import transcribe_recording

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


def test_an_upload_waits_until_a_session_uses_it(jobs, home, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        recording = make_recording(title="Upload")
    assert jobs == [] and not Transcript.objects.exists()  # no session: its language is not known
    with django_capture_on_commit_callbacks(execute=True):
        make_session(home, title="Talk", language="nl", recording=recording, live=False)
        assert jobs == []  # nothing before the commit
    assert queued_ids(jobs) == [recording.pk]  # a draft session is enough
    transcript = Transcript.objects.get(recording=recording)
    assert transcript.status == Transcript.Status.QUEUED
    assert transcript.queued_at is not None
    assert transcript.requested_language == "nl"  # the session's language, not detection
    assert transcript.source_file.startswith(recording.file.name)


def used_recording(home, django_capture_on_commit_callbacks, language="en"):
    """An upload a published session uses, its transcript done (in ``language``)."""
    with django_capture_on_commit_callbacks(execute=True):
        recording = make_recording(title="Upload")
        session = make_session(home, title="Talk", language=language, recording=recording)
    Transcript.objects.filter(recording=recording).update(status=Transcript.Status.DONE, language=language)
    return recording, session


def test_saving_an_unchanged_recording_does_not_queue_again(jobs, home, django_capture_on_commit_callbacks):
    recording, _ = used_recording(home, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        recording.title = "Renamed"
        recording.save()
        recording.save()
    assert queued_ids(jobs) == [recording.pk]


def test_replacing_the_file_queues_again(jobs, home, django_capture_on_commit_callbacks):
    recording, _ = used_recording(home, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        recording.file.save("replacement.wav", ContentFile(b"RIFF" + bytes(500)), save=True)
    assert queued_ids(jobs) == [recording.pk, recording.pk]
    assert Transcript.objects.get(recording=recording).status == Transcript.Status.QUEUED


def test_publishing_a_session_with_another_language_queues(jobs, home, django_capture_on_commit_callbacks):
    recording, session = used_recording(home, django_capture_on_commit_callbacks, language="en")
    assert len(jobs) == 1
    with django_capture_on_commit_callbacks(execute=True):
        session.save_revision().publish()  # republished unchanged: nothing to do
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


def test_detection_that_found_the_session_s_language_needs_no_new_run(
    jobs, home, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recording = make_recording(title="Talk")
        session = make_session(home, title="Talk", language="auto", recording=recording)
    Transcript.objects.filter(recording=recording).update(status=Transcript.Status.DONE, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        session.language = "en"  # the editor names the language detection already found
        session.save_revision().publish()
    assert queued_ids(jobs) == [recording.pk]


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


def test_rolled_back_upload_queues_nothing(jobs, home, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            make_session(home, title="Talk", recording=make_recording(title="Upload"))
            raise RuntimeError("upload form failed")
    assert jobs == []


def test_new_session_on_a_transcribed_recording_shows_its_facts_without_a_job(
    home, tmp_path, django_capture_on_commit_callbacks
):
    """The duration (and poster frame) live on the recording: nothing to copy, nothing queued."""
    recording = make_recording(generate_tone(tmp_path / "tone.wav", seconds=2.0), title="Tone")
    Recording.objects.filter(pk=recording.pk).update(duration=2.0)  # as its probe left it
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
    assert [
        job for job in default_task_backend.results if job.task.module_path.startswith("transcripts.")
    ] == []
    assert SessionPage.objects.get(pk=session.pk).duration == 2.0


class LockedBackend(DummyBackend):
    """The job table cannot be written after the commit (the database busy past its timeout).
    Jobs enqueued inside the editor's transaction (Wagtail's own) share its write lock: they pass."""

    def enqueue(self, task, args, kwargs):
        if task.func is transcribe_recording.func:
            raise OperationalError("database is locked")
        return super().enqueue(task, args, kwargs)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # later tests need the rows
def test_a_failed_enqueue_never_breaks_the_save_and_the_workers_queue_it_later(home, caplog):
    with override_settings(TASKS={"default": {"BACKEND": f"{__name__}.LockedBackend"}}):
        recording = make_recording(title="Upload")
        session = make_session(home, title="Talk", language="nl", recording=recording)  # real commits
    assert SessionPage.objects.get(pk=session.pk).live  # the editor's save stands
    assert "database is locked" in caplog.text  # ... and the failure is logged
    assert Transcript.objects.get(recording=recording).status == Transcript.Status.QUEUED
    default_task_backend.clear()

    assert queue_missed() == 0  # the on-commit enqueue may still be under way: not lost yet
    Transcript.objects.update(queued_at=timezone.now() - LOST_JOB_AFTER * 2)
    assert queue_missed() == 1
    assert [job.args for job in TranscriptionJobs()] == [[recording.pk]]


def test_a_recently_published_session_whose_queueing_never_happened_is_queued(
    jobs, home, django_capture_on_commit_callbacks
):
    recording = make_recording(title="Upload")
    make_session(home, title="Talk", language="en", recording=recording)  # its on-commit never ran
    assert not Transcript.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_missed() == 1
    assert queued_ids(jobs) == [recording.pk]
    assert Transcript.objects.get(recording=recording).requested_language == "en"
    assert queue_missed() == 0  # queued now: nothing missed any more
