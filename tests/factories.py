"""Small builders for test objects (pages need Wagtail's tree API, so plain functions)."""

import datetime
from pathlib import Path

from django.core.files.base import ContentFile
from wagtail.models import Collection, Page, PageViewRestriction

from library.demo.render import render_tone
from library.models import Event, HomePage, Recording, SessionPage, SessionSpeaker, Speaker, ThemeIndexPage
from library.models.slugs import unique_slug


def make_home() -> HomePage:
    return HomePage.objects.get(slug="home")


def make_recording(
    path: Path | None = None, title="A recording", media_type="audio", content=None, duration=0.0
) -> Recording:
    """``duration``: seconds, as a probe would have stored them (0: not probed yet)."""
    if path is not None:
        return Recording.store(path, title, media_type, duration=duration)
    recording = Recording(
        title=title, type=media_type, collection=Collection.get_first_root_node(), duration=duration
    )
    recording.file.save(
        "tone.wav", ContentFile(content if content is not None else bytes(range(256)) * 8), save=False
    )
    recording.save()
    return recording


def make_session(
    home=None,
    title="A session",
    slug=None,
    live=True,
    recording=None,
    language="en",
    speakers=(),
    event=None,
    **fields,
) -> SessionPage:
    home = home or make_home()
    page = SessionPage(
        title=title,
        slug=slug or unique_slug(title, Page.objects.child_of(home), fallback="session"),
        language=language,
        recording=recording,
        date=fields.pop("date", datetime.date(2026, 3, 1)),
        event=event,
        **fields,
    )
    for name in speakers:
        page.speaker_links.add(SessionSpeaker(speaker=Speaker.named(name)))
    home.add_child(instance=page)
    revision = page.save_revision()
    if live:
        revision.publish()
    else:
        page.live = False
        page.save()
    page.refresh_from_db()
    return page


def make_theme(title="Digitale overheid", sessions=(), *, slug="", body=(), live=True):
    """A theme listing these sessions in the home page's theme index (made when missing)."""
    return ThemeIndexPage.under(make_home()).add_theme(
        title, slug, sessions=sessions, live=live, body=list(body)
    )


def make_event(name="Kennismaand", year=2026) -> Event:
    return Event.objects.get_or_create(name=name, year=year)[0]


def make_private(page, restriction_type=PageViewRestriction.LOGIN, password=""):
    return PageViewRestriction.objects.create(page=page, restriction_type=restriction_type, password=password)


def generate_tone(path: Path, seconds: float = 2.0) -> Path:
    """A real audio file made by ffmpeg (a sine tone)."""
    return render_tone(path, seconds)


def make_image(name="poster.jpg", title="A poster", colour=(40, 90, 160)):
    """A Wagtail image holding a real JPEG (Pillow), stored under original_images/."""
    import io

    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 36), colour).save(buffer, format="JPEG")
    image = get_image_model()(title=title, collection=Collection.get_first_root_node())
    image.file = ImageFile(io.BytesIO(buffer.getvalue()), name=name)
    image.save()
    return image
