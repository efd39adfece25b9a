"""The figures on the home page: how many sessions, how many hours of recordings.

Other apps add figures through the `library_figures` Wagtail hook, because `library`
may not import them (e.g. "hours transcribed" needs transcripts):

    @hooks.register("library_figures")
    def my_figures(request) -> list[Figure]: ...
"""

from dataclasses import dataclass

from django.db.models import Sum
from wagtail import hooks


@dataclass(frozen=True)
class Figure:
    value: str  # already formatted for people ("107", "38.5 hours")
    label: str  # what it counts ("Sessions", "Recorded")


def format_hours(seconds: float | None) -> str:
    """'38.5 hours'; under an hour in minutes ('12 min'), so a small library doesn't read '0.0'."""
    seconds = seconds or 0.0
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min" if seconds else "0 hours"
    return f"{seconds / 3600:.1f} hours"


def library_figures(request) -> list[Figure]:
    """Counts of live, public sessions only: the public home page never counts drafts."""
    from .models import SessionPage  # here, not at the top: models.pages imports this module

    sessions = SessionPage.objects.live().public()
    seconds = sessions.aggregate(total=Sum("duration"))["total"]
    return [
        Figure(f"{sessions.count()}", "Sessions"),
        Figure(format_hours(seconds), "Recorded"),
    ]


def site_figures(request) -> list[Figure]:
    figures = library_figures(request)
    for fn in hooks.get_hooks("library_figures"):
        figures.extend(fn(request) or [])
    return figures
