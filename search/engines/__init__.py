"""The search engine named by ``settings.SEARCH_ENGINE``: "embedded" (default) or "opensearch"."""

from __future__ import annotations

import functools

from django.conf import settings

from search.engines.base import SearchEngine

ENGINES = ("embedded", "opensearch")


def get_engine() -> SearchEngine:
    """The configured engine; read from settings on every call (tests switch them)."""
    name = getattr(settings, "SEARCH_ENGINE", "embedded") or "embedded"
    if name == "embedded":
        return _embedded(str(settings.SEARCH_EMBEDDED_PATH))
    if name == "opensearch":
        return _opensearch(settings.OPENSEARCH_URL, settings.OPENSEARCH_INDEX)
    raise ValueError(f"SEARCH_ENGINE must be one of {', '.join(ENGINES)}, not {name!r}")


@functools.lru_cache(maxsize=8)
def _embedded(path: str) -> SearchEngine:
    from search.engines.embedded import EmbeddedEngine

    return EmbeddedEngine(path)


@functools.lru_cache(maxsize=8)
def _opensearch(url: str, index: str) -> SearchEngine:
    # Imported here: the embedded default must work without opensearch-py configured.
    from search.engines.opensearch import OpenSearchEngine

    return OpenSearchEngine(url=url, index=index)
