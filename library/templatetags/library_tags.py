"""Extension points on the session page.

`library` imports neither `transcripts` nor `search`; those apps register Wagtail
hooks named `session_page_<slot>` that return HTML for a slot (e.g. caption
<track>s inside the player, the interactive transcript below it)."""

import datetime

from django import template
from django.utils.safestring import mark_safe
from wagtail import hooks

register = template.Library()


@register.simple_tag(takes_context=True)
def session_slot(context, page, slot: str):
    request = context.get("request")
    parts = [fn(request, page) for fn in hooks.get_hooks(f"session_page_{slot}")]
    return mark_safe("".join(part for part in parts if part))


@register.filter
def timestamp(seconds) -> str:
    """Seconds as m:ss or h:mm:ss, for people."""
    try:
        total = int(float(seconds))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def iso_date(value):
    """'2026-03-17' (as search hits carry dates) → a date, for the |date filter; None if not one."""
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


@register.filter
def clip_seconds(seconds) -> str:
    """Seconds for a `?t=`/`&end=` link: 95 rather than 95.0, a fraction only when there is one."""
    try:
        value = round(float(seconds), 1)
    except (TypeError, ValueError):
        return "0"
    return f"{value:g}"
