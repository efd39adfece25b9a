"""Rendering session pages in the task worker, as an anonymous visitor would see them, so that
the parts a session page caches (its transcript section, its facts and related sessions, the
header's themes link) are in the shared cache before the first visitor asks. A first render of
a page with a 60-minute transcript costs about twice the CPU of a cached one; under load that
first render was the session page's p95.

Each page is asked for through Django's whole middleware chain and URL routing, in every
language of the site, so Wagtail's own access check runs as for any visitor and only what an
anonymous visitor may see is rendered (and only sessions visible to everyone are asked for).
Nothing here hands a cached part to anyone: it only fills the cache that the page's own
rendering reads, after its access check.

Warming is only worth doing into a cache the web processes share with the worker (``enabled``):
a per-process one (Django's memory cache, as under `make run`) is the worker's own, and the
worker's copy of Wagtail's site root paths there would not see a site changed in the web process.

Domain code only: nothing here enqueues. library/tasks.py runs it in the worker; the content
version (library/content_signals.py) and a changed transcript (transcripts/handlers.py) queue it."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.urls import translate_url
from django.utils import translation

from .access import visible_sessions

logger = logging.getLogger(__name__)

# Caches each process keeps for itself: what the worker writes there no web process reads.
PER_PROCESS_CACHES = frozenset(
    {"django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache"}
)


def enabled() -> bool:
    """Whether warming reaches the web processes: settings.PAGE_WARMING when True or False,
    else (None) when the default cache is shared between processes (a file, database or
    memcached/redis cache)."""
    forced = getattr(settings, "PAGE_WARMING", None)
    if forced is not None:
        return bool(forced)
    return settings.CACHES["default"]["BACKEND"] not in PER_PROCESS_CACHES


def warm(session_ids=None) -> int:
    """Render the visible sessions (all of them, or those of ``session_ids``) in every language;
    return how many pages answered 200."""
    sessions = visible_sessions().order_by("pk")
    if session_ids is not None:
        sessions = sessions.filter(pk__in=list(session_ids))
    handler = BaseHandler()
    handler.load_middleware()  # the site's own middleware: locale, sessions, auth, security
    rendered = 0
    # The locale middleware activates each request's language and leaves it active in this
    # thread, and Wagtail reverses a page's URL in the active language: after one English page
    # the next session's path came back as /en/..., its "Dutch" request rendered English and its
    # English one asked for /en/en/... (404). So the paths are made in the default language and
    # each request's language is undone after it (the worker's own language is left as found).
    with translation.override(settings.LANGUAGE_CODE):
        for session in sessions:
            parts = session.get_url_parts()
            if parts is None:  # under no site: no visitor can reach it
                continue
            for language, _name in settings.LANGUAGES:
                rendered += _render(handler, session, parts[2], language)
    return rendered


def _render(handler: BaseHandler, session, path: str, language: str) -> int:
    """1 if the visitor's page answered 200 (its parts are cached now), else 0 (logged)."""
    request = _visitor_request(session, path, language)
    with translation.override(language):
        status = handler.get_response(request).status_code
    if status != 200:
        logger.warning("Warming session %s (%s) answered %s", session.pk, language, status)
    return int(status == 200)


def _visitor_request(session, path: str, language: str) -> WSGIRequest:
    """An anonymous GET of the session's page (``path`` on its site) in ``language``, on a host
    the site accepts."""
    # Wagtail builds its preview requests from these (host from the site, or ALLOWED_HOSTS).
    meta = session._get_dummy_headers()
    with translation.override(settings.LANGUAGE_CODE):  # page URLs are in the default language
        meta["PATH_INFO"] = translate_url(path, language)
    meta["HTTP_ACCEPT_LANGUAGE"] = language
    if settings.SECURE_PROXY_SSL_HEADER:  # as nginx says it, so no redirect to https
        header, value = settings.SECURE_PROXY_SSL_HEADER
        meta[header] = value
    return WSGIRequest(meta)
