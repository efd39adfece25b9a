"""The catalogue page: every session a visitor may see, filtered, sorted and paged."""

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from . import listing

FACET_LABELS = {
    "theme": _("Theme"),
    "speaker": _("Speaker"),
    "organisation": _("Organisation"),
    "event": _("Event"),
    "year": _("Year"),
    "language": _("Language"),
}
LANGUAGE_LABELS = {"nl": _("Dutch"), "en": _("English")}


def catalogue_url() -> str:
    """The catalogue's address in the visitor's language: /sessies/ or /en/sessions/."""
    return reverse("catalogue:catalogue")


def page_number(value) -> int:
    """``?page=`` as a positive number; garbage means page 1, never an error."""
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def facet_label(facet: str, value: str) -> str:
    return str(LANGUAGE_LABELS.get(value, value)) if facet == "language" else value


def _with(params, **changes) -> str:
    """These parameters with some replaced (None drops one); always back on a page when
    the filters or the order change."""
    params = params.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value is not None:
            params[key] = value
    query = params.urlencode()
    return "?" + query if query else "?"


def _toggle(params, facet: str, value: str) -> str:
    params = params.copy()
    params.pop("page", None)
    values = params.getlist(facet)
    params.setlist(facet, [v for v in values if v != value] if value in values else [*values, value])
    query = params.urlencode()
    return "?" + query if query else "?"


def _facets(params, result: listing.Catalogue) -> list[dict]:
    facets = []
    for facet in listing.FACETS:
        selected = set(result.filters.get(facet, []))
        values = result.facets.get(facet) or []
        if not values and not selected:
            continue
        facets.append(
            {
                "name": facet,
                "label": FACET_LABELS[facet],
                "values": [
                    {
                        "value": value,
                        "label": facet_label(facet, value),
                        "count": count,
                        "selected": value in selected,
                        "url": _toggle(params, facet, value),
                    }
                    for value, count in values
                ],
            }
        )
    return facets


@require_safe
def catalogue(request):
    params = request.GET
    result = listing.browse(
        filters=listing.parse_filters(params),
        sort=listing.parse_sort(params.get("sort")),
        page=page_number(params.get("page")),
    )
    context = {
        "catalogue": result,
        "sessions": result.sessions,
        "facets": _facets(params, result),
        "sorts": [
            {"value": key, "label": label, "selected": key == result.sort}
            for key, label in listing.SORTS.items()
        ],
        "active_filters": [
            (FACET_LABELS[facet], facet_label(facet, value), _toggle(params, facet, value))
            for facet, values in result.filters.items()
            for value in values
        ],
        "previous_url": _with(params, page=str(result.page - 1)) if 1 < result.page <= result.pages else "",
        "next_url": _with(params, page=str(result.page + 1)) if result.page < result.pages else "",
        "last_page_url": _with(params, page=str(result.pages)),
        "clear_url": request.path,
    }
    # A page past the end says so and links to the last one; 404 tells crawlers it is not there.
    status = 404 if result.past_the_end else 200
    return render(request, "catalogue/catalogue.html", context, status=status)
