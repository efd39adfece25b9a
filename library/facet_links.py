"""The filters of the catalogue and the search page, as links: each facet's values with their
counts and the address that switches one on or off, the filters in force, and the page's
address with some parameters changed. Both pages read the same query string the same way."""

from urllib.parse import urlencode

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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


def _pair(key: str, value: str) -> str:
    return urlencode({key: value})  # as QueryDict.urlencode writes each pair


class _Toggler:
    """The addresses that switch values of one facet on or off, back on page 1: the rest of the
    query string is encoded once, not once per value (a facet lists a hundred speakers)."""

    def __init__(self, params, facet: str):
        self.facet, self.values = facet, params.getlist(facet)
        self.before, self.after = [], []  # the other pairs, before and after the facet's place
        seen = False
        for key, values in params.lists():
            if key == facet:
                seen = True
            elif key != "page":
                (self.after if seen else self.before).extend(_pair(key, v) for v in values)

    def url(self, value: str) -> str:
        values = [v for v in self.values if v != value] if value in self.values else [*self.values, value]
        return "?" + "&".join([*self.before, *(_pair(self.facet, v) for v in values), *self.after])


def toggle_url(params, facet: str, value: str) -> str:
    """This query string with ``facet=value`` switched on or off, back on page 1."""
    return _Toggler(params, facet).url(value)


def _count_label(count: int, labels: dict) -> str:
    # Said by screen readers after each value; one translation per distinct count.
    if count not in labels:
        labels[count] = ngettext("%(counter)s session", "%(counter)s sessions", count) % {"counter": count}
    return labels[count]


def facet_lists(params, facets, counts: dict, filters: dict) -> list[dict]:
    """Each facet with values (``counts``: facet -> [(value, count)]) or a filter in force."""
    lists, count_labels = [], {}
    for facet in facets:
        values = counts.get(facet) or []
        selected = set(filters.get(facet, []))
        if not values and not selected:
            continue
        toggler = _Toggler(params, facet)
        lists.append(
            {
                "name": facet,
                "label": str(FACET_LABELS[facet]),
                "values": [
                    {
                        "value": value,
                        "label": facet_label(facet, value),
                        "count": count,
                        "count_label": _count_label(count, count_labels),
                        "selected": value in selected,
                        "url": toggler.url(value),
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
