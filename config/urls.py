from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from catalogue import urls as catalogue_urls
from catalogue.api import api_router
from library import urls as library_urls
from ops import urls as ops_urls
from search import urls as search_urls
from transcripts import urls as transcripts_urls

# The admin speaks the editor's own language (their Wagtail account setting), so it sits
# outside the language prefix.
urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # Health for the proxy or orchestrator: one address, whatever the language.
    path("", include(ops_urls)),
    # Sessions as data (Wagtail's API v2); the same in every language.
    path("api/v2/", api_router.urls),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", lambda request: redirect(static("favicon.ico"), permanent=True)),
]

# Only images (posters, renditions) are served straight from MEDIA_ROOT; recordings always go
# through library.views.serve_recording's access check. Behind nginx these paths never reach
# Django (deploy/nginx/session-library.conf serves them); without it (`make serve`) Django does.
urlpatterns += [
    re_path(
        r"^media/(?P<path>(?:original_images|images)/.*)$",
        serve,
        {"document_root": settings.MEDIA_ROOT},
    ),
]

# Public pages: the URL says the language. /... is Dutch (the default, unprefixed), /en/...
# English; the language switch links to the same page under the other prefix (so a shared
# link, ?t= included, opens in the language it was shared in, whatever the browser says).
urlpatterns += i18n_patterns(
    path("", include(library_urls)),
    path("", include(catalogue_urls)),
    path("", include(transcripts_urls)),
    path("", include(search_urls)),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)
