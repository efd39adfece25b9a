from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from library import urls as library_urls
from search import urls as search_urls
from transcripts import urls as transcripts_urls

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", include(library_urls)),
    path("", include(transcripts_urls)),
    path("", include(search_urls)),
]

if settings.DEBUG:
    # Only images (posters, renditions) are served straight from MEDIA_ROOT;
    # recordings always go through library.views.serve_recording's access check.
    urlpatterns += [
        re_path(
            r"^media/(?P<path>(?:original_images|images)/.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        ),
    ]

urlpatterns += [path("", include(wagtail_urls))]
