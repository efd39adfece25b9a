"""One version number for what every visitor sees of the library's pages: it moves whenever a
page, a privacy restriction, a site or a snippet a page shows (speaker, organisation, event)
changes, so fragments rendered from them can be cached under it (the session page's facts and
related sessions, the header's themes link) and are never served stale.

The version lives in the cache every web process shares (settings CACHES), so a change saved in
one process (the admin) reaches all of them. It moves when the change is made and again when
its transaction commits: a process that renders in between, still reading the old rows, caches
them under a version nobody asks for afterwards. What a fragment holds must be the same for
every visitor (the public visibility rule of library.access, never a per-request one); the page's
own access check runs before any fragment is read."""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.models import Page, PageViewRestriction, Site, get_page_models
from wagtail.signals import page_published, page_unpublished, post_page_move

KEY = "library:content-version"
# A safety net: an entry of a version that a missed change should have moved lives this long.
FRAGMENT_SECONDS = 300


def current() -> str:
    version = cache.get(KEY)
    if version is None:
        version = uuid.uuid4().hex
        # add: two processes racing here agree on one version (the first one's).
        if not cache.add(KEY, version, None):
            version = cache.get(KEY) or version
    return version


def bump(**_kwargs) -> None:
    cache.set(KEY, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(KEY, uuid.uuid4().hex, None))


def connect() -> None:
    from library.models import Event, Organisation, SessionPage, SessionSpeaker, Speaker, ThemeSession

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
