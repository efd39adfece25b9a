"""The search contract: the same tests, through the service and the views, on every engine.

``embedded`` always runs. ``opensearch`` runs when a node answers at OPENSEARCH_URL; without
one it skips with the reason, except under OPENSEARCH_TESTS=1 (set by scripts/test.sh once
it started the node), where an unreachable node fails the test.

The JFK test runs the real pipeline (ffmpeg + faster-whisper via
transcripts.pipeline.run_transcription) once per module on ../shared/data/jfk.flac and
reuses its segments for the second engine."""

from __future__ import annotations

import datetime
import html
import json
from pathlib import Path

import pytest
from django.urls import reverse
from wagtail.models import PageViewRestriction

from search import service
from search.engines.base import EngineUnavailable, QueryError
from search.models import PendingIndexChange, QueryLog
from search.views import link_seconds
from tests.factories import make_event, make_private, make_recording, make_session, make_theme
from tests.search.helpers import (
    add_transcript,
    engine_down,
    run_enqueued,
    session_with,
    use_engine,
)
from tests.shared_data import require_shared_file
from transcripts.models import Segment, Transcript

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
JFK_PHRASE = "ask not what your country can do for you"


@pytest.fixture(params=["embedded", "opensearch"])
def engine_name(request, settings, tmp_path):
    cleanup = use_engine(request.param, settings, tmp_path)
    yield request.param
    cleanup()


def search(text="", **filters):
    return service.search(text, {k: v if isinstance(v, list) else [v] for k, v in filters.items()})


# -- finding the moment --------------------------------------------------------------------------

_jfk_run: dict = {}


def jfk_segments(recording) -> tuple[list[dict], str]:
    """Segments of jfk.flac from the real pipeline (first call) or that run's copy."""
    if "segments" not in _jfk_run:
        from transcripts.pipeline import run_transcription

        transcript = run_transcription(recording.pk)
        assert transcript.status == Transcript.Status.DONE, transcript.error
        _jfk_run["segments"] = [
            {"start": s.start, "end": s.end, "text": s.text, "words": s.words}
            for s in transcript.segments.all()
        ]
        _jfk_run["language"] = transcript.language
        return _jfk_run["segments"], "pipeline"
    transcript, _ = Transcript.objects.update_or_create(
        recording=recording, defaults={"status": Transcript.Status.DONE, "language": _jfk_run["language"]}
    )
    transcript.replace_segments([Segment(**s) for s in _jfk_run["segments"]])
    return _jfk_run["segments"], "copy"


def spoken_at(segments, word="ask") -> float:
    """When ``word`` is first spoken: from the word timings, else the measured fixture."""
    for segment in segments:
        for start, _end, text, *_ in segment.get("words") or []:
            if text.strip(" ,.").lower() == word:
                return start
    measured = json.loads((FIXTURES / "jfk_whisper_segments.json").read_text())
    return next(w[0] for s in measured["segments"] for w in s["words"] if w[2].strip(" ,.").lower() == word)


def test_jfk_phrase_finds_the_session_and_the_moment(engine_name):
    audio = require_shared_file("jfk.flac")
    jfk = make_session(
        title="Inaugural address", slug="inaugural", recording=make_recording(audio), speakers=["JFK"]
    )
    segments, _source = jfk_segments(jfk.recording)
    # Distractors share words of the phrase, but not the phrase.
    session_with("Your country needs data", ["What can your data do? Ask the country."])
    session_with("Asking questions", ["Do not ask what you can do; ask for help with your country visit."])
    service.rebuild()

    results = search(f'"{JFK_PHRASE}"')

    assert results.hits, "the phrase found nothing"
    first = results.hits[0]
    assert first.session_id == jfk.pk and first.title == "Inaugural address"
    assert results.total == 1  # a phrase, not the loose words
    moment = first.moments[0]
    # The link starts at the first word of the phrase (word timings), not at its segment.
    assert 0 <= spoken_at(segments) - moment.at <= 1.0
    assert "<mark>" in moment.snippet_html and "country" in moment.snippet_html.lower()
    # A phrase marks the phrase only, not its words elsewhere ("ask what you can do for ...").
    assert moment.snippet_html.count("<mark>") == len(JFK_PHRASE.split())


def test_words_match_across_moment_text_and_session_fields(engine_name):
    target = session_with("Open data", ["We publish every budget as open data."], speakers=["Ann de Vries"])
    session_with("Budgets", ["The budget was discussed."])
    service.rebuild()

    results = search("budget vries")  # one word in the moment, one in the speaker

    # Both words (moment + speaker) first; a session with only one of them follows.
    assert results.hits[0].session_id == target.pk
    assert "<mark>budget</mark>" in results.hits[0].moments[0].snippet_html


def test_session_without_transcript_is_found_by_title_summary_and_speaker(engine_name):
    session = make_session(
        title="Quantum procurement",
        summary="Buying computers that do not exist yet",
        speakers=["Grace Hopper"],
    )
    service.index_session(session.pk)

    for words in ("quantum", "computers", "hopper"):
        results = search(words)
        assert [hit.session_id for hit in results.hits] == [session.pk], words
        assert results.hits[0].moments == []


# -- language analysis -----------------------------------------------------------------------------


def test_dutch_stemming_innovaties_finds_innovatie(engine_name):
    dutch = session_with(
        "Werken bij het Rijk", ["Vandaag bespreken we drie innovaties in de zorg."], language="nl"
    )
    service.rebuild()

    results = search("innovatie")

    assert [hit.session_id for hit in results.hits] == [dutch.pk]
    assert "<mark>innovaties</mark>" in results.hits[0].moments[0].snippet_html


def test_english_stemming_running_finds_runs_and_run(engine_name):
    runs = session_with("Services", ["The service runs on open source."])
    run = session_with("Teams", ["Who will run the team next year?"])
    session_with("Other", ["Nothing about that here."])
    service.rebuild()

    results = search("running")

    assert {hit.session_id for hit in results.hits} == {runs.pk, run.pk}


# -- facets, filters, pagination ---------------------------------------------------------------


@pytest.fixture
def faceted(engine_name):
    km26, km25 = make_event("Kennismaand", 2026), make_event("Kennismaand", 2025)
    a = session_with("Data A", ["Open data in 2026."], speakers=["Ann"], event=km26)
    b = session_with(
        "Data B",
        ["Data bij gemeenten."],
        language="nl",
        speakers=["Bob"],
        event=km25,
        date=datetime.date(2025, 3, 1),
    )
    c = session_with("Data C", ["Data together."], speakers=["Ann", "Bob"], event=km26)
    session_with("Other", ["Nothing to see."], speakers=["Cee"], event=km26)
    make_theme("Data en AI", [a, c])
    service.rebuild()
    return a, b, c


def test_facets_count_sessions(faceted):
    results = search("data")

    assert results.total == 3
    assert dict(results.facets["speaker"]) == {"Ann": 2, "Bob": 2}
    assert dict(results.facets["event"]) == {"Kennismaand 2026": 2, "Kennismaand 2025": 1}
    assert dict(results.facets["year"]) == {"2026": 2, "2025": 1}
    assert dict(results.facets["language"]) == {"en": 2, "nl": 1}
    assert dict(results.facets["theme"]) == {"Data en AI": 2}


def test_filters_narrow_hits_and_facets_stay_stable(faceted):
    a, b, c = faceted

    results = search("data", speaker="Ann")

    assert {hit.session_id for hit in results.hits} == {a.pk, c.pk} and results.total == 2
    # The selected facet keeps its other values on offer (post_filter semantics) ...
    assert dict(results.facets["speaker"]) == {"Ann": 2, "Bob": 2}
    # ... the other facets count within the selection.
    assert dict(results.facets["year"]) == {"2026": 2}

    both = search("data", speaker=["Ann", "Bob"], year="2025")
    assert [hit.session_id for hit in both.hits] == [b.pk]
    assert dict(both.facets["year"]) == {"2026": 2, "2025": 1}


@pytest.mark.parametrize("year", ["last year", "2147483648", "0", "-1", "²", "①"])  # digits to isdigit()
def test_bad_filter_values_are_query_errors(faceted, year):
    with pytest.raises(QueryError):
        search("data", year=year)


def test_pagination_over_sessions(engine_name):
    ids = {session_with(f"Talk {n}", [f"Procurement lesson number {n}."]).pk for n in range(12)}
    service.rebuild()

    first = service.search("procurement", page=1)
    second = service.search("procurement", page=2)
    beyond = service.search("procurement", page=3)

    assert first.total == second.total == 12
    assert len(first.hits) == 10 and len(second.hits) == 2 and beyond.hits == []
    assert {h.session_id for h in first.hits} | {h.session_id for h in second.hits} == ids


def test_empty_query_browses_all_sessions_newest_first(faceted):
    results = search("")
    assert results.total == 4
    assert results.hits[-1].date == "2025-03-01"


# -- snippets ----------------------------------------------------------------------------------------


def test_snippets_mark_query_words_and_escape_transcript_html(engine_name):
    session = session_with("Security", ["Never paste <script>alert(1)</script> into the budget form & co."])
    service.rebuild()

    results = search("budget")

    snippet = results.hits[0].moments[0].snippet_html
    assert "<mark>budget</mark>" in snippet
    assert "&lt;script&gt;" in snippet and "<script>" not in snippet
    assert "&amp;" in snippet
    assert html.unescape(snippet.replace("<mark>", "").replace("</mark>", "")).startswith(
        "Never paste <script>"
    )
    assert results.hits[0].session_id == session.pk


# -- privacy and lifecycle --------------------------------------------------------------------------


def test_unpublish_removes_publish_restores(engine_name, django_capture_on_commit_callbacks):
    session = session_with("Circular economy", ["Circular procurement saves material."])
    service.rebuild()
    assert [h.session_id for h in search("circular").hits] == [session.pk]

    with django_capture_on_commit_callbacks(execute=True):
        session.unpublish()
    run_enqueued()
    results = search("circular")
    assert results.hits == [] and results.total == 0

    with django_capture_on_commit_callbacks(execute=True):
        session.get_latest_revision().publish()
    run_enqueued()
    assert [h.session_id for h in search("circular").hits] == [session.pk]


def test_private_and_draft_sessions_never_appear(engine_name, client, django_capture_on_commit_callbacks):
    public = session_with("Public talk", ["Secret ingredient of good policy."], speakers=["Open Speaker"])
    private = session_with("Private zebra talk", ["Secret zebra plans."], speakers=["Hidden Speaker"])
    draft = session_with("Draft zebra talk", ["Secret zebra drafts."], speakers=["Draft Speaker"], live=False)
    with django_capture_on_commit_callbacks(execute=True):
        make_private(private)
    service.rebuild()
    run_enqueued()
    service.index_session(draft.pk)  # asking for it explicitly still keeps it out

    results = search("secret")
    assert [h.session_id for h in results.hits] == [public.pk] and results.total == 1
    speakers = dict(results.facets["speaker"])
    assert "Hidden Speaker" not in speakers and "Draft Speaker" not in speakers
    assert search("zebra").total == 0

    page = client.get("/search/", {"q": "secret zebra"}).content.decode()
    api = client.get("/api/search/", {"q": "secret"}).content.decode()
    for body in (page, api):
        assert "Private zebra talk" not in body and "Hidden Speaker" not in body and "Draft zebra" not in body


def test_a_lagging_index_shows_nothing_of_sessions_hidden_since(engine_name):
    """Hidden after indexing, with no index job run: hits, totals and facets all leave it out."""
    public = session_with("Open talk", ["Quiet harbour policy."], speakers=["Open Speaker"])
    hidden = session_with(
        "Later hidden talk", ["Quiet harbour secrets."], speakers=["Hidden Speaker"], summary="xylofoon"
    )
    service.rebuild()
    assert search("harbour").total == 2
    hidden.unpublish()  # the index job this queues is never run

    for results in (
        search("harbour"),
        search(""),
        search("xylofoon"),
        search("harbour", speaker="Hidden Speaker"),
    ):
        assert hidden.pk not in [h.session_id for h in results.hits]
        assert "Hidden Speaker" not in dict(results.facets["speaker"])
    assert search("harbour").total == 1 and search("").total == 1
    assert search("xylofoon").total == 0 and search("harbour", speaker="Hidden Speaker").total == 0
    assert [h.session_id for h in search("harbour").hits] == [public.pk]


def test_a_theme_made_private_since_indexing_is_in_no_hit_facet_or_filter(engine_name):
    """The sessions' documents still carry the theme's title (no index job run): the engine-
    neutral search drops it from hits and facets, and a filter on it finds nothing, exactly as
    a filter on a theme that never existed."""
    a = session_with("Harbour A", ["Quiet harbour policy."])
    b = session_with("Harbour B", ["Quiet harbour plans."])
    make_theme("Open Theme", [a, b])
    secret = make_theme("Secret Theme", [a])
    service.rebuild()
    assert dict(search("harbour").facets["theme"]) == {"Open Theme": 2, "Secret Theme": 1}
    make_private(secret, PageViewRestriction.PASSWORD, "pw")  # the reindex this queues never runs

    for results in (search("harbour"), search(""), search("harbour", theme="Open Theme")):
        assert dict(results.facets["theme"]) == {"Open Theme": 2}
        assert all(hit.themes == ["Open Theme"] for hit in results.hits) and results.hits
    hidden, unknown = search("harbour", theme="Secret Theme"), search("harbour", theme="No Such Theme")
    assert hidden.total == unknown.total == 0 and hidden.hits == unknown.hits == []
    assert hidden.facets == unknown.facets
    assert dict(hidden.facets["theme"]) == {"Open Theme": 2}
    both = search("harbour", theme=["Secret Theme", "Open Theme"])
    assert both.total == 2 and dict(both.facets["theme"]) == {"Open Theme": 2}


def test_transcript_change_reaches_the_index(engine_name, django_capture_on_commit_callbacks):
    session = session_with("Corrections", ["The mayor spoke about bicycles."])
    service.rebuild()
    assert search("tram").total == 0

    from transcripts.signals import transcript_changed

    transcript = Transcript.objects.get(recording=session.recording)
    transcript.replace_segments([Segment(start=0, end=10, text="The mayor spoke about trams.")])
    with django_capture_on_commit_callbacks(execute=True):
        transcript_changed.send(
            sender=Transcript, transcript=transcript, recording_id=transcript.recording_id
        )
    run_enqueued()

    assert [h.session_id for h in search("tram").hits] == [session.pk]
    assert search("bicycles").total == 0


def test_speaker_rename_and_theme_publish_reach_the_index(engine_name, django_capture_on_commit_callbacks):
    session = session_with("Housing", ["Houses for everyone."], speakers=["Old Name"])
    service.rebuild()

    speaker = session.speakers[0]
    speaker.name = "Fresh Name"
    with django_capture_on_commit_callbacks(execute=True):
        speaker.save()
    with django_capture_on_commit_callbacks(execute=True):
        make_theme("Wonen", [session])
    run_enqueued()

    results = search("houses")
    assert results.hits[0].speakers == ["Fresh Name"]
    assert dict(results.facets["theme"]) == {"Wonen": 1}
    assert search("fresh").total == 1


# -- odd input and failures, through the views -----------------------------------------------------

ODD_QUERIES = [
    "",
    " ",
    "a" * 1000,
    "word " * 200,
    '"unbalanced quote',
    "title:(a OR",
    "((((",
    "))) AND NOT",
    "NEAR(a b, 3)",
    'foo* ^bar "baz',
    "-only -excluded",
    "OR",
    "🙂🎉 emoji",
    "<script>alert(1)</script>",
    "'; DROP TABLE sessions; --",
    "\x00\x01 control",
    "ünïcödé ideeën",
]


@pytest.mark.parametrize("query", ODD_QUERIES, ids=range(len(ODD_QUERIES)))
def test_odd_queries_never_fail(engine_name, client, query):
    session_with("Anything", ["Some words to find."])
    service.rebuild()

    page = client.get("/search/", {"q": query, "page": "x"})
    api = client.get("/api/search/", {"q": query, "year": "2026"})

    assert page.status_code == 200 and api.status_code == 200
    body = api.json()
    assert "error" in body or "sessions" in body
    assert "<script>alert(1)</script>" not in page.content.decode()


def test_engine_down_answers_503_and_a_retry_catches_up(engine_name, settings, tmp_path, client):
    session = session_with("Resilience", ["Backups keep the lights on."])
    service.rebuild()

    with engine_down(engine_name, settings, tmp_path):
        page = client.get("/search/", {"q": "backups"})
        api = client.get("/api/search/", {"q": "backups"})
        unavailable = "Zoeken werkt op dit moment niet"  # Dutch, the site's default language
        assert page.status_code == 503 and unavailable in page.content.decode()
        assert api.status_code == 503 and unavailable in api.json()["error"]
        assert client.get(session.url).status_code == 200

        add_transcript(session, ["Backups keep the lights on, and generators too."])
        with pytest.raises(EngineUnavailable):
            service.index_session(session.pk)
        assert PendingIndexChange.objects.filter(session_id=session.pk).exists()
        assert service.retry_pending() == (0, 1)

    assert search("generators").total == 0  # not caught up yet
    assert service.retry_pending() == (1, 0)
    assert [h.session_id for h in search("generators").hits] == [session.pk]


def test_queries_are_logged(engine_name):
    session_with("Logged", ["Zero results are interesting for editors."])
    service.rebuild()

    search("editors")
    search("nonexistentword")

    logged = {entry.query: entry.result_count for entry in QueryLog.objects.all()}
    assert logged == {"editors": 1, "nonexistentword": 0}


def test_api_returns_moments_with_deep_links(engine_name, client):
    session = session_with("Deep links", ["Intro.", "Later we talk about lighthouses."])
    service.rebuild()

    body = client.get(reverse("search:api"), {"q": "lighthouses"}).json()

    assert body["total"] == 1 and body["page"] == 1 and body["pages"] == 1
    hit = body["sessions"][0]
    assert hit["id"] == session.pk
    moment = hit["moments"][0]
    # The link starts at the segment with the words (engines that know it) or the moment.
    assert moment["start"] <= moment["at"] <= 10.0 <= moment["end"]
    assert moment["url"] == f"{session.url}?t={link_seconds(moment['at'])}"
    assert "<mark>lighthouses</mark>" in moment["snippet_html"]
    assert set(body["facets"]) == {"theme", "speaker", "organisation", "event", "year", "language"}


def test_a_moment_links_to_the_segment_where_its_words_were_said(engine_name, client):
    # One moment of four 6.2 s segments (windows grow to 20 s); the word is said only in
    # the third. Escaped characters before it (&, quotes, /, <>) would shift an offset
    # read from the highlighted HTML into the fourth segment if it were not unescaped.
    seconds = 6.2
    session = session_with("Coastal policy", slug="coastal-policy")
    add_transcript(
        session,
        [
            "Welcome to the morning programme.",
            """Budget & "R&D" / <costs> at 'the' ministry.""",
            "Then the keepers of the lighthouse.",
            "Finally questions from the room.",
        ],
        seconds=seconds,
    )
    service.rebuild()
    third_starts = 2 * seconds

    results = search("lighthouse")

    [hit] = results.hits
    [moment] = hit.moments
    assert moment.start == 0.0 and moment.end >= 4 * seconds - 0.01  # the window, all four
    assert moment.at is not None and abs(moment.at - third_starts) <= 0.5
    body = client.get(reverse("search:api"), {"q": "lighthouse"}).json()
    linked = body["sessions"][0]["moments"][0]
    assert abs(linked["at"] - third_starts) <= 0.5
    assert linked["url"] == f"{session.url}?t=12.4"  # floored to hundredths, not t=12 or t=0
    page = client.get(reverse("search:search"), {"q": "lighthouse"}).content.decode()
    assert f'href="{session.url}?t=12.4"' in page


# -- transcripts with wrong words (issue: ASR-robust search) -------------------------------------

FILLER_NL = [
    "Goedemorgen allemaal en welkom bij deze sessie.",
    "We kijken eerst naar de planning voor volgend jaar.",
    "Daarna is er tijd voor vragen uit de zaal.",
]


def test_a_misheard_word_still_finds_its_moment(engine_name):
    texts = FILLER_NL + ["We moeten dit apparaat meezing te nemen naar het lab."] + FILLER_NL
    session = session_with("Het lab", texts, language="nl")
    session_with("Andere sessie", ["We moeten morgen vroeg beginnen."], language="nl")
    service.rebuild()

    results = search("moeten dit apparaat mee zien")

    assert results.hits[0].session_id == session.pk
    best = results.hits[0].moments[0]
    assert 30.0 <= best.at <= 40.0  # the fourth line, said from 30 s
    assert "<mark>apparaat</mark>" in best.snippet_html


def test_a_word_with_a_short_stem_still_meets_its_misheard_form(engine_name):
    # Dutch "deksel" stems to "dek", which no edit may change; the edits a word may differ
    # by follow the word as typed, so the model's "teksel" still meets it.
    session_with("Gereedschap", ["Probeer het eens met de hamer."], language="nl")
    heard = session_with("De kist", ["Probeer in stellingen de teksel te doen."], language="nl")
    service.rebuild()

    results = search("probeer deksel")

    assert results.hits[0].session_id == heard.pk
    assert "<mark>teksel</mark>" in results.hits[0].moments[0].snippet_html


def test_a_stop_word_is_never_looked_up_as_a_misheard_word(engine_name):
    # "band" is one letter from "and", which nearly every English moment holds: a moment
    # holding only "and" is not found by "band".
    session_with("Stop words", ["This and that, and then some more."])
    band = session_with("Music", ["The band played until midnight."])
    misheard = session_with("Misheard", ["The bend played until midnight."])
    service.rebuild()

    results = search("band")

    assert {h.session_id for h in results.hits} == {band.pk, misheard.pk}
    assert results.hits[0].session_id == band.pk


def test_a_full_match_outranks_a_partial_one(engine_name):
    partial = session_with("Begroting", ["The council approved the budget for next year."])
    full = session_with("Openness", ["Every budget is published as open data by the council."])
    service.rebuild()

    results = search("open data budget council")

    assert [h.session_id for h in results.hits] == [full.pk, partial.pk]
    assert results.hits[0].score > results.hits[1].score


def test_words_misheard_across_their_spaces_still_rank_their_moment_first(engine_name):
    # The model wrote "vreemd stuk koraal" as one misheard word: no word rule meets it, but
    # the words as they sound, spaces dropped, are a letter or two apart.
    heard = session_with("Het rif", FILLER_NL + ["Kijk, dat is een breemstukkoraal."], language="nl")
    session_with("Het weer", ["Dat is een vreemde dag om te wandelen."], language="nl")
    service.rebuild()

    results = search("is een vreemd stuk koraal")

    assert results.hits[0].session_id == heard.pk
    assert 30.0 <= results.hits[0].moments[0].at <= 40.0  # the fourth line, said from 30 s


@pytest.mark.parametrize(
    ("spoken", "typed"),
    [("Wij publiceren alles als open data.", "opendata"), ("Alles is opendata.", "open data")],
)
def test_a_compound_meets_its_parts(engine_name, spoken, typed):
    session = session_with("Gegevens", FILLER_NL + [spoken], language="nl")
    session_with("Ruis", ["Niets over gegevens hier."], language="nl")
    service.rebuild()

    results = search(typed)

    assert results.hits and results.hits[0].session_id == session.pk, typed
    assert results.hits[0].moments and "<mark>" in results.hits[0].moments[0].snippet_html


def test_a_compound_said_apart_and_misheard_still_meets(engine_name):
    # "stoplicht" transcribed as "stop echt": its first part heard right, the rest misheard.
    heard = session_with("Verkeer", FILLER_NL + ["Wacht, zie je de rode stop echt niet?"], language="nl")
    session_with("Auto's", ["Zie je de rode auto daar?"], language="nl")
    service.rebuild()

    results = search("rode stoplicht")

    assert results.hits[0].session_id == heard.pk
    assert "<mark>stop</mark> <mark>echt</mark>" in results.hits[0].moments[0].snippet_html


def test_three_words_two_misheard_still_find_the_moment_and_say_so(engine_name, client):
    # Three words ask for a moment holding two; when none does, those holding one follow.
    said = "Die witte pisse ik kreiselijk in de weg."
    heard = session_with("Het aquarium", FILLER_NL + [said], language="nl")
    service.rebuild()

    results = search("witte vis zit")

    assert results.loosened and results.hits[0].session_id == heard.pk
    assert "<mark>witte</mark>" in results.hits[0].moments[0].snippet_html
    assert not search("witte weg").loosened  # moments hold enough of these words
    page = client.get(reverse("search:search"), {"q": "witte vis zit"}).content.decode()
    assert "Geen moment bevat de meeste van uw woorden" in page
    # Not loosened to a page of moments holding only a stop word.
    nothing = search("qwertyuiop zxcvbnm de")
    assert not nothing.hits and not nothing.loosened


def test_a_quoted_phrase_stays_exact(engine_name):
    exact = session_with("Open data", ["We publish open data every week."])
    session_with("Data is open", ["The data is open to everyone."])
    service.rebuild()

    results = search('"open data"')

    assert [h.session_id for h in results.hits] == [exact.pk]
    assert results.hits[0].moments[0].snippet_html.count("<mark>") == 2


def test_a_word_found_nowhere_gives_no_result_and_a_suggestion(engine_name, client):
    session_with("Budgets", ["The budget was discussed at length."])
    service.rebuild()

    results = search("bidgit")

    assert results.total == 0 and not results.hits
    assert "budget" in results.did_you_mean
    assert "budget" in client.get("/api/search/", {"q": "bidgit"}).json()["did_you_mean"]
    assert search("budget").did_you_mean == []


# Found by bench/fuzz.py on the demo talks: 25 words with prefixes and quotes, within the words
# a query may have, passed OpenSearch's limit of 1024 clauses (a 500).
MANY_PARTS = (
    'gedeeld * "bij "&amp;" duurde-duurde "headings" "NEAR(a b, 2)" yᑮ a┖ twee "centre" al* '
    "publiceren about -- 18446744073709551616 benefited* leveranciers mee* vertrouwelijk xander mijn "
    '"? x^3 reparatie your'
)


def test_a_query_of_many_parts_finds_or_explains_never_fails(engine_name, client):
    from library.demo.content import TALKS

    for talk in TALKS:
        session_with(
            talk["title"],
            talk["script"].split(". "),
            language=talk["language"],
            speakers=talk["speakers"],
            summary=talk["summary"],
        )
    service.rebuild()

    for path in ("/api/search/", "/search/"):
        answer = client.get(path, {"q": MANY_PARTS})
        assert answer.status_code == 200, path
    body = client.get("/api/search/", {"q": MANY_PARTS}).json()
    assert "error" not in body or "minder woorden" in body["error"]  # the site speaks Dutch first


def test_did_you_mean_offers_no_word_of_a_session_hidden_since_indexing(engine_name):
    """The index still holds the hidden session's words (no index job run): a misspelling of
    one must not be answered with the word, which would confirm it is said there."""
    session_with("Budgets", ["The budget was discussed at length."])
    hidden = session_with("Later hidden", ["The zeppelin shipyard was discussed."])
    service.rebuild()
    assert "zeppelin" in search("zeplin").did_you_mean
    make_private(hidden)

    assert search("zeplin").did_you_mean == [] and search("zeplin").total == 0
    assert "budget" in search("bidgit").did_you_mean


@pytest.mark.parametrize(
    ("typed", "spoken"),
    [
        ("accesibility", "Accessibility matters for every website."),
        ("duurza", "Een duurzaam gebouw bespaart energie."),
        ("experimnten", "We doen experimenten met nieuwe werkvormen."),
    ],
)
def test_typos_and_unfinished_last_words_still_find(engine_name, typed, spoken):
    language = "en" if typed == "accesibility" else "nl"
    session = session_with("Target", [spoken], language=language)
    session_with("Other", ["Something else entirely."], language=language)
    service.rebuild()

    results = search(typed)

    assert [h.session_id for h in results.hits] == [session.pk], typed


def test_one_moment_per_place_in_the_talk(engine_name):
    # Short segments make overlapping windows that share the matching segment.
    session = session_with("Captions", [f"Line {n} about captions and subtitles." for n in range(12)])
    service.rebuild()

    moments = search("captions").hits[0].moments

    places = [m.at for m in moments]
    assert len(places) == len(set(places)) and session.pk
