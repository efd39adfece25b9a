"""The search page's markup (grouping, facets, pagination, empty states, accessibility)."""

import datetime
import re
from html.parser import HTMLParser

import pytest

from search import service
from search.models import QueryLog
from search.views import moment_url
from tests.factories import make_theme
from tests.i18n import nl
from tests.search.helpers import session_with

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def embedded(settings, tmp_path):
    settings.SEARCH_ENGINE = "embedded"
    settings.SEARCH_EMBEDDED_PATH = tmp_path / "index.sqlite3"


class Outline(HTMLParser):
    """Headings (level, text) and every link's href, from a page."""

    def __init__(self):
        super().__init__()
        self.headings, self.links, self._heading = [], [], None

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = [int(tag[1]), ""]
        if tag == "a":
            self.links.append(dict(attrs).get("href", ""))

    def handle_data(self, data):
        if self._heading:
            self._heading[1] += data

    def handle_endtag(self, tag):
        if self._heading and tag == f"h{self._heading[0]}":
            self.headings.append((self._heading[0], self._heading[1].strip()))
            self._heading = None


def outline(response):
    parser = Outline()
    parser.feed(response.content.decode())
    return parser


def test_results_are_grouped_per_session_with_timestamped_moments(client):
    session = session_with(
        "Kunstmatige intelligentie",
        ["Intro.", "Algoritmes in de uitvoering.", "Meer over algoritmes en toezicht."],
        language="nl",
        speakers=["Ann de Vries"],
    )
    make_theme("AI", [session])
    service.rebuild()

    response = client.get("/search/", {"q": "algoritme"})
    page = response.content.decode()
    parsed = outline(response)

    assert response.status_code == 200
    assert page.count('class="search-hit"') == 1
    assert f'href="{session.url}?t=10"' in page and ">0:10</time>" in page
    assert "<mark>Algoritmes</mark>" in page
    assert "Ann de Vries" in page
    assert re.search(r'role="status"[^>]*>\s*1 sessie voor “algoritme”', page)  # Dutch: the default
    # Headings in order: h1, then h2s, then h3s under them, never skipping a level.
    levels = [level for level, _ in parsed.headings]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    assert ("Thema" in [text for _, text in parsed.headings]) and '<label for="search-q"' in page


def test_facet_links_keep_the_query_and_toggle_the_filter(client):
    session_with("Water A", ["Water en klimaat."], language="nl", speakers=["Ann"])
    session_with("Water B", ["Water and climate."], speakers=["Bob"])
    service.rebuild()

    page = client.get("/en/search/", {"q": "water"}).content.decode()
    assert 'href="?q=water&amp;speaker=Ann"' in page
    # Read out as "Ann, 1 session", not "Ann (1 sessions)"; the digits in brackets are for the eye.
    assert '<span aria-hidden="true">(1)</span><span class="visually-hidden">, 1 session</span>' in page

    filtered = client.get("/search/", {"q": "water", "speaker": "Ann"}).content.decode()
    assert filtered.count('class="search-hit"') == 1
    assert 'aria-current="true"' in filtered
    assert 'href="?q=water"' in filtered  # the selected value's link removes it
    assert 'name="speaker" value="Ann"' in filtered  # a new search keeps the filter


def test_pagination_links(client):
    for n in range(12):
        session_with(f"Talk {n}", ["Procurement again."])
    service.rebuild()

    first = client.get("/search/", {"q": "procurement"}).content.decode()
    second = client.get("/search/", {"q": "procurement", "page": "2"}).content.decode()

    assert first.count('class="search-hit"') == 10 and 'href="?q=procurement&amp;page=2" rel="next"' in first
    assert second.count('class="search-hit"') == 2 and 'rel="prev"' in second and 'rel="next"' not in second
    assert "pagina 2 van 2" in second

    beyond = client.get("/en/search/", {"q": "procurement", "page": "7"})
    assert beyond.status_code == 404
    html = beyond.content.decode()
    assert "There is no page 7: the results fit on 2 pages." in html
    assert 'href="?q=procurement&amp;page=2">Go to the last page (2)</a>' in html
    assert 'rel="next"' not in html and 'rel="prev"' not in html


def test_results_show_each_sessions_date_and_filters_fold_on_small_screens(client):
    session_with("Dated", ["Words about water."], date=datetime.date(2026, 3, 17))
    service.rebuild()
    html = client.get("/en/search/", {"q": "water"}).content.decode()
    assert '<time datetime="2026-03-17">17 March 2026</time>' in html
    # A toggle (static/js/filters.js shows it on narrow screens) for the panel it controls.
    assert 'class="facets-toggle" aria-expanded="true" aria-controls="facet-panel" hidden' in html
    assert 'id="facet-panel"' in html and "js/filters.js" in html


def test_empty_states(client):
    session_with("Something", ["Words."])
    service.rebuild()

    browse = client.get("/search/").content.decode()
    assert nl("Showing all sessions, newest first. Type words to find the minute they were said.") in browse
    assert nl("Try searching for") in browse

    nothing = client.get("/search/", {"q": "xylophone"}).content.decode()
    assert (
        "Geen sessies gevonden" in nothing and nl("Tips:") in nothing and nl("Try searching for") in nothing
    )

    refused = client.get("/search/", {"q": "-only"})
    assert refused.status_code == 200 and 'role="alert"' in refused.content.decode()


def test_the_api_reports_query_errors_in_json(client):
    body = client.get("/api/search/", {"q": "x", "year": "soon"}).json()
    assert body["error"].startswith("Het jaar moet een getal") and body["sessions"] == []
    assert QueryLog.objects.get().error.startswith("Het jaar moet een getal")


def test_moment_links_jump_to_the_segment_with_the_words(client):
    session = session_with("Long moment", ["Intro words.", "More intro.", "Now the harbour plan."])
    service.rebuild()

    body = client.get("/api/search/", {"q": "harbour"}).json()
    moment = body["sessions"][0]["moments"][0]

    assert moment["start"] == 10.0 and moment["at"] == 20.0  # the moment of segments 2-3; the third
    assert moment["url"] == f"{session.url}?t=20"
    page = client.get("/search/", {"q": "harbour"}).content.decode()
    assert f'href="{session.url}?t=20"><time>0:20</time>' in page


@pytest.mark.parametrize(
    "at, shown",
    [(0.0, "0"), (20.0, "20"), (19.84, "19.84"), (19.86, "19.86"), (0.29, "0.29"), (65.999, "65.99")],
)
def test_moment_links_floor_to_hundredths(at, shown):
    # Whole seconds (t=19 for 19.84) would start, and highlight, the segment before.
    assert moment_url("/s/", at) == f"/s/?t={shown}"
    assert moment_url("/s/?x=1", at) == f"/s/?x=1&t={shown}"
