"""Every admin view of ours speaks Dutch to an editor who has not chosen a language, and
English to one who chose English (Account → Language).

The views are built from Dutch content, so English left in what an editor reads (text,
aria-label, placeholder, title, alt) is a UI string that escaped translation. Wagtail's own
chrome is Wagtail's: words its Dutch catalogue itself uses ("Home", "Download XLSX",
"Content statistieken") are not counted, nor two bits of its templates that it never wraps
for translation."""

import html as html_text
import re
from pathlib import Path

import pytest
import wagtail
from django.contrib.auth import get_user_model
from django.urls import reverse
from wagtail.models import Site
from wagtail.users.models import UserProfile

from library.models import Event, HomePage, Organisation, Speaker, ThemeIndexPage
from search.models import QueryLog
from tests.factories import make_recording, make_theme
from tests.i18n import en, nl
from tests.search.helpers import add_transcript, session_with
from tests.test_dutch_pages import ENGLISH, ReadText
from transcripts.models import Transcript

pytestmark = pytest.mark.django_db

# Wagtail templates that never translate: the dashboard search's hidden submit button, and a
# side-panel counter that renders Python's None.
WAGTAIL_UNTRANSLATED = [
    re.compile(r'<input type="submit" value="Search" class="button" />'),
    re.compile(r"<div data-side-panel-toggle-counter[^>]*>\s*None\s*</div>"),
]


def _wagtail_dutch_words() -> set[str]:
    """Every word in Wagtail's own Dutch translations (its msgstrs)."""
    words = set()
    for po in Path(wagtail.__file__).parent.glob("**/locale/nl/LC_MESSAGES/django.po"):
        for line in re.findall(r'^msgstr(?:\[\d\])? "(.*)"$', po.read_text(), re.M):
            words |= set(re.findall(r"[a-z]+", line.lower()))
    return words


WAGTAIL_DUTCH = _wagtail_dutch_words()
# Dutch words too ("Audio toevoegen", "Video toevoegen" in the media library).
DUTCH_AS_WELL = {"audio", "video"}


def english_words(html: str) -> list[str]:
    for pattern in WAGTAIL_UNTRANSLATED:
        html = pattern.sub("", html)
    reader = ReadText("nl")
    reader.feed(html)
    words = set(re.findall(r"[a-z]+", " ".join(reader.parts).lower()))
    return sorted(words & ENGLISH - WAGTAIL_DUTCH - DUTCH_AS_WELL)


@pytest.fixture
def library(settings, tmp_path):
    """A Dutch library as editors see it: sessions whose transcripts are done, failed and
    queued, people and an event, a theme, and searches visitors made."""
    settings.SEARCH_ENGINE = "embedded"
    settings.SEARCH_EMBEDDED_PATH = tmp_path / "index.sqlite3"
    home = HomePage.objects.get(slug="home")
    home.title = "Sessiebibliotheek"  # content is the editors'
    home.save_revision().publish()
    Site.objects.update(site_name="Sessiebibliotheek")
    ThemeIndexPage.under(home, title="Thema's")
    organisation = Organisation.objects.create(name="Gemeente Zandvoorde")
    Speaker.objects.create(name="Pieter Jansen", role="Data-adviseur", organisation=organisation)
    event = Event.objects.create(name="Kennismaand", year=2026)
    done = session_with(
        "Open data en de burger",
        language="nl",
        slug="open-data",
        speakers=["Pieter Jansen"],
        event=event,
        recording=make_recording(title="Opname open data"),
    )
    add_transcript(done, ["Welkom bij deze sessie.", "Tot ziens."], language="nl")
    failed = session_with(
        "Kapotte upload", language="nl", slug="kapot", recording=make_recording(title="Opname kapot")
    )
    Transcript.objects.filter(
        pk=add_transcript(failed, [], language="nl", status=Transcript.Status.FAILED).pk
    ).update(error="Het bestand bevat geen geluid.", attempts=3)
    queued = session_with(
        "Wacht nog", language="nl", slug="wacht", recording=make_recording(title="Opname wacht")
    )
    add_transcript(queued, [], language="nl", status=Transcript.Status.QUEUED)
    theme = make_theme("Digitale overheid", [done])
    QueryLog.objects.create(query="open data", result_count=3, took_ms=10.0)
    QueryLog.objects.create(query="kwantumcomputers", result_count=0, took_ms=10.0)
    return {"home": home, "done": done, "failed": failed, "theme": theme}


def admin_views(library) -> dict[str, tuple[str, str]]:
    """Our admin views (and the media library's), each with a message it must show."""
    transcript = Transcript.objects.get(recording=library["done"].recording)
    failed = Transcript.objects.get(recording=library["failed"].recording)
    home, speaker = library["home"], Speaker.objects.get()
    return {
        "dashboard": ("/admin/", "Open the transcription queue"),
        "transcripts": (reverse("transcripts_admin:index"), "Transcripts"),
        "transcripts-failed": (reverse("transcripts_admin:index") + "?status=failed", "Retry"),
        "correct-transcript": (reverse("transcripts_admin:edit", args=[transcript.pk]), "Save corrections"),
        "transcribe-again": (reverse("transcripts_admin:retry", args=[failed.pk]), "Transcribe again"),
        "transcription-queue": (reverse("editor_reports:transcription"), "Transcription queue"),
        "transcription-queue-queued": (
            reverse("editor_reports:transcription") + "?status=queued",
            "Attempts",
        ),
        "search-insights": (reverse("editor_reports:search_insights"), "Queries that found nothing"),
        # The session's edit page: our fields, and the transcript (job) status panel.
        "session-edit": (reverse("wagtailadmin_pages:edit", args=[library["done"].pk]), "Correct text"),
        "session-edit-failed": (
            reverse("wagtailadmin_pages:edit", args=[library["failed"].pk]),
            "Why it failed",
        ),
        "session-add": (
            reverse("wagtailadmin_pages:add", args=["library", "sessionpage", home.pk]),
            "Speakers",
        ),
        "theme-edit": (reverse("wagtailadmin_pages:edit", args=[library["theme"].pk]), "Sessions"),
        "home-edit": (reverse("wagtailadmin_pages:edit", args=[home.pk]), "Featured themes"),
        "explorer": (reverse("wagtailadmin_explore", args=[home.pk]), "session"),
        "speakers": ("/admin/snippets/library/speaker/", "speakers"),
        "speaker-edit": (f"/admin/snippets/library/speaker/edit/{speaker.pk}/", "role"),
        "organisations": ("/admin/snippets/library/organisation/", "organisations"),
        "events": ("/admin/snippets/library/event/", "events"),
        # Where recordings are uploaded: wagtailmedia's views (translations/wagtailmedia/).
        "media": (reverse("wagtailmedia:index"), "Add audio"),
        "media-add": (reverse("wagtailmedia:add", args=["video"]), "Add video"),
        "media-edit": (
            reverse("wagtailmedia:edit", args=[library["done"].recording_id]),
            "Change media file:",
        ),
    }


def editor(client, language=None):
    user = get_user_model().objects.create_superuser(
        "redacteur", "redacteur@example.org", "pw", first_name="Roos", last_name="de Vries"
    )
    if language:
        profile = UserProfile.get_for_user(user)
        profile.preferred_language = language
        profile.save()
    client.force_login(user)


def test_every_admin_view_of_ours_renders_in_dutch_without_english_ui(client, library):
    editor(client)
    leftovers, missing = {}, {}
    for name, (url, message) in admin_views(library).items():
        response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        html = response.content.decode()
        assert re.search(r'<html lang="nl"', html), name
        if nl(message).lower() not in html_text.unescape(html).lower():
            missing[name] = nl(message)
        if words := english_words(html):
            leftovers[name] = words
    assert not missing, f"admin views without their Dutch text: {missing}"
    assert not leftovers, f"English UI text left in Dutch admin views: {leftovers}"


def test_every_admin_view_of_ours_renders_in_english(client, library):
    editor(client, "en")
    for name, (url, message) in admin_views(library).items():
        response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        html = response.content.decode()
        assert re.search(r'<html lang="en"', html), name
        assert en(message).lower() in html_text.unescape(html).lower(), (name, en(message))


def test_choosers_speak_the_editors_language(client, library):
    """A session's speaker and event choosers: Wagtail words them once at start-up, whatever
    the editor reads (library/snippet_chooser.py words them per request)."""
    url = reverse("wagtailadmin_pages:edit", args=[library["done"].pk])
    editor(client)
    dutch = client.get(url).content.decode()
    assert "Kies spreker" in dutch or "Kies een andere spreker" in dutch, "the speaker chooser is not Dutch"
    assert "Choose another speaker" not in dutch and "Edit this event" not in dutch
    profile = UserProfile.get_for_user(get_user_model().objects.get(username="redacteur"))
    profile.preferred_language = "en"
    profile.save()
    english = client.get(url).content.decode()
    assert "Choose another speaker" in english and "Edit this event" in english
