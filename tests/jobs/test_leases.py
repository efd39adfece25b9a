"""Leases on the job table itself (no worker process): which jobs count as abandoned, what
reclaiming does with them, handing a job back, and the transcript of a job given up."""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs import leases
from jobs.models import Lease
from tests.factories import make_recording
from tests.jobs.processes import DB_TASKS
from transcripts.models import Transcript
from transcripts.pipeline import MSG_WORKER_LOST
from transcripts.tasks import transcribe_recording

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("db_tasks")]

LEASE = 60


@pytest.fixture
def db_tasks(settings):
    settings.JOBS_LEASE_SECONDS = LEASE
    settings.JOBS_MAX_ATTEMPTS = 3
    with override_settings(TASKS=DB_TASKS):
        yield


def running_job(recording_id, *, started_ago, lease_left=None, workers=("w1",)) -> DBTaskResult:
    """A transcription job claimed ``started_ago`` seconds ago by the last of ``workers``."""
    job = transcribe_recording.enqueue(recording_id).db_result
    now = timezone.now()
    DBTaskResult.objects.filter(pk=job.pk).update(
        status="RUNNING", started_at=now - datetime.timedelta(seconds=started_ago), worker_ids=list(workers)
    )
    if lease_left is not None:
        Lease.objects.create(
            task_id=job.pk,
            worker_id=workers[-1],
            renewed_at=now,
            expires_at=now + datetime.timedelta(seconds=lease_left),
        )
    job.refresh_from_db()
    return job


def test_only_jobs_without_a_live_lease_are_reclaimed():
    dead = running_job(1, started_ago=LEASE * 3, lease_left=-1)  # lease ran out: worker died
    alive = running_job(2, started_ago=LEASE * 3, lease_left=LEASE / 2)  # renewed lately
    just_claimed = running_job(3, started_ago=1)  # its lease is being written with the claim
    unleased = running_job(4, started_ago=LEASE * 2)  # claimed by a worker from before leases

    assert sorted(leases.reclaim_expired("default")) == sorted([str(dead.pk), str(unleased.pk)])

    states = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert (states[dead.pk], states[unleased.pk]) == ("READY", "READY")
    assert (states[alive.pk], states[just_claimed.pk]) == ("RUNNING", "RUNNING")
    assert list(Lease.objects.values_list("task_id", flat=True)) == [alive.pk]
    assert leases.reclaim_expired("default") == []  # nothing left to do: a no-op


def test_a_reclaimed_job_is_claimed_again_in_its_place():
    dead = running_job(1, started_ago=LEASE * 3, lease_left=-1)
    later = transcribe_recording.enqueue(2).db_result
    leases.reclaim_expired("default")
    assert DBTaskResult.objects.ready().first().pk == dead.pk != later.pk


def test_a_job_whose_workers_keep_dying_is_failed_and_its_transcript_says_why(home):
    recording = make_recording(title="Too big")
    Transcript.objects.create(recording=recording, status=Transcript.Status.RUNNING)
    job = running_job(recording.pk, started_ago=LEASE * 3, lease_left=-1, workers=("w1", "w2", "w3"))

    assert leases.reclaim_expired("default") == []
    job.refresh_from_db()
    assert job.status == "FAILED" and job.exception_class_path == "jobs.leases.WorkerLost"
    transcript = Transcript.objects.get(recording=recording)
    assert (transcript.status, transcript.error) == (Transcript.Status.FAILED, MSG_WORKER_LOST)


def test_renewing_and_handing_back():
    job = running_job(1, started_ago=5, lease_left=1, workers=("w1",))
    before = Lease.objects.get(task=job).expires_at
    assert leases.renew(job.pk, "w1") is True
    assert Lease.objects.get(task=job).expires_at > before
    assert leases.renew(job.pk, "someone-else") is False  # the lease is not theirs

    leases.hand_back(job)
    job.refresh_from_db()
    assert job.status == "READY" and job.started_at is None
    assert not Lease.objects.exists()
