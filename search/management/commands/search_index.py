"""manage.py search_index --rebuild | --retry-pending | --session ID [...] | --status"""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search import service
from search.documents import searchable_sessions
from search.engines import get_engine
from search.engines.base import EngineUnavailable
from search.models import PendingIndexChange


class Command(BaseCommand):
    help = "Maintain the search index: rebuild it from the database, retry pending changes, index sessions."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild", action="store_true", help="Rebuild the whole index from the database."
        )
        parser.add_argument(
            "--if-needed",
            action="store_true",
            help="With --rebuild: only when the index does not hold exactly the searchable sessions "
            "(a new or lost index; make serve runs this at every start).",
        )
        parser.add_argument(
            "--retry-pending", action="store_true", help="Retry changes kept while the engine was down."
        )
        parser.add_argument(
            "--session", type=int, action="append", default=[], metavar="ID", help="Index one session."
        )
        parser.add_argument(
            "--status", action="store_true", help="Show the engine, indexed and pending counts."
        )

    def handle(self, *args, **options):
        if not any(options[k] for k in ("rebuild", "retry_pending", "session", "status")):
            raise CommandError("Choose --rebuild, --retry-pending, --session ID or --status.")
        try:
            if options["rebuild"] and options["if_needed"] and self._up_to_date():
                self.stdout.write("The search index holds every searchable session: not rebuilt.")
            elif options["rebuild"]:
                self._rebuild(options["verbosity"])
            for session_id in options["session"]:
                self.stdout.write(f"Session {session_id}: {service.index_session(session_id)}")
            if options["retry_pending"]:
                done, pending = service.retry_pending()
                self.stdout.write(f"Retried {done} pending change(s); {pending} still pending.")
            if options["status"]:
                engine = get_engine()
                self.stdout.write(
                    f"Engine: {engine.name}; sessions indexed: {len(engine.indexed_session_ids())}; "
                    f"pending changes: {PendingIndexChange.objects.count()}"
                )
        except EngineUnavailable as error:
            raise CommandError(f"The search engine is unavailable: {error}") from error

    @staticmethod
    def _up_to_date() -> bool:
        searchable = set(searchable_sessions().values_list("pk", flat=True))
        return get_engine().indexed_session_ids() == searchable

    def _rebuild(self, verbosity: int):
        # tqdm draws on the command's own stderr stream (call_command may redirect it).
        stream = getattr(self.stderr, "_out", None)
        with tqdm(total=None, unit="session", desc="Indexing", disable=verbosity == 0, file=stream) as bar:

            def progress(done, total):
                bar.total = total
                bar.update(done - bar.n)

            count = service.rebuild(progress=progress)
        self.stdout.write(
            self.style.SUCCESS(f"Rebuilt the {get_engine().name} search index: {count} sessions.")
        )
