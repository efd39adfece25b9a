"""Which request or job a log line belongs to.

The middleware gives every request an id (the ``X-Request-ID`` nginx sends, else a new one),
answers it in the ``X-Request-ID`` header, and keeps it in a context variable while the
request runs; the task signals do the same with the task id while a worker runs a job. The
logging filter writes it into every record as ``%(context)s``: ``req=<id>``, ``job=<id>`` or
``-`` (settings.LOGGING uses it on the console handler)."""

import logging
import re
import threading
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
# An id from the proxy is kept only if it is short and plain (it ends up in logs and headers).
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_context: ContextVar[str] = ContextVar("log_context", default="-")
# Jobs can nest inside a request (the immediate backend runs them there): a stack per thread.
_job_tokens = threading.local()


def current_context() -> str:
    return _context.get()


def request_id_from(value: str | None) -> str:
    return value if value and _SAFE_ID.match(value) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request_id_from(request.headers.get(HEADER))
        token = _context.set(f"req={request.id}")
        try:
            response = self.get_response(request)
        finally:
            _context.reset(token)
        response[HEADER] = request.id
        return response


class ContextFilter(logging.Filter):
    """Adds ``record.context``; never drops a record."""

    def filter(self, record):
        record.context = _context.get()
        return True


def _job_started(sender, task_result, **kwargs):
    stack = getattr(_job_tokens, "stack", None)
    if stack is None:
        stack = _job_tokens.stack = []
    stack.append(_context.set(f"job={task_result.id}"))


def _job_finished(sender, task_result, **kwargs):
    stack = getattr(_job_tokens, "stack", None)
    if stack:
        _context.reset(stack.pop())


def connect_task_signals() -> None:
    from django_tasks.signals import task_finished, task_started

    task_started.connect(_job_started, dispatch_uid="ops.job_started")
    task_finished.connect(_job_finished, dispatch_uid="ops.job_finished")
