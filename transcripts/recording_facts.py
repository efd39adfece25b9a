"""What probing a recording teaches us, written to the recording once: its duration and
picture size, and a poster frame when it is a video and has none yet.

Sessions read these facts from their recording (SessionPage.duration, .shown_poster), so no
page row or revision is touched: an editor's page history and drafts stay theirs, and the
page's own poster is only ever the editor's override."""

import logging
import tempfile
from pathlib import Path

from django.core.files.images import ImageFile
from wagtail.images import get_image_model

from library import media
from library.models import Recording

logger = logging.getLogger(__name__)

POSTER_AT_SECONDS = 5.0
POSTER_WIDTH = 1280


def apply_media_info(recording: Recording, path: Path, info: media.MediaInfo) -> None:
    """Store duration and size on the recording; give a video recording its poster frame.

    A poster that cannot be made is logged, never fatal: the transcript matters more."""
    facts = {"duration": info.duration or 0, "width": info.width, "height": info.height}
    if info.has_video and not Recording.objects.filter(pk=recording.pk, poster__isnull=False).exists():
        try:
            facts["poster"] = make_poster(recording, path, info)
        except media.MediaError as exc:
            logger.warning("No poster for recording %s: %s (%s)", recording.pk, exc.message, exc.detail)
        except Exception:  # e.g. the image library refusing the frame: never worth losing the transcript
            logger.exception("No poster for recording %s", recording.pk)
    # update(): the probe must not run the recording's save signals (they queue transcription).
    Recording.objects.filter(pk=recording.pk).update(**facts)
    for name, value in facts.items():
        setattr(recording, name, value)


def make_poster(recording: Recording, path: Path, info: media.MediaInfo):
    """One frame a few seconds in, stored as a Wagtail image in the recording's collection."""
    Image = get_image_model()
    with tempfile.TemporaryDirectory(prefix="session-library-poster-") as tmp:
        width = POSTER_WIDTH if (info.width or 0) > POSTER_WIDTH else None  # shrink big frames, never enlarge
        jpg = media.poster_frame(
            path, Path(tmp) / "poster.jpg", at_seconds=POSTER_AT_SECONDS, width=width, info=info
        )
        with open(jpg, "rb") as handle:
            image = Image(title=f"Poster: {recording.title}"[:255], collection=recording.collection)
            image.file = ImageFile(handle, name=f"poster-recording-{recording.pk}.jpg")
            image.save()
    return image
