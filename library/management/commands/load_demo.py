from django.core.management.base import BaseCommand
from tqdm import tqdm

from library.demo.loader import load_demo


class Command(BaseCommand):
    help = "Load the demo festival (rendered talks, plus the real recordings in ../shared/data if present)."

    def handle(self, *args, **options):
        result = load_demo(
            progress=lambda total: tqdm(total=total, desc="demo sessions", unit="session"),
            log=lambda msg: self.stdout.write(msg),
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {result['sessions_created']} new of {result['sessions_total']} sessions."
            )
        )
