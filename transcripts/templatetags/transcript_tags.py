"""The lines of the interactive transcript, rendered in Python.

A 60-minute recording has ~900 segments; the same markup from a template loop took most of a
session page's time (eight template lookups per line), this a few milliseconds; the session
page also caches the result per transcript version (transcripts/wagtail_hooks.py). It goes
into templates/transcripts/session_transcript.html; static/js/transcript.js reads it."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from library.templatetags.library_tags import timestamp

register = template.Library()


@register.simple_tag
def transcript_lines(rows) -> str:
    """``rows``: (index, start, end, text) per segment, in order."""
    lines = []
    for index, start, end, text in rows:
        seek = f"{start:.3f}"
        lines.append(
            f'<li class="transcript-segment" id="t{index}" data-start="{seek}" data-end="{end:.3f}">'
            f'<button type="button" class="transcript-line" data-seek="{seek}">'
            f'<span class="transcript-time">{timestamp(start)}</span> '
            f'<span class="transcript-text">{escape(text)}</span></button></li>'
        )
    return mark_safe("\n".join(lines))
