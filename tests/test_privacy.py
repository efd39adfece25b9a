"""Nothing of a hidden session or theme reaches a visitor, on either engine, however far the
search index lags behind the database.

A draft session, a login-only session and a password-protected theme are indexed while
public, then hidden, and no index job runs (the jobs stay queued, as with a stopped worker).
A crawl of every link from the home page, the catalogue, the search page, the API and the
people directories, plus searches for words only the hidden things contain and for their
facet values, must find none of their titles, people, organisations, event, theme, words,
posters or links in any answer, no count of them in a facet or total, and no 500."""

from __future__ import annotations

import datetime
import html
import json
import re
from collections import deque
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.core.cache import cache
from django.urls import Resolver404, resolve
from django_tasks import default_task_backend
from wagtail.models import PageViewRestriction

from library.models import HomeFeaturedTheme, HomePage, Organisation, Speaker
from search import service
from tests.factories import make_event, make_image, make_private, make_recording, make_theme
from tests.search.helpers import session_with, use_engine

pytestmark = pytest.mark.django_db

# What only the hidden things hold. Matched case-insensitively in every answer.
DRAFT_TITLE = "Marzipan Draft Session"
LOGIN_TITLE = "Turnip Login Session"
THEME_TITLE = "Xanadu Password Theme"
DRAFT_SPEAKER = "Quillon Draftspeaker"
LOGIN_SPEAKER = "Vexley Loginspeaker"  # a member of the visible organisation, who spoke only here
DRAFT_ORG = "Zorblat Draftorg"
LOGIN_ORG = "Wombat Loginorg"
HIDDEN_EVENT = "Secret Summit"
SUMMARY_WORDS = ("zebracornium", "glimmerfrost")
SPOKEN_WORDS = ("quokkaphone", "flibbertigibbet")
THEME_WORD = "kumquatish"
SECRETS = (
    DRAFT_TITLE,
    LOGIN_TITLE,
    THEME_TITLE,
    DRAFT_SPEAKER,
    LOGIN_SPEAKER,
    DRAFT_ORG,
    LOGIN_ORG,
    HIDDEN_EVENT,
    *SUMMARY_WORDS,
    *SPOKEN_WORDS,
    THEME_WORD,
    "poster-hidden",
)

# What a visitor may see: two public sessions, all facets counting only them.
EXPECTED_FACETS = {
    "theme": {"Public Theme": 1},
    "speaker": {"Visible Speaker": 2},
    "organisation": {"Visible Org": 1},
    "event": {"Openbaar Festival 2026": 2},
    "year": {"2026": 2},
    "language": {"en": 2},
}

CRAWL_LIMIT = 600
# Paths whose query string is part of what they show (facets, pages); elsewhere a query
# (?t=, &end=) only moves the player, so it is dropped to keep the crawl short.
QUERY_PATHS = ("/search/", "/api/search/", "/sessies/", "/sessions/", "/api/v2/")
LANGUAGE_PREFIX = re.compile(r"^/[a-z]{2}(?=/)")  # /en/...: the same pages in English
SEARCH_PAGE = re.compile(r"^((?:/[a-z]{2})?)/search/\?")
MAX_FILTERS_FOLLOWED = 1  # every facet link of every search; not every combination


@pytest.fixture(params=["embedded", "opensearch"])
def engine_name(request, settings, tmp_path):
    cleanup = use_engine(request.param, settings, tmp_path)
    default_task_backend.clear()
    cache.clear()  # Wagtail caches renditions by image id: none from an earlier test's images
    yield request.param
    default_task_backend.clear()
    cleanup()


@pytest.fixture
def library(engine_name, django_capture_on_commit_callbacks):
    """The library, indexed while everything was public; then three things hidden and the
    index jobs for them left unrun. Returns the hidden pages and the expected enqueued ids."""
    festival = make_event("Openbaar Festival", 2026)
    summit = make_event(HIDDEN_EVENT, 2018)
    visible_org = Organisation.objects.create(name="Visible Org")
    draft_org = Organisation.objects.create(name=DRAFT_ORG)
    login_org = Organisation.objects.create(name=LOGIN_ORG)
    Speaker.objects.create(name=LOGIN_SPEAKER, organisation=visible_org)
    Speaker.objects.create(name=DRAFT_SPEAKER, organisation=draft_org)

    def session(title, texts, orgs, poster=None, **fields):
        page = session_with(
            title,
            texts,
            poster=make_image(poster) if poster else None,
            recording=make_recording(title=f"Recording of {title}", media_type="video"),
            **fields,
        )
        page.organisations.set(orgs)
        page.save_revision().publish()
        page.refresh_from_db()
        return page

    public = session(
        "Open Bridges in Practice",
        ["We talk about bridges and public data."],
        [visible_org],
        poster="poster-public.jpg",
        speakers=["Visible Speaker"],
        event=festival,
        summary="A public talk about bridges.",
    )
    public_two = session(
        "Rivers and Open Water",
        ["Rivers carry water to the sea."],
        [],
        speakers=["Visible Speaker"],
        event=festival,
        summary="A public talk about rivers.",
    )
    draft = session(
        DRAFT_TITLE,
        [f"The {SPOKEN_WORDS[0]} was discussed at length."],
        [draft_org],
        poster="poster-hidden-draft.jpg",
        speakers=[DRAFT_SPEAKER, "Visible Speaker"],
        event=festival,
        date=datetime.date(2019, 5, 1),
        summary=f"A summary with {SUMMARY_WORDS[0]} in it.",
        language="nl",
    )
    login = session(
        LOGIN_TITLE,
        [f"A {SPOKEN_WORDS[1]} spoke here."],
        [login_org, visible_org],
        poster="poster-hidden-login.jpg",
        speakers=[LOGIN_SPEAKER, "Visible Speaker"],
        event=summit,
        date=datetime.date(2018, 6, 1),
        summary=f"Only {SUMMARY_WORDS[1]} here.",
    )

    public_theme = make_theme("Public Theme", [public, draft, login])
    public_theme.body = [
        ("session", {"session": draft, "note": ""}),
        ("clip", {"session": login, "start": 1, "end": 5, "note": ""}),
        ("clip", {"session": public, "start": 1, "end": 5, "note": "A public clip."}),
    ]
    public_theme.save_revision().publish()
    password_theme = make_theme(THEME_TITLE, [public, public_two])
    password_theme.intro = f"<p>About {THEME_WORD} things.</p>"
    password_theme.save_revision().publish()
    home = HomePage.objects.get(slug="home")
    for theme in (password_theme, public_theme):
        home.featured_theme_links.add(HomeFeaturedTheme(theme=theme))
    home.save_revision().publish()

    service.rebuild()
    # The index really holds the hidden things before they are hidden.
    for word in (*SUMMARY_WORDS, *SPOKEN_WORDS):
        assert service.search(word).total == 1, word
    assert dict(service.search("").facets["theme"])[THEME_TITLE] == 2

    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        draft.unpublish()
        make_private(login)
        make_private(password_theme, PageViewRestriction.PASSWORD, password="open sesame")
    enqueued = {r.args[0] for r in default_task_backend.results if r.task.name == "index_session_task"}
    default_task_backend.clear()  # the worker is stopped: the index keeps what it had
    return {
        "draft": draft,
        "login": login,
        "theme": password_theme,
        "public": public,
        "public_two": public_two,
        "enqueued": enqueued,
    }


# -- reading answers ------------------------------------------------------------------------------


def text_of(response) -> str:
    if response.streaming:
        return ""  # media files: their status is what counts
    content_type = response.get("Content-Type", "")
    if not content_type.startswith(("text/", "application/json")):
        return ""
    return response.content.decode("utf-8", "replace")


# The parts of a search page that repeat what the visitor typed or chose: the query in the
# title, the search forms, the chosen filters, "No sessions found for “…”", and links to
# this same search (other language, other page, a facet switched on or off).
ECHO_ZONES = re.compile(
    r"<title>.*?</title>|<form\b.*?</form>|<ul class=\"active-filters\">.*?</ul>"
    r"|<p class=\"results-count\".*?</p>"
    r"|\b(?:href|action)=\"(?:(?:/[a-z]{2})?(?:/api)?/(?:search|sessies|sessions)/)?\?[^\"]*\"",
    re.S,
)


def without_echo(url: str, text: str, content_type: str) -> str:
    """The answer less what merely repeats the request (asking for a name is no leak)."""
    if not urlsplit(url).query:
        return text
    if content_type.startswith("application/json"):
        data = json.loads(text)
        if isinstance(data, dict):
            data.pop("query", None)
            data.pop("filters", None)
        return json.dumps(data, ensure_ascii=False)
    return ECHO_ZONES.sub("", text)


def leaks(url, response, hidden_slugs) -> list[str]:
    text = text_of(response)
    if not text:
        return []
    text = without_echo(url, text, response["Content-Type"]).lower()
    unescaped = html.unescape(text)
    found = [s for s in SECRETS if s.lower() in text or s.lower() in unescaped]
    found += [f"/{slug}/" for slug in hidden_slugs if f"/{slug}/" in text]  # a link to a hidden page
    return found


LINK = re.compile(r"""(?:href|src|poster|action)=["']([^"']+)["']""")


def links_in(url: str, response) -> list[str]:
    text = text_of(response)
    if not text:
        return []
    if response["Content-Type"].startswith("application/json"):
        found = []

        def walk(value):
            if isinstance(value, dict):
                for key, item in value.items():
                    if key.endswith("url") and isinstance(item, str) and item:
                        # An API's links are this site's, whatever host it names.
                        parts = urlsplit(item)
                        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(json.loads(text))
    else:
        found = [html.unescape(link) for link in LINK.findall(text)]
    return [link for link in (normalise(url, f) for f in found) if link]


def normalise(base: str, link: str) -> str | None:
    """A same-site path (with the query where it matters), or None for what is not crawled."""
    parts = urlsplit(urljoin(f"http://testserver{base}", link))
    if parts.netloc != "testserver" or parts.scheme not in ("http", "https"):
        return None
    path = parts.path
    if path.startswith(("/admin/", "/django-admin/", "/static/")):
        return None
    if not LANGUAGE_PREFIX.sub("", path).startswith(QUERY_PATHS) or not parts.query:
        return path
    if LANGUAGE_PREFIX.match(path):
        # The other language's searches show the same data under other labels: its pages are
        # crawled, the combinations of their filters only once (in the default language).
        return None
    params = sorted(parse_qsl(parts.query, keep_blank_values=True))
    if sum(1 for key, _ in params if key not in ("q", "page")) > MAX_FILTERS_FOLLOWED:
        return None
    return f"{path}?{urlencode(params)}"


def crawl(client, start_urls):
    """Every answer reachable from ``start_urls`` (GET, no redirects followed)."""
    queue, seen, answers = deque(start_urls), set(), {}
    while queue and len(seen) < CRAWL_LIMIT:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        answers[url] = response
        if response.status_code == 200:
            links = links_in(url, response)
            # The API answers every search the page offers (facet links, pages) too.
            links += [SEARCH_PAGE.sub(r"\1/api/search/?", link) for link in links if SEARCH_PAGE.match(link)]
            queue.extend(link for link in links if link not in seen)
    return answers


def catalogue_urls() -> list[str]:
    """The catalogue and Wagtail's API v2, where the project has them."""
    urls = []
    for url in ("/sessies/", "/api/v2/pages/"):
        try:
            resolve(url)
        except Resolver404:
            continue
        urls.append(url)
    if "/api/v2/pages/" in urls:
        urls += [
            f"/api/v2/pages/?type={kind}&fields=*" for kind in ("library.SessionPage", "library.ThemePage")
        ]
    return urls


def assert_nothing_hidden(answers, hidden_slugs):
    errors = {url: r.status_code for url, r in answers.items() if r.status_code >= 500}
    assert not errors, errors
    found = {url: leaked for url, r in answers.items() if (leaked := leaks(url, r, hidden_slugs))}
    assert not found, found


def hidden_slugs(library) -> list[str]:
    """The hidden pages' slugs (random): in a link, in any language, they give them away."""
    return [library[name].slug for name in ("draft", "login", "theme")]


HIDDEN_WORDS = (*SUMMARY_WORDS, *SPOKEN_WORDS, THEME_WORD, DRAFT_TITLE, LOGIN_TITLE)
# Each hidden word with a letter left out: a "did you mean" drawn from the index's words
# would answer with the hidden word itself.
MISSPELT_WORDS = tuple(word[:3] + word[4:] for word in (*SUMMARY_WORDS, *SPOKEN_WORDS, THEME_WORD))
HIDDEN_FILTERS = (
    ("speaker", DRAFT_SPEAKER),
    ("speaker", LOGIN_SPEAKER),
    ("organisation", DRAFT_ORG),
    ("organisation", LOGIN_ORG),
    ("theme", THEME_TITLE),
    ("event", f"{HIDDEN_EVENT} 2018"),
    ("year", "2019"),
    ("year", "2018"),
    ("language", "nl"),
)


def probe_params() -> list[dict]:
    """Searches by a visitor who knows or guesses the hidden things' words and names."""
    return [
        *({"q": word} for word in (*HIDDEN_WORDS, *MISSPELT_WORDS)),
        *({facet: value} for facet, value in HIDDEN_FILTERS),
        *({"q": "bridges", facet: value} for facet, value in HIDDEN_FILTERS),
    ]


def probe_urls() -> list[str]:
    paths = ["/search/", "/api/search/", *(u for u in catalogue_urls() if u == "/sessies/")]
    return [f"{path}?{urlencode(params)}" for path in paths for params in probe_params()]


# -- the tests ------------------------------------------------------------------------------------


# Pages, people and media do not depend on the engine: these run on the embedded one only.
embedded_only = pytest.mark.parametrize("engine_name", ["embedded"], indirect=True)


@embedded_only
def test_hiding_schedules_every_session_whose_document_changes(library):
    """The jobs a worker would run: the hidden sessions, and the sessions the private
    theme lists (their documents carry its title)."""
    expected = {library[name].pk for name in ("draft", "login", "public", "public_two")}
    assert library["enqueued"] >= expected


def test_a_crawl_of_every_public_page_and_answer_finds_nothing_hidden(client, library):
    start = ["/", "/search/", "/api/search/", "/speakers/", "/organisations/", *catalogue_urls()]
    answers = crawl(client, start + probe_urls())
    assert len(answers) < CRAWL_LIMIT, "the crawl was cut short; raise CRAWL_LIMIT"
    # The crawl did reach the public things it must not hide.
    for url in ("/", library["public"].url, library["public_two"].url, "/speakers/visible-speaker/"):
        assert answers[url].status_code == 200, url
    assert any(url.startswith("/media/") and r.status_code == 200 for url, r in answers.items())
    assert_nothing_hidden(answers, hidden_slugs(library))


def test_totals_facets_and_searches_count_only_visible_sessions(client, library):
    browse = client.get("/api/search/").json()
    assert browse["total"] == 2
    assert sorted(s["id"] for s in browse["sessions"]) == sorted(
        [library["public"].pk, library["public_two"].pk]
    )
    facets = {
        name: {str(v["value"]): v["count"] for v in values} for name, values in browse["facets"].items()
    }
    assert facets == EXPECTED_FACETS
    for session in browse["sessions"]:
        assert THEME_TITLE not in session["themes"]
    count = re.search(
        r'<p class="results-count"[^>]*>(.*?)</p>', client.get("/search/").content.decode(), re.S
    )
    assert re.findall(r"\d+", count.group(1)) == ["2"]

    # A speaker of visible and hidden sessions counts only the visible ones.
    speaker = client.get("/api/search/", {"speaker": "Visible Speaker"}).json()
    assert speaker["total"] == 2
    assert {v["value"]: v["count"] for v in speaker["facets"]["speaker"]} == {"Visible Speaker": 2}

    wrong = {}
    for params in probe_params():
        body = client.get("/api/search/", params).json()
        if (body["total"], body["sessions"]) != (0, []):
            wrong[urlencode(params)] = body["total"]
        # A word only hidden sessions hold: not even a facet count, which would confirm it.
        elif set(params) == {"q"} and any(body["facets"].values()):
            wrong[urlencode(params)] = body["facets"]
    assert not wrong, wrong


@embedded_only
def test_home_figures_and_theme_lists_count_only_visible_sessions(client, library):
    home = client.get("/").content.decode()
    figures = re.findall(r"<dt>[^<]*</dt><dd>([^<]*)</dd>", home)
    assert figures[0] == "2"  # sessions; the first figure
    assert "Public Theme" in home
    index = client.get(library["theme"].get_parent().url).content.decode()
    assert re.search(r"Public Theme</a></h2>\s*<p class=\"count\">1\b", index)
    session_page = client.get(library["public"].url).content.decode()
    assert "Public Theme" in session_page and THEME_TITLE not in session_page


@embedded_only
def test_hidden_people_have_no_page(client, library):
    for slug in (
        "/speakers/quillon-draftspeaker/",
        "/speakers/vexley-loginspeaker/",
        "/organisations/zorblat-draftorg/",
        "/organisations/wombat-loginorg/",
    ):
        response = client.get(slug)
        assert response.status_code == 404, slug
        assert not leaks(slug, response, [])
    org = client.get("/organisations/visible-org/").content.decode()
    assert "Open Bridges in Practice" in org and LOGIN_SPEAKER not in org


@embedded_only
def test_hidden_sessions_pages_captions_recordings_and_posters_answer_nothing(client, library):
    draft, login, theme = library["draft"], library["login"], library["theme"]
    assert client.get(draft.url).status_code == 404
    assert client.get(login.url).status_code == 302  # to the login page
    password_form = client.get(theme.url)
    assert password_form.status_code == 200 and not leaks(theme.url, password_form, [])
    for session in (draft, login):
        urls = [
            f"/sessions/{session.pk}/captions.vtt",
            f"/sessions/{session.pk}/captions.srt",
            session.recording.serve_url,
            session.poster.file.url,
            session.poster.get_rendition("fill-480x270").url,
            session.poster.get_rendition("width-960").url,
        ]
        for url in urls:
            assert client.get(url).status_code == 404, url
    public_poster = library["public"].poster
    assert client.get(public_poster.get_rendition("width-960").url).status_code == 200
