import pytest

from tests.factories import make_home


@pytest.fixture
def home(db):
    return make_home()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language: a request to /en/... activates English
    for the thread (LocaleMiddleware), which would otherwise leak into the next test."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
