"""The site header's navigation: sessions, themes, speakers, organisations."""

from dataclasses import dataclass

from django import template
from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from library import content_version
from library.models import HomePage, ThemeIndexPage

from ..views import catalogue_url

register = template.Library()


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


# The themes link needs three queries (site, index page, its restrictions) on every page; it
# changes only with the pages (library/content_version.py), so it is cached under their version.


def theme_index_url() -> str:
    key = f"navigation:theme-index-url:{content_version.current()}:{get_language()}"
    url = cache.get(key)
    if url is None:
        url = _theme_index_url()
        cache.set(key, url, content_version.FRAGMENT_SECONDS)
    return url


def _theme_index_url() -> str:
    home = HomePage.of_default_site()
    if home is None:
        return ""
    # One page: its own and its ancestors' restrictions say it (cheaper than .public() on every render).
    index = ThemeIndexPage.objects.child_of(home).live().first()
    return index.get_url() if index and not index.get_view_restrictions().exists() else ""


def _is_under(path: str, url: str) -> bool:
    return bool(url) and (path == url or path.startswith(url.rstrip("/") + "/"))


@register.simple_tag(name="catalogue_url")
def catalogue_url_tag() -> str:
    return catalogue_url()


@register.simple_tag(takes_context=True)
def site_navigation(context) -> list[NavItem]:
    request = context.get("request")
    path = request.path if request else ""
    items = [
        (_("Sessions"), catalogue_url(), None),
        (_("Themes"), theme_index_url(), None),
        (_("Speakers"), reverse("library:speakers"), None),
        (_("Organisations"), reverse("library:organisations"), None),
    ]
    return [
        NavItem(str(label), url, current if current is not None else _is_under(path, url))
        for label, url, current in items
        if url
    ]
