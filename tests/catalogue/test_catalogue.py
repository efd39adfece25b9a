"""The catalogue (/sessies/, /sessions/): every visible session, sorted, filtered, paged."""

import datetime
import re

import pytest

from catalogue import listing
from library.models import Organisation, Speaker
from tests.factories import make_event, make_private, make_recording, make_session, make_theme
from tests.i18n import english_url
from transcripts.models import Transcript

pytestmark = pytest.mark.django_db


@pytest.fixture
def festival(home):
    """Five visible sessions across two events and years, plus ones a visitor may not see."""
    kennismaand, summit = make_event("Kennismaand", 2026), make_event("Data Summit", 2025)
    org = Organisation.objects.create(name="Gemeente Zandvoorde")
    s = {
        "innovatie": make_session(
            title="Innovatie in de praktijk",
            language="nl",
            event=kennismaand,
            speakers=["Anouk de Vries"],
            date=datetime.date(2026, 3, 3),
            recording=make_recording(duration=1800.0),
        ),
        "open_data": make_session(
            title="open data en de burger",
            language="nl",
            event=kennismaand,
            speakers=["Pieter Jansen"],
            date=datetime.date(2026, 3, 5),
            recording=make_recording(duration=600.0),
        ),
        "access": make_session(
            title="Accessible websites",
            language="en",
            event=kennismaand,
            speakers=["Sarah Mitchell"],
            date=datetime.date(2026, 3, 10),
            recording=make_recording(duration=2400.0),
        ),
        "summit": make_session(
            title="Beyond dashboards",
            language="en",
            event=summit,
            speakers=["Pieter Jansen"],
            date=datetime.date(2025, 6, 1),
        ),
        "auto": make_session(
            title="Zelf ontdekt",
            language="auto",
            event=summit,
            date=datetime.date(2025, 6, 2),
            recording=make_recording(title="Auto"),
        ),
    }
    Transcript.objects.create(recording=s["auto"].recording, status=Transcript.Status.DONE, language="nl")
    s["open_data"].organisations.set([org])
    s["open_data"].save_revision().publish()
    s["private"] = make_session(
        title="Besloten sessie", language="nl", event=kennismaand, speakers=["Pieter Jansen"]
    )
    make_private(s["private"])
    s["draft"] = make_session(title="Concept sessie", live=False, event=kennismaand)
    s["theme"] = make_theme("Digitale overheid", [s["innovatie"], s["open_data"], s["private"]])
    s["secret_theme"] = make_theme("Geheim thema", [s["access"]])
    make_private(s["secret_theme"])
    return s


def titles(result) -> list[str]:
    return [session.title for session in result.sessions]


def test_lists_every_visible_session_newest_first(festival):
    result = listing.browse()
    assert result.total == 5
    assert titles(result) == [
        "Accessible websites",
        "open data en de burger",
        "Innovatie in de praktijk",
        "Zelf ontdekt",
        "Beyond dashboards",
    ]


def test_the_four_orders(festival):
    assert titles(listing.browse(sort="oldest"))[:2] == ["Beyond dashboards", "Zelf ontdekt"]
    # Title order ignores case ("open data" among the capitals).
    assert titles(listing.browse(sort="title")) == [
        "Accessible websites",
        "Beyond dashboards",
        "Innovatie in de praktijk",
        "open data en de burger",
        "Zelf ontdekt",
    ]
    # Longest first; sessions without a known length last.
    assert titles(listing.browse(sort="longest"))[:3] == [
        "Accessible websites",
        "Innovatie in de praktijk",
        "open data en de burger",
    ]
    assert listing.parse_sort("sideways") == "newest"


def test_facets_count_visible_sessions_only_with_search_semantics(festival):
    result = listing.browse()
    facets = result.facets
    assert facets["theme"] == [("Digitale overheid", 2)]  # not the private session, not the private theme
    assert ("Pieter Jansen", 2) in facets["speaker"]  # not the private session
    assert facets["organisation"] == [("Gemeente Zandvoorde", 1)]
    assert facets["event"] == [("Kennismaand 2026", 3), ("Data Summit 2025", 2)]
    assert facets["year"] == [("2025", 2), ("2026", 3)] or facets["year"] == [("2026", 3), ("2025", 2)]
    # A session set to "detect" counts in the language its transcript was made in.
    assert facets["language"] == [("nl", 3), ("en", 2)]

    filtered = listing.browse(filters={"speaker": ["Pieter Jansen"], "year": ["2026"]})
    assert titles(filtered) == ["open data en de burger"]
    # OR within a facet; a facet's own counts ignore its own filter, not the others.
    assert ("Anouk de Vries", 1) in filtered.facets["speaker"]
    assert filtered.facets["year"] == [("2025", 1), ("2026", 1)]
    either = listing.browse(filters={"language": ["en", "nl"], "event": ["Data Summit 2025"]})
    assert sorted(titles(either)) == ["Beyond dashboards", "Zelf ontdekt"]
    assert titles(listing.browse(filters={"theme": ["Geheim thema"]})) == []


def test_paging_and_a_page_past_the_end(festival):
    first = listing.browse(page=1, per_page=2)
    assert first.pages == 3 and len(first.sessions) == 2
    last = listing.browse(page=3, per_page=2)
    assert titles(last) == ["Beyond dashboards"]
    beyond = listing.browse(page=9, per_page=2)
    assert beyond.past_the_end and beyond.sessions == [] and beyond.total == 5


def test_the_page_in_both_languages(client, festival):
    for path, session_url in (
        ("/sessies/", festival["innovatie"].url),
        ("/en/sessions/", english_url(festival["innovatie"])),
    ):
        response = client.get(path)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'class="session-tile"' in html and html.count('class="session-tile"') == 5
        assert "Besloten sessie" not in html and "Concept sessie" not in html and "Geheim thema" not in html
        assert f'href="{session_url}"' in html
        assert '<time datetime="2026-03-03">' in html
    assert "5 sessions" in html and "3 March 2026" in html
    # The language switch goes to the catalogue's name in the other language.
    assert 'href="/sessies/" hreflang="nl"' in html
    # The other language's name leads there too.
    assert client.get("/sessions/?sort=title")["Location"] == "/sessies/?sort=title"
    assert client.get("/en/sessies/")["Location"] == "/en/sessions/"


def test_the_page_filters_sorts_and_keeps_both_in_its_links(client, festival):
    html = client.get("/en/sessions/", {"theme": "Digitale overheid", "sort": "title"}).content.decode()
    listed = re.findall(r'<h3[^>]*><a href="([^"]+)">', html)
    assert listed == [english_url(festival["innovatie"]), english_url(festival["open_data"])]
    assert '<option value="title" selected>' in html
    assert '<input type="hidden" name="theme" value="Digitale overheid">' in html  # the sort form keeps it
    # Switching a filter off goes back to the others (and page 1).
    assert 'href="?sort=title"' in html
    assert '<span aria-hidden="true">(2)</span><span class="visually-hidden">, 2 sessions</span>' in html


def test_the_page_pages_and_says_when_a_page_is_past_the_end(client, festival):
    for n in range(listing.PER_PAGE):
        make_session(title=f"Extra {n:02d}", slug=f"extra-{n}", date=datetime.date(2024, 1, 1))
    html = client.get("/en/sessions/").content.decode()
    assert "29 sessions, page 1 of 2" in html and 'href="?page=2" rel="next"' in html
    second = client.get("/en/sessions/", {"page": "2", "sort": "oldest"}).content.decode()
    assert second.count('class="session-tile"') == 5 and 'rel="prev"' in second
    beyond = client.get("/en/sessions/", {"page": "12", "sort": "oldest"})
    assert beyond.status_code == 404
    text = beyond.content.decode()
    assert "There is no page 12: the sessions fit on 2 pages." in text
    assert 'href="?sort=oldest&amp;page=2">Go to the last page (2)</a>' in text
    # Garbage is page 1 or ignored, never an error.
    assert client.get("/en/sessions/", {"page": "x", "year": "soon", "sort": "?"}).status_code == 200


def test_header_navigation_marks_where_the_visitor_is(client, festival):
    html = client.get("/en/sessions/").content.decode()
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)
    assert '<a href="/en/sessions/" aria-current="page">Sessions</a>' in nav
    for href in ("/en/themes/", "/en/speakers/", "/en/organisations/"):
        assert f'href="{href}"' in nav
    assert 'href="/speakers/" aria-current="page"' in client.get("/speakers/").content.decode()
    assert 'href="/sessies/"' in client.get("/speakers/").content.decode()


def test_theme_index_shows_cards_with_visible_counts(client, festival):
    html = client.get("/en/themes/").content.decode()
    assert 'class="theme-card"' in html and "Digitale overheid" in html
    assert ">2 sessions<" in html  # the private session is not counted
    assert "Geheim thema" not in html


def test_favicon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.ico")
    assert 'rel="icon"' in client.get("/en/sessions/").content.decode()


def test_the_index_never_shows_what_just_became_hidden_and_picks_up_changes(festival):
    assert listing.browse().total == 5
    # Visibility is asked afresh on every request: no stale index can show a hidden session.
    make_private(festival["access"])
    festival["open_data"].unpublish()
    assert titles(listing.browse()) == ["Innovatie in de praktijk", "Zelf ontdekt", "Beyond dashboards"]
    # New sessions and changed facet values show at once (signals mark the index stale).
    make_session(title="Brand new", language="en", date=datetime.date(2026, 4, 1))
    speaker = Speaker.objects.get(name="Pieter Jansen")
    speaker.name = "Pieter J."
    speaker.save()
    result = listing.browse()
    assert titles(result)[0] == "Brand new"
    assert ("Pieter J.", 1) in result.facets["speaker"]
