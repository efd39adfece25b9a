"""library.access's visibility rule as querysets: the same pages as Wagtail's
``live().public()`` (which it replaces with one NOT EXISTS subquery), whatever the tree."""

import pytest
from wagtail.models import PageViewRestriction

from library.access import visible_sessions, visible_themes
from library.models import SessionPage, ThemePage
from tests.factories import make_private, make_session, make_theme

pytestmark = pytest.mark.django_db


def wagtails_rule():
    return (
        set(SessionPage.objects.live().public().values_list("pk", flat=True)),
        set(ThemePage.objects.live().public().values_list("pk", flat=True)),
    )


def ours():
    return set(visible_sessions().values_list("pk", flat=True)), set(
        visible_themes().values_list("pk", flat=True)
    )


def test_visible_pages_are_wagtails_live_and_public_ones(home):
    shown = make_session(home, title="Shown")
    login = make_session(home, title="Login only")
    password = make_session(home, title="Password")
    draft = make_session(home, title="Draft", live=False)
    open_theme = make_theme("Open", [shown])
    secret_theme = make_theme("Secret", [shown])
    make_private(login)
    make_private(password, PageViewRestriction.PASSWORD, "pw")
    make_private(secret_theme, PageViewRestriction.PASSWORD, "pw")

    assert ours() == wagtails_rule() == ({shown.pk}, {open_theme.pk})
    assert draft.pk not in ours()[0]

    # A restriction on an ancestor (the themes' index page) hides everything below it, and
    # nothing beside it.
    make_private(open_theme.get_parent())
    assert ours() == wagtails_rule() == ({shown.pk}, set())

    make_private(home)  # and one on the home page, every page of the site
    assert ours() == wagtails_rule() == (set(), set())


def test_no_restriction_anywhere_leaves_every_live_page(home):
    sessions = {make_session(home, title=f"Talk {n}").pk for n in range(3)}
    theme = make_theme("Theme", [])
    assert ours() == wagtails_rule() == (sessions, {theme.pk})
