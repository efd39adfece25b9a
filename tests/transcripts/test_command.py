"""manage.py transcribe: queue for the worker, or run here with --now."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks import default_task_backend

from tests.factories import make_recording, make_session
from tests.shared_data import require_shared_file
from transcripts.models import Transcript
from transcripts.tasks import transcribe_recording

pytestmark = pytest.mark.django_db


def transcription_jobs():
    return [job.args[0] for job in default_task_backend.results if job.task.func is transcribe_recording.func]


def test_failed_also_picks_up_transcripts_a_dead_worker_left_running(
    home, django_capture_on_commit_callbacks
):
    stalled, busy = make_recording(title="Stalled"), make_recording(title="Busy")
    long_ago = timezone.now() - timedelta(hours=3)
    Transcript.objects.create(recording=stalled, status=Transcript.Status.RUNNING, started_at=long_ago)
    Transcript.objects.create(recording=busy, status=Transcript.Status.RUNNING, started_at=timezone.now())
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("transcribe", "--failed")
    assert transcription_jobs() == [stalled.pk]
    assert Transcript.objects.get(recording=stalled).status == Transcript.Status.QUEUED
    assert Transcript.objects.get(recording=busy).status == Transcript.Status.RUNNING


def test_queue_one_session_all_or_failed(home, capsys, django_capture_on_commit_callbacks):
    first = make_session(home, title="One", recording=make_recording(title="One"))
    second = make_recording(title="Two")
    Transcript.objects.create(recording=second, status=Transcript.Status.FAILED, error="Broken.")
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("transcribe", "--session", str(first.pk))
    assert transcription_jobs() == [first.recording_id]
    assert Transcript.objects.get(recording_id=first.recording_id).status == Transcript.Status.QUEUED

    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("transcribe", "--failed")
    assert transcription_jobs() == [second.pk]

    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("transcribe", "--all")
    assert sorted(transcription_jobs()) == sorted([first.recording_id, second.pk])
    assert "Queued 2 recording(s)" in capsys.readouterr().out


def test_corrected_transcripts_are_skipped_unless_forced(home, capsys, django_capture_on_commit_callbacks):
    recording = make_recording(title="Fixed")
    Transcript.objects.create(
        recording=recording, status=Transcript.Status.DONE, provenance=Transcript.Provenance.CORRECTED
    )
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("transcribe", "--all")
    assert transcription_jobs() == []
    assert "Skipping 1 corrected" in capsys.readouterr().out
    with django_capture_on_commit_callbacks(execute=True):
        call_command("transcribe", "--all", "--force")
    assert transcription_jobs() == [recording.pk]


def test_bad_arguments_are_explained(home):
    with pytest.raises(CommandError, match="no session page with id 424242"):
        call_command("transcribe", "--session", "424242")
    empty = make_session(home, title="Empty")
    with pytest.raises(CommandError, match="has no recording"):
        call_command("transcribe", "--session", str(empty.pk))
    with pytest.raises(CommandError):
        call_command("transcribe")  # one of --all, --session, --failed is required


@pytest.mark.slow
def test_now_transcribes_in_process(home, capsys, tmp_path):
    good = make_recording(require_shared_file("jfk.flac"), title="JFK")
    bad = make_recording(title="Empty", content=b"")
    call_command("transcribe", "--all", "--now")
    out, err = capsys.readouterr()
    assert Transcript.objects.get(recording=good).status == Transcript.Status.DONE
    assert Transcript.objects.get(recording=bad).status == Transcript.Status.FAILED
    assert "Transcribed 2 recording(s): 1 done, 1 failed." in out
    assert "0 bytes" in err  # the failure reason is printed beside the progress bar
    assert "2/2" in err  # tqdm's progress bar
