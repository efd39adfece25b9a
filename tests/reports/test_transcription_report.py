"""The transcription queue report: counts, failures with reasons, retry; the dashboard panel;
the home page's "hours transcribed"."""

import pytest
from django.contrib.auth import get_user_model
from django.test import TestCase
from django_tasks import default_task_backend

from tests.factories import make_private, make_recording, make_session
from transcripts.models import Transcript


@pytest.mark.usefixtures("editors_prefer_english")  # the admin in English
class TranscriptionReportTests(TestCase):
    def setUp(self):
        self.user = get_user_model().objects.create_superuser("boss", "boss@example.org", "pw")
        self.client.force_login(self.user)
        default_task_backend.clear()
        self.broken = make_recording(title="Kapotte opname")
        self.session = make_session(title="Sessie met kapotte opname", slug="kapot", recording=self.broken)
        # Saving a recording may queue it (transcripts' handlers); set the outcome we test.
        Transcript.objects.update_or_create(
            recording=self.broken,
            defaults={
                "status": Transcript.Status.FAILED,
                "attempts": 2,
                "error": "This file could not be read as a recording.",
            },
        )
        done = make_recording(title="Goede opname")
        Transcript.objects.update_or_create(
            recording=done, defaults={"status": Transcript.Status.DONE, "audio_seconds": 5400.0}
        )

    def test_lists_failed_transcripts_with_reason_and_counts(self):
        response = self.client.get("/admin/editor-reports/transcription/")
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn("Transcription queue", html)
        self.assertIn("Kapotte opname", html)
        self.assertIn("This file could not be read as a recording.", html)
        self.assertIn(f'href="/admin/pages/{self.session.pk}/edit/"', html)
        self.assertIn('Failed: <span data-status="failed">1</span>', html)
        self.assertIn('Done: <span data-status="done">1</span>', html)
        self.assertIn("Transcribed: <strong>1.5 hours</strong> of audio", html)
        self.assertNotIn("Goede opname", html)  # the list shows one status: failed by default
        self.assertIn("Retry", html)

    def test_failures_export_as_csv(self):
        response = self.client.get("/admin/editor-reports/transcription/?export=csv")
        self.assertEqual(response.status_code, 200)
        body = b"".join(response.streaming_content).decode()
        self.assertIn("Kapotte opname", body)
        self.assertIn("This file could not be read as a recording.", body)

    def test_other_statuses_can_be_listed(self):
        html = self.client.get("/admin/editor-reports/transcription/?status=done").content.decode()
        self.assertIn("Goede opname", html)
        self.assertNotIn("Kapotte opname", html)
        # An unknown status falls back to the failed ones rather than erroring.
        response = self.client.get("/admin/editor-reports/transcription/?status=bogus")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Kapotte opname", response.content.decode())

    def test_retry_requeues_the_recording(self):
        transcript = Transcript.objects.get(recording=self.broken)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(f"/admin/editor-reports/transcription/{transcript.pk}/retry/")
        self.assertRedirects(response, "/admin/editor-reports/transcription/", fetch_redirect_response=False)
        transcript.refresh_from_db()
        self.assertEqual(transcript.status, Transcript.Status.QUEUED)
        self.assertEqual(transcript.error, "")
        queued = [r for r in default_task_backend.results if r.args[:1] == [self.broken.pk]]
        self.assertEqual(len(queued), 1)
        self.assertTrue(queued[0].task.name.endswith("transcribe_recording"))
        follow = self.client.get("/admin/editor-reports/transcription/")
        self.assertIn("is queued for transcription again", follow.content.decode())

    def test_retry_needs_post(self):
        transcript = Transcript.objects.get(recording=self.broken)
        response = self.client.get(f"/admin/editor-reports/transcription/{transcript.pk}/retry/")
        self.assertEqual(response.status_code, 405)
        self.assertEqual(
            self.client.post("/admin/editor-reports/transcription/999999/retry/").status_code, 404
        )

    def test_reports_need_admin_access(self):
        self.client.logout()
        response = self.client.get("/admin/editor-reports/transcription/")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/admin/login/", response["Location"])

    def test_dashboard_panel_and_reports_menu(self):
        html = self.client.get("/admin/").content.decode()
        self.assertIn("Open the transcription queue", html)
        self.assertIn("Failed: 1", html)
        self.assertIn("/admin/editor-reports/transcription/", html)
        self.assertIn("/admin/editor-reports/search-insights/", html)


class HomeFiguresTests(TestCase):
    def test_home_shows_hours_transcribed_of_public_sessions(self):
        public = make_recording(title="Openbaar", duration=2700.0)
        make_session(title="Openbare sessie", slug="openbaar", recording=public)
        private = make_recording(title="Besloten")
        make_private(make_session(title="Besloten sessie", slug="besloten", recording=private))
        Transcript.objects.update_or_create(
            recording=public, defaults={"status": Transcript.Status.DONE, "audio_seconds": 2700.0}
        )
        Transcript.objects.update_or_create(
            recording=private, defaults={"status": Transcript.Status.DONE, "audio_seconds": 36000.0}
        )
        response = self.client.get("/en/")
        figures = {f.label: f.value for f in response.context["figures"]}
        self.assertEqual(figures["Transcribed"], "45 min")  # the private session's 10 hours not counted
        self.assertEqual(figures["Recorded"], "45 min")
        self.assertIn("<dt>Transcribed</dt><dd>45 min</dd>", response.content.decode())
        self.assertIn("<dt>Getranscribeerd</dt><dd>45 min.</dd>", self.client.get("/").content.decode())
