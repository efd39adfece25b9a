"""What visitors searched for, from search's QueryLog (query, filters, result_count,
took_ms, created_at): searches per day, top queries, and queries that found nothing."""

import datetime

from django.db.models import Avg, Count, Max
from django.db.models.functions import Lower, Trim, TruncDate
from django.utils import timezone

from search.models import QueryLog

DAYS = 30
TOP = 20


def _recent(days: int):
    since = timezone.now() - datetime.timedelta(days=days)
    # Browsing facets with an empty box is logged too, but is not a query anyone typed.
    return QueryLog.objects.filter(created_at__gte=since).exclude(query__regex=r"^\s*$")


def searches_per_day(days: int = DAYS) -> list[tuple[datetime.date, int]]:
    """One (day, count) per day of the period, oldest first, days without searches as 0."""
    counts = dict(
        _recent(days)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    today = timezone.localdate()
    return [
        (day, counts.get(day, 0)) for day in (today - datetime.timedelta(d) for d in range(days - 1, -1, -1))
    ]


def _grouped(queryset, limit: int):
    # Case and surrounding spaces don't make another query.
    return list(
        queryset.annotate(term=Lower(Trim("query")))
        .values("term")
        .annotate(searches=Count("pk"), results=Avg("result_count"), last=Max("created_at"))
        .order_by("-searches", "-last")[:limit]
    )


def top_queries(days: int = DAYS, limit: int = TOP) -> list[dict]:
    return _grouped(_recent(days), limit)


def zero_result_queries(days: int = DAYS, limit: int = 50) -> list[dict]:
    return _grouped(_recent(days).filter(result_count=0), limit)
