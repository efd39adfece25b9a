"""Production settings as `make serve` and the systemd units start them (in a subprocess: the
test run itself uses config.settings.test)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    environ = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "LOCAL_HTTP")}
    environ.update(DJANGO_SETTINGS_MODULE="config.settings.production", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_behind_a_tls_proxy(tmp_path):
    done = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_missing_secret_key_is_a_clear_message_not_a_traceback():
    done = _manage("check")
    assert done.returncode == 78
    assert "SECRET_KEY is not set" in done.stderr
    assert "Traceback" not in done.stderr


def test_pages_render_before_collectstatic(client, home, settings, tmp_path):
    """The production storage with no manifest yet links plain names instead of a 500."""
    settings.STATIC_ROOT = tmp_path / "never-collected"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "ops.static_storage.ForgivingManifestStaticFilesStorage"},
    }
    response = client.get("/")  # Django resets the storage when STORAGES changes
    assert response.status_code == 200
    assert 'href="/static/css/site.css"' in response.content.decode()
