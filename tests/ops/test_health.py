from datetime import timedelta

import pytest
from django.db import connection
from django.db.utils import load_backend
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from ops import health

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@task
def sample_job():
    return None


@pytest.fixture
def db_queue(db, settings):
    settings.TASKS = DB_QUEUE
    return settings


def _enqueue_waiting(minutes_ago: float):
    result = sample_job.enqueue()
    DBTaskResult.objects.filter(id=result.id).update(
        enqueued_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return result


def test_healthy_site_answers_200_with_each_check(client, db_queue):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert set(body["checks"]) == {"database", "search", "workers"}
    assert body["checks"]["workers"]["queue_length"] == 0
    assert response["Cache-Control"].startswith("max-age=0")


def test_search_engine_down_answers_503(db, client, settings):
    settings.SEARCH_ENGINE = "opensearch"
    settings.OPENSEARCH_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["search"]["ok"] is False


def test_jobs_waiting_without_a_worker_answer_503(client, db_queue):
    _enqueue_waiting(minutes_ago=10)
    response = client.get("/healthz")
    assert response.status_code == 503
    workers = response.json()["checks"]["workers"]
    assert workers["ok"] is False and workers["queue_length"] == 1
    assert workers["oldest_waiting_seconds"] >= 590
    assert "db_worker" in workers["error"]


def test_a_fresh_queue_or_a_busy_worker_is_healthy(db_queue):
    _enqueue_waiting(minutes_ago=1)
    assert health.check_workers()["ok"] is True  # just queued: the worker has time
    _enqueue_waiting(minutes_ago=30)
    assert health.check_workers()["ok"] is False
    running = sample_job.enqueue()
    DBTaskResult.objects.filter(id=running.id).update(
        status="RUNNING", started_at=timezone.now() - timedelta(minutes=20)
    )
    assert health.check_workers()["ok"] is True  # a long transcription keeps it busy


def test_database_that_cannot_be_opened_is_unhealthy(db, tmp_path):
    # A database that is not there, on either engine (make test runs this on both).
    missing = (
        str(tmp_path / "missing" / "db.sqlite3") if connection.vendor == "sqlite" else "no_such_database"
    )
    params = {**connection.settings_dict, "NAME": missing}
    broken = load_backend(params["ENGINE"]).DatabaseWrapper(params, alias="broken")
    try:
        result = health.check_database(broken)
    finally:
        broken.close()
    assert result["ok"] is False and result["error"]
