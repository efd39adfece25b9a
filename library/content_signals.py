"""The changes that move the library's content version (library/content_version.py); each one
also queues the worker's re-render of the session pages (library/tasks.py), so the fragments
cached under the new version are there before a visitor asks."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.models import Page, PageViewRestriction, Site, get_page_models
from wagtail.signals import page_published, page_unpublished, post_page_move

from . import content_version
from .models import Event, Organisation, SessionPage, SessionSpeaker, Speaker, ThemeSession
from .tasks import schedule_warming


def bump(**_kwargs) -> None:
    content_version.bump()
    schedule_warming()  # every page: facts and related sessions read other pages too


def connect() -> None:
    # Per model, not for every sender: a receiver for all models would make every bulk delete
    # (a transcript's segments) fetch its rows to signal them one by one.
    models = [Page, *get_page_models(), PageViewRestriction, Site]
    models += [Speaker, Organisation, Event, SessionSpeaker, ThemeSession]
    for model in dict.fromkeys(models):
        post_save.connect(bump, sender=model, dispatch_uid=f"content-version-{model._meta.label}-save")
        post_delete.connect(bump, sender=model, dispatch_uid=f"content-version-{model._meta.label}-delete")
    m2m_changed.connect(bump, sender=SessionPage.organisations.through, dispatch_uid="content-version-orgs")
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(bump, dispatch_uid=f"content-version-{id(signal)}")
