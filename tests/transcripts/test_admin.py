"""The Transcripts admin: listing and filters, retry, correcting text, the session edit panel."""

import re

import pytest
from django.urls import reverse
from django_tasks import default_task_backend

from tests.factories import make_recording, make_session
from tests.i18n import english_url
from tests.transcripts.helpers import parse_webvtt
from transcripts.models import Segment, Transcript
from transcripts.tasks import transcribe_recording

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("editors_prefer_english")]  # admin in English


def transcript_for(title, status, home=None, error="", lines=(("Eerste zin.", 0.0, 2.0),)):
    recording = make_recording(title=title)
    if home is not None:
        make_session(home, title=f"Session {title}", language="nl", recording=recording)
    transcript, _ = Transcript.objects.update_or_create(
        recording=recording, defaults={"status": status, "language": "nl", "error": error}
    )
    transcript.replace_segments([Segment(text=t, start=s, end=e) for t, s, e in lines])
    return transcript


def transcription_jobs():
    return [job for job in default_task_backend.results if job.task.func is transcribe_recording.func]


def test_listing_shows_columns_and_filters_by_status(admin_client, home):
    transcript_for("Done talk", Transcript.Status.DONE, home)
    transcript_for("Broken upload", Transcript.Status.FAILED, error="The file is empty (0 bytes).")
    url = reverse("transcripts_admin:index")
    response = admin_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Done talk" in html and "Broken upload" in html
    assert "Session Done talk" in html
    assert "The file is empty (0 bytes)." in html
    assert 'name="status"' in html and 'name="language"' in html  # the filters

    failed = admin_client.get(url, {"status": "failed"}).content.decode()
    assert "Broken upload" in failed and "Done talk" not in failed
    done = admin_client.get(reverse("transcripts_admin:index_results"), {"status": "done"}).content.decode()
    assert "Done talk" in done and "Broken upload" not in done
    found = admin_client.get(url, {"q": "Broken"}).content.decode()
    assert "Broken upload" in found and "Done talk" not in found
    # Transcripts are only made by the pipeline: no "add" view.
    assert "/admin/transcripts/new/" not in html


def test_admin_menu_links_the_listing(admin_client):
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "/admin/transcripts/" in html


def test_retry_button_requeues(admin_client, django_capture_on_commit_callbacks):
    transcript = transcript_for("Broken upload", Transcript.Status.FAILED, error="Could not read it.")
    retry_url = reverse("transcripts_admin:retry", args=[transcript.pk])
    listing = admin_client.get(reverse("transcripts_admin:index")).content.decode()
    assert retry_url in listing

    confirm = admin_client.get(retry_url)
    assert confirm.status_code == 200
    assert 'method="post"' in confirm.content.decode() and "csrfmiddlewaretoken" in confirm.content.decode()

    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(retry_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("transcripts_admin:index")
    transcript.refresh_from_db()
    assert transcript.status == Transcript.Status.QUEUED
    assert transcript.error == ""
    assert [job.args[0] for job in transcription_jobs()] == [transcript.recording_id]


def test_retry_of_a_corrected_transcript_asks_for_force(admin_client, django_capture_on_commit_callbacks):
    transcript = transcript_for("Fixed", Transcript.Status.DONE)
    Transcript.objects.filter(pk=transcript.pk).update(provenance=Transcript.Provenance.CORRECTED)
    retry_url = reverse("transcripts_admin:retry", args=[transcript.pk])
    assert 'name="force"' in admin_client.get(retry_url).content.decode()
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        refused = admin_client.post(retry_url)
    assert refused.status_code == 200 and transcription_jobs() == []
    transcript.refresh_from_db()
    assert transcript.status == Transcript.Status.DONE
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(retry_url, {"force": "on", "next": "https://evil.example/"})
    assert [job.kwargs for job in transcription_jobs()] == [{"force": True}]


def test_retry_needs_post_and_permission(client, django_user_model):
    transcript = transcript_for("Talk", Transcript.Status.FAILED)
    url = reverse("transcripts_admin:retry", args=[transcript.pk])
    assert client.post(url).status_code == 302  # to the login page
    from django.contrib.auth.models import Permission

    editor = django_user_model.objects.create_user("editor", password="pw")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    refused = client.post(url)  # Wagtail turns PermissionDenied into a redirect with a message
    assert refused.status_code == 302 and refused["Location"] == reverse("wagtailadmin_home")
    transcript.refresh_from_db()
    assert transcript.status == Transcript.Status.FAILED


def test_editor_corrects_text_and_captions_follow(
    admin_client, client, home, announced, django_capture_on_commit_callbacks
):
    transcript = transcript_for(
        "Talk",
        Transcript.Status.DONE,
        home,
        lines=(("Welkom bij de kennis maand.", 0.0, 2.5), ("Tot ziens.", 2.5, 4.0)),
    )
    kept_words = [[2.6, 3.1, " Tot", 0.9], [3.1, 3.9, " ziens.", 0.8]]
    transcript.segments.filter(index=0).update(words=[[0.0, 2.5, " Welkom bij de kennis maand.", 0.5]])
    transcript.segments.filter(index=1).update(words=kept_words)
    session = transcript.recording.sessions.get()
    edit_url = reverse("transcripts_admin:edit", args=[transcript.pk])
    form = admin_client.get(edit_url)
    assert form.status_code == 200
    html = form.content.decode()
    assert "Welkom bij de kennis maand." in html and "0:02" in html
    segments = list(transcript.segments.order_by("index"))
    data = {
        "segments-TOTAL_FORMS": "2",
        "segments-INITIAL_FORMS": "2",
        "segments-MIN_NUM_FORMS": "0",
        "segments-MAX_NUM_FORMS": "1000",
        "segments-0-id": segments[0].pk,
        "segments-0-text": "Welkom bij de Kennismaand.",
        "segments-1-id": segments[1].pk,
        "segments-1-text": "Tot ziens.",
    }
    before = client.get(english_url(session)).content.decode()  # the page caches its transcript
    assert "Welkom bij de kennis maand." in before
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(edit_url, data)
    assert response.status_code == 302
    page = client.get(english_url(session)).content.decode()  # the correction shows at once
    assert "Welkom bij de Kennismaand." in page and "Welkom bij de kennis maand." not in page
    transcript.refresh_from_db()
    assert transcript.provenance == Transcript.Provenance.CORRECTED
    corrected = list(transcript.segments.order_by("index"))
    assert [s.text for s in corrected] == ["Welkom bij de Kennismaand.", "Tot ziens."]
    assert [(s.start, s.end) for s in corrected] == [(0.0, 2.5), (2.5, 4.0)]  # timings kept
    # The corrected line's word timings spelled the old text: gone. The untouched line keeps its own.
    assert [s.words for s in corrected] == [None, kept_words]
    assert announced == [transcript.recording_id]
    cues = parse_webvtt(client.get(f"/sessions/{session.pk}/captions.vtt").content.decode())
    assert cues[0][2] == "Welkom bij de Kennismaand."


def test_an_empty_line_is_refused(admin_client):
    transcript = transcript_for("Talk", Transcript.Status.DONE)
    segment = transcript.segments.get()
    data = {
        "segments-TOTAL_FORMS": "1",
        "segments-INITIAL_FORMS": "1",
        "segments-MIN_NUM_FORMS": "0",
        "segments-MAX_NUM_FORMS": "1000",
        "segments-0-id": segment.pk,
        "segments-0-text": "   ",
    }
    response = admin_client.post(reverse("transcripts_admin:edit", args=[transcript.pk]), data)
    assert response.status_code == 200
    assert "cannot be empty" in response.content.decode()
    segment.refresh_from_db()
    assert segment.text == "Eerste zin."
    transcript.refresh_from_db()
    assert transcript.provenance == Transcript.Provenance.MACHINE


def test_session_edit_page_shows_transcript_status_and_retry(admin_client, home):
    reason = "This file contains no audio."
    transcript = transcript_for("Broken", Transcript.Status.FAILED, home, error=reason)
    session = transcript.recording.sessions.get()
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[session.pk])).content.decode()
    assert reason in html
    assert "Failed" in html
    retry = re.search(r'href="(/admin/transcripts/retry/\d+/\?next=[^"]+)"', html)
    assert retry, "retry link missing"
    page = admin_client.get(retry.group(1).replace("&amp;", "&"))
    assert f'value="/admin/pages/{session.pk}/edit/"' in page.content.decode()


def test_session_without_recording_has_no_transcript_panel(admin_client, home):
    session = make_session(home, title="No recording yet")
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[session.pk])).content.decode()
    assert "Transcribe again" not in html
    add_url = reverse("wagtailadmin_pages:add", args=["library", "sessionpage", home.pk])
    assert admin_client.get(add_url).status_code == 200


def test_session_panel_warns_when_a_corrected_transcript_has_another_language(admin_client, home):
    transcript = transcript_for("Talk", Transcript.Status.DONE, home)
    Transcript.objects.filter(pk=transcript.pk).update(
        language="en", provenance=Transcript.Provenance.CORRECTED
    )
    session = transcript.recording.sessions.get()  # set to Dutch
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[session.pk])).content.decode()
    assert "The transcript is in “en”, but this session is set to “nl”" in html
    assert "not redone automatically" in html


def test_editor_checks_lines_and_the_public_notice_counts_them(admin_client, client, home):
    transcript = transcript_for(
        "Review",
        Transcript.Status.DONE,
        home,
        lines=(("Welkom bij de kennis maand.", 0.0, 2.5), ("Tot ziens.", 2.5, 4.0), ("Dag.", 4.0, 5.0)),
    )
    session = transcript.recording.sessions.get()
    edit_url = reverse("transcripts_admin:edit", args=[transcript.pk])
    form = admin_client.get(edit_url)
    assert (form.context["review"].lines, form.context["review"].checked) == (3, 0)
    assert 'name="segments-0-checked"' in form.content.decode()
    segments = list(transcript.segments.order_by("index"))
    data = {
        "segments-TOTAL_FORMS": "3",
        "segments-INITIAL_FORMS": "3",
        "segments-MIN_NUM_FORMS": "0",
        "segments-MAX_NUM_FORMS": "1000",
        "segments-0-id": segments[0].pk,
        "segments-0-text": "Welkom bij de Kennismaand.",  # reworded: checked and corrected
        "segments-1-id": segments[1].pk,
        "segments-1-text": "Tot ziens.",
        "segments-1-checked": "on",  # ticked: checked, not corrected
        "segments-2-id": segments[2].pk,
        "segments-2-text": "Dag.",
    }
    assert admin_client.post(edit_url, data).status_code == 302
    review = transcript.review()
    assert (review.lines, review.checked, review.corrected, review.complete) == (3, 2, 1, False)
    assert [(s.checked, s.corrected) for s in transcript.segments.order_by("index")] == [
        (True, True),
        (True, False),
        (False, False),
    ]
    page = client.get(english_url(session)).content.decode()
    assert "Made automatically" in page and "An editor has checked 2 of 3 lines and corrected 1." in page

    data.update(
        {"segments-0-text": "Welkom bij de Kennismaand.", "segments-0-checked": "on", "all_checked": "on"}
    )
    assert admin_client.post(edit_url, data).status_code == 302
    assert transcript.review().complete
    page = client.get(english_url(session)).content.decode()
    assert "Made automatically" not in page and "Checked by an editor; 1 line corrected." in page
