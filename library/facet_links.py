"""The filters of the catalogue and the search page, as links: each facet's values with their
counts and the address that switches one on or off, the filters in force, and the page's
address with some parameters changed. Both pages read the same query string the same way."""

from django.utils.translation import gettext_lazy as _

FACET_LABELS = {
    "theme": _("Theme"),
    "speaker": _("Speaker"),
    "organisation": _("Organisation"),
    "event": _("Event"),
    "year": _("Year"),
    "language": _("Language"),
}
# Facet values for the spoken language, in the visitor's language ("Nederlands" / "Dutch").
LANGUAGE_LABELS = {"nl": _("Dutch"), "en": _("English")}


def facet_label(facet: str, value: str) -> str:
    return str(LANGUAGE_LABELS.get(value, value)) if facet == "language" else value


def with_params(params, **changes) -> str:
    """This query string with some parameters replaced (None drops one)."""
    params = params.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value is not None:
            params[key] = str(value)
    return "?" + params.urlencode()


def toggle_url(params, facet: str, value: str) -> str:
    """This query string with ``facet=value`` switched on or off, back on page 1."""
    params = params.copy()
    params.pop("page", None)
    values = params.getlist(facet)
    params.setlist(facet, [v for v in values if v != value] if value in values else [*values, value])
    return "?" + params.urlencode()


def facet_lists(params, facets, counts: dict, filters: dict) -> list[dict]:
    """Each facet with values (``counts``: facet -> [(value, count)]) or a filter in force."""
    lists = []
    for facet in facets:
        values = counts.get(facet) or []
        selected = set(filters.get(facet, []))
        if not values and not selected:
            continue
        lists.append(
            {
                "name": facet,
                "label": str(FACET_LABELS[facet]),
                "values": [
                    {
                        "value": value,
                        "label": facet_label(facet, value),
                        "count": count,
                        "selected": value in selected,
                        "url": toggle_url(params, facet, value),
                    }
                    for value, count in values
                ],
            }
        )
    return lists


def active_filters(params, filters: dict) -> list[tuple[str, str, str]]:
    """(facet label, value label, the address without it) for each filter in force."""
    return [
        (FACET_LABELS[facet], facet_label(facet, value), toggle_url(params, facet, value))
        for facet, values in filters.items()
        for value in values
    ]
