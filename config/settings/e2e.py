"""Settings for the end-to-end tests' live server (tests/e2e/conftest.py).

Like dev (DEBUG, so runserver serves static files and posters), but everything that
is written (database, uploads, search index) goes where the environment says: the
e2e fixture points DATABASE_URL, MEDIA_ROOT and SEARCH_EMBEDDED_PATH at a temp dir."""

from .base import *  # noqa: F403

DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
