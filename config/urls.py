import re

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from catalogue import urls as catalogue_urls
from catalogue.api import api_router
from library import urls as library_urls
from library import views as library_views
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

if settings.MEDIA_URL.startswith("/"):
    # Images (posters, renditions) are served by Django in every environment, after the
    # access check (library.views.serve_image); recordings go through serve_recording's.
    # Nothing else under MEDIA_ROOT is served, and no web server may serve MEDIA_URL directly
    # (deploy/nginx/session-library.conf passes these paths to Django; X-Accel-Redirect after).
    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>(?:original_images|images)/[^/]+)$",
            library_views.serve_image,
            name="image",
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
