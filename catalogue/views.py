"""The catalogue page: every session a visitor may see, filtered, sorted and paged."""

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from library.facet_links import active_filters, facet_lists, with_params

from . import listing


def catalogue_url() -> str:
    """The catalogue's address in the visitor's language: /sessies/ or /en/sessions/."""
    return reverse("catalogue:catalogue")


def page_number(value) -> int:
    """``?page=`` as a positive number; garbage means page 1, never an error."""
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


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
        "facets": facet_lists(params, listing.FACETS, result.facets, result.filters),
        "sorts": [
            {"value": key, "label": label, "selected": key == result.sort}
            for key, label in listing.SORTS.items()
        ],
        "active_filters": active_filters(params, result.filters),
        "previous_url": with_params(params, page=result.page - 1) if 1 < result.page <= result.pages else "",
        "next_url": with_params(params, page=result.page + 1) if result.page < result.pages else "",
        "last_page_url": with_params(params, page=result.pages),
        "clear_url": request.path,
    }
    # A page past the end says so and links to the last one; 404 tells crawlers it is not there.
    status = 404 if result.past_the_end else 200
    return render(request, "catalogue/catalogue.html", context, status=status)
