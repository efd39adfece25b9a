from .pages import (
    HomeFeaturedTheme,
    HomePage,
    SessionPage,
    SessionSpeaker,
    ThemeIndexPage,
    ThemePage,
    ThemeSession,
)
from .recording import Recording
from .snippets import Event, Organisation, Speaker

__all__ = [
    "Event",
    "HomeFeaturedTheme",
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
