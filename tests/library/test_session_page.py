"""The session page as a video page: deep links in every notation, sharing, related
sessions, the transcript's review notice and tools."""

import datetime
import re

import pytest

from library.deep_links import link_times, parse_link_time
from tests.factories import make_private, make_recording, make_session, make_theme
from tests.i18n import english_url
from transcripts.models import Segment, Transcript

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("65", 65.0),
        ("65.5", 65.5),
        ("1:05", 65.0),
        ("1:02:05", 3725.0),
        ("1m5s", 65.0),
        ("1M05S", 65.0),
        ("90s", 90.0),
        ("2m", 120.0),
        ("1h2m5s", 3725.0),
        ("0", 0.0),
    ],
)
def test_link_times_in_every_notation(value, seconds):
    assert parse_link_time(value) == seconds


@pytest.mark.parametrize(
    "value", ["", None, "abc", "-5", "1:75", "1e5", "nan", "inf", "5x", "9" * 40, "1h1h"]
)
def test_what_is_not_a_time(value):
    assert parse_link_time(value) is None


def test_clip_end_only_after_the_start():
    assert link_times({"t": "1:05", "end": "1m30s"}) == (65.0, 90.0)
    assert link_times({"t": "90", "end": "30"}) == (90.0, None)
    assert link_times({"t": "soon", "end": "x"}) == (0.0, None)


@pytest.fixture
def session(home):
    return make_session(home, title="Open data", recording=make_recording(title="Talk", media_type="video"))


@pytest.mark.parametrize(
    ("query", "attributes"),
    [("t=1:05", 'data-start="65.0">'), ("t=1m5s&end=2:00", 'data-start="65.0" data-end="120.0">')],
)
def test_the_player_gets_the_time_in_seconds(client, session, query, attributes):
    """Seconds, read once here; data-end only for a clip (player.js reads no address)."""
    html = client.get(f"{session.url}?{query}").content.decode()
    assert attributes in html


def test_share_button_and_the_player_beside_the_transcript(client, session):
    html = client.get(session.url).content.decode()
    assert re.search(
        r'<div class="share" data-share hidden>\s*<button type="button" data-share-button>', html
    )
    assert "js/share.js" in html
    watch = re.search(r'<div class="session-watch">(.*?)<dl class="session-facts">', html, re.S).group(1)
    assert '<div class="session-player">' in watch and '<div class="session-side">' in watch


def test_related_sessions_share_a_visible_theme_or_speaker(client, home):
    this = make_session(home, title="This one", speakers=["Anouk"])
    by_speaker = make_session(home, title="Same speaker", speakers=["Anouk"], date=datetime.date(2026, 1, 1))
    in_theme = make_session(home, title="Same theme", date=datetime.date(2026, 2, 1))
    both = make_session(home, title="Theme and speaker", speakers=["Anouk"], date=datetime.date(2025, 1, 1))
    private = make_session(home, title="Private related", speakers=["Anouk"])
    make_private(private)
    make_session(home, title="Draft related", speakers=["Anouk"], live=False)
    secret = make_session(home, title="Only in a private theme")
    make_session(home, title="Unrelated")
    make_theme("Open", [this, in_theme, both])
    hidden_theme = make_theme("Hidden", [this, secret])
    make_private(hidden_theme)

    assert [s.title for s in this.related_sessions()] == ["Theme and speaker", "Same theme", "Same speaker"]
    html = client.get(this.url).content.decode()
    related = re.search(r'<section class="related".*?</section>', html, re.S).group(0)
    assert by_speaker.url in related and in_theme.url in related
    for hidden in ("Private related", "Draft related", "Only in a private theme", "Unrelated"):
        assert hidden not in related
    assert "Hidden" not in html  # a private theme is not listed among the session's themes either


def test_cached_facts_follow_changes_at_once(client, home):
    """The facts and related sessions are cached per page (library/content_version.py): a session
    made private, unpublished or a speaker renamed after the first render shows at once."""
    this = make_session(home, title="This one", speakers=["Anouk"])
    other = make_session(home, title="Same speaker", speakers=["Anouk"])
    third = make_session(home, title="Also the speaker", speakers=["Anouk"])
    html = client.get(this.url).content.decode()
    assert other.url in html and third.url in html
    make_private(other)
    third.unpublish()
    html = client.get(this.url).content.decode()
    assert "Same speaker" not in html and "Also the speaker" not in html
    speaker = this.speakers[0]
    speaker.name = "Anouk de Vries"
    speaker.save()
    assert "Anouk de Vries" in client.get(this.url).content.decode()


def transcribed(home, lines, title="Checked talk"):
    recording = make_recording(title="Talk")
    session = make_session(home, title=title, recording=recording)
    transcript = Transcript.objects.create(recording=recording, status=Transcript.Status.DONE, language="en")
    transcript.replace_segments(
        [
            Segment(start=i, end=i + 1, text=f"Line {i}.", checked=c, corrected=k)
            for i, (c, k) in enumerate(lines)
        ]
    )
    return session


def test_machine_notice_stays_until_every_line_is_checked(client, home):
    untouched = transcribed(home, [(False, False)] * 3, title="Untouched")
    html = client.get(english_url(untouched)).content.decode()
    assert "Made automatically; it may contain mistakes." in html and "An editor has checked" not in html

    session = transcribed(home, [(True, True), (True, False), (False, False)])
    html = client.get(english_url(session)).content.decode()
    assert "Made automatically; it may contain mistakes." in html
    assert "An editor has checked 2 of 3 lines and corrected 1." in html

    transcript = Transcript.objects.get(recording=session.recording)
    transcript.segments.update(checked=True)
    transcript.save(update_fields=["updated_at"])  # as the correction view does: a new version
    html = client.get(english_url(session)).content.decode()
    assert "Made automatically" not in html
    assert "Checked by an editor; 1 line corrected." in html


def test_transcript_find_box_comes_with_the_transcript(client, home):
    html = client.get(english_url(transcribed(home, [(False, False)] * 2))).content.decode()
    assert re.search(r'<div class="transcript-find" role="search"[^>]*data-transcript-find hidden>', html)
    assert '<label for="transcript-find-q">Find in the transcript</label>' in html
    assert "js/transcript_find.js" in html
