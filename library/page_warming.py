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


def warm(session_ids=None) -> int:
    """Render the visible sessions (all of them, or those of ``session_ids``) in every language;
    return how many pages answered 200."""
    sessions = visible_sessions().order_by("pk")
    if session_ids is not None:
        sessions = sessions.filter(pk__in=list(session_ids))
    handler = BaseHandler()
    handler.load_middleware()  # the site's own middleware: locale, sessions, auth, security
    rendered = 0
    for session in sessions:
        parts = session.get_url_parts()
        if parts is None:  # under no site: no visitor can reach it
            continue
        for language, _name in settings.LANGUAGES:
            status = handler.get_response(_visitor_request(session, parts[2], language)).status_code
            if status == 200:
                rendered += 1
            else:
                logger.warning("Warming session %s (%s) answered %s", session.pk, language, status)
    return rendered


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
