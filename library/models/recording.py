"""The recording media model: wagtailmedia's media library, chooser and permissions."""

from pathlib import Path

from django.core.files import File
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.models import Collection
from wagtailmedia.models import AbstractMedia


class Recording(AbstractMedia):
    admin_form_fields = ("title", "file", "collection", "thumbnail", "tags")

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

    @property
    def is_video(self) -> bool:
        return self.type == "video"

    @property
    def serve_url(self) -> str:
        """The access-checked URL that answers Range requests (never MEDIA_URL)."""
        return reverse("library:recording", args=[self.pk, self.filename])
