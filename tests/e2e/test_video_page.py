"""Journeys of a video library: browse the catalogue, find words in a transcript, share a
moment, and keep the player in view while reading a long transcript. Real Chromium, real
media; each journey saves a screenshot of its last step under test-artifacts/."""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.i18n import in_language, localized_path
from tests.shared_data import require_shared_file

from .support import screenshot
from .test_journeys import (
    SEEK_TOLERANCE_S,
    assert_line_covers,
    player_time,
    wait_for_player,
    wait_for_player_near,
)

pytestmark = pytest.mark.slow


def in_viewport(page, selector: str) -> dict:
    return page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
             return {top: r.top, bottom: r.bottom, height: innerHeight,
                     inside: r.top >= 0 && r.bottom <= innerHeight && r.height > 0}; }""",
        selector,
    )


@pytest.mark.parametrize("ui", ["nl", "en"])
def test_catalogue_filter_then_open_a_session(page, ui):
    catalogue = localized_path("/sessies/", ui)
    page.goto(catalogue)
    tiles = page.locator(".session-tile")
    everything = tiles.count()
    assert everything >= 5, f"the catalogue lists {everything} sessions"
    # Filter by a theme: the list narrows to that theme's sessions, and says so.
    theme = page.locator(".facet", has=page.locator("h3", has_text=in_language(ui, "Theme"))).locator(
        "a", has_text="Working in the open"
    )
    theme.click()
    page.wait_for_url(re.compile(re.escape(catalogue) + r"\?theme=Working"))
    narrowed = tiles.count()
    assert 0 < narrowed < everything
    assert page.locator(".active-filters a", has_text="Working in the open").is_visible()
    assert page.locator(".results-count").inner_text().startswith(f"{narrowed} {in_language(ui, 'session')}")
    # And sort them by title: the filter stays.
    page.select_option("#sort", "title")
    page.locator(".sort-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"sort=title"))
    assert parse_qs(urlsplit(page.url).query)["theme"] == ["Working in the open"]
    titles = page.locator(".session-tile h3 a").all_inner_texts()
    assert titles == sorted(titles, key=str.lower) and len(titles) == narrowed
    # Open one: its page plays, and it is in the theme chosen.
    link = page.locator(".session-tile h3 a").first
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(re.compile(re.escape(href) + "$"))
    wait_for_player(page)
    assert page.locator(".session-facts a", has_text="Working in the open").count() == 1
    screenshot(page, "journey-catalogue-filter-session")
    assert not page.js_errors, page.js_errors


def match_count(ui: str, current: int, total: int) -> str:
    """What the finder says, in the visitor's language ("3 van 7", "3 of 7")."""
    return in_language(ui, "{current} of {total}").format(current=current, total=total)


@pytest.mark.parametrize("ui", ["nl", "en"])
def test_transcript_search_marks_and_steps_through_matches(page, long_session, ui):
    lines = json.loads(require_shared_file("dutch-dev/dutch-dev-1.json").read_text())
    word = "onderwater"
    expected = sum(line["text"].lower().count(word) for line in lines)
    assert expected >= 3, "pick a word said several times"
    page.goto(localized_path(long_session, ui))
    assert page.locator("html").get_attribute("lang") == ui
    box = page.locator("#transcript-find-q")
    box.fill("ONDERWATER")  # case does not matter
    count = page.locator("[data-find-count]")
    page.wait_for_function("() => document.querySelector('[data-find-count]').textContent.trim() !== ''")
    assert count.inner_text() == match_count(ui, 1, expected)
    marks = page.locator("mark.find-match")
    assert marks.count() == expected
    assert all(m.lower() == word for m in marks.all_inner_texts())

    def current_index():
        return page.evaluate(
            "() => Array.from(document.querySelectorAll('mark.find-match'))"
            ".findIndex(m => m.classList.contains('is-current-match'))"
        )

    def current_visible_in_the_box():
        return page.evaluate(
            """() => { const m = document.querySelector('mark.is-current-match');
                 const box = document.querySelector('.transcript-segments').getBoundingClientRect();
                 const r = m.getBoundingClientRect(); return r.top >= box.top && r.bottom <= box.bottom; }"""
        )

    assert current_index() == 0
    box.press("Enter")
    assert count.inner_text() == match_count(ui, 2, expected) and current_index() == 1
    page.locator("[data-find-next]").click()
    assert count.inner_text() == match_count(ui, 3, expected) and current_index() == 2
    assert current_visible_in_the_box()
    box.press("Shift+Enter")
    assert count.inner_text() == match_count(ui, 2, expected)
    page.locator("[data-find-previous]").click()
    page.locator("[data-find-previous]").click()  # before the first: round to the last
    assert count.inner_text() == match_count(ui, expected, expected) and current_index() == expected - 1
    assert current_visible_in_the_box()
    # Nothing found says so; clearing the box removes the marks.
    box.fill("zzqxjv")
    page.wait_for_function(
        "(none) => document.querySelector('[data-find-count]').textContent === none",
        arg=in_language(ui, "No matches"),
    )
    assert marks.count() == 0
    box.fill("")
    box.press("Enter")
    assert marks.count() == 0 and count.inner_text() == ""
    screenshot(page, f"journey-transcript-find-{ui}")
    assert not page.js_errors, page.js_errors


@pytest.mark.parametrize("ui", ["nl", "en"])
def test_share_from_here_copies_a_link_that_opens_at_that_moment(page, long_session, ui):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    session = localized_path(long_session, ui)
    page.goto(session)
    assert page.locator("[data-share-button]").inner_text() == in_language(ui, "Share from here")
    wait_for_player(page)
    # Scrub to the middle of a long line well into the recording, as a listener would, and pause.
    line = page.locator(".transcript-segment").nth(20)
    start, end = float(line.get_attribute("data-start")), float(line.get_attribute("data-end"))
    assert end - start >= 2.5, "pick a line long enough to hold a whole second after its start"
    middle = (start + end) / 2
    page.evaluate(
        "(t) => { const p = document.getElementById('player'); p.pause(); p.currentTime = t; }", middle
    )
    wait_for_player_near(page, middle, tolerance=0.5)
    at = player_time(page)
    page.locator("[data-share-button]").click()
    page.wait_for_function("() => document.querySelector('[data-share]').dataset.sharedUrl")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.locator("[data-share]").get_attribute("data-shared-url")
    assert urlsplit(copied).path == session  # the link opens in the language it was shared in
    shared_t = float(parse_qs(urlsplit(copied).query)["t"][0])
    assert shared_t == int(at), (copied, at)
    clock = f"{int(at) // 60}:{int(at) % 60:02d}"  # the line is in the first hour
    assert page.locator("[data-share-status]").inner_text() == in_language(
        ui, "Link to {time} copied."
    ).replace("{time}", clock)

    page.goto(copied)
    assert page.locator("html").get_attribute("lang") == ui
    wait_for_player(page)
    position = wait_for_player_near(page, shared_t)
    assert abs(position - shared_t) <= SEEK_TOLERANCE_S
    assert_line_covers(page, player_time(page))
    assert page.locator(".transcript-segment.is-current").get_attribute("data-start") == line.get_attribute(
        "data-start"
    )
    screenshot(page, f"journey-share-from-here-{ui}")
    assert not page.js_errors, page.js_errors


@pytest.mark.parametrize("notation", ["{m}:{s:02d}", "{m}m{s}s"])
def test_a_link_in_minutes_and_seconds_opens_there(page, long_session, notation):
    seconds = 125
    page.goto(f"{long_session}?t=" + notation.format(m=seconds // 60, s=seconds % 60))
    wait_for_player(page)
    wait_for_player_near(page, seconds)


@pytest.mark.parametrize("ui", ["nl", "en"])
def test_player_stays_in_view_after_clicking_a_line_far_down(page, long_session, ui):
    assert page.viewport_size == {"width": 1280, "height": 900}
    page.goto(localized_path(long_session, ui))
    assert page.locator("html").get_attribute("lang") == ui
    wait_for_player(page)
    assert in_viewport(page, "#player")["inside"]
    line = page.locator(".transcript-segment").nth(30)
    target = float(line.get_attribute("data-start"))
    line.locator("button").click()  # Playwright scrolls it into view first, as a reader would
    wait_for_player_near(page, target, tolerance=1.5)
    assert_line_covers(page, player_time(page))
    where = in_viewport(page, "#player")
    assert where["inside"], f"the player left the viewport: {where}"
    assert in_viewport(page, ".transcript-segment.is-current")["inside"]
    # Reading on down the page, the player stays too (sticky beside the transcript).
    page.mouse.wheel(0, 600)
    page.wait_for_timeout(300)
    assert in_viewport(page, "#player")["inside"] or page.evaluate("() => scrollY") == 0
    page.evaluate("() => document.getElementById('player').pause()")
    screenshot(page, f"journey-player-stays-in-view-{ui}")
    assert not page.js_errors, page.js_errors
