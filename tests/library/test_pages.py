from wagtail.models import PageViewRestriction
from wagtail.test.utils import WagtailPageTestCase

from library.models import HomePage, SessionPage, ThemeIndexPage, ThemePage
from tests.factories import make_event, make_private, make_recording, make_session


class PageTreeTests(WagtailPageTestCase):
    def test_session_lives_under_home(self):
        self.assertCanCreateAt(HomePage, SessionPage)
        self.assertCanCreateAt(HomePage, ThemeIndexPage)
        self.assertCanCreateAt(ThemeIndexPage, ThemePage)
        self.assertCanNotCreateAt(SessionPage, SessionPage)
        self.assertCanNotCreateAt(HomePage, ThemePage)


class SessionPageTests(WagtailPageTestCase):
    def setUp(self):
        self.recording = make_recording(title="Talk", media_type="video")
        self.session = make_session(
            title="Innovatie in de praktijk",
            language="nl",
            recording=self.recording,
            speakers=["Anouk de Vries", "Pieter Jansen"],
            event=make_event(),
            summary="Over kleine experimenten.",
        )

    def test_renders_player_and_metadata(self):
        response = self.client.get(self.session.url)
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn('<html lang="nl">', html)
        self.assertIn("<video", html)
        self.assertIn(self.recording.serve_url, html)
        self.assertIn("Anouk de Vries", html)
        self.assertIn("Kennismaand 2026", html)
        # Speakers keep the order the editor gave them.
        self.assertLess(html.index("Anouk de Vries"), html.index("Pieter Jansen"))

    def test_audio_recording_uses_audio_element(self):
        session = make_session(title="Podcast", recording=make_recording(media_type="audio"))
        html = self.client.get(session.url).content.decode()
        self.assertIn("<audio", html)
        self.assertNotIn("<video", html)

    def test_deep_link_sets_start_time(self):
        html = self.client.get(self.session.url + "?t=754").content.decode()
        self.assertIn('data-start="754.0"', html)
        # Garbage is ignored, never a 500.
        response = self.client.get(self.session.url + "?t=abc")
        self.assertEqual(response.status_code, 200)
        self.assertIn('data-start="0.0"', response.content.decode())

    def test_home_lists_live_public_sessions_only(self):
        hidden = make_session(title="Draft talk", live=False)
        private = make_session(title="Private talk")
        make_private(private)
        html = self.client.get("/").content.decode()
        self.assertIn("Innovatie in de praktijk", html)
        self.assertNotIn(hidden.title, html)
        self.assertNotIn(private.title, html)

    def test_unpublished_session_is_404(self):
        draft = make_session(title="Draft talk", live=False)
        self.assertEqual(self.client.get(f"/{draft.slug}/").status_code, 404)

    def test_private_session_needs_login(self):
        make_private(self.session)
        response = self.client.get(self.session.url)
        self.assertEqual(response.status_code, 302)
        self.assertIn("login", response["Location"])

    def test_password_protected_session_is_not_shown(self):
        make_private(self.session, PageViewRestriction.PASSWORD, password="secret")
        response = self.client.get(self.session.url)
        self.assertEqual(response.status_code, 200)
        self.assertNotIn(self.recording.serve_url, response.content.decode())

    def test_session_shows_its_themes(self):
        home = HomePage.objects.get(slug="home")
        index = ThemeIndexPage.under(home)
        theme = index.add_theme("Digitale overheid", sessions=[self.session])
        html = self.client.get(self.session.url).content.decode()
        self.assertIn("Digitale overheid", html)
        theme_html = self.client.get(theme.url).content.decode()
        self.assertIn("Innovatie in de praktijk", theme_html)
        self.assertIn(">1 sessie<", self.client.get(index.url).content.decode())
        self.assertIn(">1 session<", self.client.get("/en" + index.url).content.decode())

    def test_session_page_leaves_out_private_and_draft_themes(self):
        home = HomePage.objects.get(slug="home")
        index = ThemeIndexPage.under(home)
        for title, slug in (("Besloten thema", "besloten"), ("Concept thema", "concept")):
            index.add_theme(title, slug, sessions=[self.session])
        make_private(ThemePage.objects.get(slug="besloten"), PageViewRestriction.PASSWORD, password="x")
        ThemePage.objects.get(slug="concept").unpublish()
        self.session.refresh_from_db()
        html = self.client.get(self.session.url).content.decode()
        self.assertNotIn("Besloten thema", html)
        self.assertNotIn("Concept thema", html)
        self.assertEqual(SessionPage.objects.get(pk=self.session.pk).theme_titles, [])
