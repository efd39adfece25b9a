"""Caption files (WebVTT, SRT), who may fetch them, and the session page's transcript slots."""

import re

import pytest
from django.urls import reverse
from wagtail.models import PageViewRestriction

from tests.factories import make_private, make_recording, make_session
from tests.transcripts.helpers import parse_webvtt
from transcripts.captions import build_srt, build_webvtt, escape_vtt, srt_timestamp, vtt_timestamp
from transcripts.models import Segment, Transcript

pytestmark = pytest.mark.django_db

LINES = [
    (0.0, 1.5, "Goedemorgen & welkom."),
    (1.5, 4.25, "Vandaag: <b>open</b> overheid --> data."),
    (3723.5, 3725.0, "Na een uur."),
]


def transcribed_session(home, language="nl", status=Transcript.Status.DONE, lines=LINES, **fields):
    recording = make_recording(title="Talk")
    session = make_session(home, title="Open overheid", language=language, recording=recording, **fields)
    transcript = Transcript.objects.create(recording=recording, status=status, language=language)
    transcript.replace_segments([Segment(start=s, end=e, text=t) for s, e, t in lines])
    return session, transcript


def test_timestamps():
    assert vtt_timestamp(1.5) == "00:00:01.500"
    assert srt_timestamp(1.5) == "00:00:01,500"
    assert vtt_timestamp(3723.4567) == "01:02:03.457"
    assert srt_timestamp(0) == "00:00:00,000"
    assert vtt_timestamp(59.9996) == "00:01:00.000"  # rounding carries into the minutes


def test_webvtt_escapes_markup_and_parses():
    segments = [Segment(start=s, end=e, text=t) for s, e, t in LINES]
    vtt = build_webvtt(segments)
    cues = parse_webvtt(vtt)
    # Touching cues are cut 10 ms short so only one caption shows at a time.
    assert [c[:2] for c in cues] == [(0.0, 1.49), (1.5, 4.25), (3723.5, 3725.0)]
    assert cues[0][2] == "Goedemorgen &amp; welkom."
    assert cues[1][2] == "Vandaag: &lt;b&gt;open&lt;/b&gt; overheid --&gt; data."
    assert "<b>" not in vtt and vtt.count("-->") == 3
    assert escape_vtt("a<b&c>") == "a&lt;b&amp;c&gt;"


def test_srt_format():
    srt = build_srt([Segment(start=s, end=e, text=t) for s, e, t in LINES])
    blocks = srt.strip().split("\n\n")
    assert blocks[0] == "1\n00:00:00,000 --> 00:00:01,490\nGoedemorgen & welkom."
    assert blocks[2] == "3\n01:02:03,500 --> 01:02:05,000\nNa een uur."
    assert all(re.match(r"^\d+\n\d{2}:\d{2}:\d{2},\d{3} --> \d{2}:\d{2}:\d{2},\d{3}\n.+", b) for b in blocks)


def test_cues_never_overlap_so_one_caption_shows_at_a_time():
    segments = [
        Segment(start=0, end=2, text="Een."),
        Segment(start=2, end=4, text="Twee."),
        Segment(start=3.5, end=5, text="Drie."),
    ]
    cues = parse_webvtt(build_webvtt(segments))
    assert all(a[1] < b[0] for a, b in zip(cues, cues[1:], strict=False))
    assert cues[1] == (2.0, 3.49, "Twee.")


def test_zero_length_and_empty_segments():
    segments = [Segment(start=2.0, end=2.0, text="Kort."), Segment(start=3, end=4, text="  \n ")]
    cues = parse_webvtt(build_webvtt(segments))
    assert cues == [(2.0, 2.1, "Kort.")]
    assert build_srt([]) == ""
    assert build_webvtt([]) == "WEBVTT\n\n"


def test_captions_endpoints(client, home):
    session, _ = transcribed_session(home)
    vtt = client.get(f"/sessions/{session.pk}/captions.vtt")
    assert vtt.status_code == 200
    assert vtt["Content-Type"] == "text/vtt; charset=utf-8"
    assert len(parse_webvtt(vtt.content.decode("utf-8"))) == 3
    srt = client.get(reverse("transcripts:captions_srt", args=[session.pk]))
    assert srt.status_code == 200
    assert srt["Content-Type"].startswith("application/x-subrip")
    assert "00:00:01,500 --> 00:00:04,250" in srt.content.decode()


def test_no_captions_for_hidden_or_unfinished_sessions(client, home):
    draft, _ = transcribed_session(home, live=False)
    assert client.get(f"/sessions/{draft.pk}/captions.vtt").status_code == 404
    private = make_session(home, title="Private", recording=draft.recording)
    make_private(private)
    assert client.get(f"/sessions/{private.pk}/captions.vtt").status_code == 404
    protected = make_session(home, title="Protected", recording=draft.recording)
    make_private(protected, PageViewRestriction.PASSWORD, password="geheim")
    assert client.get(f"/sessions/{protected.pk}/captions.srt").status_code == 404
    running = make_session(home, title="Running", recording=make_recording(title="Busy"))
    Transcript.objects.create(recording=running.recording, status=Transcript.Status.RUNNING)
    assert client.get(f"/sessions/{running.pk}/captions.vtt").status_code == 404
    no_recording = make_session(home, title="No recording")
    assert client.get(f"/sessions/{no_recording.pk}/captions.vtt").status_code == 404
    assert client.get("/sessions/999999/captions.vtt").status_code == 404
    assert client.get(f"/sessions/{home.pk}/captions.vtt").status_code == 404  # not a session


def test_editors_may_fetch_captions_of_a_draft(admin_client, home):
    draft, _ = transcribed_session(home, live=False)
    assert admin_client.get(f"/sessions/{draft.pk}/captions.vtt").status_code == 200


def test_session_page_has_track_and_interactive_transcript(client, home):
    session, transcript = transcribed_session(home, language="nl")
    html = client.get(session.url).content.decode()
    track = re.search(r"<track [^>]*>", html).group(0)
    assert 'kind="captions"' in track
    assert f'src="/sessions/{session.pk}/captions.vtt"' in track
    assert 'srclang="nl"' in track and "default" in track
    section = re.search(r'<section class="transcript".*?</section>', html, re.S).group(0)
    assert 'lang="nl"' in section
    timing = r'<li class="transcript-segment"[^>]*data-start="([\d.]+)" data-end="([\d.]+)"'
    lines = re.findall(timing, section)
    assert lines == [("0.000", "1.500"), ("1.500", "4.250"), ("3723.500", "3725.000")]
    assert section.count('<button type="button" class="transcript-line"') == 3
    assert ">1:02:03<" in section and ">0:01<" in section
    assert "Goedemorgen &amp; welkom." in section
    assert "&lt;b&gt;open&lt;/b&gt;" in section  # editor/machine text is escaped in HTML
    assert "js/transcript.js" in html


def test_transcript_detected_language_wins_over_session_setting(client, home):
    session, transcript = transcribed_session(home, language="auto")
    Transcript.objects.filter(pk=transcript.pk).update(language="en")
    html = client.get(session.url).content.decode()
    assert 'srclang="en"' in html
    assert re.search(r'<section class="transcript"[^>]*lang="en"', html)


@pytest.mark.parametrize(
    "status, notice",
    [
        # The site's default language is Dutch.
        (Transcript.Status.QUEUED, "wordt gemaakt"),
        (Transcript.Status.RUNNING, "wordt gemaakt"),
        (Transcript.Status.FAILED, "niet beschikbaar"),
        (Transcript.Status.NO_SPEECH, "geen spraak gevonden"),
    ],
)
def test_status_notice_instead_of_transcript(client, home, status, notice):
    session, _ = transcribed_session(home, status=status, lines=[])  # no earlier run left any text
    Transcript.objects.filter(recording=session.recording).update(error="ffmpeg said something technical")
    html = client.get(session.url).content.decode()
    assert notice in html
    assert "<track" not in html
    assert "transcript-segment" not in html
    assert "ffmpeg said" not in html  # the editor-facing reason stays in the admin


def test_session_page_shows_a_corrected_line_at_once(client, home):
    """The lines are cached per transcript version: a correction (or a new run) is a new one."""
    session, transcript = transcribed_session(home)
    assert "Goedemorgen &amp; welkom." in client.get(session.url).content.decode()
    segment = transcript.segments.get(index=0)
    Segment.objects.filter(pk=segment.pk).update(text="Goedemiddag.")
    transcript.save(update_fields=["updated_at"])  # as the correction view does
    html = client.get(session.url).content.decode()
    assert "Goedemiddag." in html and "Goedemorgen" not in html
    transcript.replace_segments([Segment(start=0.0, end=2.0, text="Een nieuwe run.")])
    html = client.get(session.url).content.decode()
    assert "Een nieuwe run." in html and "Goedemiddag." not in html


@pytest.mark.parametrize(
    "status", [Transcript.Status.QUEUED, Transcript.Status.RUNNING, Transcript.Status.FAILED]
)
def test_a_re_run_keeps_the_previous_transcript_on_the_page_and_in_the_captions(client, home, status):
    session, _ = transcribed_session(home, status=status)  # segments of the earlier, finished run
    html = client.get(session.url).content.decode()
    assert "Goedemorgen &amp; welkom." in html and "<track" in html
    assert 'class="notice"' not in html  # no "being prepared" / "not available" instead of the lines
    captions = client.get(f"/sessions/{session.pk}/captions.vtt")
    assert captions.status_code == 200 and "Goedemorgen" in captions.content.decode()
