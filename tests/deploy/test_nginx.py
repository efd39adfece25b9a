"""The shipped nginx site (deploy/nginx/session-library.conf), run by Debian's nginx with TLS in
front of the production server (gunicorn, config.settings.production, X-Accel-Redirect on).

The site data is made here with the factories, then the test database is copied to a file for
gunicorn. Both servers listen on 127.0.0.1 (free ports), run from temp dirs, stop by PID.

The copy needs the rows the migrations made (the root collection, the home page, the site).
A transactional test flushes them when it ends, and pytest-django runs tests that use no
database after those: marked ``django_db``, this module runs with the database tests, before
any flush; and if a flush came first anyway, the rows are restored inside the copy's
transaction from the serialized contents, as ``serialized_rollback`` restores them."""

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings

from tests.factories import make_image, make_private, make_recording, make_session
from tests.shared_data import missing

ROOT = Path(__file__).resolve().parents[2]
SITE_CONF = ROOT / "deploy" / "nginx" / "session-library.conf"
MAIN_TEMPLATE = Path(__file__).with_name("nginx.conf.template")
CONTENT = bytes(range(256)) * 64  # 16 KiB with a known pattern
ACCEL_PREFIX = "/_recordings/"

# Ordered with the database tests (see above); the tests themselves only speak HTTP.
pytestmark = pytest.mark.django_db


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not found:
        missing("Debian's nginx is not installed (scripts/install-system-deps.sh test)")
    if not shutil.which("openssl"):
        missing("openssl is not installed (needed for the test certificate)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _readable_dir(prefix: str) -> Path:
    """A temp dir nginx's worker (user nobody when started as root) can read."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"nothing listens on {port} after {seconds} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def site_config(
    media_root: Path, static_root: Path, upstream: int, http_port: int, https_port: int, tls: Path
):
    """The shipped site file with this machine's paths and ports; every edit must apply, so a
    change to the shipped file that the test no longer covers fails here."""
    text = SITE_CONF.read_text()
    edits = [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
        ("    listen [::]:80;\n", ""),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("/etc/letsencrypt/live/library.example.org/fullchain.pem", str(tls / "cert.pem")),
        ("/etc/letsencrypt/live/library.example.org/privkey.pem", str(tls / "key.pem")),
        ("/var/log/nginx/session-library.access.log", str(tls.parent / "access.log")),
        ("/srv/session-library/collected-static/", f"{static_root}/"),
        ("/srv/session-library/media/", f"{media_root}/"),
    ]
    for old, new in edits:
        assert old in text, f"{old!r} is no longer in {SITE_CONF}"
        text = text.replace(old, new)
    return text


def _site_data() -> dict:
    """A public session, a draft and a private one, each with its own recording and poster."""
    cache.clear()  # Wagtail caches renditions by image id: none from an earlier test's images
    posters = {name: make_image(f"poster-{name}.jpg") for name in ("public", "draft", "private")}
    public = make_recording(content=CONTENT, title="Public")
    make_session(title="Public talk", recording=public, poster=posters["public"])
    draft = make_recording(content=CONTENT, title="Draft")
    make_session(title="Draft talk", recording=draft, live=False, poster=posters["draft"])
    private = make_recording(content=CONTENT, title="Private")
    make_private(make_session(title="Private talk", recording=private, poster=posters["private"]))
    poster_urls = {
        name: (image.file.url, image.get_rendition("fill-480x270").url) for name, image in posters.items()
    }
    poster_bytes = posters["public"].file.open("rb").read()
    return {
        "public": public,
        "draft": draft,
        "private": private,
        "posters": poster_urls,
        "poster": poster_bytes,
    }


def _migrations_rows() -> None:
    """Make sure the migrations' rows are there (a transactional test may have flushed them)."""
    from wagtail.models import Collection

    if Collection.objects.exists():
        return
    serialized = getattr(connection, "_test_serialized_contents", None)
    if serialized is None:
        pytest.fail(
            "the test database was flushed (a transactional test without serialized_rollback ran "
            "before this module), so it has no root collection or home page to copy"
        )
    connection.creation.deserialize_db_from_string(serialized)


def _database_file(path: Path, django_db_blocker) -> dict:
    """The test database plus the site's rows, copied into a file gunicorn can open; the rows
    are rolled back here, so no other test sees them. Dumped through the test's own
    connection (sqlite's backup API would wait for that connection's write lock)."""
    if connection.vendor != "sqlite":  # scripts/test.sh runs this module on SQLite only
        pytest.skip("copies the SQLite test database into a file for gunicorn")
    with django_db_blocker.unblock(), transaction.atomic():
        _migrations_rows()
        data = _site_data()
        target = sqlite3.connect(path)
        try:
            target.executescript("\n".join(connection.connection.iterdump()))
        finally:
            target.close()
        transaction.set_rollback(True)
    return data


@pytest.fixture(scope="module")
def behind_nginx(django_db_setup, django_db_blocker, tmp_path_factory):
    nginx = _nginx()
    tmp_path = tmp_path_factory.mktemp("behind-nginx")
    work = _readable_dir("session-library-nginx-")
    media_root = Path(settings.MEDIA_ROOT)
    media_root.chmod(0o755)
    static_root = work / "collected-static"
    # The project's own static files, collected by the production storage (hashed names, .gz).
    with override_settings(
        STATIC_ROOT=static_root,
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "ops.static_storage.ForgivingManifestStaticFilesStorage"},
        },
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
    database = tmp_path / "db.sqlite3"
    site_data = _database_file(database, django_db_blocker)

    web_port, http_port, https_port = _free_port(), _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("LOCAL_HTTP", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{database}",
        MEDIA_ROOT=str(media_root),
        STATIC_ROOT=str(static_root),
        SEARCH_EMBEDDED_PATH=str(tmp_path / "search.sqlite3"),
        CACHE_DIR=str(tmp_path / "cache"),
        RECORDINGS_ACCEL_REDIRECT=ACCEL_PREFIX,
        TASKS_BACKEND="django_tasks.backends.dummy.DummyBackend",
        WEB_BIND=f"127.0.0.1:{web_port}",
        WEB_WORKERS="1",
        WEB_THREADS="2",
    )
    web_log = tmp_path / "gunicorn.log"
    with web_log.open("wb") as out:
        web = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "--config", "config/gunicorn.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    nginx_process = None
    try:
        tls = work / "tls"
        tls.mkdir()
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                str(tls / "key.pem"),
                "-out",
                str(tls / "cert.pem"),
            ],
            check=True,
            capture_output=True,
        )
        (work / "session-library.conf").write_text(
            site_config(media_root, static_root, web_port, http_port, https_port, tls)
        )
        (work / "nginx.conf").write_text(MAIN_TEMPLATE.read_text().replace("@PREFIX@", str(work)))
        nginx_log = work / "error.log"
        nginx_log.touch()
        nginx_process = subprocess.Popen(
            [nginx, "-p", str(work), "-c", str(work / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=nginx_log.open("ab"),
        )
        _wait_for_port(https_port, nginx_process, nginx_log)
        _wait_for_port(web_port, web, web_log)
        yield {
            "https": https_port,
            "http": http_port,
            "web": web_port,
            "static_root": static_root,
            **site_data,
        }
    finally:
        if nginx_process is not None:
            _stop(nginx_process, signal.SIGQUIT)  # graceful shutdown
        _stop(web)
        shutil.rmtree(work, ignore_errors=True)


def _get(port: int, path: str, tls: bool = True, **headers):
    if tls:
        conn = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=30, context=ssl._create_unverified_context()
        )
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_range_request_through_nginx_is_206_from_nginx(behind_nginx):
    url = behind_nginx["public"].serve_url
    status, headers, body = _get(behind_nginx["https"], url, Range="bytes=100-199")
    assert status == 206, body[:500]
    assert headers["content-range"] == f"bytes 100-199/{len(CONTENT)}"
    assert body == CONTENT[100:200]
    assert headers["server"].startswith("nginx")
    assert headers["cache-control"] == "private, max-age=3600"  # the internal location's headers
    status, headers, body = _get(behind_nginx["https"], url)
    assert status == 200 and body == CONTENT and headers["accept-ranges"] == "bytes"


def test_hidden_sessions_files_are_404_through_nginx(behind_nginx):
    for name in ("draft", "private"):
        status, _, _ = _get(behind_nginx["https"], behind_nginx[name].serve_url, Range="bytes=0-99")
        assert status == 404, name
    # The internal location itself is never reachable from outside.
    status, _, _ = _get(behind_nginx["https"], ACCEL_PREFIX + behind_nginx["public"].file.name)
    assert status == 404


def test_pages_static_files_and_images_through_nginx(behind_nginx):
    status, headers, body = _get(behind_nginx["https"], "/")
    assert status == 200
    # Django saw https (X-Forwarded-Proto from nginx): HSTS on, no redirect loop.
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert len(headers["x-request-id"]) == 32  # nginx's $request_id, echoed by Django
    css = re.search(rb'href="(/static/css/site\.[0-9a-f]{12}\.css)"', body)
    assert css, "the page links the collected, hashed stylesheet"
    status, headers, body = _get(behind_nginx["https"], css.group(1).decode(), **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers.get("content-encoding") == "gzip"  # the precompressed copy
    assert "x-request-id" not in headers  # nginx sent it; it never reached Django
    # Images go through Django's access check (X-Accel-Redirect): a hidden session's poster,
    # original or rendition, is a 404 at its guessable /media/ address.
    original, rendition = behind_nginx["posters"]["public"]
    status, headers, body = _get(behind_nginx["https"], original)
    assert status == 200 and body == behind_nginx["poster"]
    assert headers["content-type"] == "image/jpeg"
    status, _, body = _get(behind_nginx["https"], rendition)
    assert status == 200 and body.startswith(b"\xff\xd8")
    for name in ("draft", "private"):
        for url in behind_nginx["posters"][name]:
            status, _, _ = _get(behind_nginx["https"], url)
            assert status == 404, url


def test_plain_http_redirects_and_health_answers(behind_nginx):
    status, headers, _ = _get(behind_nginx["http"], "/search/?q=x", tls=False)
    assert status == 301 and headers["location"] == "https://127.0.0.1/search/?q=x"
    status, _, body = _get(behind_nginx["https"], "/healthz")
    assert status == 200 and b'"ok": true' in body
    # The orchestrator may ask gunicorn directly over http: exempt from the https redirect.
    status, _, _ = _get(behind_nginx["web"], "/healthz", tls=False)
    assert status == 200
