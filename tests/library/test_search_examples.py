"""Every search the site suggests (the home page's examples, the search page's "Try searching
for") finds the demo talk that says it, on a fresh clone: the demo rendered to speech,
transcribed by the real Whisper model, indexed, and searched through the search page."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import translation

from library.demo import content
from library.models import Recording, SessionPage
from search import service
from tests.shared_data import require_ffmpeg, require_model
from transcripts.models import Transcript
from transcripts.pipeline import run_transcription

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


class Suggestions(HTMLParser):
    """The examples a page offers: the search box's placeholder and the suggestion links."""

    def __init__(self):
        super().__init__()
        self.found, self._in_suggestions, self._link = [], False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("id") == "home-search-q" and attrs.get("placeholder"):
            examples = re.sub(r"^\s*(e\.g\.|bijv\.)\s*", "", attrs["placeholder"]).rstrip("…. ")
            self.found += [e.strip() for e in examples.split(",") if e.strip()]
        if tag == "section" and "search-suggestions" in (attrs.get("class") or ""):
            self._in_suggestions = True
        if tag == "a" and self._in_suggestions:
            self._link = ""

    def handle_data(self, data):
        if self._link is not None:
            self._link += data

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.found.append(self._link.strip())
            self._link = None
        if tag == "section":
            self._in_suggestions = False


def suggested(client) -> list[str]:
    found = []
    for url in ("/", "/en/", "/search/", "/en/search/"):
        parser = Suggestions()
        parser.feed(client.get(url).content.decode())
        found += parser.found
    return list(dict.fromkeys(found))


def talk_saying(query: str) -> str:
    """The slug of the demo talk whose script says the query (its words in this order)."""
    wanted = " ".join(re.findall(r"\w+", query.lower()))
    saying = [t["slug"] for t in content.TALKS if wanted in " ".join(re.findall(r"\w+", t["script"].lower()))]
    assert len(saying) == 1, f"suggestion {query!r} is said in {len(saying)} demo talks, not one: {saying}"
    return saying[0]


def moment_links(html: str) -> set[str]:
    """Paths of the sessions whose transcript matched: the results' moment links."""
    lists = re.findall(r'<ul class="moments"[^>]*>.*?</ul>', html, re.S)
    return {urlsplit(href).path for moments in lists for href in re.findall(r'href="([^"]+)"', moments)}


def test_every_suggested_search_finds_its_talk(client, settings, tmp_path):
    require_ffmpeg()
    require_model()
    settings.SHARED_DATA_DIR = tmp_path / "no-shared-data"  # a user's fresh clone
    settings.SEARCH_ENGINE = "embedded"
    settings.SEARCH_EMBEDDED_PATH = tmp_path / "index.sqlite3"
    call_command("load_demo", verbosity=0)
    for recording in Recording.objects.all():
        transcript = run_transcription(recording.pk)
        assert transcript.status == Transcript.Status.DONE, (recording.title, transcript.error)
    service.rebuild()

    queries = suggested(client)
    assert len(queries) >= 4, queries
    missed = {}
    for query in queries:
        slug = talk_saying(query)
        with translation.override("nl"):
            url = SessionPage.objects.get(slug=slug).url
        html = client.get("/search/", {"q": query}).content.decode()
        if url not in moment_links(html):
            heard = Transcript.objects.get(recording__sessions__slug=slug).text
            missed[query] = f"{slug} not among the moments; Whisper heard: {heard}"
    assert not missed, "\n".join(f"{q!r}: {why}" for q, why in missed.items())
