"""Bulk import of a whole event: a folder of recordings plus a programme CSV.

One row per session (columns in CSV_COLUMNS). A session is identified by its event and
its title, so a re-run with the same CSV changes nothing (no revision, no recording), and
an edited row updates its session with one new revision. Missing speakers, organisations
and themes are created. One bad row never stops the rest: it is reported with the reason.
Transcription is not started here: the transcripts app queues it when a Recording is
created (library does not import transcripts).
"""

import csv
import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from wagtail.models import Page

from . import media
from .models import (
    Event,
    HomePage,
    Organisation,
    Recording,
    SessionPage,
    SessionSpeaker,
    Speaker,
    ThemeIndexPage,
    ThemePage,
    ThemeSession,
)
from .models.slugs import unique_slug

CSV_COLUMNS = ["file", "title", "date", "speakers", "organisation", "themes", "language", "summary"]
REQUIRED_COLUMNS = ["file", "title", "date"]
DATE_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"]
LANGUAGES = {
    "nl": "nl", "dutch": "nl", "nederlands": "nl",
    "en": "en", "english": "en", "engels": "en",
    "auto": "auto", "detect": "auto", "": "auto",
}  # fmt: skip


class ProgrammeError(Exception):
    """The CSV as a whole cannot be used (missing, unreadable, missing columns)."""


class RowError(Exception):
    """This row cannot be imported; the message says why, for the editor."""


@dataclass(frozen=True)
class SessionRow:
    line: int
    file: Path
    title: str
    date: datetime.date
    speakers: list[str]
    organisations: list[str]
    themes: list[str]
    language: str
    summary: str
    media_type: str  # "audio" or "video", from the probe
    duration: float | None


@dataclass
class RowResult:
    line: int
    title: str
    action: str  # created | updated | unchanged | failed
    detail: str = ""


@dataclass
class ImportReport:
    dry_run: bool
    results: list[RowResult] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.results if r.action == action)

    @property
    def failed(self) -> list[RowResult]:
        return [r for r in self.results if r.action == "failed"]


def read_programme(csv_path: Path) -> list[tuple[int, dict]]:
    """(line number, row) pairs. Header names are matched case-insensitively; columns are
    separated by commas, or by semicolons when the header is."""
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as handle:
            # Spreadsheets set to Dutch save CSV with ";" between columns: follow the header.
            first_line = handle.readline()
            handle.seek(0)
            delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
            reader = csv.DictReader(handle, delimiter=delimiter)
            header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise ProgrammeError(
                    f"{csv_path}: missing column(s) {', '.join(missing)}; "
                    f"expected a header with {', '.join(CSV_COLUMNS)}."
                )
            reader.fieldnames = header
            return [
                (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k})
                for row in reader
                if any((v or "").strip() for k, v in row.items() if k)
            ]
    except FileNotFoundError:
        raise ProgrammeError(f"Programme file not found: {csv_path}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ProgrammeError(f"{csv_path} is not a readable UTF-8 CSV file ({exc}).") from None


def _split(value: str) -> list[str]:
    seen = []
    for part in (value or "").split(";"):
        part = " ".join(part.split())
        if part and part not in seen:
            seen.append(part)
    return seen


def parse_date(text: str) -> datetime.date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise RowError(f"bad date {text!r}: use YYYY-MM-DD (e.g. 2026-03-05)" if text else "missing date")


def parse_language(text: str) -> str:
    try:
        return LANGUAGES[text.strip().lower()]
    except KeyError:
        raise RowError(f"unknown language {text!r}: use nl, en or auto") from None


def probe_media(path: Path) -> tuple[str, float | None]:
    """("audio"|"video", duration) of a recording, or RowError when ffmpeg cannot read it."""
    try:
        info = media.probe(path)
    except media.MediaError as exc:
        raise RowError(f"unreadable media {path.name}: {exc.message}") from None
    return ("video" if info.has_video else "audio"), info.duration


def parse_row(line: int, raw: dict, folder: Path) -> SessionRow:
    title = " ".join(raw.get("title", "").split())
    if not title:
        raise RowError("missing title")
    if not raw.get("file"):
        raise RowError("missing file name")
    path = (folder / raw["file"]).resolve()
    if not path.is_file():
        raise RowError(f"missing file {raw['file']} (looked in {folder})")
    date = parse_date(raw.get("date", ""))
    language = parse_language(raw.get("language", ""))
    media_type, duration = probe_media(path)
    return SessionRow(
        line=line,
        file=path,
        title=title,
        date=date,
        speakers=_split(raw.get("speakers", "")),
        organisations=_split(raw.get("organisation", "")),
        themes=_split(raw.get("themes", "")),
        language=language,
        summary=raw.get("summary", "").strip(),
        media_type=media_type,
        duration=duration,
    )


def home_page() -> HomePage:
    home = HomePage.of_default_site()
    if home is None:
        raise ProgrammeError("No home page: run `manage.py migrate` first.")
    return home


class EventImporter:
    def __init__(self, folder: Path, event_name: str | None = None, year: int | None = None,
                 dry_run: bool = False):  # fmt: skip
        self.folder = Path(folder).resolve()
        self.event_name = event_name or self.folder.name
        self.year = year
        self.dry_run = dry_run
        self.home = home_page()

    def run(self, rows: Iterable[tuple[int, dict]], progress: Callable | None = None) -> ImportReport:
        rows = list(rows)
        report = ImportReport(dry_run=self.dry_run)
        bar = progress(total=len(rows)) if progress else None
        for line, raw in rows:
            title = raw.get("title", "") or raw.get("file", "")
            try:
                row = parse_row(line, raw, self.folder)
                action, detail = self.import_row(row)
            except RowError as exc:
                action, detail = "failed", str(exc)
            except Exception as exc:  # noqa: BLE001 - one bad row never stops the rest
                action, detail = "failed", f"{type(exc).__name__}: {exc}"
            report.results.append(RowResult(line, title, action, detail))
            if bar:
                bar.update(1)
        if bar:
            bar.close()
        return report

    # --- one row -------------------------------------------------------------------

    def import_row(self, row: SessionRow) -> tuple[str, str]:
        event = self._event(row)
        session = SessionPage.objects.filter(event=event, title=row.title).first() if event else None
        if session is None:
            if self.dry_run:
                return "created", ""
            with transaction.atomic():
                self._create(row, self._event(row, create=True))
            return "created", ""
        # Compare with the latest revision, so an editor's draft is neither lost nor re-made.
        current = session.get_latest_revision_as_object()
        changes = self._changes(current, row)
        if not changes:
            return "unchanged", self._recording_note(current, row)
        if self.dry_run:
            return "updated", ", ".join(changes)
        with transaction.atomic():
            detail = self._update(session, current, row, changes)
        return "updated", ", ".join(changes) + detail

    def _event(self, row: SessionRow, create: bool = False) -> Event | None:
        year = self.year or row.date.year
        if create:
            return Event.objects.get_or_create(name=self.event_name, year=year)[0]
        return Event.objects.filter(name=self.event_name, year=year).first()

    def _changes(self, session: SessionPage, row: SessionRow) -> list[str]:
        changes = []
        if session.date != row.date:
            changes.append("date")
        if session.language != row.language:
            changes.append("language")
        if session.summary != row.summary:
            changes.append("summary")
        if session.speaker_names != row.speakers:
            changes.append("speakers")
        if sorted(session.organisation_names) != sorted(row.organisations):
            changes.append("organisation")
        if session.recording_id is None:
            changes.append("recording")
        changes += [f"theme {t}" for t in row.themes if not _in_theme(session, t)]
        return changes

    def _recording_note(self, session: SessionPage, row: SessionRow) -> str:
        try:
            same = session.recording.file.size == row.file.stat().st_size
        except (OSError, ValueError):
            same = True
        return "" if same else "the file differs from the stored recording; replace it in the admin"

    def _create(self, row: SessionRow, event: Event) -> SessionPage:
        page = SessionPage(
            title=row.title,
            slug=self._free_slug(row),
            event=event,
            date=row.date,
            language=row.language,
            summary=row.summary,
            recording=self._store_recording(row),
        )
        self._set_people(page, row)
        self.home.add_child(instance=page)
        page.save_revision().publish()
        self._add_to_themes(page, row.themes)
        return page

    def _update(self, session: SessionPage, page: SessionPage, row: SessionRow, changes: list[str]) -> str:
        page.date, page.language, page.summary = row.date, row.language, row.summary
        if "speakers" in changes or "organisation" in changes:
            self._set_people(page, row)
        if "recording" in changes:
            page.recording = self._store_recording(row)
        detail = ""
        if any(not c.startswith("theme ") for c in changes):
            detail = _save(page, had_draft=session.has_unpublished_changes)
        self._add_to_themes(session, row.themes)
        return detail

    def _set_people(self, page: SessionPage, row: SessionRow) -> None:
        organisations = [Organisation.named(name) for name in row.organisations]
        page.organisations = organisations
        # A new speaker belongs to the row's organisation when it names exactly one.
        organisation = organisations[0] if len(organisations) == 1 else None
        page.speaker_links = [
            SessionSpeaker(speaker=Speaker.named(name, organisation), sort_order=i)
            for i, name in enumerate(row.speakers)
        ]

    @staticmethod
    def _store_recording(row: SessionRow) -> Recording:
        extra = {"duration": row.duration} if row.duration else {}
        return Recording.store(row.file, row.title, row.media_type, **extra)

    def _free_slug(self, row: SessionRow) -> str:
        siblings = Page.objects.child_of(self.home)
        return unique_slug(row.title, siblings, fallback="session", prefer=[self.year or row.date.year])

    def _add_to_themes(self, session: SessionPage, titles: list[str]) -> None:
        """Adds the session to each theme (creating missing themes); never removes one,
        because editors curate themes in the admin as well."""
        for title in titles:
            theme = ThemePage.objects.filter(title__iexact=title).first()
            if theme is None:
                theme = ThemeIndexPage.under(self.home).add_theme(title)
            draft = theme.get_latest_revision_as_object()
            if any(link.session_id == session.pk for link in draft.session_links.all()):
                continue
            draft.session_links.add(ThemeSession(session=session))
            _save(draft, had_draft=theme.has_unpublished_changes)


def _in_theme(session: SessionPage, title: str) -> bool:
    """Whether the theme (latest revision, drafts included) already lists the session."""
    theme = ThemePage.objects.filter(title__iexact=title).first()
    if theme is None:
        return False
    draft = theme.get_latest_revision_as_object()
    return any(link.session_id == session.pk for link in draft.session_links.all())


def _save(page: Page, had_draft: bool) -> str:
    """A new revision; published unless an editor has a draft waiting (we never publish that)."""
    revision = page.save_revision()
    if had_draft:
        return " (saved as a draft: the page has unpublished changes)"
    revision.publish()
    return ""
