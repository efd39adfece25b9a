"""Template tags: the session page's extension points, times and dates, the filter panel's values.

`library` imports neither `transcripts` nor `search`; those apps register Wagtail
hooks named `session_page_<slot>` that return HTML for a slot (e.g. caption
<track>s inside the player, the interactive transcript below it)."""

import datetime
from html import escape

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


@register.simple_tag
def facet_value_items(values) -> str:
    """The ``<li>`` of each value of a facet (library/facet_links.py) in the filter panel. Written
    here rather than as a loop in templates/includes/facet_panel.html: a facet lists up to a few
    hundred values (speakers), and that loop took ~7 ms of every search page's CPU. The stdlib's
    escape is Django's without its lazy-string wrapper (the values are plain strings)."""
    items = []
    for item in values:
        selected = ' aria-current="true" class="selected"' if item["selected"] else ""
        items.append(
            f'<li><a href="{escape(item["url"])}"{selected}><span aria-hidden="true">'
            f'{"☑" if item["selected"] else "☐"}</span> {escape(str(item["label"]))} <span class="count">'
            f'<span aria-hidden="true">({int(item["count"])})</span><span class="visually-hidden">, '
            f"{escape(str(item['count_label']))}</span></span></a></li>"
        )
    return mark_safe("".join(items))
