"""WCAG 2.1 AA: axe-core, run in a real Chromium on every kind of public page, finds nothing."""

import pytest

from tests.i18n import localized_path
from tests.shared_data import require_shared_file

from .support import AXE_JS, screenshot, skip_or_fail

pytestmark = pytest.mark.slow

UI_LANGUAGES = ["nl", "en"]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Page structure that screen-reader users navigate by (axe files these under best practice,
# not a WCAG tag): one main landmark, all content in landmarks, one h1, no skipped levels.
STRUCTURE_RULES = ["landmark-one-main", "region", "page-has-heading-one", "heading-order", "landmark-unique"]


def axe_violations(page) -> list[dict]:
    if not AXE_JS.is_file():
        skip_or_fail(f"{AXE_JS} is missing: run `npm ci` in the repository root")
    page.add_script_tag(path=str(AXE_JS))
    wcag = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
    )
    structure = page.evaluate(
        "async (rules) => await axe.run(document, {runOnly: {type: 'rule', values: rules}})", STRUCTURE_RULES
    )
    return wcag["violations"] + structure["violations"]


def describe(violations: list[dict]) -> str:
    """One paragraph per rule: what, how bad, where (selector) and why (axe's summary)."""
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    at {' '.join(node['target'])}: {node['html'][:160]}")
            lines.append(f"       {summary}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more elements")
    return "\n".join(lines)


def audit(page, path: str, name: str, status: int = 200):
    response = page.goto(path)
    assert response.status == status, f"{path} answered {response.status}"
    page.wait_for_load_state("networkidle")
    screenshot(page, f"a11y-{name}")
    violations = axe_violations(page)
    assert not violations, f"axe found violations (WCAG 2.1 AA, structure) on {path}:\n{describe(violations)}"


def first_link(page, path: str, selector: str) -> str:
    page.goto(path)
    href = page.locator(selector).first.get_attribute("href")
    assert href, f"no link matching {selector} on {path}"
    return href


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/", "home"),
        ("/themes/", "theme-index"),
        ("/themes/working-in-the-open/", "theme"),
        ("/innovatie-in-de-publieke-sector/", "session-video-dutch"),
        ("/working-in-the-open/", "session-audio-english"),
        ("/speakers/", "speaker-list"),
        ("/organisations/", "organisation-list"),
        ("/search/", "search-empty"),
        ("/search/?q=open+data", "search-results"),
        ("/search/?q=zzqxjvw", "search-no-results"),
        ("/search/?q=" + "a" * 600, "search-error"),
        ("/search/?q=open+data&language=nl", "search-filtered"),
        ("/innovatie-in-de-publieke-sector/?t=4&end=12", "session-clip"),
        ("/sessies/", "catalogue"),
        ("/sessies/?language=en&sort=title", "catalogue-filtered"),
    ],
)
@pytest.mark.parametrize("ui", UI_LANGUAGES)
def test_page_has_no_wcag_violations(page, path, name, ui):
    """Every page in both languages of the site (Dutch unprefixed, English under /en/)."""
    audit(page, localized_path(path, ui), f"{name}-{ui}")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/bestaat-niet/", "not-found"),
        ("/sessies/?page=99", "catalogue-past-the-end"),
        ("/search/?q=open&page=99", "search-past-the-end"),
    ],
)
@pytest.mark.parametrize("ui", UI_LANGUAGES)
def test_not_found_pages_have_no_wcag_violations(page, path, name, ui):
    """What a visitor sees at a wrong address or past the last page (a 404 that says so)."""
    audit(page, localized_path(path, ui), f"{name}-{ui}", status=404)


@pytest.mark.parametrize("ui", UI_LANGUAGES)
def test_did_you_mean_has_no_wcag_violations(page, ui):
    """A misspelt word finds nothing and the page offers the word the talks say."""
    audit(page, localized_path("/search/", ui) + "?q=bruger", f"search-did-you-mean-{ui}")
    assert page.locator(".search-did-you-mean a", has_text="burger").count() >= 1


@pytest.mark.parametrize("ui", UI_LANGUAGES)
def test_speaker_page_has_no_wcag_violations(page, ui):
    speakers = localized_path("/speakers/", ui)
    audit(page, first_link(page, speakers, f"main a[href^='{speakers}']"), f"speaker-{ui}")


@pytest.mark.parametrize("ui", UI_LANGUAGES)
def test_organisation_page_has_no_wcag_violations(page, ui):
    organisations = localized_path("/organisations/", ui)
    audit(page, first_link(page, organisations, f"main a[href^='{organisations}']"), f"organisation-{ui}")


def test_audit_reports_a_violation_it_is_shown(page, live_site):
    """The audit is not blind: an unlabelled field and grey-on-white text are caught."""
    page.goto("/")
    page.evaluate(
        """() => {
          const main = document.querySelector('main');
          main.insertAdjacentHTML('beforeend',
            '<input type="text" id="unlabelled"><p style="color:#bbb;background:#fff">faint</p>');
        }"""
    )
    found = {v["id"] for v in axe_violations(page)}
    assert {"label", "color-contrast"} <= found, found


def test_real_recording_session_has_no_wcag_violations(page):
    require_shared_file("jfk.flac")
    audit(page, "/ask-not-what-your-country-can-do-for-you/", "session-jfk")


def lang_of(locator) -> str:
    """The language a screen reader uses for an element: its nearest lang attribute."""
    return locator.evaluate("el => el.closest('[lang]').getAttribute('lang')")


@pytest.mark.parametrize("ui", UI_LANGUAGES)
@pytest.mark.parametrize(
    ("path", "spoken"),
    [("/innovatie-in-de-publieke-sector/", "nl"), ("/accessible-government-websites/", "en")],
)
def test_session_page_and_transcript_say_their_language(page, path, spoken, ui):
    """WCAG 3.1.1/3.1.2: the page speaks the visitor's language; the session's title and
    transcript are read out in the language spoken."""
    page.goto(localized_path(path, ui))
    assert page.locator("html").get_attribute("lang") == ui
    assert lang_of(page.locator("h1")) == spoken
    assert lang_of(page.locator(".transcript-text").first) == spoken
    # The help text around the transcript is the site's own text, in the visitor's language.
    assert lang_of(page.locator(".transcript-help")) == ui


@pytest.mark.parametrize(("ui", "other"), [("en", "nl"), ("nl", "en")])
def test_parts_in_the_other_language_say_so(page, ui, other):
    """WCAG 3.1.2 (language of parts): titles and snippets of sessions in the other language."""
    session = {"nl": "/open-data-en-de-burger/", "en": "/working-in-the-open/"}[other]
    query = {"nl": "journalisten", "en": "reuse"}[other]  # said in those talks (test_search_examples.py)
    page.goto(localized_path("/search/", ui) + "?q=" + query.replace(" ", "+"))
    assert page.locator("html").get_attribute("lang") == ui
    hit = page.locator(".search-hit", has=page.locator(f"a[href='{localized_path(session, ui)}']"))
    assert lang_of(hit.locator("h3 a")) == other
    snippets = hit.locator(".snippet")
    assert snippets.count() > 0
    assert {lang_of(snippets.nth(i)) for i in range(snippets.count())} == {other}

    page.goto(localized_path("/", ui))
    card = page.locator(f".session-card a[href='{localized_path(session, ui)}']").first
    assert lang_of(card) == other


FOCUS_INDICATOR_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  return {html: el.outerHTML.slice(0, 120), tag: el.tagName, visible: outline || shadow};
}"""


@pytest.mark.parametrize(
    "path", ["/", "/working-in-the-open/", "/search/?q=open+data", "/themes/digitale-overheid/"]
)
def test_keyboard_focus_is_always_visible(page, path):
    """WCAG 2.4.7: every stop of the Tab order shows where the focus is."""
    page.goto(path)
    page.wait_for_load_state("networkidle")
    missing, stops = [], 0
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_INDICATOR_JS)
        if focused is None:  # wrapped round to the browser chrome: the whole page was visited
            break
        stops += 1
        # Native media controls draw their own focus ring inside the element's shadow DOM.
        if focused["tag"] not in ("AUDIO", "VIDEO") and not focused["visible"]:
            missing.append(focused["html"])
    assert stops > 3, f"only {stops} focus stops on {path}"
    assert not missing, f"no visible focus indicator on {path} for:\n" + "\n".join(missing)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/working-in-the-open/",
        "/innovatie-in-de-publieke-sector/",
        "/search/?q=open+data",
        "/themes/digitale-overheid/",
        "/sessies/",
    ],
)
@pytest.mark.parametrize("ui", UI_LANGUAGES)
def test_pages_reflow_at_320_css_pixels(page, path, ui):
    """WCAG 1.4.10: at 320 CSS px wide (400% zoom) nothing needs scrolling sideways (Dutch
    words are longer: both languages)."""
    page.set_viewport_size({"width": 320, "height": 640})
    path = localized_path(path, ui)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const wide = Array.from(document.querySelectorAll('body *'))
            .filter(el => el.getBoundingClientRect().right > width + 1)
            .map(el => el.outerHTML.slice(0, 100));
          return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
        }"""
    )
    screenshot(page, "reflow-" + (path.strip("/").replace("/", "-").replace("?", "-") or "home"))
    assert overflow["scrollWidth"] <= overflow["width"], f"{path} scrolls sideways at 320 px: {overflow}"


def test_session_page_tools_in_use_have_no_wcag_violations(page, long_session):
    """A long transcript with matches marked, one of them current, and a link shared."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(long_session)
    page.wait_for_load_state("networkidle")
    page.locator("#transcript-find-q").fill("het")
    page.wait_for_function("() => document.querySelectorAll('mark.is-current-match').length === 1")
    page.locator("[data-find-next]").click()
    page.locator("[data-share-button]").click()
    page.wait_for_function("() => document.querySelector('[data-share-status]').textContent !== ''")
    screenshot(page, "a11y-session-tools")
    violations = axe_violations(page)
    assert not violations, f"axe found violations with the transcript tools in use:\n{describe(violations)}"


@pytest.mark.parametrize("path", ["/search/?q=open+data", "/sessies/?year=2026"])
def test_on_a_phone_results_come_first_and_filters_fold_behind_a_toggle(page, path):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(path)
    page.wait_for_load_state("networkidle")
    toggle = page.locator(".facets-toggle")
    panel = page.locator("#facet-panel")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not panel.is_visible()
    results = page.locator(".search-hit, .session-tile").first
    assert results.is_visible()
    assert results.bounding_box()["y"] < 740, "the first result is not on the first screen"
    screenshot(page, "a11y-phone-filters-folded-" + path.strip("/").split("/")[0].split("?")[0])
    assert not axe_violations(page)
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and panel.is_visible()
    violations = axe_violations(page)
    assert not violations, f"axe found violations with the filters open on a phone:\n{describe(violations)}"
