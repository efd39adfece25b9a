"""Health of the parts a visitor depends on: the database, the search engine, the task workers.

Each check answers a dict with ``ok`` and what it saw; ``report()`` combines them. The view
(ops/views.py) answers 200 when every check is ok, 503 otherwise."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

# A job that waits longer than this while no worker has started or finished anything in the
# same time means no worker is running (django-tasks' database backend has no heartbeat).
WORKER_STALE_SECONDS = 300
# A job may run this long before its worker counts as dead (as `transcribe --failed` assumes).
RUNNING_MAX_SECONDS = 3600


def _timed(check):
    started = time.perf_counter()
    result = check()
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database(conn=None) -> dict:
    conn = conn or connection
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return {"ok": False, "vendor": conn.vendor, "error": str(error)[:300]}
    return {"ok": True, "vendor": conn.vendor}


def check_search() -> dict:
    from search.engines import get_engine
    from search.models import PendingIndexChange

    try:
        engine = get_engine()
        ok = engine.ping()
    except Exception as error:  # a misconfigured engine is an unhealthy one, with its reason
        return {"ok": False, "engine": settings.SEARCH_ENGINE, "error": str(error)[:300]}
    result = {"ok": ok, "engine": engine.name}
    if not ok:
        result["error"] = "The search engine does not answer."
    try:
        # Changes kept while the engine was down (retried by the worker): worth watching, not fatal.
        result["pending_changes"] = PendingIndexChange.objects.count()
    except DatabaseError:
        pass
    return result


def _uses_database_queue() -> bool:
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def check_workers(now=None) -> dict:
    """Queue length, the oldest waiting job, and the newest worker activity (a job started or
    finished). Unhealthy only when work has waited ``WORKER_STALE_SECONDS`` and nothing shows a
    worker alive: no activity in that time and no job running for less than an hour."""
    from django.db.models import Case, Count, F, Max, Min, When
    from django_tasks_db.models import DBTaskResult, get_date_max

    if not _uses_database_queue():
        return {"ok": True, "queue": "not the database backend; not checked"}
    now = now or timezone.now()
    try:
        results = DBTaskResult.objects.all()
        # A job waits from when it was due: its run_after, or when it was enqueued if it has none.
        due = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
        waiting = results.ready().aggregate(count=Count("id"), oldest=Min(due))
        running = results.running().aggregate(count=Count("id"), newest=Max("started_at"))
        activity = results.aggregate(started=Max("started_at"), finished=Max("finished_at"))
    except DatabaseError as error:
        return {"ok": False, "error": str(error)[:300]}

    last = max((t for t in activity.values() if t is not None), default=None)
    result = {
        "queue_length": waiting["count"],
        "running": running["count"],
        "oldest_waiting_seconds": _age(now, waiting["oldest"]),
        "last_activity_seconds": _age(now, last),
    }
    stale = timedelta(seconds=WORKER_STALE_SECONDS)
    work_waits = waiting["oldest"] is not None and now - waiting["oldest"] > stale
    recently_active = last is not None and now - last <= stale
    busy = running["newest"] is not None and now - running["newest"] <= timedelta(seconds=RUNNING_MAX_SECONDS)
    result["ok"] = not work_waits or recently_active or busy
    if not result["ok"]:
        result["error"] = "Jobs are waiting and no worker has taken one up: is `db_worker` running?"
    return result


def _age(now, moment) -> float | None:
    # Floored at 0: a worker may have started a job after ``now`` was read.
    return None if moment is None else max(0.0, round((now - moment).total_seconds(), 1))


def report() -> dict:
    checks = {
        "database": _timed(check_database),
        "search": _timed(check_search),
        "workers": _timed(check_workers),
    }
    return {"ok": all(c["ok"] for c in checks.values()), "checks": checks}
