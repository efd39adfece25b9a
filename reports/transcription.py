"""What the transcription queue report shows: counts per status, hours transcribed, failures.

Reads transcripts through the ORM only; re-queueing goes through transcripts' own service."""

from django.db.models import Count, Sum

from library.access import visible_sessions
from transcripts.models import Transcript
from transcripts.queueing import queue_transcription


def status_counts() -> list[tuple[str, str, int]]:
    """(status, label, count) for every status, zeros included, in the workflow's order."""
    counts = dict(Transcript.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return [(value, label, counts.get(value, 0)) for value, label in Transcript.Status.choices]


def seconds_transcribed(public_only: bool = False) -> float:
    """Audio seconds of finished transcripts; `public_only` counts those of visible sessions."""
    done = Transcript.objects.filter(status=Transcript.Status.DONE)
    if public_only:
        recording_ids = visible_sessions().values("recording_id")
        done = done.filter(recording_id__in=recording_ids)
    return done.aggregate(total=Sum("audio_seconds"))["total"] or 0.0


def transcripts_with_status(status: str):
    return (
        Transcript.objects.filter(status=status)
        .select_related("recording")
        .prefetch_related("recording__sessions")
        .order_by("-updated_at")
    )


def retry(transcript: Transcript) -> bool:
    """Queue the recording again (after commit). False when transcripts refuses, e.g. a
    transcript an editor corrected, which is only redone on purpose."""
    return queue_transcription(transcript.recording_id)
