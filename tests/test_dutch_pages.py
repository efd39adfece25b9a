"""Every public page renders in Dutch without English UI text, and in English.

The pages are built from Dutch content (plus one English session, whose content carries
lang="en"), so any English left in what a visitor reads or hears (text, <title>,
aria-label, placeholder, alt) is a UI string that escaped translation."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import translate_url
from django.utils import translation
from django.views.defaults import server_error

from library.models import Event, HomePage, Organisation, Speaker, ThemeIndexPage, ThemePage
from search import service
from tests.factories import make_theme
from tests.i18n import en, in_language, nl
from tests.search.helpers import session_with

pytestmark = pytest.mark.django_db

# Words of English UI that are not Dutch words (nor names in the fixtures below).
ENGLISH = set(
    """the and with search sessions session speakers speaker latest summary results found
    showing page transcript recording recordings skip content themes every what said yet from for
    this your try remove previous next download captions language dutch english
    organisations organisation share play clip whole available prepared please later check select
    line lines mistakes automatically made related home library figures hours transcribed recorded
    not sort newest oldest title longest year event theme all no none only about back close copy
    copied here minute minutes seconds watch listen video audio""".split()
)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
READ_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")


class ReadText(HTMLParser):
    """What a visitor reads or hears of a page, outside content marked as another language."""

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        self.language, self.stack, self.parts = language, [], []

    def _skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        # <title> holds the page's title, content in the session's language (not marked up).
        skip = tag in ("script", "style", "title") or (
            lang is not None and not lang.startswith(self.language)
        )
        if tag == "html":
            skip = False
        if not skip and not self._skipping():
            self.parts += [attrs[a] for a in READ_ATTRIBUTES if attrs.get(a)]
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, _skip = self.stack.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self._skipping() and data.strip():
            self.parts.append(data)


def english_words(html: str) -> list[str]:
    reader = ReadText("nl")
    reader.feed(html)
    words = re.findall(r"[a-z]+", " ".join(reader.parts).lower())
    return sorted(set(words) & ENGLISH)


@pytest.fixture
def site(settings, tmp_path):
    """A small Dutch library: a theme, Dutch sessions with transcripts, an English one."""
    settings.SEARCH_ENGINE = "embedded"
    settings.SEARCH_EMBEDDED_PATH = tmp_path / "index.sqlite3"
    HomePage.objects.filter(slug="home").update(title="Sessiebibliotheek")  # content is the editors'
    home = HomePage.objects.get(slug="home")
    ThemeIndexPage.under(home, title="Thema's")
    organisation = Organisation.objects.create(
        name="Gemeente Zandvoorde", description="Een gemeente aan zee."
    )
    Speaker.objects.create(name="Pieter Jansen", role="Data-adviseur", organisation=organisation)
    event = Event.objects.create(name="Kennismaand", year=2026)
    dutch = session_with(
        "Open data en de burger",
        [
            "Welkom bij deze sessie.",
            "Wij publiceren onze gegevens als open data.",
            "Dank voor het luisteren.",
        ],
        language="nl",
        slug="open-data",
        speakers=["Pieter Jansen"],
        event=event,
        summary="Een gemeente publiceert haar gegevens.",
    )
    dutch.organisations.add(organisation)
    dutch.save_revision().publish()
    session_with("Duurzaam inkopen", ["Inkoop met oog voor de toekomst."], language="nl", slug="inkopen")
    session_with(
        "Working in the open", ["We publish our code and our plans."], language="en", slug="in-the-open"
    )
    theme = make_theme("Digitale overheid", [dutch])
    theme.body = [("clip", {"session": dutch, "start": 10.0, "end": 20.0, "note": "Waarom open data?"})]
    theme.save_revision().publish()
    service.rebuild()
    return {"session": dutch, "theme": ThemePage.objects.get(pk=theme.pk), "organisation": organisation}


def public_pages(site) -> dict[str, str]:
    session, theme = site["session"], site["theme"]
    with translation.override("nl"):
        return {
            "home": "/",
            "catalogue": "/sessies/",
            "catalogue-filtered": "/sessies/?language=nl&sort=title",
            "catalogue-past-the-end": "/sessies/?page=9",
            "session": session.url,
            "session-clip": session.url + "?t=10&end=20",
            "english-session": "/in-the-open/",
            "theme-index": theme.get_parent().url,
            "theme": theme.url,
            "speakers": "/speakers/",
            "speaker": Speaker.objects.get().get_absolute_url(),
            "organisations": "/organisations/",
            "organisation": site["organisation"].get_absolute_url(),
            "search-empty": "/search/",
            "search-results": "/search/?q=open+data",
            "search-filtered": "/search/?q=open+data&language=nl",
            "search-nothing": "/search/?q=xylofoon",
            "search-error": "/search/?q=-alleen",
            "search-did-you-mean": "/search/?q=" + MISSPELT,
            "not-found": "/bestaat-niet/",
        }


MISSPELT = "gegveens"  # the fixture's talk says "gegevens"


def test_a_misspelt_search_offers_the_word_in_dutch(client, site):
    """The did-you-mean page is among the pages checked above: it does offer a word."""
    html = client.get("/search/?q=" + MISSPELT).content.decode()
    assert nl("Did you mean") in html and 'href="?q=gegevens"' in html, html[-3000:]
    assert en("Did you mean") in client.get("/en/search/?q=" + MISSPELT).content.decode()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_error_page_speaks_the_visitors_language(rf, language):
    """500: what Django's handler500 renders (templates/500.html), for a Dutch and an English visitor."""
    with translation.override(language):
        response = server_error(rf.get("/"))
    html = response.content.decode()
    assert response.status_code == 500 and f'<html lang="{language}">' in html
    assert in_language(language, "Something went wrong") in html
    assert {"nl": 'href="/"', "en": 'href="/en/"'}[language] in html  # home in the same language
    if language == "nl":
        assert not english_words(html), english_words(html)


def test_every_public_page_renders_in_dutch_without_english_ui(client, site):
    leftovers = {}
    for name, url in public_pages(site).items():
        response = client.get(url)
        assert response.status_code in (200, 404), (name, url, response.status_code)
        html = response.content.decode()
        assert '<html lang="nl">' in html, name
        if words := english_words(html):
            leftovers[name] = words
    assert not leftovers, f"English UI text left on Dutch pages: {leftovers}"


def test_every_public_page_renders_in_english(client, site):
    for name, url in public_pages(site).items():
        with translation.override("nl"):
            english_url = translate_url(url, "en")
        response = client.get(english_url)
        assert response.status_code in (200, 404), (name, url, response.status_code)
        assert '<html lang="en">' in response.content.decode(), name


def test_dates_figures_and_languages_follow_the_visitor(client, site):
    dutch = client.get("/").content.decode()
    english = client.get("/en/").content.decode()
    assert "1 maart 2026" in dutch and "1 March 2026" in english
    assert "Nederlands" in dutch and "Dutch" in english  # the spoken language of a session
    facets = client.get("/search/?q=open").content.decode()
    assert "Nederlands" in facets and "Engels" in facets
    assert "Dutch" in client.get("/en/search/?q=open").content.decode()


def test_the_home_page_title_names_the_site_once(client, site):
    """The home page is called as the site is ("Sessiebibliotheek"): not "X · X"."""
    assert "<title>Sessiebibliotheek</title>" in client.get("/").content.decode()
    assert (
        "<title>Open data en de burger · Sessiebibliotheek</title>"
        in client.get("/open-data/").content.decode()
    )
