"""`manage.py db_worker`: django-tasks' database worker with leases (jobs.worker.LeasedWorker).

It replaces django_tasks_db's command of the same name (this app comes first in INSTALLED_APPS),
so every way of starting a worker gets the leases. Differences on the command line: no Django
autoreloader unless --reload is given (under the reloader a plain `kill` kills the job's
process); the first SIGTERM/SIGINT lets the running job finish, a second hands it back."""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from jobs.worker import LeasedWorker


class Command(db_worker.Command):
    help = (
        "Run a database background worker with leases: jobs of a worker that died are taken up "
        "again. SIGTERM/SIGINT: finish the running job, then exit; a second one hands it back."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(reload=False)

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        reload,
        max_tasks,
        worker_id,
        exclude_queues,
        **options,
    ):
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise db_worker.CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = LeasedWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the child runs jobs
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
