import logging

import pytest
from django_tasks import task

from ops.request_ids import ContextFilter, current_context, request_id_from


@task
def noisy_job():
    logging.getLogger("ops.test").info("working")


@pytest.fixture
def records():
    """Log records of the 'ops.test' logger, with the context filter the console handler uses."""
    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record)

    handler = Keep()
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("ops.test")
    logger.addHandler(handler)
    yield seen
    logger.removeHandler(handler)


def test_every_response_carries_a_request_id(client, home):
    first = client.get("/")
    second = client.get("/")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_the_proxy_request_id_is_kept_when_plain():
    assert request_id_from("4f1c2d-abc_9.1") == "4f1c2d-abc_9.1"
    assert request_id_from("bad id\nInjected: yes") != "bad id\nInjected: yes"
    assert len(request_id_from("x" * 65)) == 32


def test_log_lines_of_a_request_say_which_request(client, home, records, monkeypatch):
    from library import views

    original = views.get_object_or_404

    def logging_lookup(*args, **kwargs):
        logging.getLogger("ops.test").warning("looking up a recording")
        return original(*args, **kwargs)

    monkeypatch.setattr(views, "get_object_or_404", logging_lookup)
    response = client.get("/recordings/999/x.wav", HTTP_X_REQUEST_ID="abc123")
    assert response.status_code == 404 and response["X-Request-ID"] == "abc123"
    assert [r.context for r in records] == ["req=abc123"]
    assert current_context() == "-"  # nothing leaks to the next request or to other log lines


def test_log_lines_of_a_job_say_which_job(records, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    result = noisy_job.enqueue()
    assert [r.context for r in records] == [f"job={result.id}"]
    assert current_context() == "-"


def test_every_response_says_how_long_django_took(client, home):
    timing = dict(part.split(";dur=") for part in client.get("/")["Server-Timing"].split(", "))
    assert float(timing["app"]) > 0
    assert 0 < float(timing["cpu"]) <= float(timing["app"]) + 5  # its own CPU time, not the wait
