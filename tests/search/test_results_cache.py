"""Cached search answers (search/results_cache.py): a repeated search is a hit, an index write
moves the generation, visitors who may see different sessions never share an entry, a session
hidden since is gone at once, and a failure is never kept."""

import dataclasses

import pytest
from django.core.cache import caches

from search import results_cache, service
from search.engines.base import SearchQuery
from tests.factories import make_private
from tests.search.helpers import add_transcript, engine_down, session_with, use_engine

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cached(settings, tmp_path):
    settings.SEARCH_ENGINE = "embedded"
    settings.SEARCH_EMBEDDED_PATH = tmp_path / "index.sqlite3"
    settings.SEARCH_RESULTS_CACHE_SECONDS = 60
    caches[results_cache.ALIAS].clear()


def _search(client, q):
    response = client.get("/en/search/", {"q": q})
    timing = response["Server-Timing"]
    outcome = "hit" if "cache;desc=hit" in timing else "miss" if "cache;desc=miss" in timing else None
    return response, outcome


@pytest.mark.parametrize("engine_name", ["embedded", "opensearch"])
def test_a_repeated_search_is_a_hit_until_the_index_changes(client, settings, tmp_path, engine_name):
    cleanup = use_engine(engine_name, settings, tmp_path)
    try:
        _hit_until_the_index_changes(client)
    finally:
        cleanup()


def _hit_until_the_index_changes(client):
    session = session_with("Water boards", ["The dykes hold the sea back."])
    service.index_session(session.pk)
    first, outcome = _search(client, "dykes")
    assert outcome == "miss" and "Water boards" in first.content.decode()
    again, outcome = _search(client, "dykes")
    assert outcome == "hit" and again.content == first.content
    # The engine's time is said when it answered, not for a cached answer.
    assert "engine;dur=" in first["Server-Timing"] and "engine;dur=" not in again["Server-Timing"]
    assert client.get("/api/search/", {"q": "dykes"}).json()["total"] == 1  # the API shares it

    # A correction, once indexed, is found at once: the write moved the generation.
    add_transcript(session, ["The levees hold the sea back."])
    service.index_session(session.pk)
    found, outcome = _search(client, "levees")
    assert outcome == "miss" and "Water boards" in found.content.decode()
    stale, outcome = _search(client, "dykes")
    assert outcome == "miss" and "Water boards" not in stale.content.decode()


def test_a_session_hidden_since_vanishes_at_once(client):
    """No index write needed: the visible set is part of the key."""
    kept = session_with("Open rivers", ["Rivers and dykes."])
    hidden = session_with("Closed rivers", ["More rivers and dykes."])
    for session in (kept, hidden):
        service.index_session(session.pk)
    assert "Closed rivers" in _search(client, "rivers")[0].content.decode()
    make_private(hidden)
    response, outcome = _search(client, "rivers")
    assert outcome == "miss"
    assert "Closed rivers" not in response.content.decode() and "Open rivers" in response.content.decode()
    hidden.refresh_from_db()
    hidden.unpublish()
    assert "Closed rivers" not in _search(client, "rivers")[0].content.decode()


def test_different_visible_sets_never_share_an_entry():
    query = SearchQuery(text="dykes", visible_ids=frozenset({1, 2}), visible_themes=frozenset({"Water"}))
    key = results_cache.key_for(query, "embedded:x", "en")
    assert key == results_cache.key_for(dataclasses.replace(query), "embedded:x", "en")
    others = [
        dataclasses.replace(query, visible_ids=frozenset({1})),
        dataclasses.replace(query, visible_ids=frozenset({1, 2, 3})),
        dataclasses.replace(query, visible_ids=None),
        dataclasses.replace(query, visible_themes=frozenset()),
        dataclasses.replace(query, filters={"language": ["nl"]}),
        dataclasses.replace(query, page=2),
    ]
    keys = {results_cache.key_for(other, "embedded:x", "en") for other in others}
    assert key not in keys and len(keys) == len(others)
    assert key != results_cache.key_for(query, "embedded:x", "nl")
    results_cache.bump_generation()
    assert key != results_cache.key_for(query, "embedded:x", "en")


def test_engine_down_gives_the_friendly_message_and_is_never_kept(client, settings, tmp_path):
    session = session_with("Polders", ["Pumping the polders dry."])
    service.index_session(session.pk)
    with engine_down("embedded", settings, tmp_path):
        for _ in range(2):  # the failure was not cached: still the message, never a hit
            response, outcome = _search(client, "polders")
            assert response.status_code == 503 and outcome != "hit"
            assert "Search is unavailable at the moment." in response.content.decode()
    response, outcome = _search(client, "polders")
    assert response.status_code == 200 and outcome == "miss" and "Polders" in response.content.decode()
