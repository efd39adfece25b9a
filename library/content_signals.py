"""The changes a visitor can see, which move the library's content version
(library/content_version.py); each one also queues the worker's re-render of the session pages
(library/tasks.py), so the fragments cached under the new version are there before a visitor asks.

A draft changes nothing a visitor sees (previews never read cached fragments): Wagtail's
``save_revision`` writes only the draft's bookkeeping on the page row, and a page created as a
draft (its speaker and theme links included) is not live, so none of these moves the version
or queues a render. Publishing does (the page row is saved whole, and page_published is sent),
and so do unpublishing, moving, deleting and privacy changes; search answers are keyed by the
visible sets read under this version (library/access.py), so a session made private leaves
them at once."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.models import COMMENTS_RELATION_NAME, Page, PageViewRestriction, Site, get_page_models
from wagtail.signals import page_published, page_unpublished, post_page_move

from . import content_version
from .models import Event, Organisation, SessionPage, SessionSpeaker, Speaker, ThemeSession
from .tasks import schedule_warming

# The page-row fields a draft save (save_revision), a lock or a comment writes: none is shown.
DRAFT_FIELDS = frozenset(
    {
        "latest_revision",
        "latest_revision_created_at",
        "draft_title",
        "has_unpublished_changes",
        COMMENTS_RELATION_NAME,
        "locked",
        "locked_at",
        "locked_by",
    }
)


def bump(**_kwargs) -> None:
    content_version.bump()
    schedule_warming()  # every page: facts and related sessions read other pages too


def page_saved(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= DRAFT_FIELDS:
        return  # a draft saved (or a page locked): the live row a visitor sees is unchanged
    if created and not instance.live:
        return  # a new page that is a draft: no visitor sees it until it is published
    bump()


def link_saved(sender, instance, **kwargs) -> None:
    """A speaker or session link, written when its page is saved whole: only a live page's
    links are shown (a new draft's are written too, and change nothing a visitor sees)."""
    owner = instance.page if isinstance(instance, SessionSpeaker) else instance.theme
    if owner.live:
        bump()


def connect() -> None:
    # Per model, not for every sender: a receiver for all models would make every bulk delete
    # (a transcript's segments) fetch its rows to signal them one by one.
    pages = list(dict.fromkeys([Page, *get_page_models()]))
    links = [SessionSpeaker, ThemeSession]
    for model in [*pages, *links, PageViewRestriction, Site, Speaker, Organisation, Event]:
        saved = page_saved if model in pages else link_saved if model in links else bump
        post_save.connect(saved, sender=model, dispatch_uid=f"content-version-{model._meta.label}-save")
        post_delete.connect(bump, sender=model, dispatch_uid=f"content-version-{model._meta.label}-delete")
    m2m_changed.connect(bump, sender=SessionPage.organisations.through, dispatch_uid="content-version-orgs")
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(bump, dispatch_uid=f"content-version-{id(signal)}")
