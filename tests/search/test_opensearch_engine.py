"""OpenSearch-specific behaviour, against a real node (no mocks).

The node is ``settings.OPENSEARCH_URL`` (start one with ``search-node/start.sh``). Without
a node these tests skip with the reason; with ``OPENSEARCH_TESTS=1`` (CI) they fail.
Every test gets its own alias, and its indices are deleted afterwards."""

import html
import os
import threading
import uuid

import pytest
from django.conf import settings

from search.analysis import analysed_words
from search.engines import opensearch
from search.engines.base import (
    EngineUnavailable,
    MomentDocument,
    QueryError,
    SearchQuery,
    SessionDocument,
)
from search.engines.matching import plan_query, stored_words
from search.engines.opensearch import OpenSearchEngine
from search.engines.query_syntax import parse_query


@pytest.fixture(scope="module")
def node_url():
    url = settings.OPENSEARCH_URL
    if not OpenSearchEngine(url=url, index="unused", timeout=3).ping():
        message = f"no OpenSearch node answers at {url} (start one with search-node/start.sh)"
        if os.environ.get("OPENSEARCH_TESTS") == "1":
            pytest.fail(message + "; OPENSEARCH_TESTS=1 requires it")
        pytest.skip(message)
    return url


@pytest.fixture
def engine(node_url):
    engine = OpenSearchEngine(url=node_url, index=f"test-moments-{uuid.uuid4().hex[:12]}")
    yield engine
    engine.client.indices.delete(index=f"{engine.alias}*", ignore_unavailable=True)


def session(session_id, texts=(), language="en", **fields):
    moments = tuple(
        MomentDocument(start=30.0 * n, end=30.0 * n + 30, text=text) for n, text in enumerate(texts)
    )
    fields.setdefault("title", f"Session {session_id}")
    return SessionDocument(
        session_id=session_id, url=f"/sessions/{session_id}/", language=language, moments=moments, **fields
    )


def test_unreachable_node_raises_engine_unavailable():
    # Port 9 (discard) has no HTTP server on our machines: the connection is refused.
    engine = OpenSearchEngine(url="http://127.0.0.1:9", index="nothing", timeout=2)
    assert engine.ping() is False
    with pytest.raises(EngineUnavailable, match="unreachable"):
        engine.search(SearchQuery(text="anything"))
    with pytest.raises(EngineUnavailable):
        engine.index_sessions([session(1, ["text"])])


def test_index_is_an_alias_over_a_concrete_index_with_language_analyzers(engine):
    engine.index_sessions([session(1, ["hello"])])

    concrete = list(engine.client.indices.get_alias(name=engine.alias))
    assert len(concrete) == 1 and concrete[0].startswith(engine.alias + "-")
    mapping = engine.client.indices.get_mapping(index=engine.alias)[concrete[0]]["mappings"]["properties"]
    assert mapping["text_nl"]["analyzer"] == "dutch_text"
    assert mapping["text_en"]["analyzer"] == "english_text"
    assert mapping["title"]["fields"]["nl"]["analyzer"] == "dutch_text"
    assert mapping["session_id"]["type"] == "keyword"
    index_settings = engine.client.indices.get_settings(index=concrete[0])[concrete[0]]["settings"]["index"]
    assert index_settings["number_of_shards"] == "1"


def analyzed(engine, field, text):
    tokens = engine.client.indices.analyze(index=engine.alias, body={"field": field, "text": text})
    return [token["token"] for token in tokens["tokens"]]


def test_dutch_analyzer_stems_plural_to_singular(engine):
    engine.index_sessions([session(99)])
    # Lucene's Snowball Dutch alone leaves "innovaties" and "innovatie" apart.
    assert analyzed(engine, "text_nl", "innovaties innovatie") == ["innovatie", "innovatie"]
    assert len(set(analyzed(engine, "text_nl", "organisaties organisatie"))) == 1
    assert len(set(analyzed(engine, "text_nl", "gemeenten gemeente"))) == 1
    # Stop words stay (a remembered sentence is placed by its short words), as on the embedded engine.
    assert analyzed(engine, "text_nl", "de kinderen en het kind") == ["de", "kinder", "en", "het", "kinder"]
    assert analyzed(engine, "text_nl", "ideeën") == analyzed(engine, "text_nl", "ideeen")

    engine.index_sessions(
        [
            session(1, ["Vandaag bespreken we drie innovaties in de publieke sector."], language="nl"),
            session(2, ["Over de innovatiekracht van gemeenten."], language="nl"),
        ]
    )
    results = engine.search(SearchQuery(text="innovatie"))

    # The stemmed word first; "innovatiekracht" follows through the last word read as a prefix.
    assert [hit.session_id for hit in results.hits] == [1, 2]
    assert "<mark>innovaties</mark>" in results.hits[0].moments[0].snippet_html
    # A Dutch stop word in the query does not stop the Dutch moment from matching.
    assert engine.search(SearchQuery(text="de innovatie")).hits[0].session_id == 1


def test_english_analyzer_stems(engine):
    engine.index_sessions([session(1, ["Governments are running digital services."])])
    assert analyzed(engine, "text_en", "Governments running") == ["govern", "run"]
    assert analyzed(engine, "text_en", "the café's naïve") == ["the", "cafe", "naiv"]

    for words in ("government", "run", "services digital", '"digital service"'):
        results = engine.search(SearchQuery(text=words))
        assert [hit.session_id for hit in results.hits] == [1], words
    snippet = engine.search(SearchQuery(text="government")).hits[0].moments[0].snippet_html
    assert snippet.startswith("<mark>Governments</mark> are running")
    # Words that stem elsewhere, and phrases out of order, do not match.
    assert engine.search(SearchQuery(text="runner")).total == 0
    assert engine.search(SearchQuery(text='"services digital"')).total == 0


def test_collapse_gives_one_hit_per_session_with_its_best_three_moments(engine):
    many = [f"Moment {n} mentions climate." for n in range(8)] + ["Climate, climate, climate adaptation."]
    engine.index_sessions([session(1, many), session(2, ["Nothing on climate here? climate."]), session(3)])

    results = engine.search(SearchQuery(text="climate"))

    assert results.total == 2
    assert sorted(hit.session_id for hit in results.hits) == [1, 2]
    first = next(hit for hit in results.hits if hit.session_id == 1)
    assert len(first.moments) == 3
    # The moment that says it most often ranks first within its session.
    assert first.moments[0].start == 8 * 30.0
    assert [m.score for m in first.moments] == sorted((m.score for m in first.moments), reverse=True)
    # Paging is over sessions, not moments.
    page2 = engine.search(SearchQuery(text="climate", per_page=1, page=2))
    assert len(page2.hits) == 1 and page2.total == 2


def test_session_without_transcript_is_found_by_title_and_speakers(engine):
    engine.index_sessions([session(7, title="Open data in gemeenten", speakers=("Anna Jansen",))])

    by_title = engine.search(SearchQuery(text="open data"))
    assert [hit.session_id for hit in by_title.hits] == [7]
    assert by_title.hits[0].moments == []
    assert "<mark>Open</mark>" in by_title.hits[0].title_html
    assert [hit.session_id for hit in engine.search(SearchQuery(text="jansen")).hits] == [7]


def test_highlights_are_html_escaped(engine):
    engine.index_sessions(
        [
            session(
                1,
                ["<script>alert('x')</script> & innovation <b>bold</b>"],
                title="<i>Tricks</i> & innovation",
            )
        ]
    )

    hit = engine.search(SearchQuery(text="innovation")).hits[0]

    snippet = hit.moments[0].snippet_html
    assert "<mark>innovation</mark>" in snippet
    assert "<script" not in snippet and "&lt;script&gt;" in snippet
    assert "<b>" not in snippet and "&amp;" in snippet
    assert "<i>" not in hit.title_html and hit.title_html.startswith("&lt;i&gt;Tricks")
    assert html.unescape(hit.title_html.replace("<mark>", "").replace("</mark>", "")) == hit.title


def test_reindexing_a_session_drops_its_stale_moments(engine):
    engine.index_sessions([session(1, ["alpha one", "alpha two", "alpha three"])])
    engine.index_sessions([session(1, ["alpha again"])])

    hit = engine.search(SearchQuery(text="alpha")).hits[0]
    assert [m.start for m in hit.moments] == [0.0]
    assert "again" in hit.moments[0].snippet_html
    engine.remove_session(1)
    assert engine.search(SearchQuery(text="alpha")).total == 0
    assert engine.indexed_session_ids() == set()


def test_word_counts_for_the_ranking_count_live_moments_of_the_language(engine):
    engine.index_sessions(
        [
            session(1, ["innovaties in data", "open data", "iets anders"], language="nl"),
            session(2, ["data"], language="en"),
        ]
    )
    # Re-indexed with fewer moments: the replaced and dropped ones must not count.
    engine.index_sessions([session(1, ["innovatie en data", "niets"], language="nl")])

    expected = (2, {"innovaties": 1, "data": 1, "nergens": 0})
    assert engine._frequencies(["data", "innovaties", "nergens"], "nl") == expected
    assert engine._frequencies(["data"], "en") == (1, {"data": 1})
    # A search counts its words in the request that looks up their misheard forms.
    opensearch._frequency_cache.clear()
    engine.search(SearchQuery(text="innovaties data nergens"))
    assert engine._kept_frequencies("nl", ["data", "innovaties", "nergens"]) == expected  # sorted


def test_a_moment_keeps_its_words_as_the_shared_ranking_reads_them(engine):
    text = "De begroting: ideeën van Jan's team"
    engine.index_sessions([session(1, [text], language="nl")])

    stored = engine.client.get(index=engine.alias, id="1-0")["_source"]["words"]
    assert stored == stored_words(*analysed_words(text, "nl"))
    # ... and the candidate brings it back, so that rescoring need not tokenise the text.
    plan = plan_query(parse_query("begroting"))
    candidates = engine._retrieve(SearchQuery(text="begroting"), plan, {}).candidates
    assert [c.words for c in candidates if c.moment] == [stored]


# One shard counts in the hits request (a document per session), more in a second request.
@pytest.mark.parametrize("shards", [1, 2])
def test_facets_count_sessions_and_stay_stable_under_their_own_filter(engine, shards):
    engine.shards = shards
    engine.index_sessions(
        [
            session(1, ["data " * 3] * 5, themes=("AI",), year=2024),
            session(2, ["data"], themes=("AI", "Privacy"), year=2025),
            session(3, ["data"], themes=("Privacy",), year=2025),
            session(4, [], title="Data without a transcript", themes=("AI",), year=2025),
            session(5, ["other words"], themes=("AI",), year=2025),
        ]
    )

    results = engine.search(SearchQuery(text="data", filters={"theme": ["AI"]}))

    assert results.total == 3
    # Five moments of session 1 still count once, session 4 by its title; Privacy stays
    # offered under the AI filter.
    assert dict(results.facets["theme"]) == {"AI": 3, "Privacy": 2}
    assert dict(results.facets["year"]) == {"2024": 1, "2025": 2}
    assert {hit.session_id for hit in results.hits} == {1, 2, 4}
    assert results.facets["event"] == []  # sessions without an event offer no "" value


# A query decided by a moment's own text counts sessions over their session documents
# (their transcripts), the others over the matching moments: the two must agree.
@pytest.mark.parametrize("shards", [1, 2])
def test_sessions_counted_by_their_transcripts_as_by_their_moments(engine, shards, monkeypatch):
    engine.shards = shards
    engine.index_sessions(
        [
            # "open data" only across two moments: not a phrase said in one place.
            session(1, ["we need open", "data for everyone"], themes=("AI",), year=2024),
            session(2, ["an open data portal"], themes=("AI", "Privacy"), year=2025),
            session(3, ["data quality", "data again"], themes=("Privacy",), year=2025),
            session(4, [], title="Open data without a transcript", themes=("AI",), year=2025),
            session(5, ["ophef over de open data"], language="nl", themes=("Privacy",), year=2025),
            session(6, ["the portal"], themes=("Privacy",), year=2025),
        ]
    )
    queries = [
        SearchQuery(text='"open data"'),
        SearchQuery(text="data"),
        SearchQuery(text="data", filters={"theme": ["Privacy"]}),
        SearchQuery(text="portal quality"),
        SearchQuery(text="porta"),  # the last word is also a prefix
        SearchQuery(text="kwaliteit"),  # nothing
    ]

    def counted(query):
        plan = plan_query(parse_query(query.text))
        found = engine._retrieve(query, plan, query.filters or {})
        candidates = {(c.session_id, c.moment.start if c.moment else None) for c in found.candidates}
        return found.total, found.facets, candidates, set(found.ranked)

    assert all(opensearch.decided_by_own_text(plan_query(parse_query(q.text))) for q in queries)
    by_transcripts = [counted(query) for query in queries]
    monkeypatch.setattr(opensearch, "decided_by_own_text", lambda plan: False)
    by_moments = [counted(query) for query in queries]

    assert by_transcripts == by_moments
    assert by_transcripts[0][0] == 3  # sessions 2, 4 (its title) and 5, not 1
    assert dict(by_transcripts[2][1]["theme"]) == {"AI": 3, "Privacy": 3}  # 1, 2, 4; 2, 3, 5
    assert by_transcripts[5][0] == 0
    # The transcript is a document of its own: session documents, read with every search,
    # stay small.
    assert "transcript_en" not in engine.client.get(index=engine.alias, id="3")["_source"]
    transcript = engine.client.get(index=engine.alias, id="3-transcript")["_source"]
    assert transcript["transcript_en"] == ["data quality", "data again"]


def test_rebuild_swaps_the_alias_without_an_empty_window(engine):
    engine.rebuild([session(n, [f"budget talk {n}"]) for n in range(1, 4)])
    first_index = list(engine.client.indices.get_alias(name=engine.alias))

    totals = []
    stop = threading.Event()

    def search_continuously():
        while not stop.is_set():
            totals.append(engine.search(SearchQuery(text="budget")).total)

    reader = threading.Thread(target=search_continuously)
    reader.start()
    try:
        count = engine.rebuild(session(n, [f"budget plan {n}"] * 20) for n in range(10, 400))
    finally:
        stop.set()
        reader.join()

    assert count == 390
    assert totals and min(totals) >= 3, "a visitor saw an empty or partial index"
    second_index = list(engine.client.indices.get_alias(name=engine.alias))
    assert len(second_index) == 1 and second_index != first_index
    assert not engine.client.indices.exists(index=first_index[0]), "the old index was not deleted"
    assert engine.search(SearchQuery(text="budget")).total == 390
    assert engine.indexed_session_ids() == set(range(10, 400))


def test_a_rebuilt_index_answers_from_one_segment_per_shard(engine, monkeypatch):
    """Loaded in many segments (a flush after every bulk request), merged into one before
    the alias moves to it: a search visits every segment."""
    real_bulk = opensearch.dsl.bulk

    def bulk_then_flush(client, actions, **kwargs):
        result = real_bulk(client, actions, **kwargs)
        client.indices.flush(index=actions[0]["_index"])
        return result

    monkeypatch.setattr(opensearch.dsl, "bulk", bulk_then_flush)
    monkeypatch.setattr(opensearch, "REBUILD_BULK_CHUNK", 5)
    engine.rebuild(session(n, [f"budget plan {n}", f"cuts {n}"]) for n in range(1, 30))

    (index,) = engine.client.indices.get_alias(name=engine.alias)
    shards = engine.client.indices.segments(index=index)["indices"][index]["shards"]
    for copies in shards.values():
        for copy in copies:
            live = [name for name, segment in copy["segments"].items() if segment["search"]]
            assert len(live) == 1, f"{len(live)} segments in shard {copy['routing']}"
    assert engine.search(SearchQuery(text="budget")).total == 29


def test_odd_query_syntax_never_raises_and_overlong_queries_are_refused(engine):
    engine.index_sessions([session(1, ["Budget (2025) plans: cuts & growth."])])

    for text in ['"unclosed', "((", "-", "|||", "*", "\\", "title:budget", "~2 budget~", "+-+", "<b>"]:
        engine.search(SearchQuery(text=text))  # answers, whatever it finds
    assert engine.search(SearchQuery(text='"budget 2025" -cuts')).total == 0
    assert engine.search(SearchQuery(text='"budget 2025" OR nothing -growth')).total == 0
    assert engine.search(SearchQuery(text="nothing OR growth")).total == 1
    # Operators other than quotes, OR and -word are separators (no query syntax reaches the engine).
    # "*" is only a separator, but the last word is read as a prefix too (people stop typing early).
    assert engine.search(SearchQuery(text="budg*")).total == 1
    assert engine.search(SearchQuery(text="budget~ (plans)")).total == 1
    # No words at all: browse, like an empty query.
    assert engine.search(SearchQuery(text="((")).hits[0].moments == []
    with pytest.raises(QueryError, match="niet alleen woorden om uit te sluiten"):
        engine.search(SearchQuery(text="-budget"))
    with pytest.raises(QueryError, match="te lang"):
        engine.search(SearchQuery(text="budget " * 40))
    with pytest.raises(QueryError, match="Onbekend filter"):
        engine.search(SearchQuery(text="budget", filters={"colour": ["red"]}))
    with pytest.raises(QueryError, match="jaar moet een getal"):
        engine.search(SearchQuery(text="budget", filters={"year": ["last year"]}))
