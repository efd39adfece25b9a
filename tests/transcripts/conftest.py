import pytest

from transcripts.signals import transcript_changed


@pytest.fixture
def announced():
    """Recording ids that `transcript_changed` was sent for, in order."""
    sent = []

    def receiver(sender, recording_id, **kwargs):
        sent.append(recording_id)

    transcript_changed.connect(receiver, weak=False, dispatch_uid="tests.announced")
    yield sent
    transcript_changed.disconnect(dispatch_uid="tests.announced")
