from django.apps import AppConfig
from django.core import checks


def whisper_environment(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A bad WHISPER_* value stops manage.py at once (as a bad setting would), rather than
    failing every transcription later."""
    from .whisper import EngineError, WhisperConfig

    try:
        WhisperConfig.from_environment()
    except EngineError as exc:
        return [checks.Error(str(exc), id="transcripts.E001")]
    return []


class TranscriptsConfig(AppConfig):
    name = "transcripts"

    def ready(self):
        from . import handlers

        handlers.connect()
        checks.register(whisper_environment)
