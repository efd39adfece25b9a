"""What makes the catalogue's index (catalogue/listing.py) stale: a change to a session,
its recording (the duration), a theme's sessions, a speaker, an organisation, an event or
a transcript's language.
Visibility needs none of these: the listing asks library.access on every request."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.signals import page_published, page_unpublished, post_page_move

from library.models import (
    Event,
    Organisation,
    Recording,
    SessionPage,
    SessionSpeaker,
    Speaker,
    ThemeSession,
)
from transcripts.models import Transcript

from .listing import index


def connect() -> None:
    models = (SessionPage, Recording, SessionSpeaker, ThemeSession, Speaker, Organisation, Event, Transcript)
    for model in models:
        post_save.connect(index.invalidate, sender=model, dispatch_uid=f"catalogue-{model.__name__}-save")
        post_delete.connect(index.invalidate, sender=model, dispatch_uid=f"catalogue-{model.__name__}-delete")
    m2m_changed.connect(
        index.invalidate, sender=SessionPage.organisations.through, dispatch_uid="catalogue-organisations"
    )
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(index.invalidate, dispatch_uid=f"catalogue-{id(signal)}")
