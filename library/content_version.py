"""One version number for what every visitor sees of the library's pages: it moves whenever a
page, a privacy restriction, a site or a snippet a page shows (speaker, organisation, event)
changes for visitors (a saved draft does not: library/content_signals.py), so fragments
rendered from them can be cached under it (the session page's facts and related sessions, the
header's themes link) and are never served stale.

The version lives in the cache every web process shares (settings CACHES), so a change saved in
one process (the admin) reaches all of them. It moves when the change is made and again when
its transaction commits: a process that renders in between, still reading the old rows, caches
them under a version nobody asks for afterwards. What a fragment holds must be the same for
every visitor (the public visibility rule of library.access, never a per-request one); the page's
own access check runs before any fragment is read. library/content_signals.py moves it."""

import uuid

from django.core.cache import cache
from django.db import transaction

KEY = "library:content-version"
# A safety net: an entry of a version that a missed change should have moved lives this long.
FRAGMENT_SECONDS = 300


def token(key: str) -> str:
    """The token kept under ``key`` in the shared cache, made on first use (``add``: processes
    racing here agree on one, the first one's). Anything cached under it is current."""
    value = cache.get(key)
    if value is None:
        value = uuid.uuid4().hex
        if not cache.add(key, value, None):
            value = cache.get(key) or value
    return value


def move(key: str) -> None:
    """A new token under ``key``: everything kept under the old one is out of date."""
    cache.set(key, uuid.uuid4().hex, None)


def current() -> str:
    return token(KEY)


def bump(**_kwargs) -> None:
    move(KEY)
    transaction.on_commit(lambda: move(KEY))
