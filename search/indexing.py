"""Keeping the search index in step with the database: index or remove one session,
retry the outbox (PendingIndexChange), rebuild everything.

Every write moves the index generation, which the cached search answers are kept under
(search/results_cache.py). Domain code only: nothing here enqueues a job. search/tasks.py runs
these functions in the background, search/handlers.py (and the search page's retry nudge)
enqueue those tasks."""

from __future__ import annotations

import logging
from collections.abc import Callable

from library.access import visible_sessions
from search import results_cache
from search.documents import all_documents, searchable_sessions, session_document
from search.engines import get_engine
from search.engines.base import EngineUnavailable
from search.models import PendingIndexChange

logger = logging.getLogger(__name__)

# How many outbox rows a successful index run retries on the side.
DRAIN_BATCH = 50


def _searchable(session_id: int):
    """The session if any visitor may see it, else None (draft, private, deleted)."""
    return (
        visible_sessions()
        .filter(pk=session_id)
        .select_related("event", "poster", "recording__poster")
        .first()
    )


def _keep(session_id: int, action: str, last_error: str) -> None:
    change, _ = PendingIndexChange.objects.get_or_create(session_id=session_id, defaults={"action": action})
    change.action = action
    change.attempts += 1
    change.last_error = last_error[:2000]
    change.save()


def _keep_pending(session_id: int, action: str, error: Exception) -> None:
    _keep(session_id, action, str(error))
    logger.warning(
        "Search engine unavailable; %s of session %s kept for retry: %s", action, session_id, error
    )


def keep_for_retry(session_id: int, error: Exception) -> None:
    """Put a session in the outbox when its index job could not even be queued; the retry
    decides whether to index or remove it (it re-reads the database)."""
    visible = visible_sessions().filter(pk=session_id).exists()
    action = PendingIndexChange.Action.INDEX if visible else PendingIndexChange.Action.REMOVE
    _keep(session_id, action, f"not queued: {error}")


def index_session(session_id: int, *, drain: bool = True) -> str:
    """Bring one session's index entry up to date with the database.

    Indexes it when it is live and public, removes it otherwise. Returns "indexed" or
    "removed". When the engine is down the change goes to the outbox and
    EngineUnavailable is raised; on success, older outbox rows are retried too."""
    session = _searchable(session_id)
    action = PendingIndexChange.Action.INDEX if session else PendingIndexChange.Action.REMOVE
    try:
        if session is None:
            get_engine().remove_session(session_id)
        else:
            get_engine().index_sessions([session_document(session)])
    except EngineUnavailable as error:
        _keep_pending(session_id, action, error)
        raise
    finally:  # a write that failed half-way may have changed the index all the same
        results_cache.bump_generation()
    PendingIndexChange.objects.filter(session_id=session_id).delete()
    if drain:
        retry_pending(limit=DRAIN_BATCH)
    return "indexed" if session else "removed"


def remove_session(session_id: int) -> None:
    """Take a session out of the index (whatever the database says)."""
    try:
        get_engine().remove_session(session_id)
    except EngineUnavailable as error:
        _keep_pending(session_id, PendingIndexChange.Action.REMOVE, error)
        raise
    finally:
        results_cache.bump_generation()
    PendingIndexChange.objects.filter(session_id=session_id).delete()


def retry_pending(limit: int | None = None) -> tuple[int, int]:
    """Retry outbox rows, oldest first; stop at the first engine failure.

    Returns (done, still pending)."""
    done = 0
    changes = PendingIndexChange.objects.order_by("created_at", "pk")
    if limit:
        changes = changes[:limit]
    for change in list(changes):
        try:
            index_session(change.session_id, drain=False)
        except EngineUnavailable:
            break
        done += 1
    return done, PendingIndexChange.objects.count()


def rebuild(progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the whole index from the database; return the number of sessions indexed.

    ``progress(done, total)`` is called as documents are built. Outbox rows older than the
    rebuild are settled by it (it reads everything from the database)."""
    total = searchable_sessions().count()
    started = PendingIndexChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def documents():
        for done, document in enumerate(all_documents(), start=1):
            yield document
            if progress:
                progress(done, total)

    try:
        count = get_engine().rebuild(documents())
    finally:
        results_cache.bump_generation()
    PendingIndexChange.objects.filter(pk__lte=started).delete()
    return count
