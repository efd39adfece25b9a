"""library 0005: a session's duration and machine-made poster move to its recording; a poster
an editor chose stays on the page (the page's override). Run on the test database: migrated
back to 0004, given pages as the old code left them, migrated forward again."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from library.models import Recording, SessionPage
from tests.factories import make_image

BEFORE = [("library", "0004_verbose_names")]

# Schema changes need their own transactions; the migrations' rows (the home page) are put back.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(targets).apps if targets else None


def old_session(apps, title, n, **fields):
    """A session page as the 0004 models store it (no tree API in a migration state)."""
    Page = apps.get_model("wagtailcore", "Page")
    ContentType = apps.get_model("contenttypes", "ContentType")
    home = Page.objects.get(slug="home")
    page_type, _ = ContentType.objects.get_or_create(app_label="library", model="sessionpage")
    slug = title.lower().replace(" ", "-")
    return apps.get_model("library", "SessionPage").objects.create(
        title=title,
        draft_title=title,
        slug=slug,
        path=f"{home.path}00Y{n}",
        depth=home.depth + 1,
        url_path=f"{home.url_path}{slug}/",
        content_type=page_type,
        locale_id=home.locale_id,
        translation_key=uuid.uuid4(),
        live=True,
        **fields,
    )


def old_revision(apps, page, **content):
    ContentType = apps.get_model("contenttypes", "ContentType")
    return apps.get_model("wagtailcore", "Revision").objects.create(
        content_type=page.content_type,
        base_content_type=ContentType.objects.get(app_label="wagtailcore", model="page"),
        object_id=str(page.pk),
        object_str=page.title,
        created_at=timezone.now(),
        content={"pk": page.pk, "title": page.title, **content},
    )


def test_duration_and_machine_poster_move_to_the_recording_an_editors_poster_stays():
    try:
        check_the_migration(migrate(BEFORE))
    finally:
        migrate(None)  # the latest schema again, whatever happened


def check_the_migration(apps):
    OldRecording = apps.get_model("library", "Recording")
    video = OldRecording.objects.create(title="Video", file="media/talk.mp4", type="video", duration=0)
    audio = OldRecording.objects.create(title="Audio", file="media/talk.wav", type="audio", duration=0)
    frame = make_image(f"poster-recording-{video.pk}.jpg", title="Poster: Video")
    chosen = make_image("speaker-portrait.jpg", title="Chosen by an editor")

    machine = old_session(apps, "Machine poster", 1, recording_id=video.pk, duration=61.5, poster_id=frame.pk)
    shared = old_session(apps, "Same video", 2, recording_id=video.pk, duration=61.5, poster_id=frame.pk)
    editors = old_session(apps, "Editor poster", 3, recording_id=audio.pk, duration=30.0, poster_id=chosen.pk)
    unprobed = old_session(apps, "Not probed", 4)
    draft = old_revision(apps, machine, poster=frame.pk, duration=61.5, summary="draft text")
    kept = old_revision(apps, editors, poster=chosen.pk, duration=30.0)

    migrate(None)

    video, audio = Recording.objects.get(pk=video.pk), Recording.objects.get(pk=audio.pk)
    assert (video.duration, video.poster_id) == (61.5, frame.pk)  # the frame, once per recording
    assert (audio.duration, audio.poster_id) == (30.0, None)
    machine, shared = SessionPage.objects.get(pk=machine.pk), SessionPage.objects.get(pk=shared.pk)
    assert machine.poster_id is None and shared.poster_id is None  # no override left behind
    assert machine.shown_poster == frame and machine.duration == 61.5
    editors = SessionPage.objects.get(pk=editors.pk)
    assert editors.poster_id == chosen.pk and editors.shown_poster == chosen  # the editor's choice
    assert editors.duration == 30.0
    assert SessionPage.objects.get(pk=unprobed.pk).duration is None
    # A publish or revert of the draft does not bring the frame back as an override.
    draft.refresh_from_db()
    kept.refresh_from_db()
    assert draft.content["poster"] is None and draft.content["summary"] == "draft text"
    assert kept.content["poster"] == chosen.pk
