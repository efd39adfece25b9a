"""The search service: the one API the rest of the site uses (views, tasks, commands).

It decides *what* is searchable (live, public sessions only), builds documents from the
database, talks to the configured engine, keeps changes the engine could not take in
the outbox (PendingIndexChange), and logs visitors' queries."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from library.access import visible_sessions, visible_themes
from search.documents import all_documents, searchable_sessions, session_document
from search.engines import get_engine
from search.engines.base import FACETS, EngineUnavailable, QueryError, SearchQuery, SearchResults
from search.models import PendingIndexChange, QueryLog

logger = logging.getLogger(__name__)

PER_PAGE = 10
MAX_PAGE = 1000
# How many outbox rows a successful index run retries on the side.
DRAIN_BATCH = 50
# A search that reaches the engine means it is up: at most this often, it schedules a
# retry of the outbox (so the index catches up even when nothing else gets indexed).
RETRY_NUDGE_SECONDS = 60


def _searchable(session_id: int):
    """The session if any visitor may see it, else None (draft, private, deleted)."""
    return visible_sessions().filter(pk=session_id).select_related("event", "poster").first()


def _keep_pending(session_id: int, action: str, error: Exception) -> None:
    change, created = PendingIndexChange.objects.get_or_create(
        session_id=session_id, defaults={"action": action}
    )
    change.action = action
    change.attempts += 1
    change.last_error = str(error)[:2000]
    change.save()
    logger.warning(
        "Search engine unavailable; %s of session %s kept for retry: %s", action, session_id, error
    )


def keep_for_retry(session_id: int, error: Exception) -> None:
    """Put a session in the outbox when its index job could not even be queued; the retry
    decides whether to index or remove it (it re-reads the database)."""
    visible = visible_sessions().filter(pk=session_id).exists()
    action = PendingIndexChange.Action.INDEX if visible else PendingIndexChange.Action.REMOVE
    change, _ = PendingIndexChange.objects.get_or_create(session_id=session_id, defaults={"action": action})
    change.action = action
    change.attempts += 1
    change.last_error = f"not queued: {error}"[:2000]
    change.save()


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

    count = get_engine().rebuild(documents())
    PendingIndexChange.objects.filter(pk__lte=started).delete()
    return count


def parse_filters(params) -> dict[str, list[str]]:
    """Facet filters from a QueryDict (``?theme=A&theme=B&year=2026``); others ignored."""
    filters = {}
    for facet in FACETS:
        values = [v.strip() for v in params.getlist(facet) if v and v.strip()]
        if values:
            filters[facet] = list(dict.fromkeys(values))[:20]
    return filters


def search(
    query_text: str, filters: dict[str, list[str]] | None = None, page: int = 1, per_page: int = PER_PAGE
) -> SearchResults:
    """Search for visitors. Raises QueryError (message for people) or EngineUnavailable;
    every call is logged in QueryLog.

    The engine is told which sessions the database says a visitor may see and applies
    that inside its query, so hits, totals and facet counts never include a session that
    is hidden now, however far the index lags behind."""
    # Control characters (NUL above all) mean nothing in a query and upset databases.
    text = "".join(ch if ch.isprintable() else " " for ch in (query_text or "")).strip()
    query = SearchQuery(
        text=text,
        filters=filters or {},
        page=page,
        per_page=per_page,
        visible_ids=frozenset(visible_sessions().values_list("pk", flat=True)),
        visible_themes=frozenset(visible_themes().values_list("title", flat=True)),
    )
    if not 1 <= page <= MAX_PAGE:
        _log(query, error="bad page")
        raise QueryError(_("Choose a page between 1 and %(last)d.") % {"last": MAX_PAGE})
    try:
        results = get_engine().search(query)
    except QueryError as error:
        _log(query, error=str(error))
        raise
    except EngineUnavailable:
        _log(query, error="engine unavailable")
        raise
    _log(query, results=results)
    _nudge_pending()
    return results


def _nudge_pending() -> None:
    if PendingIndexChange.objects.exists() and cache.add("search:retry-pending", 1, RETRY_NUDGE_SECONDS):
        from search.tasks import retry_pending_task

        transaction.on_commit(retry_pending_task.enqueue)


def _log(query: SearchQuery, results: SearchResults | None = None, error: str = "") -> None:
    try:
        QueryLog.objects.create(
            query=query.text[:1000],
            filters=query.filters,
            page=max(0, min(query.page, 2**31 - 1)),
            result_count=results.total if results else None,
            took_ms=round(results.took_ms, 2) if results else None,
            error=error[:255],
        )
    except Exception:  # the log must never break a search
        logger.exception("Could not log a search query")
