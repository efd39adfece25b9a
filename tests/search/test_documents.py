"""Building index documents from the database, text analysis and query reading."""

from types import SimpleNamespace

import pytest

from search.analysis import analyse, analysis_language, stem
from search.documents import build_moments, session_document
from search.engines.base import QueryError
from search.engines.matching import Matcher, plan_query
from search.engines.query_syntax import parse_query
from tests.factories import make_event, make_theme
from tests.search.helpers import add_transcript, session_with


def segments(*spans):
    return [SimpleNamespace(start=a, end=b, text=f"s{n}") for n, (a, b) in enumerate(spans)]


def test_moments_are_20_to_40_second_windows_overlapping_by_one_segment():
    moments = build_moments(segments(*[(6 * n, 6 * n + 6) for n in range(20)]))  # 2 minutes of 6 s

    for moment in moments[:-1]:
        assert 20 <= moment.end - moment.start <= 40
    for before, after in zip(moments, moments[1:], strict=False):
        assert before.text.split()[-1] == after.text.split()[0]  # one shared segment
    assert moments[0].start == 0 and moments[-1].end == 120
    covered = {word for m in moments for word in m.text.split()}
    assert covered == {f"s{n}" for n in range(20)}


def test_long_segments_stand_alone_and_empty_ones_are_skipped():
    spans = segments((0, 50), (50, 100), (100, 103))
    spans.insert(1, SimpleNamespace(start=50, end=50, text="  "))
    moments = build_moments(spans)
    assert [(m.start, m.end) for m in moments] == [(0, 50), (50, 100), (100, 103)]
    assert build_moments([]) == ()


def test_phrase_across_a_segment_boundary_lies_inside_one_moment():
    parts = [
        SimpleNamespace(start=10.0 * n, end=10.0 * n + 10, text=t)
        for n, t in enumerate(
            ["one two three", "ask not what", "your country can", "do for you", "and more", "and even more"]
        )
    ]
    moments = build_moments(parts)
    # Each boundary between two segments lies inside some moment.
    for left, right in zip(parts, parts[1:], strict=False):
        assert any(f"{left.text} {right.text}" in m.text for m in moments)


@pytest.mark.parametrize(
    "language, words",
    [
        ("nl", ["innovaties", "innovatie"]),
        ("nl", ["organisaties", "organisatie"]),
        ("en", ["running", "runs", "run"]),
    ],
)
def test_stemming_conflates_word_forms(language, words):
    assert len({stem(w, language) for w in words}) == 1


def test_analyse_folds_case_and_diacritics_and_drops_punctuation():
    assert analyse("Ideeën, IDEEËN!", "nl") == analyse("ideeen ideeen", "nl")
    assert (
        analysis_language("nl-NL") == "nl"
        and analysis_language("auto") == "en"
        and analysis_language("") == "en"
    )


def test_parse_query_reads_phrases_or_and_exclusions():
    parsed = parse_query('open OR public "digital government" -paper title:(x')
    assert [c.atoms() for c in parsed.required] == [
        [["open"], ["public"]],
        [["digital", "government"]],
        [["title"]],
        [["x"]],
    ]
    assert parsed.excluded == [["paper"]]


@pytest.mark.parametrize("text", ["a " * 40, "x" * 600, "-only -not"])
def test_parse_query_refuses_with_a_message(text):
    with pytest.raises(QueryError) as error:
        parse_query(text)
    assert str(error.value)


def test_snippets_escape_then_mark_and_window_long_text():
    text = "<b>" + " ".join(f"w{n}" for n in range(100)) + " budget & more"
    matcher = Matcher(plan_query(parse_query("budgets")), "en")
    marked = matcher.snippet(text, matcher.match(text), max_words=20)
    assert marked.startswith("… ") and "<mark>budget</mark>" in marked and "&amp;" in marked
    assert "<b>" not in marked
    assert matcher.marked("<i>x</i>") == "&lt;i&gt;x&lt;/i&gt;"


@pytest.mark.django_db
def test_session_document_from_the_database():
    event = make_event("Kennismaand", 2026)
    session = session_with(
        "Samen werken", speakers=["Ann", "Bob"], event=event, language="auto", summary="Over samenwerking"
    )
    transcript = add_transcript(session, ["Goedemorgen allemaal.", "Welkom bij deze sessie."], language="nl")
    make_theme("Samenwerking", [session])
    make_theme("Concept theme", [session], live=False)

    document = session_document(session)

    assert document.session_id == session.pk and document.url == session.url
    assert document.language == "nl"  # the transcript's language wins over "auto"
    assert document.speakers == ("Ann", "Bob") and document.event == "Kennismaand 2026"
    assert document.year == 2026 and document.date == "2026-03-01"
    assert document.themes == ("Samenwerking",)
    assert [m.text for m in document.moments] == ["Goedemorgen allemaal. Welkom bij deze sessie."]

    # A failed re-run keeps the text visitors see (Transcript.objects.shown), so search keeps it too.
    transcript.status = "failed"
    transcript.save()
    assert [m.text for m in session_document(session).moments] == [m.text for m in document.moments]
    # Without segments there is nothing to show or find.
    transcript.segments.all().delete()
    assert session_document(session).moments == ()
    assert session_document(session).language == "en"  # "auto" without a transcript
