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


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a rolled-back test's pages leave no cached
    fragment (the header's themes link, a transcript section) for the next one."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def editors_prefer_english():
    """Every user made in the test has chosen English for the admin (Account → Language), so
    the test reads the admin's messages in English; tests/library/test_admin_language.py
    checks that the admin is Dutch until an editor chooses."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_save
    from wagtail.users.models import UserProfile

    def prefer_english(sender, instance, created, **kwargs):
        if created:
            profile = UserProfile.get_for_user(instance)
            profile.preferred_language = "en"
            profile.save()

    post_save.connect(prefer_english, sender=get_user_model(), dispatch_uid="tests.prefer_english")
    yield
    post_save.disconnect(sender=get_user_model(), dispatch_uid="tests.prefer_english")
