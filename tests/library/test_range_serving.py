import pytest
from django.contrib.auth import get_user_model

from library.range_serving import UnsatisfiableRange, parse_range
from tests.factories import make_private, make_recording, make_session

CONTENT = bytes(range(256)) * 8  # 2048 bytes with a known pattern


@pytest.fixture
def public_recording(home):
    recording = make_recording(content=CONTENT)
    make_session(home, title="Public talk", recording=recording)
    return recording


def test_parse_range_forms():
    assert parse_range(None, 100) is None
    assert parse_range("bytes=0-9", 100) == (0, 9)
    assert parse_range("bytes=90-", 100) == (90, 99)
    assert parse_range("bytes=-10", 100) == (90, 99)
    assert parse_range("bytes=-500", 100) == (0, 99)
    assert parse_range("bytes=50-5000", 100) == (50, 99)
    assert parse_range("items=0-9", 100) is None  # unknown unit: whole file
    assert parse_range("bytes=0-1,5-6", 100) is None  # multipart not supported: whole file
    with pytest.raises(UnsatisfiableRange):
        parse_range("bytes=100-", 100)
    with pytest.raises(UnsatisfiableRange):
        parse_range("bytes=-0", 100)


def test_full_file(client, public_recording):
    response = client.get(public_recording.serve_url)
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(CONTENT))
    assert b"".join(response.streaming_content) == CONTENT


def test_partial_first_100_bytes(client, public_recording):
    response = client.get(public_recording.serve_url, HTTP_RANGE="bytes=0-99")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-99/{len(CONTENT)}"
    body = b"".join(response.streaming_content)
    assert len(body) == 100 and body == CONTENT[:100]


def test_middle_and_open_ended_ranges(client, public_recording):
    response = client.get(public_recording.serve_url, HTTP_RANGE="bytes=1000-1099")
    assert b"".join(response.streaming_content) == CONTENT[1000:1100]
    response = client.get(public_recording.serve_url, HTTP_RANGE="bytes=2000-")
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == CONTENT[2000:]


def test_suffix_range(client, public_recording):
    response = client.get(public_recording.serve_url, HTTP_RANGE="bytes=-48")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 2000-2047/{len(CONTENT)}"
    assert b"".join(response.streaming_content) == CONTENT[-48:]


def test_unsatisfiable_range(client, public_recording):
    response = client.get(public_recording.serve_url, HTTP_RANGE="bytes=5000-6000")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CONTENT)}"


def test_head_answers_headers_only(client, public_recording):
    response = client.head(public_recording.serve_url, HTTP_RANGE="bytes=0-99")
    assert response.status_code == 206
    assert response["Content-Length"] == "100"


def test_wrong_filename_is_404(client, public_recording):
    assert client.get(f"/recordings/{public_recording.pk}/other.wav").status_code == 404


def test_unpublished_session_media_is_404(client, home):
    recording = make_recording(content=CONTENT)
    make_session(home, title="Draft", recording=recording, live=False)
    assert client.get(recording.serve_url).status_code == 404


def test_private_session_media_is_404_until_allowed(client, home):
    recording = make_recording(content=CONTENT)
    session = make_session(home, title="Private", recording=recording)
    make_private(session)
    assert client.get(recording.serve_url).status_code == 404
    # A logged-in member passes the login restriction.
    user = get_user_model().objects.create_user("member", password="pw")
    client.force_login(user)
    assert client.get(recording.serve_url).status_code == 200


def test_orphan_recording_is_404_for_visitors_but_editors_may_preview(client, home):
    recording = make_recording(content=CONTENT)
    assert client.get(recording.serve_url).status_code == 404
    editor = get_user_model().objects.create_superuser("editor", "e@example.org", "pw")
    client.force_login(editor)
    assert client.get(recording.serve_url).status_code == 200


def test_uploaded_recordings_are_not_under_media_url(client, public_recording):
    assert client.get("/media/" + public_recording.file.name).status_code == 404


# -- behind nginx: the view checks access, nginx sends the bytes (RECORDINGS_ACCEL_REDIRECT) --------


@pytest.fixture
def accel(settings):
    settings.RECORDINGS_ACCEL_REDIRECT = "/_recordings/"
    return settings


def test_accel_redirect_hands_the_file_to_nginx(client, public_recording, accel):
    response = client.get(public_recording.serve_url, HTTP_RANGE="bytes=0-99")
    assert response.status_code == 200  # nginx turns it into 206 for the range (tests/deploy)
    assert response["X-Accel-Redirect"] == "/_recordings/" + public_recording.file.name
    assert response["Content-Type"] == "audio/x-wav"
    assert response.content == b""  # not one byte of the recording through Python


def test_accel_redirect_quotes_odd_file_names(client, home, accel):
    recording = make_recording(content=CONTENT)
    recording.file.save("talk één #2.wav", recording.file.file, save=True)
    make_session(home, title="Odd name", recording=recording)
    response = client.get(recording.serve_url)
    assert recording.file.name.endswith("één_2.wav")  # what the storage made of the name
    assert response["X-Accel-Redirect"].endswith("/talk_%C3%A9%C3%A9n_2.wav")  # URI-encoded for nginx


def test_accel_redirect_still_checks_access(client, home, accel):
    draft = make_recording(content=CONTENT)
    make_session(home, title="Draft", recording=draft, live=False)
    private = make_recording(content=CONTENT)
    make_private(make_session(home, title="Private", recording=private))
    for recording in (draft, private):
        response = client.get(recording.serve_url)
        assert response.status_code == 404
        assert "X-Accel-Redirect" not in response


def test_accel_redirect_of_a_missing_file_is_404(client, public_recording, accel):
    public_recording.file.storage.delete(public_recording.file.name)
    response = client.get(public_recording.serve_url)
    assert response.status_code == 404 and "X-Accel-Redirect" not in response


def test_open_ended_range_of_a_long_recording_is_answered_in_parts(client, home, settings):
    """A player's "bytes=0-" gets the first MAX_RANGE_BYTES; it asks again for the rest."""
    from library import range_serving

    size = range_serving.MAX_RANGE_BYTES + 1000
    recording = make_recording(content=b"\x01" * size)
    make_session(home, title="Long talk", recording=recording)
    response = client.get(recording.serve_url, HTTP_RANGE="bytes=0-")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-{range_serving.MAX_RANGE_BYTES - 1}/{size}"
    assert response["Content-Length"] == str(range_serving.MAX_RANGE_BYTES)
    response = client.get(recording.serve_url, HTTP_RANGE=f"bytes={range_serving.MAX_RANGE_BYTES}-")
    assert response["Content-Range"] == f"bytes {range_serving.MAX_RANGE_BYTES}-{size - 1}/{size}"
    assert len(b"".join(response.streaming_content)) == 1000
