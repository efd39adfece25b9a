from django.apps import AppConfig


class TranscriptsConfig(AppConfig):
    name = "transcripts"

    def ready(self):
        from . import handlers

        handlers.connect()
