"""Signal receivers: they only schedule work after the transaction commits (the decision and
the queueing happen then, in transcripts.queueing), so a rolled-back upload queues nothing."""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published

from library.models import Recording, SessionPage

from .models import Transcript
from .queueing import queue_facts_if_missing, queue_if_needed
from .signals import transcript_changed


def recording_saved(sender, instance, raw=False, **kwargs):
    """New upload or replaced file (checked against the transcript's file signature)."""
    if raw or not instance.file:
        return
    transaction.on_commit(partial(queue_if_needed, instance.pk))


def session_published(sender, instance, **kwargs):
    """A published session whose language (or recording) changed, or that lacks the recording's facts."""
    if instance.recording_id:
        transaction.on_commit(partial(queue_if_needed, instance.recording_id))
        if instance.duration is None:
            transaction.on_commit(partial(queue_facts_if_missing, instance.recording_id))


def transcript_deleted(sender, instance, **kwargs):
    announce = partial(transcript_changed.send, sender=Transcript, transcript=instance)
    transaction.on_commit(partial(announce, recording_id=instance.recording_id))


def connect() -> None:
    post_save.connect(recording_saved, sender=Recording, dispatch_uid="transcripts.recording_saved")
    page_published.connect(
        session_published, sender=SessionPage, dispatch_uid="transcripts.session_published"
    )
    post_delete.connect(transcript_deleted, sender=Transcript, dispatch_uid="transcripts.transcript_deleted")
