"""Background jobs of the search app (django-tasks). They take primary keys, re-read the
database, and are idempotent: running one twice leaves the same index.

They call search/indexing.py, which never enqueues; what triggers them (handlers, the search
page's retry nudge) imports this module, never the other way round."""

from django_tasks import task

from search import indexing


@task()
def index_session_task(session_id: int) -> str:
    """Index the session if it is live and public, otherwise remove it from the index.

    When the engine is down the change is kept in the outbox and the job fails with the
    engine's error (visible on the job); a later retry brings the index up to date."""
    return indexing.index_session(session_id)


@task()
def retry_pending_task() -> dict:
    """Retry every outbox row (scheduled, or run by ``search_index --retry-pending``)."""
    done, pending = indexing.retry_pending()
    return {"done": done, "pending": pending}
