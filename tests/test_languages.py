"""Dutch by default, English too: the URL says the language, the switch keeps the page."""

import re

from django.urls import reverse
from django.utils import translation

from search import service
from tests.factories import make_session
from tests.search.helpers import session_with


def _switch_links(html: str) -> dict[str, str]:
    nav = re.search(r'<nav class="language-switch".*?</nav>', html, re.S).group(0)
    return dict((lang, href) for href, lang in re.findall(r'<a href="([^"]+)" hreflang="(\w+)"', nav))


def test_unprefixed_urls_are_dutch_and_en_prefix_english(home, client):
    # Whatever the browser asks for: the URL decides (a shared link opens as it was shared).
    dutch = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    english = client.get("/en/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert '<html lang="nl">' in dutch
    assert '<html lang="en">' in english
    with translation.override("en"):
        assert reverse("search:search") == "/en/search/"
    with translation.override("nl"):
        assert reverse("search:search") == "/search/"


def test_switch_links_to_the_same_page_with_its_query(home, client):
    session = make_session(home, title="Open data", slug="open-data", language="nl")
    html = client.get(session.url + "?t=65").content.decode()
    assert _switch_links(html) == {"en": "/en/open-data/?t=65"}
    assert '<span aria-current="true" lang="nl">Nederlands</span>' in html
    english = client.get("/en/open-data/?t=65").content.decode()
    assert _switch_links(english) == {"nl": "/open-data/?t=65"}
    search = client.get("/en/search/", {"q": "water"}).content.decode()
    assert _switch_links(search) == {"nl": "/search/?q=water"}


def test_search_results_link_to_the_session_in_the_visitors_language(home, client, settings, tmp_path):
    settings.SEARCH_ENGINE = "embedded"
    settings.SEARCH_EMBEDDED_PATH = tmp_path / "index.sqlite3"
    session_with("Water", ["Over water en dijken."], language="nl", slug="water")
    service.rebuild()
    assert 'href="/water/?t=0"' in client.get("/search/", {"q": "dijken"}).content.decode()
    english = client.get("/en/search/", {"q": "dijken"}).content.decode()
    assert '<a href="/en/water/">' in english and 'href="/en/water/?t=0"' in english
