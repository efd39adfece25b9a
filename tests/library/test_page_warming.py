"""The worker renders session pages into the cache (library/page_warming.py) when a change a
visitor sees moves the content version or a visible session's transcript changes, through the
handlers a real change goes through, so a visitor's first view of a page is a cache hit; only
what any visitor may see is rendered. A draft queues nothing, and nothing is queued when the
cache is the worker's own (a per-process memory cache)."""

import logging

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_tasks import default_task_backend
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from library import content_version
from library.models import SessionPage, Speaker
from library.tasks import warm_session_pages
from tests.factories import make_private, make_recording, make_session
from transcripts.models import Segment, Transcript
from transcripts.signals import transcript_changed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _warming_on(settings):
    """The tests' memory cache is one process's, the client's and the task's alike: warm it."""
    settings.PAGE_WARMING = True


def _warm_jobs():
    return [list(r.args) for r in default_task_backend.results if r.task.name == "warm_session_pages"]


def _transcribed(home, title):
    recording = make_recording(title=title)
    session = make_session(home, title=title, recording=recording)
    transcript = Transcript.objects.create(recording=recording, status=Transcript.Status.DONE, language="en")
    transcript.replace_segments([Segment(start=i, end=i + 1, text=f"Line {i} of {title}.") for i in range(3)])
    return session, transcript


def test_a_change_queues_the_warming_and_the_first_view_is_cached(
    client, home, django_capture_on_commit_callbacks
):
    cache.clear()
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        public, transcript = _transcribed(home, "Open talk")
        private, _ = _transcribed(home, "Closed talk")
        make_private(private)
    # Publishing moved the content version: one job for every page, however often it moved.
    assert _warm_jobs() == [[None]]

    # Only the public session, in both languages (the private one is never rendered).
    assert warm_session_pages.call(None) == {"rendered": 2}

    with CaptureQueriesContext(connection) as queries:
        html = client.get(public.url).content.decode()
    assert "Line 2 of Open talk." in html
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "transcripts_segment" not in read and "library_sessionspeaker" not in read  # cached parts

    # A correction announces the transcript: that session's pages are rendered again.
    default_task_backend.clear()
    transcript.segments.filter(index=0).update(text="Corrected line.")
    transcript.save(update_fields=["updated_at"])
    with django_capture_on_commit_callbacks(execute=True):
        transcript_changed.send(
            sender=Transcript, transcript=transcript, recording_id=transcript.recording_id
        )
    assert _warm_jobs() == [[[public.pk]]]
    warm_session_pages.call([public.pk])
    with CaptureQueriesContext(connection) as queries:
        html = client.get(public.url).content.decode()
    assert "Corrected line." in html
    assert "transcripts_segment" not in " ".join(q["sql"] for q in queries.captured_queries)


def test_every_job_renders_each_page_in_its_own_language(client, home, caplog):
    """The worker runs job after job in one thread: a page rendered in English must not leave
    English active for the next page's URL (it was then asked for at /en/en/..., a 404)."""
    cache.clear()
    first, _ = _transcribed(home, "First talk")
    second, _ = _transcribed(home, "Second talk")
    language = translation.get_language()
    with caplog.at_level(logging.WARNING, logger="library.page_warming"):
        assert warm_session_pages.call(None) == {"rendered": 4}
        assert warm_session_pages.call([second.pk]) == {"rendered": 2}  # the next job too
    assert caplog.records == [] and translation.get_language() == language
    with CaptureQueriesContext(connection) as queries:
        html = client.get(second.url).content.decode()  # the Dutch page was rendered, in Dutch
    assert 'lang="nl"' in html and "Line 2 of Second talk." in html
    assert "transcripts_segment" not in " ".join(q["sql"] for q in queries.captured_queries)


def _session_form(title, slug, recording, speakers=(), publish=False):
    data = nested_form_data(
        {
            "title": title,
            "slug": slug,
            "date": "2026-03-01",
            "language": "en",
            "speaker_links": inline_formset([{"speaker": pk} for pk in speakers]),
            "summary": "",
            "recording": recording.pk,
        }
    )
    return {**data, "action-publish": "action-publish"} if publish else data


def test_drafts_queue_no_warming_and_publishing_does(admin_client, home, django_capture_on_commit_callbacks):
    """Through the admin's own views: saving a draft of a live session, creating a new session
    as a draft (with a speaker) and its transcript finishing change nothing a visitor sees."""
    with django_capture_on_commit_callbacks(execute=True):
        session, _ = _transcribed(home, "Open talk")
    speaker = Speaker.named("Ada Draft")
    recording = make_recording(title="Draft recording")
    cache.clear()  # no warm-all job waiting (it would absorb the next one)
    default_task_backend.clear()
    version = content_version.current()
    edit = reverse("wagtailadmin_pages:edit", args=[session.pk])
    add = reverse("wagtailadmin_pages:add", args=["library", "sessionpage", home.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            admin_client.post(
                edit, _session_form("Open talk, edited", session.slug, session.recording)
            ).status_code
            == 302
        )
        assert (
            admin_client.post(add, _session_form("New talk", "new-talk", recording, [speaker.pk])).status_code
            == 302
        )
        draft = SessionPage.objects.get(slug="new-talk")
        assert not draft.live and draft.speaker_links.count() == 1
        transcript = Transcript.objects.create(
            recording=recording, status=Transcript.Status.DONE, language="en"
        )
        transcript_changed.send(sender=Transcript, transcript=transcript, recording_id=recording.pk)
    assert _warm_jobs() == [] and content_version.current() == version

    with django_capture_on_commit_callbacks(execute=True):
        published = _session_form("Open talk, edited", session.slug, session.recording, publish=True)
        assert admin_client.post(edit, published).status_code == 302
    assert _warm_jobs() == [[None]] and content_version.current() != version


def test_no_warming_into_a_cache_only_the_worker_reads(
    settings, tmp_path, home, django_capture_on_commit_callbacks
):
    settings.PAGE_WARMING = None  # decided by the cache
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        make_session(home, title="Seen by nobody")  # the tests' per-process memory cache
    assert _warm_jobs() == []
    file_cache = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
    settings.CACHES = {**settings.CACHES, "default": file_cache}  # shared, as in production
    with django_capture_on_commit_callbacks(execute=True):
        make_session(home, title="Seen by visitors")
    assert _warm_jobs() == [[None]]
