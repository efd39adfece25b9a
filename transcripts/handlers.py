"""Signal receivers: they only schedule work after the transaction commits (the decision and
the queueing happen then, in transcripts.queueing), so a rolled-back upload queues nothing.

Every callback is registered ``robust``: it runs after the editor's change has committed, and a
failure to queue (the database busy beyond its timeout) is logged instead of turning their
successful save into an error page; `queueing.queue_missed` picks it up later."""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django_tasks.base import TaskResultStatus
from django_tasks.signals import task_finished
from wagtail.signals import page_published

from library.access import visible_sessions
from library.models import Recording, SessionPage
from library.tasks import schedule_warming

from .models import Transcript
from .pipeline import record_lost_job
from .queueing import queue_if_needed
from .signals import transcript_changed
from .tasks import transcribe_recording


def recording_saved(sender, instance, raw=False, **kwargs):
    """New upload or replaced file (checked against the transcript's file signature). An upload
    that no session uses yet waits: the session's language decides how it is transcribed."""
    if raw or not instance.file:
        return
    transaction.on_commit(partial(queue_if_needed, instance.pk), robust=True)


def session_saved(sender, instance, created=False, raw=False, **kwargs):
    """A new session (even a draft) that uses a recording: transcribe it in its language."""
    if created and not raw and instance.recording_id:
        transaction.on_commit(partial(queue_if_needed, instance.recording_id), robust=True)


def session_published(sender, instance, **kwargs):
    """A published session whose language (or recording) changed."""
    if instance.recording_id:
        transaction.on_commit(partial(queue_if_needed, instance.recording_id), robust=True)


def transcript_deleted(sender, instance, **kwargs):
    announce = partial(transcript_changed.send, sender=Transcript, transcript=instance)
    transaction.on_commit(partial(announce, recording_id=instance.recording_id), robust=True)


def transcript_changed_warm(sender, transcript=None, recording_id=None, **kwargs):
    """Its visible sessions' pages show other lines now: render them in the worker before a
    visitor does (a draft's or a private session's page is never rendered: no job for it)."""
    recording_id = recording_id or getattr(transcript, "recording_id", None)
    if recording_id:
        schedule_warming(visible_sessions().filter(recording_id=recording_id).values_list("pk", flat=True))


def transcription_job_finished(sender, task_result, **kwargs):
    """A transcription job that failed outside the pipeline (its workers kept dying, or it
    raised before it started): say so on the transcript, which still reads queued/running."""
    if (
        task_result.task.func is not transcribe_recording.func
        or task_result.status != TaskResultStatus.FAILED
    ):
        return
    error = task_result.errors[-1].exception_class_path if task_result.errors else ""
    record_lost_job(task_result.args[0], error)


def connect() -> None:
    post_save.connect(recording_saved, sender=Recording, dispatch_uid="transcripts.recording_saved")
    post_save.connect(session_saved, sender=SessionPage, dispatch_uid="transcripts.session_saved")
    page_published.connect(
        session_published, sender=SessionPage, dispatch_uid="transcripts.session_published"
    )
    post_delete.connect(transcript_deleted, sender=Transcript, dispatch_uid="transcripts.transcript_deleted")
    transcript_changed.connect(
        transcript_changed_warm, sender=Transcript, dispatch_uid="transcripts.transcript_changed_warm"
    )
    task_finished.connect(transcription_job_finished, dispatch_uid="transcripts.job_finished")
