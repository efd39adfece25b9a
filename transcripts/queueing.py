"""Deciding when a recording needs (re)transcription, and queueing it.

Two ways in:

* automatic (`queue_if_needed`, from the signal handlers after commit): only when there is no
  transcript yet, the file was replaced, or the session's language changed so that the
  transcript would come out differently. Saving a recording or republishing a page with
  nothing changed never queues twice.
* explicit (`queue_transcription`, from the admin retry button and `manage.py transcribe`):
  always queues, except that a transcript an editor corrected is only redone with
  ``force=True``.

Corrections policy: a re-run of the *same file* never replaces an editor's corrections unless
the editor (or an admin with ``--force``) asks for it. A *replaced file* is transcribed again:
the corrected text and its timings belonged to the old recording and would not match the new one.
"""

import logging

from django.db import transaction
from django.utils import timezone

from library.models import Recording, SessionPage

from .models import Transcript

logger = logging.getLogger(__name__)

AUTO = "auto"


def file_signature(recording: Recording) -> str:
    """Stored name and size: a replaced upload changes at least one of them."""
    name = recording.file.name or ""
    try:
        size = recording.file.size
    except (OSError, ValueError):  # a missing file still gets queued; the task reports it
        size = "?"
    return f"{name}:{size}"[:600]


def session_language(recording: Recording) -> str:
    """The language to transcribe in: that of the (first live) session using the recording;
    'auto' (detection among settings.WHISPER_LANGUAGES) when no session uses it yet."""
    session = recording.sessions.order_by("-live", "pk").only("language").first()
    language = session.language if session else AUTO
    return language or AUTO


def reason_to_transcribe(recording: Recording, transcript: Transcript | None) -> str:
    """Why an automatic run is needed, or '' when the transcript is (or will be) up to date."""
    if transcript is None:
        return "new recording"
    if transcript.source_file != file_signature(recording):
        return "file replaced"
    wanted = session_language(recording)
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


def queue_facts_if_missing(recording_id: int) -> bool:
    """A session that took up an already transcribed recording has no duration (or poster)
    yet: probe the file again (cheap, no Whisper). A pending transcription does this itself."""
    from .tasks import probe_recording

    transcript = Transcript.objects.filter(recording_id=recording_id).first()
    if transcript is None or transcript.is_pending:
        return False
    if not SessionPage.objects.filter(recording_id=recording_id, duration__isnull=True).exists():
        return False
    transaction.on_commit(lambda: probe_recording.enqueue(recording_id))
    return True


def queue_transcription(recording_id: int, *, force: bool = False) -> bool:
    """Mark the transcript queued and enqueue the task once the transaction commits.

    Returns False (and queues nothing) for a missing recording, or for a corrected
    transcript without ``force``."""
    from .tasks import transcribe_recording  # tasks imports the pipeline, which imports this app's models

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
        transcript.source_file = file_signature(recording)
        transcript.requested_language = session_language(recording)
        transcript.save()
        transaction.on_commit(lambda: transcribe_recording.enqueue(recording_id, force=force))
    return True
