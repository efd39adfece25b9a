"""Uploading a recording in the media library: a refused file gets its one real reason."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.models import Collection

from library.models import Recording

pytestmark = pytest.mark.django_db

NOT_ALLOWED = "File extension"


def upload(admin_client, name, content, media_type="audio"):
    data = {
        "title": "Opening",
        "collection": Collection.get_first_root_node().pk,
        "file": SimpleUploadedFile(name, content, content_type="audio/wav"),
    }
    return admin_client.post(reverse("wagtailmedia:add", args=[media_type]), data)


def test_an_empty_file_is_refused_for_being_empty_only(admin_client, home):
    response = upload(admin_client, "opening.wav", b"")
    html = response.content.decode()
    assert response.status_code == 200 and not Recording.objects.exists()
    assert "The submitted file is empty." in html
    assert NOT_ALLOWED not in html


def test_a_too_long_file_name_is_refused_for_its_length_only(admin_client, home):
    response = upload(admin_client, "o" * 120 + ".wav", b"RIFF" + bytes(64))
    html = response.content.decode()
    assert response.status_code == 200 and not Recording.objects.exists()
    assert "Ensure this filename has at most" in html
    assert NOT_ALLOWED not in html


def test_a_wrong_extension_is_still_refused(admin_client, home):
    response = upload(admin_client, "opening.exe", b"MZ" + bytes(64))
    assert not Recording.objects.exists()
    assert NOT_ALLOWED in response.content.decode()


def test_a_good_upload_is_stored(admin_client, home):
    response = upload(admin_client, "opening.wav", b"RIFF" + bytes(64))
    assert response.status_code == 302
    assert Recording.objects.get().file.name.endswith(".wav")
