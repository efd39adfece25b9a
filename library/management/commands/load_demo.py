from django.core.management.base import BaseCommand
from tqdm import tqdm

from library.demo.loader import load_demo
from library.models import SessionPage


class Command(BaseCommand):
    help = "Load the demo festival (rendered talks, plus the real recordings in ../shared/data if present)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only when the library has no sessions yet (make serve: a fresh install shows the demo, "
            "a real library is left alone).",
        )

    def handle(self, *args, **options):
        if options["if_empty"] and SessionPage.objects.exists():
            self.stdout.write("The library has sessions: demo not loaded.")
            return
        result = load_demo(
            progress=lambda total: tqdm(total=total, desc="demo sessions", unit="session"),
            log=lambda msg: self.stdout.write(msg),
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {result['sessions_created']} new of {result['sessions_total']} sessions."
            )
        )
