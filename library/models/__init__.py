from .pages import HomePage, SessionPage, SessionSpeaker, ThemeIndexPage, ThemePage, ThemeSession
from .recording import Recording
from .snippets import Event, Organisation, Speaker

__all__ = [
    "Event",
    "HomePage",
    "Organisation",
    "Recording",
    "SessionPage",
    "SessionSpeaker",
    "Speaker",
    "ThemeIndexPage",
    "ThemePage",
    "ThemeSession",
]
