"""Settings shared by every environment. Environment variables override defaults."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "ops",
    "library",
    "transcripts",
    "search",
    "reports",
    "catalogue",
    "jobs",  # before django_tasks_db: its db_worker (with leases) replaces that app's
    "wagtailmedia",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.typed_table_block",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v2",
    "wagtail",
    "rest_framework",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    # First: the time Django spends on a request, and its id in every log line (ops/).
    "ops.server_timing.ServerTimingMiddleware",
    "ops.request_ids.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The URL says the language: /... is Dutch, /en/... English (config/urls.py, i18n_patterns).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# SQLite by default; DATABASE_URL (e.g. postgres://user:pw@host/db) switches engines.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=600,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker share one SQLite file: wait for locks instead of failing
    # (timeout), and let readers run beside the writer (WAL). In WAL mode synchronous=NORMAL is
    # still safe from corruption and spares an fsync per commit (every search logs its query:
    # with FULL, concurrent searches queued behind each other's fsync). IMMEDIATE: a transaction
    # takes the write lock when it begins, so it waits through the timeout; a deferred one that
    # reads first and writes later fails at once with "database is locked" when another process
    # wrote in between (what made publishing fail while the worker stored a transcript).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# Dutch first, English too. Public pages: unprefixed URLs are Dutch, /en/... English
# (i18n_patterns in config/urls.py). The admin speaks each editor's chosen language,
# Dutch until they choose. Translations: locale/nl/LC_MESSAGES/*.po (English msgids).
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
# Ours first (it wins where both translate a message), then Dutch for a dependency that ships
# none (translations/<package>/: wagtailmedia's media library, where recordings are uploaded).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "translations" / "wagtailmedia"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "collected-static"))
STATIC_URL = "/static/"

MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"
# With nginx in front: the internal location (e.g. "/_recordings/") that serves MEDIA_ROOT.
# The recording and image views then check access and answer with X-Accel-Redirect, and nginx
# sends the bytes (ranges too), so no recording streams through Python. Empty: Django streams it.
RECORDINGS_ACCEL_REDIRECT = os.environ.get("RECORDINGS_ACCEL_REDIRECT", "")

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Recordings are large; wagtailmedia uploads go through Django's file handling.
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# The admin's name for the site, in the editor's language (lazy: settings load before translations).
WAGTAIL_SITE_NAME = gettext_lazy("Session Library")
# Editors choose between these in their account settings; without a choice the admin is Dutch.
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILMEDIA = {"MEDIA_MODEL": "library.Recording"}
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]

# Background jobs: django-tasks with the database backend (`manage.py db_worker`).
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
# A running job holds a lease its worker renews every third of this; a job whose lease ran out
# (its worker died) is taken up again by another worker (jobs/leases.py) ...
JOBS_LEASE_SECONDS = float(os.environ.get("JOBS_LEASE_SECONDS", "90"))
# ... until it has been started this many times.
JOBS_MAX_ATTEMPTS = int(os.environ.get("JOBS_MAX_ATTEMPTS", "3"))
# Upkeep the workers run between jobs: dotted path -> every so many seconds.
JOBS_PERIODIC = {"transcripts.queueing.queue_missed": 300}

# Where the real sample recordings live on our machines and in CI (absent in a user's clone).
SHARED_DATA_DIR = Path(os.environ.get("SHARED_DATA_DIR", BASE_DIR.parent / "shared" / "data"))

# Whisper: the WHISPER_* environment variables are read, with their defaults, in one place,
# transcripts.whisper.WhisperConfig.from_environment (a bad value stops `manage.py check`).

# Search service (see search/): "embedded" (SQLite FTS5) or "opensearch".
SEARCH_ENGINE = os.environ.get("SEARCH_ENGINE", "embedded")
SEARCH_EMBEDDED_PATH = Path(os.environ.get("SEARCH_EMBEDDED_PATH", BASE_DIR / "search-index.sqlite3"))
# One node URL, or a cluster's node URLs comma-separated (search/engines/connection.py).
OPENSEARCH_URL = os.environ.get("OPENSEARCH_URL", "http://127.0.0.1:9200")
# A secured cluster: HTTP basic authentication, and the CA that signed the nodes' certificates.
OPENSEARCH_USER = os.environ.get("OPENSEARCH_USER", "")
OPENSEARCH_PASSWORD = os.environ.get("OPENSEARCH_PASSWORD", "")
OPENSEARCH_CA_CERTS = os.environ.get("OPENSEARCH_CA_CERTS", "")
# Replicas of the moments index; unset: 0 with one URL, 1 with several.
_replicas = os.environ.get("OPENSEARCH_REPLICAS", "").strip()
OPENSEARCH_REPLICAS = int(_replicas) if _replicas else None
# Primary shards of the moments index: 1 keeps facet counts exact; more spread one search.
OPENSEARCH_SHARDS = int(os.environ.get("OPENSEARCH_SHARDS") or 1)
OPENSEARCH_INDEX = os.environ.get("OPENSEARCH_INDEX", "session-library-moments")
# How long a search answer is kept (search/results_cache.py); 0: not cached. Production turns
# it on; here each process has a memory cache of its own, which the worker's index writes
# (the generation they move) would not reach.
SEARCH_RESULTS_CACHE_SECONDS = 0

# The default cache (page fragments, versions) and one for search answers, so making room among
# the answers never drops a page's parts. Production puts both on disk, shared by its processes.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "search-results": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "search"},
}
# The worker renders session pages into the default cache after a change (library/page_warming.py).
# None: only when that cache is shared between processes (production's file cache); under the
# memory cache above the web process would never see what the worker rendered. True/False: always/never.
PAGE_WARMING = None

# Every line says which request or job it belongs to: "req=<id>" (the X-Request-ID nginx
# sends, or a new one) or "job=<task id>" in a worker (ops/request_ids.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "ops.request_ids.ContextFilter"}},
    "formatters": {
        "context": {"format": "%(asctime)s %(levelname)s [%(context)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": "context"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "wagtail": {"level": "WARNING"}},
}
