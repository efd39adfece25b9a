"""django-tasks' database worker, with leases (jobs.leases) and periodic upkeep.

Differences from ``django_tasks_db``'s Worker, which it extends:

* claiming a job also takes its lease, and a heartbeat renews the lease while the job runs;
* between jobs (at most every quarter lease) it takes up jobs whose worker died, and runs the
  callables of ``settings.JOBS_PERIODIC`` (``{"dotted.path": seconds}``) when they are due;
* a second stop signal (SIGTERM/SIGINT) hands the running job back to the queue instead of
  marking it failed. The first signal lets the running job finish, then the worker exits;
  signals after the second are ignored.
"""

from __future__ import annotations

import logging
import random
import signal
import sys
import time

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError, close_old_connections
from django.db.utils import OperationalError
from django.utils.module_loading import import_string
from django_tasks_db.compat import TaskContext, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from . import leases

logger = logging.getLogger("django_tasks_db")


class LeasedWorker(Worker):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.upkeep_every = max(0.5, leases.lease_seconds() / 4)
        self._next_upkeep = 0.0
        self._periodic = {path: [float(every), 0.0] for path, every in settings.JOBS_PERIODIC.items()}
        self._handing_back = False

    # -- signals --------------------------------------------------------------------------------

    def shutdown(self, signum, frame) -> None:
        """First signal: finish the running job, then exit (django_tasks_db's). Second: hand the
        job back now (SystemExit, caught in run_task). Later ones are ignored so they cannot cut
        the hand-back short (a worker that hangs is for SIGKILL, and its lease)."""
        if self._handing_back:
            logger.warning("Received %s - already handing the job back.", signal.strsignal(signum))
            return
        if not self.running:
            self._handing_back = True
            logger.warning(
                "Received %s - handing the running job back to the queue.", signal.strsignal(signum)
            )
            sys.exit(1)
        super().shutdown(signum, frame)

    # -- the loop (django_tasks_db's, plus upkeep and the lease taken with the claim) ----------

    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - spread the start of many workers (as db_worker)

        while self.running:
            close_old_connections()
            self.upkeep()
            # Marked busy from the claim on, so a stop signal during the claim lets the claimed
            # job run (and the worker exit after it) instead of leaving it claimed by nobody.
            self.running_task = True
            try:
                task_result, retrieved = self.claim_next()
            finally:
                self.running_task = False
            if task_result is not None:
                self.run_task(task_result)

            if self.batch and retrieved and task_result is None:
                logger.info("No more tasks to run for worker_id=%s - exiting gracefully.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("Run maximum tasks (%d) on worker=%s - exiting.", self._run_tasks, self.worker_id)
                return
            close_old_connections()
            if self.running and not task_result:
                time.sleep(self.interval)

    def claim_next(self) -> tuple[DBTaskResult | None, bool]:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)  # so no other worker runs it
                    leases.take(task_result, self.worker_id)
        except OperationalError as exc:
            if is_locked_database_exception(exc):  # busy beyond the timeout: try again next round
                return None, False
            raise
        return task_result, True

    def upkeep(self) -> None:
        now = time.monotonic()
        if now < self._next_upkeep:
            return
        self._next_upkeep = now + self.upkeep_every
        try:
            leases.reclaim_expired(self.backend_name)
        except DatabaseError as exc:
            logger.warning("Could not take up the jobs of dead workers (%s); trying again soon", exc)
        for path, schedule in self._periodic.items():
            every, due = schedule
            if now >= due:
                schedule[1] = now + every
                try:
                    import_string(path)()
                except Exception:  # upkeep must never stop the worker
                    logger.exception("Periodic %s failed", path)

    # -- one job ---------------------------------------------------------------------------------

    def run_task(self, db_task_result: DBTaskResult) -> None:
        heartbeat = leases.Heartbeat(db_task_result.pk, self.worker_id)
        heartbeat.start()
        handed_back = False
        try:
            self.running_task = True
            self._call(db_task_result)
        except (SystemExit, KeyboardInterrupt):
            # Told to stop now (a second signal): the job goes back to the queue, not to "failed".
            heartbeat.stop()
            leases.hand_back(db_task_result)
            handed_back = True
            raise
        finally:
            self.running_task = False
            self._run_tasks += 1
            if not handed_back:
                heartbeat.stop()
                try:
                    leases.release(db_task_result.pk)
                except DatabaseError:  # a stale lease of a finished job is harmless
                    logger.warning("Lease of job %s not released", db_task_result.pk)

    def _call(self, db_task_result: DBTaskResult) -> None:
        """django_tasks_db's run_task body: run the task, record success or failure."""
        try:
            task = db_task_result.task
            task_result = db_task_result.task_result
            backend_type = task.get_backend()
            task_started.send(sender=backend_type, task_result=task_result)
            if task.takes_context:
                return_value = task.call(
                    TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs
                )
            else:
                return_value = task.call(*task_result.args, **task_result.kwargs)
            db_task_result.set_successful(return_value)
            task_finished.send(sender=backend_type, task_result=db_task_result.task_result)
        except (SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            db_task_result.set_failed(exc)
            try:
                sender = type(db_task_result.task.get_backend())
                task_result = db_task_result.task_result
            except (ImportError, SuspiciousOperation):
                logger.exception("Task id=%s failed unexpectedly", db_task_result.id)
            else:
                task_finished.send(sender=sender, task_result=task_result)
