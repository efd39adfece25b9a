"""Visitor journeys in a real Chromium against the live, transcribed demo: real clicks and
keys, real media playback. Each journey saves a screenshot of its last step under
test-artifacts/."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.i18n import localized_path
from tests.shared_data import require_shared_file

from .support import screenshot

pytestmark = pytest.mark.slow

JFK_SLUG = "ask-not-what-your-country-can-do-for-you"
SEEK_TOLERANCE_S = 3.0


def jfk_phrase() -> str:
    """A phrase that was really said in the JFK recording, from its reference transcript."""
    text = require_shared_file("jfk.txt").read_text()
    assert "ask not what your country can do for you" in text.lower()
    return "ask not what your country can do for you"


def link_seconds(href: str, name: str = "t") -> float:
    values = parse_qs(urlsplit(href).query).get(name)
    assert values, f"{href} has no ?{name}="
    return float(values[0])


def wait_for_player(page):
    """The player has loaded its metadata (duration known, seekable)."""
    page.wait_for_function(
        "() => { const p = document.getElementById('player'); return p && p.readyState >= 1; }"
    )


def player_time(page) -> float:
    return page.evaluate("() => document.getElementById('player').currentTime")


def wait_for_player_near(page, seconds: float, tolerance: float = SEEK_TOLERANCE_S) -> float:
    """Wait until the player's position is within tolerance of `seconds`; fail saying where it is."""
    try:
        page.wait_for_function(
            "([s, tol]) => { const p = document.getElementById('player');"
            " return p && p.readyState >= 1 && Math.abs(p.currentTime - s) <= tol; }",
            arg=[seconds, tolerance],
            timeout=10_000,
        )
    except PlaywrightTimeout:
        pytest.fail(f"the player is at {player_time(page):.2f} s, not within {tolerance} s of {seconds} s")
    return player_time(page)


def current_line(page):
    """The transcript line highlighted as being spoken."""
    return page.locator(".transcript-segment.is-current")


def assert_line_covers(page, seconds: float):
    """The highlighted transcript line is the segment spoken at `seconds` (and only one is)."""
    line = current_line(page)
    line.wait_for()
    assert line.count() == 1, f"{line.count()} lines highlighted"
    assert line.get_attribute("aria-current") == "true"
    start, end = float(line.get_attribute("data-start")), float(line.get_attribute("data-end"))
    assert start - 0.1 <= seconds <= end + 0.3, f"highlighted line {start}-{end} s does not hold {seconds} s"


def tab_to(page, predicate: str, what: str, limit: int = 60):
    """Press Tab until `predicate` (JS, gets the focused element `el`) holds; fail if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({predicate}); }}"):
            return page.evaluate_handle("() => document.activeElement").as_element()
    pytest.fail(f"{limit} presses of Tab never reached {what}")


def test_search_finds_the_moment_and_opens_the_session_there(page):
    phrase = jfk_phrase()
    page.goto("/")
    page.locator("#site-search-q").fill(phrase)
    page.locator(".site-search button[type=submit]").click()
    page.wait_for_url(re.compile(r"/search/\?q="))

    first = page.locator(".search-hit").first
    title_link = first.locator("h3 a")
    assert urlsplit(title_link.get_attribute("href")).path == f"/{JFK_SLUG}/", (
        f"first result is {title_link.inner_text()!r}, not the JFK session"
    )
    moment = first.locator(".moments a").first
    moment_time = link_seconds(moment.get_attribute("href"))
    assert "country" in first.locator(".moments .snippet").first.inner_text().lower()

    moment.click()
    page.wait_for_url(re.compile(rf"/{JFK_SLUG}/\?t="))
    wait_for_player(page)
    position = wait_for_player_near(page, moment_time)
    assert abs(position - moment_time) <= SEEK_TOLERANCE_S
    assert_line_covers(page, moment_time)
    assert "ask not what your country" in current_line(page).inner_text().lower()
    screenshot(page, "journey-1-search-to-moment")
    assert not page.js_errors, page.js_errors


def test_search_moment_later_in_a_recording_opens_it_there(page):
    """A moment that starts well into the recording: the player must really move there."""
    require_shared_file("multilingual.mp3")
    # Said about 20 s in (the reference transcript), and heard so by the base model; its last
    # words ("substantial portions of the software") it hears otherwise.
    phrase = "copyright notice"
    assert phrase in require_shared_file("multilingual.txt").read_text().lower()
    page.goto("/search/?q=" + phrase.replace(" ", "+"))
    first = page.locator(".search-hit").first
    assert urlsplit(first.locator("h3 a").get_attribute("href")).path == "/a-multilingual-sample/"
    moment = first.locator(".moments a").first
    moment_time = link_seconds(moment.get_attribute("href"))
    assert moment_time > 2 * SEEK_TOLERANCE_S, f"moment at {moment_time} s is too early to prove a seek"

    moment.click()
    page.wait_for_url(re.compile(r"/a-multilingual-sample/\?t="))
    wait_for_player(page)
    position = wait_for_player_near(page, moment_time)
    assert abs(position - moment_time) <= SEEK_TOLERANCE_S
    assert_line_covers(page, position)
    screenshot(page, "journey-1b-search-to-later-moment")
    assert not page.js_errors, page.js_errors


def test_transcript_line_seeks_and_captions_show(page):
    # A rendered talk (always in the demo): a video, so the captions are visible too.
    page.goto("/accessible-government-websites/")
    wait_for_player(page)
    lines = page.locator(".transcript-line")
    assert lines.count() >= 3
    line = lines.nth(lines.count() - 2)  # well away from 0 s, so a player that did not move is caught
    target = float(line.get_attribute("data-seek"))
    assert target > 2 * SEEK_TOLERANCE_S

    line.click()
    wait_for_player_near(page, target, tolerance=1.5)
    assert_line_covers(page, player_time(page))

    cues = page.evaluate(
        """async () => {
          const player = document.getElementById('player');
          const track = player.textTracks[0];
          track.mode = 'showing';
          for (let i = 0; i < 100 && !(track.cues && track.cues.length); i++) {
            await new Promise(r => setTimeout(r, 100));
          }
          return Array.from(track.cues || []).map(c => ({start: c.startTime, text: c.text}));
        }"""
    )
    assert len(cues) > 0, "the captions track has no cues"
    assert len(cues) >= lines.count() - 1
    assert page.evaluate("() => document.getElementById('player').textTracks[0].mode") == "showing"
    # The caption cues say what the transcript says.
    first_line = page.locator(".transcript-text").first.inner_text().strip()
    assert cues[0]["text"].split()[:3] == first_line.split()[:3], (cues[0], first_line)
    page.evaluate("() => document.getElementById('player').pause()")
    screenshot(page, "journey-2-transcript-and-captions")
    assert not page.js_errors, page.js_errors


def test_one_caption_at_a_time_after_seeking_to_a_line(page):
    page.goto("/accessible-government-websites/")
    wait_for_player(page)
    line = page.locator(".transcript-line").nth(2)
    target = float(line.get_attribute("data-seek"))
    page.evaluate("() => { document.getElementById('player').textTracks[0].mode = 'showing'; }")
    line.click()
    page.evaluate("() => document.getElementById('player').pause()")
    wait_for_player_near(page, target, tolerance=1.5)
    page.wait_for_function("() => document.getElementById('player').textTracks[0].activeCues.length > 0")
    active = page.evaluate(
        "() => Array.from(document.getElementById('player').textTracks[0].activeCues).map(c => c.text)"
    )
    assert len(active) == 1, f"{len(active)} captions on screen at once: {active}"


def test_theme_clip_opens_the_session_at_the_clip_start(page):
    page.goto("/themes/digitale-overheid/")
    hrefs = page.locator(".clip-card h3 a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    # A clip that starts well after 0 s, so a player that ignored ?t= is caught.
    later = [h for h in hrefs if link_seconds(h) > SEEK_TOLERANCE_S]
    assert later, f"no clip on the theme page starts after {SEEK_TOLERANCE_S} s: {hrefs}"
    href = later[0]
    start, end = link_seconds(href, "t"), link_seconds(href, "end")
    assert end > start

    page.locator(f".clip-card h3 a[href='{href}']").click()
    page.wait_for_url(re.compile(r"\?t="))
    assert urlsplit(page.url).path == urlsplit(href).path
    wait_for_player(page)
    position = wait_for_player_near(page, start)
    assert abs(position - start) <= SEEK_TOLERANCE_S, (position, start)
    notice = page.locator(".clip-notice")
    assert notice.is_visible()
    assert float(page.locator("#player").get_attribute("data-start")) == start
    assert_line_covers(page, start)
    screenshot(page, "journey-3-theme-clip")
    assert not page.js_errors, page.js_errors


@pytest.mark.parametrize("ui", ["nl", "en"])
def test_keyboard_only_search_open_play_pause_and_seek(page, ui):
    phrase = "reuse what we build"  # said in the rendered talk "Working in the open" (always in the demo)
    session = localized_path("/working-in-the-open/", ui)
    page.goto(localized_path("/", ui))
    tab_to(page, "el.id === 'site-search-q'", "the search box")
    page.keyboard.type(phrase)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))

    tab_to(page, "el.matches('.moments a')", "a moment in the results")
    href = page.evaluate("() => document.activeElement.getAttribute('href')")
    assert urlsplit(href).path == session, f"first moment reached is {href}"
    moment_time = link_seconds(href)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(session) + r"\?t="))
    wait_for_player(page)
    wait_for_player_near(page, moment_time)

    tab_to(page, "el.id === 'player'", "the player")
    page.keyboard.press("Space")
    page.wait_for_function("() => !document.getElementById('player').paused")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.getElementById('player').paused")

    tab_to(page, "el.matches('.transcript-line')", "a transcript line")
    # Move to a line away from where the player is, then activate it with Enter.
    here = player_time(page)
    for _ in range(10):
        seek = float(page.evaluate("() => document.activeElement.dataset.seek"))
        if abs(seek - here) > SEEK_TOLERANCE_S:
            break
        page.keyboard.press("Tab")
    assert abs(seek - here) > SEEK_TOLERANCE_S, "no transcript line away from the player position"
    page.keyboard.press("Enter")
    wait_for_player_near(page, seek, tolerance=1.5)
    assert_line_covers(page, player_time(page))
    page.evaluate("() => document.getElementById('player').pause()")
    screenshot(page, f"journey-4-keyboard-only-{ui}")
    assert not page.js_errors, page.js_errors
