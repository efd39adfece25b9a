"""Images (originals and renditions) are served after the access check: a visitor gets
those that a page they may see shows; an image of a hidden session answers 404."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils.http import http_date
from wagtail.models import PageViewRestriction, ReferenceIndex

from library.models import Recording, SessionPage
from search.documents import POSTER_SPEC, session_document
from tests.factories import make_home, make_image, make_private, make_recording, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_cached_renditions():
    cache.clear()  # Wagtail caches renditions by image id: none from an earlier test's images


def media_path(url: str) -> str:
    assert url.startswith("/media/"), url
    return url


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def editor_client(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.org", "pw")
    client.force_login(user)
    return client


def test_a_visible_sessions_poster_and_its_renditions_are_served(client, home):
    image = make_image("poster-public.jpg")
    make_session(title="Public", slug="public", poster=image, recording=make_recording(media_type="video"))
    original = client.get(media_path(image.file.url))
    assert original.status_code == 200
    assert original["Content-Type"] == "image/jpeg"
    assert body(original) == image.file.open("rb").read()
    assert "private" in original["Cache-Control"]
    rendition = image.get_rendition("fill-480x270")
    assert client.get(media_path(rendition.url)).status_code == 200
    # The poster rendition the session page shows is served too.
    html = client.get("/public/").content.decode()
    poster_url = image.get_rendition("width-960").url
    assert poster_url in html
    assert client.get(poster_url).status_code == 200


@pytest.mark.parametrize("hide", ["draft", "login", "password", "parent"])
def test_a_hidden_sessions_poster_is_not_served_to_visitors(client, home, hide):
    image = make_image("poster-recording-7.jpg")
    session = make_session(title="Hidden", slug="hidden", poster=image)
    rendition = image.get_rendition("fill-480x270")
    if hide == "draft":
        session.unpublish()
    elif hide == "login":
        make_private(session)
    elif hide == "password":
        make_private(session, PageViewRestriction.PASSWORD, password="secret")
    else:
        make_private(home)
    for url in (image.file.url, rendition.url):
        response = client.get(url)
        assert response.status_code == 404, url
        assert not response.content.startswith(b"\xff\xd8")  # the site's 404 page, not the image


def test_editors_see_every_image(editor_client, home):
    image = make_image("poster-draft.jpg")
    make_session(title="Draft", slug="draft", poster=image, live=False)
    unused = make_image("unused.jpg")
    assert editor_client.get(image.file.url).status_code == 200
    assert editor_client.get(image.get_rendition("max-165x165").url).status_code == 200
    assert editor_client.get(unused.file.url).status_code == 200


def test_a_login_only_session_shows_its_poster_to_signed_in_visitors(client, home):
    image = make_image("poster-members.jpg")
    session = make_session(title="Members", slug="members", poster=image)
    make_private(session)
    assert client.get(image.file.url).status_code == 404
    client.force_login(get_user_model().objects.create_user("member", password="pw"))
    assert client.get(image.file.url).status_code == 200


def test_an_image_no_visible_page_uses_is_not_served(client, home):
    image = make_image("loose.jpg")
    assert client.get(image.file.url).status_code == 404
    assert client.get("/media/original_images/does-not-exist.jpg").status_code == 404


def test_an_image_embedded_in_a_visible_pages_rich_text_is_served(client, home):
    image = make_image("intro.jpg")
    home = make_home()
    home.intro = f'<p>Hello</p><embed embedtype="image" id="{image.pk}" format="fullwidth" alt="x"/>'
    home.save_revision().publish()
    # Wagtail's reference index (kept by its own task) records that the home page uses it.
    ReferenceIndex.create_or_update_for_object(home)
    assert client.get(image.file.url).status_code == 200
    make_private(home)
    assert client.get(image.file.url).status_code == 404


def test_unchanged_images_answer_304(client, home):
    image = make_image("cached.jpg")
    make_session(title="Cached", slug="cached", poster=image)
    later = http_date((datetime.datetime.now() + datetime.timedelta(days=1)).timestamp())
    response = client.get(image.file.url, HTTP_IF_MODIFIED_SINCE=later)
    assert response.status_code == 304


def test_only_image_files_are_served_from_media(client, home):
    image = make_image("plain.jpg")
    make_session(title="Plain", slug="plain", poster=image)
    assert client.get("/media/original_images/../original_images/plain.jpg").status_code == 404
    assert client.get("/media/other/plain.jpg").status_code == 404


def test_a_recordings_frame_shows_where_no_poster_was_chosen_and_an_editors_poster_wins(client, home):
    """The machine-made frame lives on the recording (once); every surface shows it for a session
    without a poster of its own, and an editor's choice overrides it. Hidden, it is not served."""
    frame = make_image("poster-recording-1.jpg")
    recording = make_recording(media_type="video", duration=754.0)
    Recording.objects.filter(pk=recording.pk).update(poster=frame)  # as the probe stores it
    plain = make_session(title="Plain", slug="plain", recording=recording)
    chosen = make_image("chosen.jpg")
    own = make_session(title="Own", slug="own", recording=recording, poster=chosen)
    hidden = make_session(title="Hidden", slug="hidden", recording=make_recording(media_type="video"))
    hidden_frame = make_image("poster-recording-2.jpg")
    Recording.objects.filter(pk=hidden.recording_id).update(poster=hidden_frame)
    make_private(hidden)

    page = client.get("/plain/").content.decode()
    assert frame.get_rendition("width-960").url in page and "12:34" in page  # the recording's duration
    assert chosen.get_rendition("width-960").url in client.get("/own/").content.decode()
    api = client.get(f"/api/v2/pages/{plain.pk}/").json()
    assert api["duration"] == 754.0 and api["poster_thumbnail"]["url"].endswith(
        frame.get_rendition("fill-480x270").url
    )
    assert (
        session_document(SessionPage.objects.get(pk=own.pk)).poster_url
        == chosen.get_rendition(POSTER_SPEC).url
    )
    catalogue = client.get("/sessies/").content.decode()
    assert frame.get_rendition("fill-320x180").url in catalogue
    assert chosen.get_rendition("fill-320x180").url in catalogue
    assert client.get(frame.get_rendition("fill-480x270").url).status_code == 200
    for url in (hidden_frame.file.url, hidden_frame.get_rendition("fill-480x270").url):
        assert client.get(url).status_code == 404, url
