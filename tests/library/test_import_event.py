"""manage.py import_event: a folder of recordings plus a programme CSV."""

import csv
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Revision

from library.models import Event, Organisation, Recording, SessionPage, Speaker, ThemePage
from tests.factories import generate_tone
from tests.shared_data import require_shared_file, shared_data_dir

pytestmark = pytest.mark.django_db

DEMO_PROGRAMME = Path(__file__).resolve().parents[2] / "library" / "demo" / "programme.csv"
HEADER = ["file", "title", "date", "speakers", "organisation", "themes", "language", "summary"]


def run_import(folder, programme, *args):
    out, err = StringIO(), StringIO()
    call_command("import_event", str(folder), "--programme", str(programme), *args, stdout=out, stderr=err)
    return out.getvalue()


def write_csv(path: Path, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def snapshot():
    return {
        "sessions": SessionPage.objects.count(),
        "revisions": Revision.objects.count(),
        "recordings": Recording.objects.count(),
        "themes": ThemePage.objects.count(),
        "speakers": Speaker.objects.count(),
    }


def test_imports_the_shared_recordings_and_a_rerun_changes_nothing(home):
    for name in ("jfk.flac", "multilingual.mp3", "stereo_diarization.wav"):
        require_shared_file(name)
    output = run_import(shared_data_dir(), DEMO_PROGRAMME, "--event", "Kennismaand")
    assert "3 created, 0 updated, 0 unchanged, 0 failed." in output

    jfk = SessionPage.objects.get(title="Ask not what your country can do for you")
    assert jfk.live
    assert jfk.event == Event.objects.get(name="Kennismaand", year=1961)
    assert jfk.language == "en"
    assert jfk.speaker_names == ["John F. Kennedy"]
    assert jfk.organisation_names == ["United States Government"]
    assert Speaker.objects.get(name="John F. Kennedy").organisation.name == "United States Government"
    assert jfk.recording.type == "audio"
    assert jfk.duration == pytest.approx(11.0, abs=0.1)
    assert jfk.theme_titles == ["Working in the open"]
    assert SessionPage.objects.get(title="A multilingual sample").language == "auto"
    assert ThemePage.objects.get(title="Digitale overheid").live
    # Recordings are stored in MEDIA_ROOT, not linked to the shared folder.
    assert Path(jfk.recording.file.path).read_bytes() == (shared_data_dir() / "jfk.flac").read_bytes()

    before = snapshot()
    output = run_import(shared_data_dir(), DEMO_PROGRAMME, "--event", "Kennismaand")
    assert "0 created, 0 updated, 3 unchanged, 0 failed." in output
    assert snapshot() == before


def test_an_edited_row_updates_its_session_with_one_new_revision(home, tmp_path):
    generate_tone(tmp_path / "talk.wav", seconds=1.0)
    row = [
        "talk.wav",
        "Open data",
        "2026-03-05",
        "Pieter Jansen",
        "Gemeente Zandvoorde",
        "Open data",
        "nl",
        "Eerst.",
    ]
    programme = write_csv(tmp_path / "programme.csv", [row])
    run_import(tmp_path, programme)
    session = SessionPage.objects.get(title="Open data")
    assert session.event.name == tmp_path.name  # the folder names the event by default
    revisions = session.revisions.count()
    recordings = Recording.objects.count()

    row[7], row[3] = "Bijgewerkte samenvatting.", "Pieter Jansen;Anouk de Vries"
    write_csv(programme, [row])
    output = run_import(tmp_path, programme)
    assert "0 created, 1 updated, 0 unchanged" in output
    assert "summary, speakers" in output
    session = SessionPage.objects.get(pk=session.pk)
    assert session.summary == "Bijgewerkte samenvatting."
    assert session.speaker_names == ["Pieter Jansen", "Anouk de Vries"]
    assert session.revisions.count() == revisions + 1
    assert Recording.objects.count() == recordings
    assert SessionPage.objects.count() == 1


def test_bad_rows_are_reported_and_the_good_ones_imported(home, tmp_path):
    generate_tone(tmp_path / "good.wav", seconds=1.0)
    generate_tone(tmp_path / "also-good.wav", seconds=1.0)
    (tmp_path / "notes.mp3").write_text("this is not audio at all")
    programme = write_csv(
        tmp_path / "programme.csv",
        [
            ["good.wav", "Een goede sessie", "2026-03-03", "Anouk de Vries", "", "", "nl", ""],
            ["missing.mp4", "Zonder bestand", "2026-03-04", "", "", "", "nl", ""],
            ["also-good.wav", "Slechte datum", "5 maart", "", "", "", "nl", ""],
            ["good.wav", "Onbekende taal", "2026-03-06", "", "", "", "fr", ""],
            ["notes.mp3", "Geen geluid", "2026-03-07", "", "", "", "en", ""],
            ["also-good.wav", "Nog een goede", "07-03-2026", "", "", "", "English", ""],
        ],
    )
    output = run_import(tmp_path, programme, "--event", "Kennismaand", "--year", "2026")
    assert "2 created, 0 updated, 0 unchanged, 4 failed." in output
    assert "line 3: Zonder bestand: missing file missing.mp4" in output
    assert "line 4: Slechte datum: bad date '5 maart'" in output
    assert "line 5: Onbekende taal: unknown language 'fr'" in output
    assert "line 6: Geen geluid: unreadable media notes.mp3" in output
    assert set(SessionPage.objects.values_list("title", flat=True)) == {"Een goede sessie", "Nog een goede"}
    assert SessionPage.objects.get(title="Nog een goede").language == "en"


def test_dry_run_changes_nothing_and_says_what_would_happen(home, tmp_path):
    generate_tone(tmp_path / "talk.wav", seconds=1.0)
    programme = write_csv(
        tmp_path / "programme.csv",
        [["talk.wav", "Open data", "2026-03-05", "Pieter Jansen", "Gemeente", "Open data", "nl", ""]],
    )
    before = snapshot() | {"events": Event.objects.count(), "orgs": Organisation.objects.count()}
    output = run_import(tmp_path, programme, "--dry-run")
    assert "Dry run, nothing changed: 1 would be created" in output
    assert snapshot() | {"events": Event.objects.count(), "orgs": Organisation.objects.count()} == before


def test_a_programme_without_the_needed_columns_is_refused_clearly(home, tmp_path):
    programme = tmp_path / "programme.csv"
    programme.write_text("name,when\nx,y\n")
    with pytest.raises(CommandError, match="missing column"):
        run_import(tmp_path, programme)
    with pytest.raises(CommandError, match="Programme file not found"):
        run_import(tmp_path, tmp_path / "nope.csv")


def test_the_same_title_in_another_event_is_another_session(home, tmp_path):
    generate_tone(tmp_path / "talk.wav", seconds=1.0)
    programme = write_csv(tmp_path / "p.csv", [["talk.wav", "Opening", "2026-03-01", "", "", "", "nl", ""]])
    run_import(tmp_path, programme, "--event", "Kennismaand")
    shutil.copy(tmp_path / "talk.wav", tmp_path / "talk2.wav")
    run_import(tmp_path, programme, "--event", "Datafestival")
    slugs = sorted(SessionPage.objects.values_list("slug", flat=True))
    assert slugs == ["opening", "opening-2026"]


def test_an_editors_unpublished_draft_is_kept_as_a_draft(home, tmp_path):
    generate_tone(tmp_path / "talk.wav", seconds=1.0)
    row = ["talk.wav", "Open data", "2026-03-05", "", "", "", "nl", "Eerst."]
    programme = write_csv(tmp_path / "programme.csv", [row])
    run_import(tmp_path, programme)
    session = SessionPage.objects.get(title="Open data")
    draft = session.get_latest_revision_as_object()
    draft.summary = "Werk in uitvoering van de redactie."
    draft.save_revision()  # an editor's draft, not published

    row[2] = "2026-03-06"
    write_csv(programme, [row])
    output = run_import(tmp_path, programme)
    assert "saved as a draft" in output
    live = SessionPage.objects.get(pk=session.pk)
    assert str(live.date) == "2026-03-05"  # nothing published behind the editor's back
    latest = live.get_latest_revision_as_object()
    assert str(latest.date) == "2026-03-06"
    # The CSV's summary wins in the new draft; the editor sees it in the revision history.
    assert latest.summary == "Eerst."


def test_a_semicolon_separated_programme_from_a_dutch_spreadsheet_is_read(home, tmp_path):
    generate_tone(tmp_path / "talk.wav", seconds=1.0)
    programme = tmp_path / "programme.csv"
    programme.write_text(
        "\ufeffFile;Title;Date;Speakers;Organisation;Themes;Language;Summary\n"
        'talk.wav;Open data;05-03-2026;"Pieter Jansen;Anouk de Vries";Gemeente;Open data;Nederlands;Kort.\n',
        encoding="utf-8",
    )
    output = run_import(tmp_path, programme)
    assert "1 created" in output
    session = SessionPage.objects.get(title="Open data")
    assert session.speaker_names == ["Pieter Jansen", "Anouk de Vries"]
    assert (str(session.date), session.language) == ("2026-03-05", "nl")
