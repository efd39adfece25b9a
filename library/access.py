"""Who may see a session and its recording. Used by every view that hands out
anything of a session (page, media file, captions), so one rule guards them all."""

from wagtail.models import Page


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
