"""What `transcripts` announces. Other apps (search) listen; transcripts never imports them.

transcript_changed(sender=Transcript, transcript=<Transcript>, recording_id=<int>)
    sent after commit whenever a transcript's segments or status change
    (machine run finished, editor correction, deletion)."""

from django.dispatch import Signal

transcript_changed = Signal()
