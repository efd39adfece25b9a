"""Set-up for the benchmarks that build a throwaway library of their own.

``work = standalone.django_in_temp_folder("name-bench-")`` before importing anything of
Django's: the test settings on a fresh SQLite database and media folder in a new temp
folder (migrate it yourself), and the test client's host allowed."""

import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def django_in_temp_folder(prefix: str) -> Path:
    # `python bench/x.py` puts bench/ first on sys.path; the repository root must come first
    # (bench/search.py would shadow the `search` app).
    sys.path[0] = str(REPO_ROOT)
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'db.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(work / "media")

    import django

    django.setup()
    from django.conf import settings

    settings.MEDIA_ROOT = str(work / "media")
    settings.ALLOWED_HOSTS = ["testserver"]
    return work
