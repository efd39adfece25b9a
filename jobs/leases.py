"""Leases on running jobs, so a job survives the worker that ran it.

* A worker takes a lease when it claims a job (same transaction as the claim) and a
  :class:`Heartbeat` thread renews it every third of ``JOBS_LEASE_SECONDS`` while the job runs,
  each renewal one short UPDATE in its own transaction (no lock is held while the job works).
* :func:`reclaim_expired`, run by every live worker between jobs, finds running jobs whose lease
  ran out (their worker was killed, crashed or lost its machine) and puts them back in the queue,
  where the next free worker claims them as usual. After ``JOBS_MAX_ATTEMPTS`` claims a job is
  failed instead (a recording that kills its worker every time must not loop for ever), and
  django-tasks' ``task_finished`` is sent so the app that owns the job can record why.
* :func:`hand_back` returns a job to the queue at once when its worker is told to stop now.

Jobs must be idempotent (they take primary keys and re-read the database), as this project's
are: a job taken up again is simply run again from the start.

Works on SQLite (claims in an exclusive transaction, as django-tasks does) and on PostgreSQL
(``SELECT ... FOR UPDATE SKIP LOCKED``, so several workers never reclaim the same job twice).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus, task_finished
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from .models import Lease

logger = logging.getLogger(__name__)


class WorkerLost(Exception):
    """Recorded on a job given up because its workers kept dying while running it."""


def lease_seconds() -> float:
    return float(settings.JOBS_LEASE_SECONDS)


def max_attempts() -> int:
    return int(settings.JOBS_MAX_ATTEMPTS)


def take(job: DBTaskResult, worker_id: str) -> None:
    """Lease a job the worker has just claimed (call inside the claiming transaction)."""
    now = timezone.now()
    Lease.objects.update_or_create(
        task_id=job.pk,
        defaults={"worker_id": worker_id, "renewed_at": now, "expires_at": now + _lease()},
    )


def renew(job_id, worker_id: str) -> bool:
    """Extend the lease; False when this worker no longer holds it (it was reclaimed)."""
    now = timezone.now()
    return bool(
        Lease.objects.filter(task_id=job_id, worker_id=worker_id).update(
            renewed_at=now, expires_at=now + _lease()
        )
    )


def release(job_id) -> None:
    Lease.objects.filter(task_id=job_id).delete()


def hand_back(job: DBTaskResult) -> None:
    """The worker stops before the job is done: queue it again for the next worker."""
    DBTaskResult.objects.filter(pk=job.pk, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, started_at=None
    )
    release(job.pk)
    logger.warning("Job %s (%s) handed back to the queue", job.pk, job.task_path)


def expired(backend_name: str, now=None):
    """Running jobs of this backend without a live lease, started longer than a lease ago
    (so a job claimed a moment ago whose lease is being written is never taken for dead)."""
    now = now or timezone.now()
    live = Lease.objects.filter(task=OuterRef("pk"), expires_at__gte=now)
    return (
        DBTaskResult.objects.running()
        .filter(backend_name=backend_name, started_at__lt=now - _lease())
        .exclude(Exists(live))
    )


def reclaim_expired(backend_name: str) -> list[str]:
    """Queue again (or, after too many attempts, fail) every job whose lease ran out.
    Returns the ids of the jobs taken up. Cheap when there is nothing to do: one SELECT."""
    if not expired(backend_name).exists():
        return []
    requeued, given_up = [], []
    with exclusive_transaction(DBTaskResult.objects.db):
        # skip_locked: on PostgreSQL another worker reclaiming at the same moment takes the others.
        for job in expired(backend_name).select_for_update(skip_locked=True)[:100]:
            release(job.pk)
            if len(job.worker_ids) >= max_attempts():
                _give_up(job)
                given_up.append(job)
            else:
                DBTaskResult.objects.filter(pk=job.pk, status=TaskResultStatus.RUNNING).update(
                    status=TaskResultStatus.READY, started_at=None
                )
                requeued.append(str(job.pk))
    for job_id in requeued:
        logger.warning("Job %s: its worker stopped renewing the lease; queued again", job_id)
    for job in given_up:
        logger.error(
            "Job %s (%s): its worker died %d times; failed", job.pk, job.task_path, len(job.worker_ids)
        )
        try:
            task_finished.send(sender=type(job.task.get_backend()), task_result=job.task_result)
        except Exception:  # a receiver's problem must not stop the worker
            logger.exception("A task_finished receiver failed for job %s", job.pk)
    return requeued


def _give_up(job: DBTaskResult) -> None:
    job.status = TaskResultStatus.FAILED
    job.finished_at = timezone.now()
    job.exception_class_path = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
    job.traceback = (
        f"{job.exception_class_path}: the worker running this job stopped (killed, crashed or out of "
        f"memory) {len(job.worker_ids)} times without finishing it; not tried again.\n"
    )
    job.return_value = None
    job.save(update_fields=["status", "finished_at", "exception_class_path", "traceback", "return_value"])


def _lease() -> timedelta:
    return timedelta(seconds=lease_seconds())


class Heartbeat(threading.Thread):
    """Renews one job's lease until stopped. A renewal that fails (the database busy for longer
    than its timeout) is logged and tried again at the next beat; the lease outlasts two misses."""

    def __init__(self, job_id, worker_id: str):
        super().__init__(name=f"lease-{job_id}", daemon=True)
        self.job_id, self.worker_id = job_id, worker_id
        self.interval = max(0.2, lease_seconds() / 3)
        self._stopped = threading.Event()
        self.lost = False

    def run(self):
        try:
            while not self._stopped.wait(self.interval):
                try:
                    if not renew(self.job_id, self.worker_id) and not self.lost:
                        self.lost = True
                        logger.warning(
                            "Job %s: lease lost (taken up by another worker); this run's result may "
                            "be written twice, which the job tolerates",
                            self.job_id,
                        )
                except DatabaseError as exc:
                    logger.warning("Job %s: lease not renewed (%s); retrying", self.job_id, exc)
        finally:
            connections.close_all()  # this thread's own connection

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=max(5.0, self.interval))
