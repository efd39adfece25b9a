"""Uploading a recording in the media library: a refused file gets its one real reason.
(The admin speaks Dutch by default: the messages are Django's own, in Dutch.)"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from wagtail.models import Collection

from library.models import Recording
from tests.i18n import nl

pytestmark = pytest.mark.django_db

# Django's messages, up to the first value they quote.
NOT_ALLOWED = nl(
    "File extension “%(extension)s” is not allowed. Allowed extensions are: %(allowed_extensions)s."
)
NOT_ALLOWED = NOT_ALLOWED.split("%(")[0].rstrip("“‘\"' ")  # "Bestandsextensie"
EMPTY = nl("The submitted file is empty.")


def too_long(length: int) -> str:
    with translation.override("nl"):
        message = translation.ngettext(
            "Ensure this filename has at most %(max)d character (it has %(length)d).",
            "Ensure this filename has at most %(max)d characters (it has %(length)d).",
            100,
        )
    return message % {"max": 100, "length": length}


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
    assert EMPTY in html
    assert NOT_ALLOWED not in html


def test_a_too_long_file_name_is_refused_for_its_length_only(admin_client, home):
    name = "o" * 120 + ".wav"
    response = upload(admin_client, name, b"RIFF" + bytes(64))
    html = response.content.decode()
    assert response.status_code == 200 and not Recording.objects.exists()
    assert too_long(len(name)) in html
    assert NOT_ALLOWED not in html


def test_a_wrong_extension_is_still_refused(admin_client, home):
    response = upload(admin_client, "opening.exe", b"MZ" + bytes(64))
    assert not Recording.objects.exists()
    assert NOT_ALLOWED in response.content.decode()


def test_a_good_upload_is_stored(admin_client, home):
    response = upload(admin_client, "opening.wav", b"RIFF" + bytes(64))
    assert response.status_code == 302
    assert Recording.objects.get().file.name.endswith(".wav")
