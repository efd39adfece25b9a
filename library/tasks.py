"""Background jobs of the library app (django-tasks), and the one way to queue them.

``schedule_warming`` is called by library/content_signals.py (a change a visitor sees moved the
content version, so every page's cached facts are stale) and by transcripts/handlers.py (the
transcript of a visible session changed, so its transcript sections are)."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction
from django_tasks import task

from . import page_warming

logger = logging.getLogger(__name__)

# While a job that warms every page is queued and not yet started, further changes queue no
# other (a publish moves the content version several times): that job reads them all. If it
# was lost (a worker died), the first change after this many seconds queues a new one.
ALL_QUEUED_KEY = "library:warm-all-queued"
ALL_QUEUED_SECONDS = 600


@task()
def warm_session_pages(session_ids: list[int] | None = None) -> dict:
    """Render the visible session pages (all, or these) so a visitor's first view is cached."""
    if session_ids is None:
        cache.delete(ALL_QUEUED_KEY)  # a change from now on needs a job of its own
    return {"rendered": page_warming.warm(session_ids)}


def schedule_warming(session_ids=None) -> None:
    """Queue a warming job once the current transaction commits (it must read the committed
    rows). ``None``: every session. Never raises into the editor's request. Nothing is queued
    when the web processes would never read what it renders (``page_warming.enabled``)."""
    if not page_warming.enabled():
        return
    ids = None if session_ids is None else sorted({int(pk) for pk in session_ids if pk})
    if ids == []:
        return

    def enqueue():
        if ids is None and not cache.add(ALL_QUEUED_KEY, 1, ALL_QUEUED_SECONDS):
            return
        try:
            warm_session_pages.enqueue(ids)
        except Exception as error:  # a cold first view is slower, never wrong
            if ids is None:
                cache.delete(ALL_QUEUED_KEY)
            logger.warning("Could not queue warming of session pages: %s", error)

    transaction.on_commit(enqueue, robust=True)
