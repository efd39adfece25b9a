import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each test run writes uploads into its own throwaway folder.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="session-library-test-media-"))
# Jobs are recorded, not run: tests that need them call the task or run a real worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
SEARCH_EMBEDDED_PATH = Path(tempfile.mkdtemp(prefix="session-library-test-search-")) / "index.sqlite3"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
