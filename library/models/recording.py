"""The recording media model: wagtailmedia's media library, chooser and permissions."""

from pathlib import Path

from django.core.files import File
from django.core.validators import FileExtensionValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.models import Collection
from wagtailmedia.models import ALLOWED_EXTENSIONS_THUMBNAIL, AbstractMedia


class Recording(AbstractMedia):
    """An uploaded recording and the facts read from its file, kept here once (sessions read
    them): ``duration`` (seconds; 0 until probed), ``width``/``height`` (wagtailmedia's
    fields) and ``poster``, a frame taken from a video. All are written by the transcripts
    app's probe (transcripts/recording_facts.py), never by an editor; a session's own poster
    is the editor's override of this one.

    wagtailmedia's ``thumbnail`` is a plain file an editor may upload in the media library;
    the site shows the ``poster`` instead: a Wagtail image, so it has renditions and goes
    through the image access check (library.access.image_visible_to)."""

    admin_form_fields = ("title", "file", "collection", "thumbnail", "tags")

    poster = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("poster frame"),
        help_text=_("A frame taken from the video, shown when a session chooses no poster of its own."),
    )

    class Meta(AbstractMedia.Meta):
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")

    @classmethod
    def store(cls, path: Path, title: str, media_type: str, filename: str | None = None, **fields):
        """A new recording holding a copy of the file at ``path`` (kept where it is)."""
        recording = cls(title=title, type=media_type, collection=Collection.get_first_root_node(), **fields)
        with Path(path).open("rb") as handle:
            recording.file.save(filename or Path(path).name, File(handle), save=False)
        recording.save()
        return recording

    def clean(self):
        """wagtailmedia checks the file's extension here. When the form already refused the file
        (empty, name too long) there is no file to check, and its "File extension “” is not
        allowed" would only hide the real reason: leave the form's message alone."""
        if self.file:
            super().clean()
            return
        self.duration = self.duration or 0
        if self.thumbnail:  # the rest of wagtailmedia's checks
            FileExtensionValidator(ALLOWED_EXTENSIONS_THUMBNAIL)(self.thumbnail)

    def file_signature(self) -> str:
        """Stored name and size: a replaced upload changes at least one of them (a transcript
        remembers the signature of the file it was made from)."""
        name = self.file.name or ""
        try:
            size = self.file.size
        except (OSError, ValueError):  # a missing file still gets queued; the task reports it
            size = "?"
        return f"{name}:{size}"[:600]

    def session_language(self) -> str:
        """The language spoken in it, as the (first live) session using it says; "auto"
        (detected among the WHISPER_LANGUAGES) when no session uses it yet."""
        session = self.sessions.order_by("-live", "pk").only("language").first()
        return (session.language if session else "") or "auto"

    @property
    def known_duration(self) -> float | None:
        """Seconds, or None while the file has not been probed (wagtailmedia stores 0 then)."""
        return self.duration or None

    @property
    def is_video(self) -> bool:
        return self.type == "video"

    @property
    def serve_url(self) -> str:
        """The access-checked URL that answers Range requests (never MEDIA_URL)."""
        return reverse("library:recording", args=[self.pk, self.filename])
