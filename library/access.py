"""Who may see a session and its recording: the one rule every surface uses (pages, feeds,
facets, people pages, images, media files, captions, search).

``visible_sessions()`` / ``visible_themes()`` are the queryset form of the rule for a visitor
(live, and no view restriction on the page or any ancestor: ``VisiblePageQuerySet.visible``
in library/models/visibility.py, beside the page models that use it); ``page_visible_to`` checks one
page for one request (an editor or a visitor who gave a theme's password). Speakers,
organisations and images are visible only through a visible page."""

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Q
from wagtail.models import Page, ReferenceIndex

from library import content_version
from library.models import Organisation, SessionPage, Speaker, ThemePage


def visible_sessions():
    """The sessions any visitor may see: live and public. Search filters its engine query by
    these ids, so an index that lags behind the database can never show more."""
    return SessionPage.objects.visible()


def visible_themes():
    """The theme pages any visitor may see: live and public."""
    return ThemePage.objects.visible()


def visible_session_ids() -> frozenset[int]:
    """The ids of ``visible_sessions()``, read once per content version (library/content_version.py:
    it moves with every change a visitor sees of a page, its privacy or its place, at the change
    and again on commit) from the cache every process shares. A search asks for them on every
    request."""
    return _per_content_version("sessions", lambda: visible_sessions().values_list("pk", flat=True))


def visible_theme_titles() -> frozenset[str]:
    """The titles of ``visible_themes()``, read as ``visible_session_ids``."""
    return _per_content_version("themes", lambda: visible_themes().values_list("title", flat=True))


def _per_content_version(name: str, read) -> frozenset:
    # The version is read before the rows: rows read while a change commits are kept under the
    # version it moved away from, which nobody asks for afterwards.
    key = f"library:visible-{name}:{content_version.current()}"
    found = cache.get(key)
    if found is None:
        found = frozenset(read())
        cache.set(key, found, content_version.FRAGMENT_SECONDS)
    return found


def visible_speakers():
    """Speakers of at least one visible session (the others have no public page)."""
    return Speaker.objects.filter(session_links__page__in=visible_sessions()).distinct()


def visible_organisations():
    """Organisations of at least one visible session (the others have no public page)."""
    return Organisation.objects.filter(sessions__in=visible_sessions()).distinct()


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


def image_visible_to(image, request) -> bool:
    """An image (its original file and every rendition) reaches a visitor only through a
    page the visitor may see: as a session's poster (its own or its recording's frame), or
    used in a page's content (Wagtail's reference index: rich text embeds, choosers). An
    image no visible page uses is not served, so a hidden session's poster frame at a
    guessable URL answers 404.

    Editors see every image (the admin shows them all)."""
    if is_editor(request):
        return True
    shown_on = SessionPage.objects.filter(Q(poster=image) | Q(recording__poster=image))
    if any(page_visible_to(session, request) for session in shown_on):
        return True
    # The reference index is built from each page's database row, i.e. its live content.
    page_ids = {
        int(object_id)
        for object_id in ReferenceIndex.get_references_to(image)
        .filter(base_content_type=ContentType.objects.get_for_model(Page))
        .values_list("object_id", flat=True)
        if object_id.isdigit()
    }
    return any(page_visible_to(page, request) for page in Page.objects.filter(pk__in=page_ids))
