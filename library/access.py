"""Who may see a session and its recording: the one rule every surface uses (pages, feeds,
facets, people pages, images, media files, captions, search).

``visible_sessions()`` / ``visible_themes()`` are the queryset form of the rule for a visitor
(live, and no view restriction on the page or any ancestor); ``page_visible_to`` checks one
page for one request (an editor or a visitor who gave a theme's password)."""

from wagtail.models import Page


def visible_sessions():
    """The sessions any visitor may see: live and public. Search filters its engine query by
    these ids, so an index that lags behind the database can never show more."""
    from library.models import SessionPage

    return SessionPage.objects.live().public()


def visible_themes():
    """The theme pages any visitor may see: live and public."""
    from library.models import ThemePage

    return ThemePage.objects.live().public()


def page_visible_to(page: Page, request) -> bool:
    """Live, and every privacy restriction on it or its ancestors lets the request in."""
    if not page.live:
        return False
    return all(r.accept_request(request) for r in page.get_view_restrictions())


def is_editor(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and user.has_perm("wagtailadmin.access_admin"))


def recording_visible_to(recording, request) -> bool:
    """A recording is public only through a session page the visitor may see.

    Editors may play any recording (to preview drafts and check transcripts)."""
    if is_editor(request):
        return True
    return any(page_visible_to(page, request) for page in recording.sessions.all())
