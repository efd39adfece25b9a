"""Wagtail's API v2 at /api/v2/: live, public sessions (and other pages) only, with their data."""

import pytest

from library.models import ThemeIndexPage
from tests.factories import make_event, make_private, make_recording, make_session, make_theme
from transcripts.models import Segment, Transcript

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v2/pages/?type=library.SessionPage"


@pytest.fixture
def sessions(home):
    recording = make_recording(title="Talk")
    public = make_session(
        title="Open data", language="nl", speakers=["Pieter Jansen"], recording=recording, event=make_event()
    )
    transcript = Transcript.objects.create(recording=recording, status=Transcript.Status.DONE, language="nl")
    transcript.replace_segments([Segment(start=0, end=2, text="Welkom.")])
    private = make_session(title="Besloten", recording=make_recording(title="Secret"))
    make_private(private)
    draft = make_session(title="Concept", live=False)
    theme = make_theme("Digitale overheid", [public])
    secret_theme = make_theme("Geheim thema", [public])
    make_private(secret_theme)
    return {
        "public": public,
        "private": private,
        "draft": draft,
        "theme": theme,
        "secret_theme": secret_theme,
    }


def test_lists_live_public_sessions_with_their_data(client, sessions):
    body = client.get(SESSIONS + "&fields=*").json()
    assert body["meta"]["total_count"] == 1
    (item,) = body["items"]
    assert item["title"] == "Open data" and item["language"] == "nl"
    assert item["event_name"] == "Kennismaand 2026"
    assert item["speakers"][0]["name"] == "Pieter Jansen"
    assert item["speakers"][0]["url"] == "http://testserver/speakers/pieter-jansen/"
    assert [t["title"] for t in item["themes"]] == ["Digitale overheid"]  # not the private theme
    assert item["recording_url"].startswith("http://testserver/recordings/")
    pk = sessions["public"].pk
    assert item["captions"] == {
        "vtt": f"http://testserver/sessions/{pk}/captions.vtt",
        "srt": f"http://testserver/sessions/{pk}/captions.srt",
    }
    assert item["transcript"]["json"] == f"http://testserver/sessions/{pk}/transcript.json"


def test_no_private_or_draft_page_is_reachable(client, admin_client, sessions):
    for who in (client, admin_client):  # an editor's login does not widen the public API
        listed = {i["title"] for i in who.get("/api/v2/pages/").json()["items"]}
        assert "Open data" in listed and "Digitale overheid" in listed
        assert not listed & {"Besloten", "Concept", "Geheim thema"}
        for page in (sessions["private"], sessions["draft"], sessions["secret_theme"]):
            assert who.get(f"/api/v2/pages/{page.pk}/").status_code == 404
        find = "/api/v2/pages/find/?html_path="
        assert who.get(find + sessions["public"].url_path[5:]).status_code == 302
        assert who.get(find + sessions["private"].url_path[5:]).status_code == 404
        assert who.get(SESSIONS).json()["meta"]["total_count"] == 1
    index = ThemeIndexPage.objects.get()
    children = client.get(f"/api/v2/pages/?child_of={index.pk}").json()["items"]
    assert [c["title"] for c in children] == ["Digitale overheid"]


def test_detail_of_a_public_session(client, sessions):
    response = client.get(f"/api/v2/pages/{sessions['public'].pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["type"] == "library.SessionPage" and body["duration"] is None


def test_only_pages_are_routed(client, db):
    # Images and documents would list the posters and files of private sessions.
    assert client.get("/api/v2/images/").status_code == 404
    assert client.get("/api/v2/documents/").status_code == 404
