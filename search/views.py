"""The search page and its JSON twin. Both go through search.service only."""

from __future__ import annotations

import functools
import hashlib
import math

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import translate_url
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from library.facet_links import active_filters, facet_lists, with_params
from search import service
from search.engines.base import FACETS, EngineUnavailable, QueryError, SearchResults

UNAVAILABLE = _(
    "Search is unavailable at the moment. Please try again in a few minutes; "
    "all sessions can still be watched."
)
# Searches the page suggests: each one is said in a demo talk, and finds it on a fresh clone
# (tests/library/test_search_examples.py runs them through render, Whisper, index and search).
SUGGESTIONS = ["nieuwe technologie", "journalisten", "reparatie", "disability", "reuse"]


def _page_number(value) -> int:
    """``?page=`` as a positive number; garbage means page 1, never an error."""
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def link_seconds(start: float) -> str:
    """``start`` for a ``?t=`` link: floored to hundredths, without trailing zeros.

    Floored, so playback never begins after the first word; to hundredths, because the
    transcript highlights the segment that starts within 0.05 s of ``t``
    (static/js/transcript.js), and a coarser floor (19.86 -> 19.8, or the whole seconds
    19.84 -> 19) would light up the segment before the one with the words."""
    hundredths = math.floor(round(max(start, 0.0) * 100, 6))  # round: 0.29 * 100 is 28.99...
    return f"{hundredths // 100}.{hundredths % 100:02d}".rstrip("0").rstrip(".")


def localized_url(url: str) -> str:
    """A session URL from the index, in the visitor's language. The index keeps each session's
    URL in the default language (unprefixed): resolved as such, reversed in the visitor's."""
    if not url.startswith("/"):
        return url
    return _translated(url, get_language())


@functools.lru_cache(maxsize=4096)
def _translated(url: str, language: str) -> str:
    # Remembered per process: the answer depends only on the URL patterns, and resolving and
    # reversing took a few ms of every search page (ten hits, three moments each).
    with translation.override(settings.LANGUAGE_CODE):
        return translate_url(url, language)


def moment_url(url: str, start: float) -> str:
    """A deep link into the session's player: ``?t=SECONDS``."""
    return f"{url}{'&' if '?' in url else '?'}t={link_seconds(start)}"


def _run_search(request):
    text = request.GET.get("q", "")[:2000]
    filters = service.parse_filters(request.GET)
    page = _page_number(request.GET.get("page"))
    return text, filters, page, service.cached_search(text, filters, page)


def _say_cache(response, answer: service.Answer):
    """``Server-Timing: cache;desc=hit|miss`` (ops/server_timing.py adds its times before it):
    browsers' developer tools and bench/load.py see whether the answer came from the cache. An
    answer the engine gave now adds ``engine;dur=<ms>``, the time the engine took for it (with
    OpenSearch: its round trips, the node's own time included)."""
    entries = [f"cache;desc={answer.cache}"] if answer.cache else []
    if answer.cache != "hit":
        entries.append(f"engine;dur={answer.results.took_ms:.1f}")
    response["Server-Timing"] = ", ".join(entries)
    return response


def _pages(results: SearchResults) -> int:
    return max(1, -(-results.total // results.query.per_page))


@require_GET
def search_page(request):
    context = {"search_query": request.GET.get("q", "")[:2000], "filters": service.parse_filters(request.GET)}
    try:
        text, filters, page, answer = _run_search(request)
    except EngineUnavailable:
        context["error"] = UNAVAILABLE
        return render(request, "search/search.html", context, status=503)
    except QueryError as error:
        context["error"] = str(error)
        context["suggestions"] = SUGGESTIONS
        return render(request, "search/search.html", context)
    results = answer.results
    pages = _pages(results)
    context.update(
        results=results,
        # Built only when the listing is rendered (not when it comes from the cache).
        hits=SimpleLazyObject(lambda: [_hit_context(hit) for hit in results.hits]),
        facets=SimpleLazyObject(lambda: facet_lists(request.GET, FACETS, results.facets, filters)),
        pages=pages,
        page=page,
        # A page past the end says so and links to the last one (and answers 404).
        past_the_end=page > pages,
        last_page_url=with_params(request.GET, page=pages),
        clear_url=with_params(request.GET, **{facet: None for facet in filters}, page=None),
        previous_url=with_params(request.GET, page=page - 1) if 1 < page <= pages else "",
        next_url=with_params(request.GET, page=page + 1) if page < _pages(results) else "",
        suggestions=SUGGESTIONS if not text.strip() or not results.total else [],
        did_you_mean=results.did_you_mean,
        active_filters=active_filters(request.GET, filters),
    )
    if answer.key:  # the rendered listing, for the same answer and the same links
        context["listing_key"] = _listing_key(answer.key, request.GET)
        context["listing_seconds"] = settings.SEARCH_RESULTS_CACHE_SECONDS
    response = render(request, "search/search.html", context, status=404 if page > pages else 200)
    return _say_cache(response, answer)


def _listing_key(answer_key: str, params) -> str:
    # The answer's key holds what decides the results (visible sets, index generation,
    # language); the query string decides every link of the listing.
    return hashlib.blake2b(f"{answer_key}?{params.urlencode()}".encode(), digest_size=20).hexdigest()


def jump_to(moment) -> float:
    """Where a moment's link starts playing: the matched words' segment, else the moment."""
    return moment.at if moment.at is not None else moment.start


def _hit_context(hit):
    url = localized_url(hit.url)
    return {
        "hit": hit,
        "url": url,
        "moments": [
            {"moment": m, "time": jump_to(m), "url": moment_url(url, jump_to(m))} for m in hit.moments
        ],
    }


@require_GET
def search_api(request):
    try:
        text, filters, page, answer = _run_search(request)
    except EngineUnavailable:
        return JsonResponse({"error": str(UNAVAILABLE)}, status=503)
    except QueryError as error:
        return JsonResponse(
            {"error": str(error), "sessions": [], "facets": {}, "total": 0, "page": 1, "pages": 0}
        )
    results = answer.results
    response = JsonResponse(
        {
            "query": text,
            "filters": filters,
            "total": results.total,
            "page": page,
            "pages": _pages(results),
            "took_ms": round(results.took_ms, 1),
            "did_you_mean": results.did_you_mean,
            "loosened": results.loosened,
            "sessions": [
                {
                    "id": hit.session_id,
                    "title": hit.title,
                    "url": localized_url(hit.url),
                    "event": hit.event,
                    "date": hit.date,
                    "year": hit.year,
                    "language": hit.language,
                    "speakers": hit.speakers,
                    "organisations": hit.organisations,
                    "themes": hit.themes,
                    "poster_url": hit.poster_url,
                    "duration": hit.duration,
                    "moments": [
                        {
                            "start": m.start,
                            "end": m.end,
                            "at": jump_to(m),  # where the link starts playing
                            "snippet_html": m.snippet_html,
                            "url": moment_url(localized_url(hit.url), jump_to(m)),
                        }
                        for m in hit.moments
                    ],
                }
                for hit in results.hits
            ],
            "facets": {
                facet: [{"value": v, "count": c} for v, c in results.facets.get(facet, [])]
                for facet in FACETS
            },
        }
    )
    return _say_cache(response, answer)
