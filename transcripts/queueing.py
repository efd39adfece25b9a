"""Deciding when a recording needs (re)transcription, and queueing it.

Two ways in:

* automatic (`queue_if_needed`, from the signal handlers after commit): only for a recording a
  session uses (an upload no session uses yet waits: its language is not known), and only
  when there is no transcript yet, the file was replaced, or the session's language changed so
  that the transcript would come out differently. Saving a recording or republishing a page
  with nothing changed never queues twice.
* upkeep (`queue_missed`, run by the workers every few minutes): what the automatic path
  should have queued but could not (the database was unavailable right after an editor's save).

Queueing runs after the editor's change has committed and never raises into their request:
a failure is logged, and `queue_missed` queues it later.
* explicit (`queue_transcription`, from the admin retry button and `manage.py transcribe`):
  always queues, except that a transcript an editor corrected is only redone with
  ``force=True``.

Corrections policy: a re-run of the *same file* never replaces an editor's corrections unless
the editor (or an admin with ``--force``) asks for it. A *replaced file* is transcribed again:
the corrected text and its timings belonged to the old recording and would not match the new one.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from library.models import Recording, SessionPage

from .models import Transcript
from .tasks import transcribe_recording

logger = logging.getLogger(__name__)

AUTO = "auto"


def reason_to_transcribe(recording: Recording, transcript: Transcript | None) -> str:
    """Why an automatic run is needed, or '' when the transcript is (or will be) up to date."""
    if transcript is None:
        return "new recording"
    if transcript.source_file != recording.file_signature():
        return "file replaced"
    wanted = recording.session_language()
    if wanted == transcript.requested_language:
        return ""
    if wanted != AUTO and transcript.status == Transcript.Status.DONE and transcript.language == wanted:
        return ""  # detection already found the language the session now names
    return "language changed"


def queue_if_needed(recording_id: int) -> bool:
    """Automatic path (handlers, after commit). Returns True when a run was queued."""
    recording = Recording.objects.filter(pk=recording_id).first()
    if recording is None:
        return False
    if not recording.sessions.exists():
        logger.info("Recording %s is not used by a session yet; transcribed once one uses it", recording_id)
        return False
    transcript = Transcript.objects.filter(recording=recording).first()
    reason = reason_to_transcribe(recording, transcript)
    if not reason:
        return False
    if transcript is not None and transcript.is_corrected:
        if reason != "file replaced":
            logger.info(
                "Recording %s: %s, but its transcript was corrected by an editor; not redone "
                "automatically (retry with force in the admin to redo it).",
                recording_id,
                reason,
            )
            return False
        # The corrections belonged to the old file; the new file gets a machine transcript.
        Transcript.objects.filter(pk=transcript.pk).update(provenance=Transcript.Provenance.MACHINE)
    logger.info("Queueing transcription of recording %s (%s)", recording_id, reason)
    return queue_transcription(recording_id)


def queue_transcription(recording_id: int, *, force: bool = False) -> bool:
    """Mark the transcript queued and enqueue the task once the transaction commits.

    Returns False (and queues nothing) for a missing recording, or for a corrected
    transcript without ``force``."""
    recording = Recording.objects.filter(pk=recording_id).first()
    if recording is None:
        return False
    with transaction.atomic():
        transcript, _ = Transcript.objects.select_for_update().get_or_create(recording=recording)
        if transcript.is_corrected and not force:
            return False
        transcript.status = Transcript.Status.QUEUED
        transcript.queued_at = timezone.now()
        transcript.error = ""
        transcript.source_file = recording.file_signature()
        transcript.requested_language = recording.session_language()
        transcript.save()
        # robust: the transcript row already says "queued"; queue_missed enqueues it if this fails.
        transaction.on_commit(lambda: transcribe_recording.enqueue(recording_id, force=force), robust=True)
    return True


#: A transcript queued this long ago without a job waiting for it lost its job.
LOST_JOB_AFTER = timedelta(minutes=2)
#: Sessions published this recently are checked for a transcription that was never queued.
RECENTLY_PUBLISHED = timedelta(days=2)


def queue_missed() -> int:
    """Queue what the automatic path missed; returns how many recordings were queued.

    * transcripts marked queued whose job never made it into the job table;
    * recordings of sessions published lately whose queueing failed before it wrote anything
      (no transcript, or one asked for another language than the session's now)."""
    waiting = DBTaskResult.objects.filter(
        task_path=transcribe_recording.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).values_list("args_kwargs", flat=True)
    has_job = {args["args"][0] for args in waiting if args.get("args")}
    queued = 0
    lost = Transcript.objects.filter(
        status=Transcript.Status.QUEUED, queued_at__lt=timezone.now() - LOST_JOB_AFTER
    ).exclude(recording_id__in=has_job)
    for transcript in lost:
        logger.warning(
            "Recording %s was queued but its job is missing; queueing it again", transcript.recording_id
        )
        queued += queue_transcription(transcript.recording_id, force=transcript.is_corrected)
    recent = (
        SessionPage.objects.filter(recording__isnull=False)
        .filter(last_published_at__gte=timezone.now() - RECENTLY_PUBLISHED)
        .exclude(
            Exists(
                Transcript.objects.filter(
                    recording_id=OuterRef("recording_id"), status=Transcript.Status.QUEUED
                )
            )
        )
        .values_list("recording_id", flat=True)
        .distinct()
    )
    for recording_id in set(recent) - has_job:
        queued += queue_if_needed(recording_id)
    return queued
