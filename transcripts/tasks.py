"""Background jobs of the transcripts app (django-tasks; `manage.py db_worker` runs them)."""

from django_tasks import task

from .models import Transcript
from .pipeline import run_transcription


def already_done_since(recording_id: int, enqueued_at) -> bool:
    """The work of a job enqueued at ``enqueued_at`` was finished after it was queued (e.g. by
    `manage.py transcribe --now`, or a duplicate job), so running it again would only repeat it."""
    transcript = Transcript.objects.filter(recording_id=recording_id).first()
    return bool(
        transcript
        and enqueued_at
        and transcript.status in (Transcript.Status.DONE, Transcript.Status.NO_SPEECH)
        and transcript.finished_at
        and transcript.finished_at >= enqueued_at
    )


@task(takes_context=True)
def transcribe_recording(context, recording_id: int, force: bool = False) -> dict:
    """Transcribe one recording. Takes a primary key, re-fetches, and is safe to run twice.

    Never raises for a bad recording: the outcome (and any reason) is on the Transcript row."""
    if already_done_since(recording_id, context.task_result.enqueued_at):
        return {"recording_id": recording_id, "status": "skipped", "reason": "transcribed since queued"}
    transcript = run_transcription(recording_id, force=force)
    if transcript is None:
        return {"recording_id": recording_id, "status": "missing"}
    return {"recording_id": recording_id, "status": transcript.status, "error": transcript.error}
