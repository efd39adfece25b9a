"""Keeping the index in step with the database: signals -> jobs on commit -> index, the
outbox when the engine is down, and the search_index command. Embedded engine (the
contract tests cover both engines)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.test import override_settings
from django_tasks import default_task_backend
from django_tasks.backends.dummy import DummyBackend
from wagtail.models import PageViewRestriction

from library.models import Organisation, SessionPage, ThemeIndexPage, ThemeSession
from search import service
from search.engines import get_engine
from search.engines.base import EngineUnavailable
from search.models import PendingIndexChange
from search.tasks import index_session_task
from tests.factories import make_event, make_private, make_recording, make_session, make_theme
from tests.search.helpers import engine_down, run_enqueued, session_with
from tests.shared_data import require_shared_file
from transcripts.pipeline import run_transcription

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def embedded(settings, tmp_path):
    settings.SEARCH_ENGINE = "embedded"
    settings.SEARCH_EMBEDDED_PATH = tmp_path / "index.sqlite3"
    default_task_backend.clear()
    yield
    default_task_backend.clear()


def found(text, **filters):
    return [hit.session_id for hit in service.search(text, filters).hits]


def enqueued_session_ids():
    return sorted(r.args[0] for r in default_task_backend.results if r.task.name == "index_session_task")


def test_jobs_are_enqueued_only_on_commit(django_capture_on_commit_callbacks):
    session = session_with("Commit", ["Nothing yet."])
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        session.unpublish()
    assert enqueued_session_ids() == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert enqueued_session_ids() == [session.pk]


def test_privacy_restriction_added_and_removed(django_capture_on_commit_callbacks):
    session = session_with("Privacy", ["Confidential budgets."])
    service.rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        restriction = make_private(session, PageViewRestriction.PASSWORD, password="x")
    run_enqueued()
    assert found("budgets") == []

    with django_capture_on_commit_callbacks(execute=True):
        restriction.delete()
    run_enqueued()
    assert found("budgets") == [session.pk]


def test_restricting_a_parent_hides_the_sessions_below_it(django_capture_on_commit_callbacks):
    session = session_with("Below", ["Hidden below the home page."])
    service.rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        make_private(session.get_parent())
    run_enqueued()
    assert found("hidden") == []


def test_deleting_a_session_removes_it(django_capture_on_commit_callbacks):
    session = session_with("Deleted", ["Gone tomorrow."])
    service.rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        SessionPage.objects.get(pk=session.pk).delete()
    run_enqueued()
    assert found("gone") == [] and get_engine().indexed_session_ids() == set()


def test_a_new_slug_updates_the_indexed_url(django_capture_on_commit_callbacks):
    session = session_with("Mover", ["Moving house."], slug="mover")
    service.rebuild()
    old_url = service.search("moving").hits[0].url

    with django_capture_on_commit_callbacks(execute=True):
        page = SessionPage.objects.get(pk=session.pk)
        page.slug = "moved"
        page.save_revision().publish()
    run_enqueued()
    new_url = service.search("moving").hits[0].url
    assert new_url != old_url and new_url.endswith("/moved/")


def test_theme_links_changes_reach_the_sessions(django_capture_on_commit_callbacks):
    kept = session_with("Kept", ["Water management."])
    dropped = session_with("Dropped", ["Water quality."])
    service.rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        theme = make_theme("Water", [kept, dropped])
    run_enqueued()
    assert dict(service.search("water").facets["theme"]) == {"Water": 2}

    with django_capture_on_commit_callbacks(execute=True):
        theme.session_links.remove(ThemeSession.objects.get(theme=theme, session=dropped))
        theme.save_revision().publish()
    run_enqueued()
    assert dict(service.search("water").facets["theme"]) == {"Water": 1}
    assert found("water", theme=["Water"]) == [kept.pk]

    with django_capture_on_commit_callbacks(execute=True):
        theme.unpublish()
    run_enqueued()
    assert service.search("water").facets["theme"] == []


def test_a_theme_turning_private_reindexes_the_sessions_it_lists(django_capture_on_commit_callbacks):
    """Its title is in their documents (hits and the theme facet), though they are not below it."""
    session = session_with("Listed", ["Harbour works."])
    theme = make_theme("Harbours", [session])
    service.rebuild()
    assert dict(service.search("harbour").facets["theme"]) == {"Harbours": 1}

    with django_capture_on_commit_callbacks(execute=True):
        restriction = make_private(theme, PageViewRestriction.PASSWORD, password="x")
    assert enqueued_session_ids() == [session.pk]
    run_enqueued()
    assert service.search("harbour").facets["theme"] == []
    assert service.search("harbour").hits[0].themes == []

    with django_capture_on_commit_callbacks(execute=True):
        restriction.delete()
    run_enqueued()
    assert dict(service.search("harbour").facets["theme"]) == {"Harbours": 1}


def test_a_section_turning_private_or_a_theme_moving_into_one_reaches_listed_sessions(
    django_capture_on_commit_callbacks,
):
    session = session_with("Sectioned", ["Dyke maintenance."])
    theme = make_theme("Dykes", [session])
    index = theme.get_parent()
    service.rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        restriction = make_private(index)  # the theme index: every theme below it
    run_enqueued()
    assert service.search("dyke").facets["theme"] == []
    with django_capture_on_commit_callbacks(execute=True):
        restriction.delete()
    run_enqueued()
    assert dict(service.search("dyke").facets["theme"]) == {"Dykes": 1}

    private_index = index.get_parent().add_child(instance=ThemeIndexPage(title="Closed", slug="closed"))
    private_index.save_revision().publish()
    make_private(private_index)
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        theme.move(private_index, pos="last-child")
    run_enqueued()
    assert service.search("dyke").facets["theme"] == []


def test_snippet_changes_reach_the_sessions(django_capture_on_commit_callbacks):
    event = make_event("Festival", 2026)
    session = session_with("Snippets", ["Organised well."], event=event)
    organisation = Organisation.objects.create(name="Ministerie A")
    session.organisations.add(organisation)
    session.save_revision().publish()
    service.rebuild()
    assert dict(service.search("organised").facets["organisation"]) == {"Ministerie A": 1}

    with django_capture_on_commit_callbacks(execute=True):
        organisation.name = "Ministerie B"
        organisation.save()
        event.name = "Kennisfestival"
        event.save()
    run_enqueued()
    facets = service.search("organised").facets
    assert dict(facets["organisation"]) == {"Ministerie B": 1}
    assert dict(facets["event"]) == {"Kennisfestival 2026": 1}

    with django_capture_on_commit_callbacks(execute=True):
        organisation.delete()
    run_enqueued()
    assert service.search("organised").facets["organisation"] == []


def test_engine_down_keeps_changes_and_a_successful_run_drains_them(settings, tmp_path):
    first = session_with("First", ["Apples."])
    second = session_with("Second", ["Pears."])
    third = session_with("Third", ["Plums."])

    with engine_down("embedded", settings, tmp_path):
        for session in (first, second):
            with pytest.raises(EngineUnavailable, match="cannot be opened"):
                service.index_session(session.pk)
        with pytest.raises(EngineUnavailable):
            service.index_session(first.pk)
    pending = {p.session_id: p for p in PendingIndexChange.objects.all()}
    assert set(pending) == {first.pk, second.pk}
    assert pending[first.pk].attempts == 2 and "cannot be opened" in pending[first.pk].last_error

    service.index_session(third.pk)  # the engine is back: this run drains the outbox

    assert PendingIndexChange.objects.count() == 0
    assert get_engine().indexed_session_ids() == {first.pk, second.pk, third.pk}


def test_search_index_command(settings, tmp_path):
    sessions = [session_with(f"Command {n}", [f"Word{n} spoken."]) for n in range(3)]
    out, err = io.StringIO(), io.StringIO()

    call_command("search_index", "--rebuild", stdout=out, stderr=err)

    assert "3 sessions" in out.getvalue()
    assert "3/3" in err.getvalue()  # tqdm's progress bar
    assert get_engine().indexed_session_ids() == {s.pk for s in sessions}

    with engine_down("embedded", settings, tmp_path):
        with pytest.raises(CommandError, match="unavailable"):
            call_command("search_index", "--rebuild", stdout=io.StringIO(), stderr=io.StringIO())
        with pytest.raises(EngineUnavailable):
            service.index_session(sessions[0].pk)
    out = io.StringIO()
    call_command("search_index", "--retry-pending", "--status", stdout=out)
    assert "Retried 1 pending change(s); 0 still pending." in out.getvalue()
    assert "sessions indexed: 3" in out.getvalue()

    with pytest.raises(CommandError):
        call_command("search_index")


def test_deleting_a_recording_drops_its_moments(django_capture_on_commit_callbacks):
    session = session_with("Recorded", ["Tidal energy."])
    service.rebuild()
    assert found("tidal") == [session.pk]

    with django_capture_on_commit_callbacks(execute=True):
        session.recording.delete()
    run_enqueued()

    assert found("tidal") == [] and found("recorded") == [session.pk]  # metadata still found


def test_a_finished_transcription_reaches_the_index(django_capture_on_commit_callbacks):
    """The real flow: Whisper pipeline -> transcript_changed -> index job -> searchable."""
    audio = require_shared_file("jfk.flac")
    session = make_session(title="Inauguration", slug="inauguration", recording=make_recording(audio))
    service.rebuild()
    assert found("country") == []

    with django_capture_on_commit_callbacks(execute=True):
        transcript = run_transcription(session.recording_id)
    assert transcript.status == "done", transcript.error
    assert enqueued_session_ids() == [session.pk]
    run_enqueued()

    hits = service.search("country").hits
    assert [hit.session_id for hit in hits] == [session.pk]
    assert "<mark>country</mark>" in hits[0].moments[0].snippet_html


def test_a_search_that_reaches_the_engine_schedules_a_retry(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    session = session_with("Nudge", ["Windmills."])
    with engine_down("embedded", settings, tmp_path):
        with pytest.raises(EngineUnavailable):
            service.index_session(session.pk)
    cache.delete("search:retry-pending")
    default_task_backend.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert service.search("windmills").total == 0  # engine up, index behind
        service.search("windmills")  # once per minute at most
    assert [r.task.name for r in default_task_backend.results] == ["retry_pending_task"]
    assert run_enqueued() == [{"done": 1, "pending": 0}]
    assert found("windmills") == [session.pk]


def test_search_index_rebuild_if_needed_only_rebuilds_a_stale_index():
    sessions = [session_with(f"Needed {n}", [f"Word{n} spoken."]) for n in range(2)]
    out = io.StringIO()
    call_command("search_index", "--rebuild", "--if-needed", stdout=out, stderr=io.StringIO())
    assert "2 sessions" in out.getvalue()  # a fresh index: rebuilt
    out = io.StringIO()
    call_command("search_index", "--rebuild", "--if-needed", stdout=out, stderr=io.StringIO())
    assert "not rebuilt" in out.getvalue()
    get_engine().remove_session(sessions[0].pk)  # an index that lost a session
    out = io.StringIO()
    call_command("search_index", "--rebuild", "--if-needed", stdout=out, stderr=io.StringIO())
    assert "2 sessions" in out.getvalue()


class IndexQueueLocked(DummyBackend):
    """The job table cannot be written after the editor's commit (the database busy past its
    timeout) for index jobs; other jobs pass."""

    def enqueue(self, task, args, kwargs):
        if task.func is index_session_task.func:
            raise OperationalError("database is locked")
        return super().enqueue(task, args, kwargs)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # later tests need the rows
def test_an_index_job_that_cannot_be_queued_never_breaks_the_publish(home, caplog):
    with override_settings(TASKS={"default": {"BACKEND": f"{__name__}.IndexQueueLocked"}}):
        session = make_session(home, title="Locked out", language="en")  # real commits
    assert SessionPage.objects.get(pk=session.pk).live  # the editor's publish stands
    assert "database is locked" in caplog.text  # ... the failure is logged
    change = PendingIndexChange.objects.get(session_id=session.pk)  # ... and kept for retry
    assert change.action == PendingIndexChange.Action.INDEX and "not queued" in change.last_error
    default_task_backend.clear()

    assert service.retry_pending() == (1, 0)
    assert found("locked") == [session.pk]
