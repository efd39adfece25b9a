# Facts about a file live on the Recording: the duration is read from it (SessionPage.duration
# goes), the machine-made poster frame is stored once on it (Recording.poster), and a session's
# own poster is only the editor's override.

import re

import django.db.models.deletion
from django.db import migrations, models

# transcripts/recording_facts.py names the frames it makes "poster-recording-<recording pk>.jpg"
# (the storage may add a suffix to keep names unique); any other image was chosen by an editor.
MACHINE_POSTER = re.compile(r"(?:^|/)poster-recording-(\d+)(?:_[A-Za-z0-9]+)?\.jpg$")


def machine_poster_recording(image) -> int | None:
    """The pk of the recording this image is the machine-made frame of, or None."""
    match = MACHINE_POSTER.search(image.file.name or "")
    return int(match.group(1)) if match else None


def checks_now(schema_editor):
    """PostgreSQL defers foreign-key checks to the commit, and refuses this migration's schema
    changes (the new field's index, the dropped column) while row changes await their checks
    ("pending trigger events"): check each row change as it is made instead."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def facts_to_recordings(apps, schema_editor):
    checks_now(schema_editor)
    Recording = apps.get_model("library", "Recording")
    SessionPage = apps.get_model("library", "SessionPage")
    Revision = apps.get_model("wagtailcore", "Revision")
    ContentType = apps.get_model("contenttypes", "ContentType")
    page_type = ContentType.objects.filter(app_label="wagtailcore", model="page").first()

    # Durations: a recording probed before keeps its own; one that lost it takes its session's.
    for page in SessionPage.objects.filter(recording__isnull=False, duration__isnull=False):
        Recording.objects.filter(pk=page.recording_id, duration=0).update(duration=page.duration)

    # Posters: a machine-made frame moves to its recording and leaves every page (and page
    # revision: a later publish or revert would bring it back as an override); an editor's
    # choice stays on the page.
    for page in SessionPage.objects.filter(poster__isnull=False).select_related("poster"):
        recording_id = machine_poster_recording(page.poster)
        if recording_id is None or not Recording.objects.filter(pk=recording_id).exists():
            continue
        Recording.objects.filter(pk=recording_id, poster__isnull=True).update(poster=page.poster_id)
        SessionPage.objects.filter(pk=page.pk).update(poster=None)
        revisions = Revision.objects.filter(object_id=str(page.pk))
        if page_type is not None:
            revisions = revisions.filter(base_content_type=page_type)
        for revision in revisions:
            content = dict(revision.content or {})
            if content.get("poster") == page.poster_id:
                content["poster"] = None
                revision.content = content
                revision.save(update_fields=["content"])


def facts_to_pages(apps, schema_editor):
    """Back: every session copies its recording's duration, and its poster frame when it has
    no poster of its own (the revisions keep what they hold)."""
    checks_now(schema_editor)
    Recording = apps.get_model("library", "Recording")
    SessionPage = apps.get_model("library", "SessionPage")
    for recording in Recording.objects.exclude(duration=0, poster__isnull=True):
        sessions = SessionPage.objects.filter(recording=recording)
        if recording.duration:
            sessions.update(duration=recording.duration)
        if recording.poster_id:
            sessions.filter(poster__isnull=True).update(poster=recording.poster_id)


class Migration(migrations.Migration):
    # One transaction (all or nothing): checks_now() lets PostgreSQL change the schema after
    # the data step in it.

    dependencies = [
        ("library", "0004_verbose_names"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
        ("wagtailimages", "0027_image_description"),
    ]

    operations = [
        migrations.AddField(
            model_name="recording",
            name="poster",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                help_text="A frame taken from the video, shown when a session chooses no poster of its own.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="wagtailimages.image",
                verbose_name="poster frame",
            ),
        ),
        migrations.RunPython(facts_to_recordings, facts_to_pages),
        migrations.RemoveField(
            model_name="sessionpage",
            name="duration",
        ),
        migrations.AlterField(
            model_name="sessionpage",
            name="poster",
            field=models.ForeignKey(
                blank=True,
                help_text="Leave empty to show a frame taken from the video.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="wagtailimages.image",
                verbose_name="poster",
            ),
        ),
    ]
