"""Speaker and organisation pages list visible sessions only, and exist only while there is one."""

import pytest

from library.models import Organisation, Speaker
from library.people_urls import organisation_url, speaker_url
from tests.factories import make_private, make_recording, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def sessions(home):
    org = Organisation.objects.create(name="Gemeente Zandvoorde")
    Speaker.objects.create(name="Pieter Jansen", role="Data-adviseur", organisation=org)
    public = make_session(title="Open data en de burger", slug="open-data", speakers=["Pieter Jansen"])
    public.organisations.set([org])
    public.save_revision().publish()
    private = make_session(title="Besloten werksessie", slug="besloten", speakers=["Pieter Jansen"])
    private.organisations.set([org])
    private.save_revision().publish()
    make_private(private)
    draft = make_session(title="Concept praatje", slug="concept", speakers=["Pieter Jansen"], live=False)
    return {"org": org, "public": public, "private": private, "draft": draft}


def test_speaker_page_lists_public_sessions_and_hides_private_ones(client, sessions):
    response = client.get("/speakers/pieter-jansen/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Pieter Jansen</h1>" in html
    assert "Data-adviseur" in html
    assert 'href="/organisations/gemeente-zandvoorde/"' in html
    assert "Open data en de burger" in html
    assert f'href="{sessions["public"].url}"' in html
    assert "Besloten werksessie" not in html
    assert "Concept praatje" not in html


def test_organisation_page_lists_public_sessions_and_its_speakers(client, sessions):
    html = client.get("/organisations/gemeente-zandvoorde/").content.decode()
    assert "Open data en de burger" in html
    assert "Besloten werksessie" not in html
    assert 'href="/speakers/pieter-jansen/"' in html


def test_unknown_speaker_is_404(client, db):
    assert client.get("/speakers/nobody/").status_code == 404
    assert client.get("/organisations/nothing/").status_code == 404


def test_directories_list_people_with_public_sessions(client, sessions):
    Speaker.objects.create(name="Alleen Besloten")
    html = client.get("/speakers/").content.decode()
    assert "Pieter Jansen" in html
    assert "Alleen Besloten" not in html
    assert "Gemeente Zandvoorde" in client.get("/organisations/").content.decode()


def test_session_page_links_its_speakers_and_organisations(client, sessions):
    session = make_session(
        title="Met opname", slug="met-opname", speakers=["Pieter Jansen"], recording=make_recording()
    )
    session.organisations.set([sessions["org"]])
    session.save_revision().publish()
    html = client.get(session.url).content.decode()
    assert '<a href="/speakers/pieter-jansen/">Pieter Jansen</a>' in html
    assert '<a href="/organisations/gemeente-zandvoorde/">Gemeente Zandvoorde</a>' in html


def test_url_helpers_take_names_or_objects(sessions):
    assert speaker_url("Pieter Jansen") == "/speakers/pieter-jansen/"
    assert speaker_url(Speaker.objects.get(name="Pieter Jansen")) == "/speakers/pieter-jansen/"
    assert organisation_url("Gemeente Zandvoorde") == "/organisations/gemeente-zandvoorde/"
    assert speaker_url("Nobody") == ""
    assert organisation_url("Nothing") == ""


def test_people_with_only_hidden_sessions_have_no_page(client, sessions):
    hidden_org = Organisation.objects.create(name="Geheime Dienst")
    Speaker.objects.create(name="Stille Spreker", organisation=sessions["org"])
    sessions["private"].organisations.add(hidden_org)
    sessions["private"].save_revision().publish()
    make_session(title="Nog een concept", slug="nog-een-concept", speakers=["Stille Spreker"], live=False)
    private = make_session(title="Besloten twee", slug="besloten-twee", speakers=["Stille Spreker"])
    make_private(private)
    for url in ("/speakers/stille-spreker/", "/organisations/geheime-dienst/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Stille Spreker" not in response.content and b"Geheime Dienst" not in response.content
    assert speaker_url("Stille Spreker") == "" and organisation_url("Geheime Dienst") == ""
    # The organisation lists only those of its speakers who appear in a visible session.
    html = client.get("/organisations/gemeente-zandvoorde/").content.decode()
    assert "Pieter Jansen" in html and "Stille Spreker" not in html
    assert "Geheime Dienst" not in client.get("/organisations/").content.decode()


def test_a_speaker_page_links_the_organisation_only_when_it_has_a_page(client, sessions):
    elsewhere = Organisation.objects.create(name="Alleen Besloten Org")
    speaker = Speaker.objects.create(name="Open Spreker", organisation=elsewhere)
    make_session(title="Open praatje", slug="open-praatje", speakers=[speaker.name])
    html = client.get("/speakers/open-spreker/").content.decode()
    assert "Alleen Besloten Org" in html  # the speaker's own affiliation
    assert "/organisations/alleen-besloten-org/" not in html
    assert client.get("/organisations/alleen-besloten-org/").status_code == 404


def test_a_speaker_whose_sessions_all_turn_private_loses_the_page(client, sessions):
    assert client.get("/speakers/pieter-jansen/").status_code == 200
    sessions["public"].unpublish()
    assert client.get("/speakers/pieter-jansen/").status_code == 404
    assert client.get("/organisations/gemeente-zandvoorde/").status_code == 404
