"""The recording media model: wagtailmedia's media library, chooser and permissions."""

from django.urls import reverse
from wagtailmedia.models import AbstractMedia


class Recording(AbstractMedia):
    admin_form_fields = ("title", "file", "collection", "thumbnail", "tags")

    class Meta(AbstractMedia.Meta):
        verbose_name = "recording"

    @property
    def is_video(self) -> bool:
        return self.type == "video"

    @property
    def serve_url(self) -> str:
        """The access-checked URL that answers Range requests (never MEDIA_URL)."""
        return reverse("library:recording", args=[self.pk, self.filename])
