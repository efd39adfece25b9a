"""A cache of search answers, so a search asked again costs a cache read instead of the engine.

An answer is kept under everything that decides it: the query (text, filters, page, sizes), the
visitor's language, the engine, the set of sessions and themes the visitor may see (hashed), and
the index generation. The visible sets in the key mean a session hidden or unpublished since is
never served from an entry made before (the key differs at once), and visitors who may see
different sets never share an entry. The generation moves after every successful write to the
index (search/indexing.py), so a corrected transcript is found as soon as it is indexed.

Only answers are kept, never a failure (a query error, the engine down). The generation lives in
the default cache every web process and the task worker share (settings CACHES); the answers in
their own cache ("search-results"), so that making room among them never evicts a session
page's cached parts. Off unless SEARCH_RESULTS_CACHE_SECONDS is set (production): with the
development server's per-process memory cache the worker's generation would not reach the web
process."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.cache import caches

from library import content_version
from search.engines.base import SearchQuery, SearchResults

GENERATION_KEY = "search:index-generation"
ALIAS = "search-results"


def enabled() -> bool:
    return getattr(settings, "SEARCH_RESULTS_CACHE_SECONDS", 0) > 0


def generation() -> str:
    return content_version.token(GENERATION_KEY)


def bump_generation() -> None:
    """After a write to the index: every answer kept so far is from an older index."""
    content_version.move(GENERATION_KEY)


def _digest(values) -> str:
    return hashlib.blake2b(json.dumps(sorted(values)).encode(), digest_size=16).hexdigest()


def key_for(query: SearchQuery, engine: str, language: str) -> str:
    """Read the generation before the engine is asked: an answer computed while the index
    changes is kept under the old generation, which nobody asks for afterwards."""
    parts = {
        "text": query.text,
        "filters": query.filters,
        "page": query.page,
        "per_page": query.per_page,
        "moments": query.moments_per_session,
        "language": language,
        "engine": engine,
        # None (no restriction) and an empty set are different answers.
        "ids": None if query.visible_ids is None else _digest(query.visible_ids),
        "themes": None if query.visible_themes is None else _digest(query.visible_themes),
        "generation": generation(),
    }
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()
    return "search:answer:" + hashlib.blake2b(blob, digest_size=20).hexdigest()


def get(key: str) -> SearchResults | None:
    return caches[ALIAS].get(key)


def put(key: str, results: SearchResults) -> None:
    caches[ALIAS].set(key, results, settings.SEARCH_RESULTS_CACHE_SECONDS)
