"""Theme pages: body with clips and teasers, validation of clips, the home page."""

import datetime
from pathlib import Path

import pytest
from django.utils.html import escape
from wagtail.blocks import StructBlockValidationError
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from library.blocks import ClipBlock, format_timecode, parse_timecode
from library.models import HomeFeaturedTheme, HomePage, Recording, ThemePage
from tests.factories import make_private, make_recording, make_session, make_theme
from tests.i18n import nl


@pytest.mark.parametrize(
    "text, seconds",
    [("95", 95.0), ("1:35", 95.0), ("01:01:35", 3695.0), ("0:07.5", 7.5), ("7,5", 7.5), (12, 12.0)],
)
def test_parse_timecode_accepts_what_editors_type(text, seconds):
    assert parse_timecode(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "1:75", "1:61:00", "-5", "1::2"])
def test_parse_timecode_refuses_garbage(text):
    with pytest.raises(ValueError):
        parse_timecode(text)


def test_format_timecode_round_trips():
    assert format_timecode(95) == "1:35"
    assert format_timecode(3695) == "1:01:35"
    assert parse_timecode(format_timecode(7.5)) == 7.5


def theme_form_with_clip(theme, session, start, end):
    """The admin edit form's POST data for a theme whose body is one clip."""
    return nested_form_data(
        {
            "title": theme.title,
            "slug": theme.slug,
            "intro": rich_text(""),
            "session_links": {
                "TOTAL_FORMS": 0,
                "INITIAL_FORMS": 0,
                "MIN_NUM_FORMS": 0,
                "MAX_NUM_FORMS": 1000,
            },
            "body": streamfield([("clip", {"session": session.pk, "start": start, "end": end, "note": ""})]),
        }
    )


class ClipTests(WagtailPageTestCase):
    def setUp(self):
        self.session = make_session(
            title="Open data en de burger", slug="open-data", recording=make_recording(duration=300.0)
        )

    def clip_value(self, start, end, note=""):
        block = ClipBlock()
        return block, block.to_python({"session": self.session.pk, "start": start, "end": end, "note": note})

    def test_valid_clip_is_cleaned(self):
        block, value = self.clip_value(65, 125)
        cleaned = block.clean(value)
        self.assertEqual((cleaned["start"], cleaned["end"]), (65, 125))

    def test_clip_that_ends_before_it_starts_is_refused(self):
        block, value = self.clip_value(125, 65)
        with self.assertRaises(StructBlockValidationError) as caught:
            block.clean(value)
        message = caught.exception.block_errors["end"].messages[0]
        self.assertIn("moet na het begin eindigen", message)  # Dutch, the default
        self.assertIn("1:05", message)

    def test_clip_past_the_end_of_the_recording_is_refused(self):
        block, value = self.clip_value(60, 400)
        with self.assertRaises(StructBlockValidationError) as caught:
            block.clean(value)
        message = caught.exception.block_errors["end"].messages[0]
        self.assertIn("na het einde van de opname (5:00)", message)

    def test_unknown_duration_only_checks_the_order(self):
        Recording.objects.filter(pk=self.session.recording_id).update(duration=0)  # not probed yet
        block, value = self.clip_value(60, 4000)
        self.assertEqual(block.clean(value)["end"], 4000)

    def test_theme_page_renders_clip_linking_to_its_start(self):
        theme = make_theme(
            body=[
                ("text", "<p>Waarom open data ertoe doet.</p>"),
                ("clip", {"session": self.session, "start": 65, "end": 125, "note": "Het advies."}),
            ]
        )
        response = self.client.get(theme.url)
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn(f'href="{self.session.url}?t=65&amp;end=125"', html)
        self.assertIn("1:05–2:05", html)
        self.assertIn("Het advies.", html)
        self.assertIn("Waarom open data ertoe doet.", html)
        # The session page opens at the clip and marks its range.
        session_html = self.client.get(f"{self.session.url}?t=65&end=125").content.decode()
        self.assertIn('data-start="65.0"', session_html)
        self.assertIn('data-end="125.0"', session_html)
        self.assertIn("player.js", session_html)

    def test_clips_and_teasers_of_private_or_draft_sessions_are_not_rendered(self):
        private = make_session(title="Vertrouwelijk overleg", slug="vertrouwelijk")
        make_private(private)
        draft = make_session(title="Nog niet klaar", slug="concept", live=False)
        theme = make_theme(
            body=[
                ("clip", {"session": private, "start": 1, "end": 5, "note": "geheim"}),
                ("session", {"session": draft, "note": "concept"}),
                ("clip", {"session": self.session, "start": 1, "end": 5, "note": "openbaar"}),
            ]
        )
        html = self.client.get(theme.url).content.decode()
        self.assertNotIn("Vertrouwelijk overleg", html)
        self.assertNotIn("geheim", html)
        self.assertNotIn("Nog niet klaar", html)
        self.assertIn("openbaar", html)

    def test_admin_edit_form_refuses_an_invalid_clip_with_a_message(self):
        self.login()  # a superuser
        theme = make_theme()
        data = theme_form_with_clip(theme, self.session, start="2:00", end="1:00")
        response = self.client.post(f"/admin/pages/{theme.pk}/edit/", data)
        self.assertEqual(response.status_code, 200)  # the form again, not a redirect
        html = response.content.decode()
        self.assertIn(nl("The page could not be saved due to validation errors."), html)
        self.assertIn("moet na het begin eindigen", html)
        # m:ss is accepted and stored as seconds.
        data["body-0-value-start"], data["body-0-value-end"] = "1:00", "2:00"
        response = self.client.post(f"/admin/pages/{theme.pk}/edit/", data)
        self.assertEqual(response.status_code, 302)
        clip = ThemePage.objects.get(pk=theme.pk).get_latest_revision_as_object().body[0]
        self.assertEqual((clip.value["start"], clip.value["end"]), (60.0, 120.0))

    def test_autosave_of_a_clip_whose_times_are_not_typed_yet_explains_what_is_missing(self):
        # The editor added a Clip and chose its session; autosave runs before they type the times.
        self.login()
        theme = make_theme()
        data = theme_form_with_clip(theme, self.session, start="", end="")
        url = f"/admin/pages/{theme.pk}/edit/"
        autosave = self.client.post(url, data, headers={"Accept": "application/json"})
        self.assertEqual(autosave.status_code, 400)  # refused with a reason, not a 500
        self.assertEqual(autosave.json()["error_code"], "validation_error")
        # Saving the draft by hand shows the reason at the fields.
        html = self.client.post(url, data).content.decode()
        self.assertIn(nl("Type when the clip starts. %(help)s").split(" %(")[0], html)
        self.assertIn(nl("Type when the clip ends. %(help)s").split(" %(")[0], html)
        data["body-0-value-start"] = "0:30"
        self.assertIn(
            nl("Type when the clip ends. %(help)s").split(" %(")[0],
            self.client.post(url, data).content.decode(),
        )
        data["body-0-value-end"] = "0:45"
        self.assertEqual(self.client.post(url, data, headers={"Accept": "application/json"}).status_code, 200)

    def test_admin_edit_form_explains_a_time_it_cannot_read(self):
        self.login()
        theme = make_theme()
        data = theme_form_with_clip(theme, self.session, start="een minuut", end="2:00")
        response = self.client.post(f"/admin/pages/{theme.pk}/edit/", data)
        self.assertEqual(response.status_code, 200)
        self.assertIn("is geen tijd", response.content.decode())


class AdminFormsTests(WagtailPageTestCase):
    def test_editors_get_the_theme_and_home_forms_with_the_new_fields(self):
        self.login()
        theme = make_theme()
        theme_form = self.client.get(f"/admin/pages/{theme.pk}/edit/")
        self.assertEqual(theme_form.status_code, 200)
        self.assertIn('"fieldName": "body"', theme_form.content.decode())  # the StreamField
        home = HomePage.objects.get(slug="home")
        home_form = self.client.get(f"/admin/pages/{home.pk}/edit/")
        self.assertEqual(home_form.status_code, 200)
        self.assertIn(escape(nl("Featured themes")), home_form.content.decode())


class HomePageTests(WagtailPageTestCase):
    def test_home_shows_figures_featured_themes_latest_sessions_and_search(self):
        make_session(title="Innovatie", slug="innovatie", recording=make_recording(duration=5400.0))
        make_session(title="Toegankelijkheid", slug="toegankelijk", recording=make_recording(duration=1800.0))
        hidden = make_session(title="Besloten", slug="besloten", recording=make_recording(duration=36000.0))
        make_private(hidden)
        theme = make_theme(title="Digitale overheid")
        make_theme(title="Niet uitgelicht", slug="niet-uitgelicht")
        home = HomePage.objects.get(slug="home")
        HomeFeaturedTheme.objects.create(page=home, theme=theme, sort_order=0)

        response = self.client.get("/")
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        figures = {f.label: f.value for f in response.context["figures"]}
        self.assertEqual(figures["Sessies"], "2")  # the private session is not counted
        self.assertEqual(figures["Opgenomen"], "2,0 uur")  # Dutch figures: decimal comma
        self.assertIn("<dt>Opgenomen</dt><dd>2,0 uur</dd>", html)
        self.assertIn(nl("Featured themes"), html)
        english = self.client.get("/en/").content.decode()
        self.assertIn("<dt>Recorded</dt><dd>2.0 hours</dd>", english)
        self.assertIn("Digitale overheid", html)
        self.assertNotIn("Niet uitgelicht", html)
        self.assertIn('<label for="home-search-q">', html)
        self.assertIn('action="/search/"', html)
        self.assertNotIn("Besloten", html)

    def test_home_lists_at_most_six_latest_sessions(self):
        for n in range(8):
            make_session(title=f"Sessie {n}", slug=f"sessie-{n}", date=datetime.date(2026, 3, n + 1))
        response = self.client.get("/")
        titles = [s.title for s in response.context["sessions"]]
        self.assertEqual(titles, [f"Sessie {n}" for n in range(7, 1, -1)])


@pytest.mark.slow
def test_clip_link_marks_the_clip_on_the_transcript_in_a_real_browser(client, home):
    """The session page as Django renders it, with the real transcript markup and the real
    player.js, in Chromium: the segments inside [t, end] are marked, the others not."""
    from tests.e2e.support import chromium_path, skip_or_fail
    from transcripts.models import Segment, Transcript

    executable = chromium_path()
    if executable is None:
        skip_or_fail("Chromium is not installed (apt-get install chromium)")
    recording = make_recording()
    session = make_session(title="Open data", slug="open-data", recording=recording)
    transcript, _ = Transcript.objects.update_or_create(
        recording=recording, defaults={"status": Transcript.Status.DONE, "audio_seconds": 20.0}
    )
    lines = [(0, 4, "Welkom."), (4, 9, "Open data helpt."), (9, 14, "Begin klein."), (14, 20, "Dank u.")]
    transcript.replace_segments([Segment(start=s, end=e, text=t) for s, e, t in lines])
    path = f"{session.url}?t=5&end=12"
    html = client.get(path).content.decode()
    assert 'id="transcript"' in html  # the transcripts app rendered its section
    static = Path(__file__).resolve().parents[2] / "static"

    from playwright.sync_api import sync_playwright

    def serve(route):
        url = route.request.url
        if "/static/" in url:
            name = url.split("/static/", 1)[1].split("?")[0]
            route.fulfill(body=(static / name).read_text(), content_type="text/javascript")
        elif url.startswith("http://library.test" + session.url):
            route.fulfill(body=html, content_type="text/html")
        else:
            route.fulfill(status=404, body="")  # the media file: not needed to mark the clip

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.route("**/*", serve)
            page.goto("http://library.test" + path)
            page.wait_for_selector("[data-in-clip='true']")
            marked = page.locator(".transcript-segment.in-clip .transcript-text").all_inner_texts()
        finally:
            browser.close()
    assert marked == ["Open data helpt.", "Begin klein."]
