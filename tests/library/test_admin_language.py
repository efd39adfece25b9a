"""The admin speaks Dutch to editors until they choose English in their account settings;
the admin user that `make run` creates can make that choice straight away."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def admin_lang(client) -> str:
    return re.search(r'<html lang="([\w-]+)"', client.get("/admin/").content.decode()).group(1)


def test_created_admin_can_switch_the_admin_to_english_and_back(client):
    call_command("ensure_admin", stdout=open("/dev/null", "w"))
    user = get_user_model().objects.get(username="admin")
    assert user.first_name and user.last_name and user.email
    client.force_login(user)
    assert admin_lang(client) == "nl"

    def choose(language):
        form = {
            "name_email-first_name": user.first_name,
            "name_email-last_name": user.last_name,
            "name_email-email": user.email,
            "locale-preferred_language": language,
            "locale-current_time_zone": "",
            "theme-theme": "system",
            "theme-density": "default",
            "theme-contrast": "system",
        }
        response = client.post("/admin/account/", form)
        assert response.status_code == 302, response.content.decode()[-2000:]

    choose("en")
    assert admin_lang(client) == "en"
    choose("nl")
    assert admin_lang(client) == "nl"


def test_admin_offers_dutch_and_english_only(client):
    user = get_user_model().objects.create_superuser(
        "editor", "e@example.org", "pw", first_name="E", last_name="D"
    )
    client.force_login(user)
    html = client.get("/admin/account/").content.decode()
    select = re.search(r'<select name="locale-preferred_language".*?</select>', html, re.S).group(0)
    assert sorted(re.findall(r'<option value="([\w-]+)"', select)) == ["en", "nl"]
