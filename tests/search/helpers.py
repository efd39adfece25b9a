"""Builders and engine switches shared by the search tests."""

from __future__ import annotations

import importlib.util
import os
import uuid
from contextlib import contextmanager

import pytest
from django_tasks import default_task_backend

from search.engines import get_engine
from tests.factories import make_recording, make_session
from transcripts.models import Segment, Transcript


def add_transcript(session, texts, language="en", seconds=10.0, status=Transcript.Status.DONE):
    """A done transcript on the session's recording: one segment of ``seconds`` per text."""
    recording = session.recording or make_recording(title=f"Recording of {session.title}")
    if session.recording_id != recording.pk:
        session.recording = recording
        revision = session.save_revision()
        if session.live:  # a draft stays a draft
            revision.publish()
        session.refresh_from_db()
    # As the transcription pipeline leaves it, so publishing the session again does not
    # re-queue a transcription (which would take the "done" transcript away).
    transcript, _ = Transcript.objects.update_or_create(
        recording=recording,
        defaults={
            "status": status,
            "language": language,
            "requested_language": session.language,
            "source_file": recording.file_signature(),
        },
    )
    transcript.replace_segments(
        [Segment(start=n * seconds, end=(n + 1) * seconds, text=text) for n, text in enumerate(texts)]
    )
    return transcript


def session_with(title, texts=(), language="en", **fields):
    session = make_session(
        title=title, slug=fields.pop("slug", None) or uuid.uuid4().hex[:10], language=language, **fields
    )
    if texts:
        add_transcript(session, texts, language=language)
    return session


def run_enqueued() -> list:
    """Run the search jobs the DummyBackend recorded (in order), forget all; return results.

    Other apps' jobs (transcription of a new recording) are not this test's business."""
    results = []
    while default_task_backend.results:
        job = default_task_backend.results.pop(0)
        if job.task.module_path.startswith("search."):
            results.append(job.task.call(*job.args, **job.kwargs))
    return results


# -- engines ------------------------------------------------------------------------------------


def opensearch_available() -> tuple[bool, str]:
    if importlib.util.find_spec("search.engines.opensearch") is None:
        return False, "engine not implemented"
    from django.conf import settings

    from search.engines.opensearch import OpenSearchEngine

    url = os.environ.get("OPENSEARCH_URL") or settings.OPENSEARCH_URL
    if OpenSearchEngine(url=url, index="unused", timeout=3).ping():
        return True, url
    return False, f"no OpenSearch node answers at {url} (start one with search-node/start.sh)"


def use_engine(name, settings, tmp_path):
    """Point the settings at a fresh, empty index of engine ``name``; return a cleanup."""
    if name == "embedded":
        settings.SEARCH_ENGINE = "embedded"
        settings.SEARCH_EMBEDDED_PATH = tmp_path / "search-index.sqlite3"
        return lambda: None
    ok, detail = opensearch_available()
    if not ok:
        if os.environ.get("OPENSEARCH_TESTS") == "1":
            pytest.fail(f"{detail}; OPENSEARCH_TESTS=1 requires a reachable node")
        pytest.skip(detail)
    settings.SEARCH_ENGINE = "opensearch"
    settings.OPENSEARCH_URL = detail
    settings.OPENSEARCH_INDEX = f"test-contract-{uuid.uuid4().hex[:12]}"
    engine = get_engine()

    def cleanup():
        engine.client.indices.delete(index=f"{engine.alias}*", ignore_unavailable=True)

    return cleanup


@contextmanager
def engine_down(name, settings, tmp_path):
    """Make the configured engine really fail (no mocks), then bring it back.

    embedded: the index path lies under a regular file, so SQLite cannot open it.
    opensearch: the URL points at port 9, where nothing listens."""
    if name == "embedded":
        saved = settings.SEARCH_EMBEDDED_PATH
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("a file where the index folder should be")
        settings.SEARCH_EMBEDDED_PATH = blocker / "index.sqlite3"
        try:
            yield
        finally:
            settings.SEARCH_EMBEDDED_PATH = saved
    else:
        saved = settings.OPENSEARCH_URL
        settings.OPENSEARCH_URL = "http://127.0.0.1:9"
        try:
            yield
        finally:
            settings.OPENSEARCH_URL = saved
