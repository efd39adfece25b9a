"""Production settings: a TLS-terminating proxy (nginx) in front, WhiteNoise for static files.

`manage.py check --deploy` is clean with these. The one switch, ``LOCAL_HTTP=1``, serves the
same stack over plain http on this machine (the `make serve` demo): without it the site
redirects to https and sends its cookies only over https, which a browser on
http://127.0.0.1 cannot use (the admin login would fail its CSRF check)."""

import os
import sys

from .base import *  # noqa: F403
from .base import BASE_DIR, MIDDLEWARE, STATIC_ROOT, env_bool

DEBUG = False

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # A clear start-up error rather than a KeyError traceback (manage.py, gunicorn, db_worker).
    sys.stderr.write(
        "Session Library: SECRET_KEY is not set. Production settings need a long random secret,\n"
        "e.g. SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')\n"
        "in the service's environment file (see README, Deploying).\n"
    )
    raise SystemExit(78)  # EX_CONFIG: systemd does not restart-loop on a configuration error

LOCAL_HTTP = env_bool("LOCAL_HTTP", False)
if not LOCAL_HTTP:
    # nginx terminates TLS and says so in X-Forwarded-Proto (deploy/nginx/session-library.conf).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # The proxy or orchestrator probes health over plain http on the loopback/private network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Static files: collected (hashed names, gzip/brotli copies) and served by WhiteNoise, also
# when no nginx is in front. Right after the middleware that sets security headers.
MIDDLEWARE = list(MIDDLEWARE)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "ops.static_storage.ForgivingManifestStaticFilesStorage"},
}
# Before `collectstatic` has run there is no manifest: pages then link the plain names and
# WhiteNoise finds them in the apps (slower, uncompressed), instead of every page failing.
WHITENOISE_USE_FINDERS = not (STATIC_ROOT / "staticfiles.json").exists()

# One cache every gunicorn process (and the admin's saves) share, so a fragment cached by one
# process and dropped by another's change (a transcript correction, a page published) is gone
# for all: on one machine a directory, no server to run (several web machines: point CACHE_DIR
# at a shared disk, or use a shared cache server instead). It holds the session page's
# transcript sections (~300 KB for 60 minutes) and small fragments; entries expire by themselves.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("CACHE_DIR", str(BASE_DIR / "cache")),
        "TIMEOUT": 24 * 3600,
        # Beyond this many entries a write drops a third of them (the library's ~107 sessions
        # in two languages need ~220 sections).
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
    # Search answers (search/results_cache.py), a few KB each; a full directory drops a third.
    "search-results": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.path.join(os.environ.get("CACHE_DIR", str(BASE_DIR / "cache")), "search"),
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 3000},
    },
}
# A search asked again within this many seconds is answered from the cache, unless the index
# or what the visitor may see changed since (search/results_cache.py).
SEARCH_RESULTS_CACHE_SECONDS = int(os.environ.get("SEARCH_RESULTS_CACHE_SECONDS", "600"))
