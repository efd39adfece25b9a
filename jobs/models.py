"""A lease on a running job: the worker that runs it renews it while the job runs; a lease that
ran out belongs to a worker that died, and another worker takes the job up again (jobs.leases)."""

from django.db import models
from django_tasks_db.models import DBTaskResult


class Lease(models.Model):
    task = models.OneToOneField(
        DBTaskResult, on_delete=models.CASCADE, primary_key=True, related_name="lease"
    )
    worker_id = models.CharField(max_length=64)
    renewed_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"Lease of job {self.task_id} by worker {self.worker_id} until {self.expires_at:%H:%M:%S}"
