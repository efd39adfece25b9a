from django.urls import path
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.views.generic import RedirectView

from . import views

app_name = "catalogue"


def _per_language(**routes):
    """A route that reads differently per language, like a translated URL pattern, but
    without waiting for a translation: Django resolves and reverses it per active
    language, so /sessies/ is Dutch and /en/sessions/ English, and the language switch
    (translate_url) goes from one to the other."""
    return lazy(lambda: routes.get((get_language() or "nl")[:2], routes["nl"]), str)()


urlpatterns = [
    path(_per_language(nl="sessies/", en="sessions/"), views.catalogue, name="catalogue"),
    # The other language's name finds the catalogue too (/sessions/, /en/sessies/).
    path(
        _per_language(nl="sessions/", en="sessies/"),
        RedirectView.as_view(pattern_name="catalogue:catalogue", query_string=True, permanent=False),
    ),
]
