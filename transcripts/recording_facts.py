"""What probing a recording teaches us, written back to the recording and its sessions:
duration and picture size, and a poster frame for video sessions that have none.

Session pages are updated in place (the live row, plus the stored content of their latest and
live revisions) rather than through a new revision: these are machine facts, not an edit, so
they must not appear in the page history as a change by someone, must not publish a pending
draft, and must survive the next publish (which restores fields from the revision, so a stale
revision would otherwise wipe the poster and duration again)."""

import logging
import tempfile
from pathlib import Path

from django.core.files.images import ImageFile
from django.db import transaction
from wagtail.images import get_image_model

from library import media
from library.models import Recording, SessionPage

logger = logging.getLogger(__name__)

POSTER_AT_SECONDS = 5.0
POSTER_WIDTH = 1280


def apply_media_info(recording: Recording, path: Path, info: media.MediaInfo) -> None:
    """Store duration/size on the recording and its sessions; give video sessions a poster.

    A poster that cannot be made is logged, never fatal: the transcript matters more."""
    Recording.objects.filter(pk=recording.pk).update(
        duration=info.duration or 0, width=info.width, height=info.height
    )
    sessions = list(SessionPage.objects.filter(recording=recording))
    if not sessions:
        return
    poster = None
    if info.has_video and any(session.poster_id is None for session in sessions):
        try:
            poster = make_poster(recording, path, info)
        except media.MediaError as exc:
            logger.warning("No poster for recording %s: %s (%s)", recording.pk, exc.message, exc.detail)
        except Exception:  # e.g. the image library refusing the frame: never worth losing the transcript
            logger.exception("No poster for recording %s", recording.pk)
    with transaction.atomic():
        for session in sessions:
            changes = {"duration": info.duration}
            if poster is not None and session.poster_id is None:
                changes["poster"] = poster.pk  # revision content stores a foreign key by field name
            row = {"duration": info.duration, **({"poster_id": poster.pk} if "poster" in changes else {})}
            SessionPage.objects.filter(pk=session.pk).update(**row)
            _patch_revisions(session, changes)


def _patch_revisions(session: SessionPage, changes: dict) -> None:
    for revision in {r for r in (session.latest_revision, session.live_revision) if r is not None}:
        content = dict(revision.content or {})
        updated = {k: v for k, v in changes.items() if k != "poster" or content.get("poster") is None}
        if updated:
            content.update(updated)
            revision.content = content
            revision.save(update_fields=["content"])


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
