"""The figures on the home page: how many sessions, how many hours of recordings.

Other apps add figures through the `library_figures` Wagtail hook, because `library`
may not import them (e.g. "hours transcribed" needs transcripts):

    @hooks.register("library_figures")
    def my_figures(request) -> list[Figure]: ...
"""

from dataclasses import dataclass

from django.db.models import Sum
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from wagtail import hooks

from .access import visible_sessions


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


def library_figures(request) -> list[Figure]:
    """Counts of visible sessions only: the public home page never counts drafts or private ones."""
    sessions = visible_sessions()
    seconds = sessions.aggregate(total=Sum("duration"))["total"]
    return [
        Figure(number_format(sessions.count(), force_grouping=True), _("Sessions")),
        Figure(format_hours(seconds), _("Recorded")),
    ]


def site_figures(request) -> list[Figure]:
    figures = library_figures(request)
    for fn in hooks.get_hooks("library_figures"):
        figures.extend(fn(request) or [])
    return figures
