"""StreamField blocks editors use on theme pages: text, session teasers and clips.

A clip is a session plus a start and end time; it links to `session-url?t=START&end=END`,
which the session page's player honours (player.js: it also marks the clip on the transcript)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import blocks

from .templatetags.library_tags import timestamp

TIMECODE_HELP = gettext_lazy("Seconds (95), minutes:seconds (1:35) or hours:minutes:seconds (1:01:35).")
_TIMECODE = re.compile(r"^(?:(\d+):)?(?:(\d+):)?(\d+(?:[.,]\d+)?)$")


def parse_timecode(text) -> float:
    """'95', '1:35', '1:01:35' or '1:35.5' → seconds. Raises ValueError on anything else."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text < 0:
            raise ValueError("negative time")
        return float(text)
    match = _TIMECODE.match(str(text).strip())
    if not match:
        raise ValueError(f"not a time: {text!r}")
    parts = [p for p in match.groups() if p is not None]
    *bigger, seconds = parts
    seconds = float(seconds.replace(",", "."))
    if bigger and seconds >= 60:
        raise ValueError("seconds must be below 60 in m:ss")
    if len(bigger) == 2 and int(bigger[1]) >= 60:
        raise ValueError("minutes must be below 60 in h:mm:ss")
    total = 0.0
    for part in bigger:
        total = total * 60 + int(part)
    return total * 60 + seconds if bigger else seconds


def format_timecode(seconds) -> str:
    """Seconds → 'm:ss' (or 'h:mm:ss'), keeping a fraction editors typed (1:35.5)."""
    whole = timestamp(seconds)
    fraction = float(seconds) - int(float(seconds))
    return f"{whole}.{round(fraction * 10)}" if fraction >= 0.05 else whole


class TimecodeField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return None
        try:
            return parse_timecode(value)
        except ValueError:
            raise ValidationError(
                _("“%(value)s” is not a time. %(help)s") % {"value": value, "help": TIMECODE_HELP},
                code="invalid",
            ) from None


class TimecodeBlock(blocks.FieldBlock):
    """A time in a recording. Stored as seconds (a number); edited as m:ss."""

    def __init__(self, required=True, help_text=TIMECODE_HELP, **kwargs):
        self.field = TimecodeField(required=required, help_text=help_text, max_length=16)
        super().__init__(**kwargs)

    def value_for_form(self, value):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return format_timecode(value)
        return value  # raw text an editor typed; the form field reports what is wrong with it

    def value_from_form(self, value):
        if isinstance(value, str):
            try:
                return parse_timecode(value)
            except ValueError:
                return value
        return value

    def get_prep_value(self, value):
        return value if isinstance(value, int | float) else None

    class Meta:
        icon = "time"


class SessionTeaserBlock(blocks.StructBlock):
    session = blocks.PageChooserBlock(page_type="library.SessionPage", label=gettext_lazy("Session"))
    note = blocks.TextBlock(
        required=False,
        label=gettext_lazy("Note"),
        help_text=gettext_lazy("Why this session belongs here (optional)."),
    )

    class Meta:
        icon = "media"
        label = gettext_lazy("Session")
        template = "library/blocks/session_teaser.html"


class ClipBlock(blocks.StructBlock):
    """A moment of a session: start, end and a note; renders as a card linking to it."""

    session = blocks.PageChooserBlock(page_type="library.SessionPage", label=gettext_lazy("Session"))
    start = TimecodeBlock(label=gettext_lazy("Start"))
    end = TimecodeBlock(label=gettext_lazy("End"))
    note = blocks.TextBlock(
        required=False,
        label=gettext_lazy("Note"),
        help_text=gettext_lazy("What happens in this clip (optional)."),
    )

    class Meta:
        icon = "time"
        label = gettext_lazy("Clip")
        template = "library/blocks/clip.html"

    def clean(self, value):
        value = super().clean(value)
        start, end, session = value["start"], value["end"], value["session"]
        # Saving a draft (autosave too) defers "required", so a clip whose session was chosen
        # before its times were typed arrives here without them: say what is missing.
        missing = {
            name: ValidationError(message, code="required")
            for name, given, message in (
                ("start", start, _("Type when the clip starts. %(help)s") % {"help": TIMECODE_HELP}),
                ("end", end, _("Type when the clip ends. %(help)s") % {"help": TIMECODE_HELP}),
            )
            if given is None
        }
        if missing:
            raise blocks.StructBlockValidationError(block_errors=missing)
        if end <= start:
            raise blocks.StructBlockValidationError(
                block_errors={
                    "end": ValidationError(
                        _("The clip must end after it starts: end %(end)s is not after start %(start)s.")
                        % {"end": format_timecode(end), "start": format_timecode(start)}
                    )
                }
            )
        duration = getattr(session, "duration", None)
        if duration and end > duration + 0.5:  # half a second of slack for rounding
            raise blocks.StructBlockValidationError(
                block_errors={
                    "end": ValidationError(
                        _("The clip ends at %(end)s, after the end of the recording (%(duration)s).")
                        % {"end": format_timecode(end), "duration": format_timecode(duration)}
                    )
                }
            )
        return value


class ThemeBodyBlock(blocks.StreamBlock):
    text = blocks.RichTextBlock(
        features=["h2", "h3", "bold", "italic", "link", "ol", "ul"], label=gettext_lazy("Text")
    )
    session = SessionTeaserBlock()
    clip = ClipBlock()


def referenced_session_ids(stream_value) -> set[int]:
    """Primary keys of the sessions a theme body's teasers and clips point at."""
    ids = set()
    for child in stream_value:
        if child.block_type in ("session", "clip") and child.value.get("session") is not None:
            ids.add(child.value["session"].pk)
    return ids
