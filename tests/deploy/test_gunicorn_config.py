"""config/gunicorn.py's defaults: one single-threaded process per core with the embedded engine,
whose searches are work in the process; more requests at once with OpenSearch, whose searches
wait for the cluster's answers."""

import os
import runpy
from pathlib import Path

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "gunicorn.py")


def _config(monkeypatch, **env):
    for key in ("SEARCH_ENGINE", "WEB_WORKERS", "WEB_THREADS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(CONFIG)


def test_the_defaults_follow_the_search_engine(monkeypatch):
    cores = max(2, os.cpu_count() or 2)
    embedded = _config(monkeypatch)
    assert (embedded["workers"], embedded["threads"], embedded["worker_class"]) == (cores, 1, "sync")
    remote = _config(monkeypatch, SEARCH_ENGINE="opensearch")
    assert (remote["workers"], remote["threads"], remote["worker_class"]) == (2 * cores, 2, "gthread")
    chosen = _config(monkeypatch, SEARCH_ENGINE="opensearch", WEB_WORKERS="3", WEB_THREADS="1")
    assert (chosen["workers"], chosen["threads"], chosen["worker_class"]) == (3, 1, "sync")
