"""Sessions as data: Wagtail's API v2 at /api/v2/ (the ecosystem's convention,
``/api/v2/pages/?type=library.SessionPage&fields=*``), for what any visitor may see.

Wagtail's own PagesAPIViewSet lets a request in wherever its session would be let in (a
logged-in editor sees login-restricted pages); this API is the public's, so every page it
lists or shows is live and public for anyone, and sessions and themes go through the one
visibility rule (library.access), in listings, details, ``find`` and parent links alike.
Only pages are routed: images and documents would list the posters and files of private
sessions."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet

from library.access import visible_sessions, visible_themes
from library.models import SessionPage, ThemePage


class VisiblePagesAPIViewSet(PagesAPIViewSet):
    def get_base_queryset(self):
        pages = super().get_base_queryset().live().public()
        guarded = [ct.pk for ct in ContentType.objects.get_for_models(SessionPage, ThemePage).values()]
        return pages.filter(
            ~Q(content_type_id__in=guarded)
            | Q(pk__in=visible_sessions().values("pk"))
            | Q(pk__in=visible_themes().values("pk"))
        )


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", VisiblePagesAPIViewSet)
