"""A session's transcript as files (JSON, plain text, captions): one access check, named after the title."""

import pytest
from wagtail.models import PageViewRestriction

from tests.factories import make_private, make_recording, make_session
from transcripts.models import Segment, Transcript
from transcripts.views import download_name

pytestmark = pytest.mark.django_db


def transcribed(home, title="Open data en de burger", **fields):
    recording = make_recording(title="Talk")
    session = make_session(home, title=title, language="nl", recording=recording, **fields)
    transcript = Transcript.objects.create(
        recording=recording, status=Transcript.Status.DONE, language="nl", model_name="base"
    )
    transcript.replace_segments(
        [
            Segment(start=0.0, end=1.5, text="Goedemorgen & welkom."),
            Segment(start=1.5, end=65.25, text="Vandaag: open data.", checked=True, corrected=True),
        ]
    )
    return session, transcript


def test_transcript_json_has_segments_language_and_provenance(client, home):
    session, _ = transcribed(home)
    response = client.get(f"/sessions/{session.pk}/transcript.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert 'filename="open-data-en-de-burger.json"' in response["Content-Disposition"]
    body = response.json()
    assert body["language"] == "nl" and body["provenance"] == "machine" and body["model"] == "base"
    assert body["session"] == {
        "id": session.pk,
        "title": session.title,
        "url": f"http://testserver{session.url}",
    }
    assert (body["lines"], body["checked"], body["corrected"]) == (2, 1, 1)
    assert body["segments"][1] == {
        "index": 1,
        "start": 1.5,
        "end": 65.25,
        "text": "Vandaag: open data.",
        "provenance": "corrected",
        "checked": True,
    }


def test_plain_text_and_captions_download_under_the_title(client, home):
    session, _ = transcribed(home)
    text = client.get(f"/sessions/{session.pk}/transcript.txt")
    assert text["Content-Type"] == "text/plain; charset=utf-8"
    assert text["Content-Disposition"] == 'attachment; filename="open-data-en-de-burger.txt"'
    assert text.content.decode() == (
        "Open data en de burger\n\n[0:00] Goedemorgen & welkom.\n[0:01] Vandaag: open data.\n"
    )
    srt = client.get(f"/sessions/{session.pk}/captions.srt")
    assert srt["Content-Disposition"] == 'attachment; filename="open-data-en-de-burger.srt"'
    vtt = client.get(f"/sessions/{session.pk}/captions.vtt")  # the player's track: shown, not saved
    assert vtt["Content-Disposition"] == 'inline; filename="open-data-en-de-burger.vtt"'
    saved = client.get(f"/sessions/{session.pk}/captions.vtt?download")
    assert saved["Content-Disposition"] == 'attachment; filename="open-data-en-de-burger.vtt"'
    html = client.get(session.url).content.decode()
    assert f'href="/sessions/{session.pk}/transcript.txt" download="open-data-en-de-burger.txt"' in html
    assert f'href="/sessions/{session.pk}/captions.srt" download="open-data-en-de-burger.srt"' in html


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Één app voor álle burgers?", "een-app-voor-alle-burgers"),
        ("???", None),
        ("Werk & zorg / 2026", "werk-zorg-2026"),
    ],
)
def test_download_names(home, title, name):
    session = make_session(home, title=title, slug="s")
    assert download_name(session, "srt") == f"{name or f'session-{session.pk}'}.srt"


@pytest.mark.parametrize("path", ["transcript.json", "transcript.txt"])
def test_same_access_check_as_the_captions(client, admin_client, home, path):
    draft, _ = transcribed(home, title="Draft", slug="draft", live=False)
    assert client.get(f"/sessions/{draft.pk}/{path}").status_code == 404
    assert admin_client.get(f"/sessions/{draft.pk}/{path}").status_code == 200  # editors may, as for captions
    private, _ = transcribed(home, title="Private", slug="private")
    make_private(private)
    assert client.get(f"/sessions/{private.pk}/{path}").status_code == 404
    protected, _ = transcribed(home, title="Protected", slug="protected")
    make_private(protected, PageViewRestriction.PASSWORD, password="geheim")
    assert client.get(f"/sessions/{protected.pk}/{path}").status_code == 404
    untranscribed = make_session(home, title="Busy", recording=make_recording(title="Busy"))
    Transcript.objects.create(recording=untranscribed.recording, status=Transcript.Status.RUNNING)
    assert client.get(f"/sessions/{untranscribed.pk}/{path}").status_code == 404
    assert client.get(f"/sessions/999999/{path}").status_code == 404
    assert client.get(f"/sessions/{home.pk}/{path}").status_code == 404
