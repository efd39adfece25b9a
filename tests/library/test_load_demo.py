from django.core.management import call_command
from wagtail.models import Page, Revision

from library.models import Recording, SessionPage, ThemePage
from tests.i18n import nl
from tests.shared_data import require_shared_file


def _snapshot():
    return (
        Page.objects.count(),
        Recording.objects.count(),
        Revision.objects.count(),
        sorted(SessionPage.objects.values_list("slug", flat=True)),
    )


def test_load_demo_builds_festival_and_is_idempotent(db, client):
    call_command("load_demo", verbosity=0)
    first = _snapshot()
    sessions = SessionPage.objects.live()
    assert sessions.filter(language="nl").exists() and sessions.filter(language="en").exists()
    assert {r.type for r in Recording.objects.all()} >= {"audio", "video"}
    assert ThemePage.objects.live().count() >= 2
    # Every rendered recording is a real, non-empty media file.
    for recording in Recording.objects.all():
        assert recording.file.size > 1000

    call_command("load_demo", verbosity=0)
    assert _snapshot() == first

    home = client.get("/")
    assert home.status_code == 200
    for session in sessions.order_by("-date")[:6]:  # the home page shows the latest six
        assert session.title in home.content.decode()
    assert nl("Featured themes") in home.content.decode()
    assert "<h1>Sessiebibliotheek</h1>" in home.content.decode()  # the demo is Dutch first
    # A theme page carries a clip that opens the session at its start and stops at its end.
    innovatie = sessions.get(slug="innovatie-in-de-publieke-sector")
    theme = ThemePage.objects.get(slug="digitale-overheid")
    assert f'href="{innovatie.url}?t=4&amp;end=12"' in client.get(theme.url).content.decode()


def test_load_demo_adds_the_real_recordings(db, client):
    require_shared_file("jfk.flac")
    call_command("load_demo", verbosity=0)
    jfk = SessionPage.objects.get(title="Ask not what your country can do for you")
    assert jfk.recording.file.name.endswith(".flac")
    page = client.get(jfk.url)
    assert jfk.recording.serve_url in page.content.decode()
    media = client.get(jfk.recording.serve_url, HTTP_RANGE="bytes=0-99")
    assert media.status_code == 206
    assert len(b"".join(media.streaming_content)) == 100
    theme = ThemePage.objects.get(slug="working-in-the-open")
    assert f'href="{jfk.url}?t=3&amp;end=11"' in client.get(theme.url).content.decode()


def test_load_demo_if_empty_leaves_a_real_library_alone(db):
    from tests.factories import make_session

    make_session(title="A real session")
    call_command("load_demo", "--if-empty", verbosity=0)
    assert list(SessionPage.objects.values_list("title", flat=True)) == ["A real session"]
