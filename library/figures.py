"""The figures on the home page ("107 sessions", "38.5 hours recorded").

Every app adds its figures through the `library_figures` Wagtail hook, library's own
included (library/wagtail_hooks.py: sessions and hours recorded; reports: hours transcribed):

    @hooks.register("library_figures")
    def my_figures(request) -> list[Figure]: ...

This module only collects them, so the page models can import it."""

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from wagtail import hooks


@dataclass(frozen=True)
class Figure:
    value: str  # already formatted for people, in the active language ("107", "38,5 uur")
    label: str  # what it counts ("Sessies", "Opgenomen")


def format_hours(seconds: float | None) -> str:
    """'38.5 hours' ('38,5 uur'); under an hour in minutes ('12 min'), so a small library
    doesn't read '0.0'. In the active language, decimal comma and all."""
    seconds = seconds or 0.0
    if not seconds:
        return _("0 hours")
    if seconds < 3600:
        return _("%(minutes)s min") % {"minutes": max(1, round(seconds / 60))}
    return _("%(hours)s hours") % {"hours": number_format(seconds / 3600, 1)}


def site_figures(request) -> list[Figure]:
    figures = []
    for fn in hooks.get_hooks("library_figures"):
        figures.extend(fn(request) or [])
    return figures
