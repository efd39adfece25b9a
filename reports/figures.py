"""The "hours transcribed" figure on the public home page (library's `library_figures` hook).

It lives here because library may not import transcripts; the reports app reads both."""

from django.utils.translation import gettext as _

from library.figures import Figure, format_hours

from .transcription import seconds_transcribed


def transcribed_figures(request) -> list[Figure]:
    seconds = seconds_transcribed(public_only=True)
    return [Figure(format_hours(seconds), _("Transcribed"))]
