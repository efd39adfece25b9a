from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "library"
    verbose_name = "Session library"

    def ready(self):
        from . import content_signals

        content_signals.connect()
