"""The language switch: the page the visitor is on, in each of the site's languages.

The URL says the language (config/urls.py): /... Dutch, /en/... English. A switch link is
the same URL, query string included (?q=, ?t=), resolved and reversed in the other language."""

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag(takes_context=True)
def language_versions(context) -> list[dict]:
    request = context.get("request")
    path = request.get_full_path() if request else "/"
    current = get_language()
    return [
        {"code": code, "name": name, "url": translate_url(path, code), "current": code == current}
        for code, name in settings.LANGUAGES
    ]
