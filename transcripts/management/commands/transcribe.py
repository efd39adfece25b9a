"""Queue recordings for transcription, or transcribe them right here with --now."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone
from tqdm import tqdm

from library.models import Recording, SessionPage
from transcripts.models import Transcript
from transcripts.pipeline import run_transcription
from transcripts.queueing import queue_transcription

# Workers take up the jobs of dead workers themselves (jobs/leases.py); a transcript "running"
# this long without that happening has lost its job (e.g. the job table was pruned): an hour of
# audio takes minutes at the measured ~19x real time.
STALE_RUNNING = timedelta(hours=1)


class Command(BaseCommand):
    help = (
        "Transcribe recordings with Whisper: queue them for the worker (default) or run now "
        "in this process (--now). Transcripts corrected by an editor are skipped unless --force."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every recording")
        which.add_argument("--session", type=int, metavar="ID", help="the recording of session page ID")
        which.add_argument(
            "--failed",
            action="store_true",
            help="recordings whose last transcription failed, or stalled in 'running' for over an hour",
        )
        parser.add_argument("--now", action="store_true", help="transcribe here, with a progress bar")
        parser.add_argument("--force", action="store_true", help="also redo editor-corrected transcripts")

    def handle(self, *args, all=False, session=None, failed=False, now=False, force=False, **options):
        recordings = self.select(all, session, failed)
        if not force:
            corrected = recordings.filter(transcript__provenance=Transcript.Provenance.CORRECTED)
            skipped = corrected.count()
            if skipped:
                self.stdout.write(f"Skipping {skipped} corrected transcript(s); use --force to redo them.")
            recordings = recordings.exclude(pk__in=corrected.values("pk"))
        ids = list(recordings.order_by("pk").values_list("pk", flat=True))
        if not ids:
            self.stdout.write("Nothing to transcribe.")
            return
        if now:
            self.run_now(ids, force)
        else:
            queued = sum(queue_transcription(pk, force=force) for pk in ids)
            message = f"Queued {queued} recording(s); `manage.py db_worker` runs them."
            self.stdout.write(self.style.SUCCESS(message))

    def select(self, all, session, failed):
        if session is not None:
            page = SessionPage.objects.filter(pk=session).first()
            if page is None:
                raise CommandError(f"There is no session page with id {session}.")
            if not page.recording_id:
                raise CommandError(f"Session {session} ({page.title}) has no recording.")
            return Recording.objects.filter(pk=page.recording_id)
        if failed:
            stalled = Q(
                transcript__status=Transcript.Status.RUNNING,
                transcript__started_at__lt=timezone.now() - STALE_RUNNING,
            )
            return Recording.objects.filter(Q(transcript__status=Transcript.Status.FAILED) | stalled)
        return Recording.objects.all()

    def run_now(self, ids, force):
        counts = {}
        bar = tqdm(ids, unit="recording", file=self.stderr, dynamic_ncols=True)
        for pk in bar:
            bar.set_postfix_str(f"recording {pk}")
            transcript = run_transcription(pk, force=force)
            status = transcript.status if transcript else "missing"
            counts[status] = counts.get(status, 0) + 1
            if transcript is not None and transcript.status == Transcript.Status.FAILED:
                bar.write(
                    f"recording {pk} ({transcript.recording.title}): failed: {transcript.error}",
                    file=self.stderr,
                )
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Transcribed {len(ids)} recording(s): {summary}."))
