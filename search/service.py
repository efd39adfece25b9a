"""The search service: the one API the rest of the site uses (views, commands, tests).

Searching lives here: it tells the engine which sessions a visitor may see, logs visitors'
queries, and nudges the outbox retry. Keeping the index up to date (index, remove, retry,
rebuild) lives in search/indexing.py and is re-exported here, so callers need one module.

Layers: indexing (never enqueues) <- tasks (run it in the background) <- service.search and
handlers (enqueue tasks)."""

from __future__ import annotations

import logging
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from library.access import visible_session_ids, visible_theme_titles
from search import results_cache
from search.engines import get_engine
from search.engines.base import FACETS, EngineUnavailable, QueryError, SearchQuery, SearchResults
from search.indexing import index_session, keep_for_retry, rebuild, remove_session, retry_pending
from search.models import PendingIndexChange, QueryLog
from search.tasks import retry_pending_task

__all__ = [
    "index_session",
    "keep_for_retry",
    "parse_filters",
    "rebuild",
    "remove_session",
    "retry_pending",
    "cached_search",
    "search",
]

logger = logging.getLogger(__name__)

PER_PAGE = 10
MAX_PAGE = 1000
# A search that reaches the engine means it is up: at most this often, it schedules a
# retry of the outbox (so the index catches up even when nothing else gets indexed).
RETRY_NUDGE_SECONDS = 60


def parse_filters(params) -> dict[str, list[str]]:
    """Facet filters from a QueryDict (``?theme=A&theme=B&year=2026``); others ignored."""
    filters = {}
    for facet in FACETS:
        values = [v.strip() for v in params.getlist(facet) if v and v.strip()]
        if values:
            filters[facet] = list(dict.fromkeys(values))[:20]
    return filters


class Answer(NamedTuple):
    results: SearchResults
    cache: str  # "hit" or "miss" in the results cache; "" when it is off
    # The results cache's key: it changes with anything that decides the answer (the visible
    # sets, the index generation), so the search page keeps its rendered listing under it.
    key: str


def search(
    query_text: str, filters: dict[str, list[str]] | None = None, page: int = 1, per_page: int = PER_PAGE
) -> SearchResults:
    """Search for visitors (see ``cached_search``)."""
    return cached_search(query_text, filters, page, per_page).results


def cached_search(
    query_text: str, filters: dict[str, list[str]] | None = None, page: int = 1, per_page: int = PER_PAGE
) -> Answer:
    """Search for visitors: the results, and whether they came from the cache. Raises
    QueryError (message for people) or EngineUnavailable; every call is logged in QueryLog.

    The engine is told which sessions the database says a visitor may see and applies
    that inside its query, so hits, totals and facet counts never include a session that
    is hidden now, however far the index lags behind. Answers are cached under everything
    that decides them, those sets and the index generation included (search/results_cache.py)."""
    # Control characters (NUL above all) mean nothing in a query and upset databases.
    text = "".join(ch if ch.isprintable() else " " for ch in (query_text or "")).strip()
    query = SearchQuery(
        text=text,
        filters=filters or {},
        page=page,
        per_page=per_page,
        visible_ids=visible_session_ids(),
        visible_themes=visible_theme_titles(),
    )
    if not 1 <= page <= MAX_PAGE:
        _log(query, error="bad page")
        raise QueryError(_("Choose a page between 1 and %(last)d.") % {"last": MAX_PAGE})
    engine = get_engine()
    key = results_cache.key_for(query, _engine_address(), get_language()) if results_cache.enabled() else ""
    results = results_cache.get(key) if key else None
    outcome = ("hit" if results is not None else "miss") if key else ""
    if results is None:
        try:
            results = engine.search(query)
        except QueryError as error:
            _log(query, error=str(error))
            raise
        except EngineUnavailable:
            _log(query, error="engine unavailable")
            raise
        if key:  # only answers: a failure is asked again next time
            results_cache.put(key, results)
    _log(query, results=results)
    _nudge_pending()
    return Answer(results, outcome, key)


def _engine_address() -> str:
    """Which index answers (settings say it; tests switch them)."""
    if settings.SEARCH_ENGINE == "opensearch":
        return f"opensearch:{settings.OPENSEARCH_URL}:{settings.OPENSEARCH_INDEX}"
    return f"{settings.SEARCH_ENGINE}:{settings.SEARCH_EMBEDDED_PATH}"


def _nudge_pending() -> None:
    if PendingIndexChange.objects.exists() and cache.add("search:retry-pending", 1, RETRY_NUDGE_SECONDS):
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
