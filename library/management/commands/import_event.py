"""manage.py import_event FOLDER --programme programme.csv [--dry-run] [--event NAME --year YYYY]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from library.importer import CSV_COLUMNS, EventImporter, ProgrammeError, read_programme


class Command(BaseCommand):
    help = (
        "Import a whole event: recordings in FOLDER, described by a programme CSV with the columns "
        + ", ".join(CSV_COLUMNS)
        + ". Re-running with the same CSV changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "folder", type=Path, help="Folder with the recordings (CSV file names are relative)"
        )
        parser.add_argument("--programme", type=Path, required=True, help="The programme CSV")
        parser.add_argument("--dry-run", action="store_true", help="Report what would happen; change nothing")
        parser.add_argument("--event", help="Event name (default: the folder's name)")
        parser.add_argument("--year", type=int, help="Event year (default: each session's year)")

    def handle(self, *args, folder, programme, dry_run, event, year, **options):
        if not folder.is_dir():
            raise CommandError(f"Not a folder: {folder}")
        try:
            rows = read_programme(programme)
            importer = EventImporter(folder, event_name=event, year=year, dry_run=dry_run)
        except ProgrammeError as exc:
            raise CommandError(str(exc)) from None
        report = importer.run(
            rows, progress=lambda total: tqdm(total=total, desc="sessions", unit="row", file=self.stderr)
        )
        self._print(report)

    def _print(self, report):
        prefix = "Dry run, nothing changed: " if report.dry_run else ""
        verb = "would be " if report.dry_run else ""
        for result in report.results:
            if result.action == "failed" or (result.action == "unchanged" and not result.detail):
                continue
            action = result.action
            if report.dry_run and action != "unchanged":
                action = f"would be {action}"
            detail = f" ({result.detail})" if result.detail else ""
            self.stdout.write(f"  line {result.line}: {result.title}: {action}{detail}")
        summary = (
            f"{prefix}{report.count('created')} {verb}created, {report.count('updated')} {verb}updated, "
            f"{report.count('unchanged')} unchanged, {report.count('failed')} failed."
        )
        self.stdout.write(self.style.SUCCESS(summary) if not report.failed else self.style.WARNING(summary))
        if report.failed:
            self.stdout.write("Rows that failed:")
            for result in report.failed:
                self.stdout.write(self.style.ERROR(f"  line {result.line}: {result.title}: {result.detail}"))
