"""Reading the time in a link to a moment of a session: ``?t=`` (and a clip's ``&end=``).

The one place that reads them; the page hands the result to the player (data-start and
data-end), so the scripts never parse the address themselves. People write times every
way a video site taught them: ``65``, ``65.5``, ``1:05``, ``1:02:05``, ``1m5s``, ``1h2m``,
``90s``."""

import re

from .blocks import parse_timecode

_UNITS = re.compile(r"^(?:(\d+(?:[.,]\d+)?)h)?(?:(\d+(?:[.,]\d+)?)m)?(?:(\d+(?:[.,]\d+)?)s)?$", re.IGNORECASE)
# Longer than any recording (and than a float can count exactly in hundredths).
LONGEST = 7 * 24 * 3600.0


def parse_link_time(value) -> float | None:
    """Seconds for a ``?t=`` value, or None when it is absent or not a time."""
    text = str(value or "").strip()
    if not text or len(text) > 32:
        return None
    seconds = None
    match = _UNITS.match(text)
    if match and any(match.groups()):
        hours, minutes, secs = (float((g or "0").replace(",", ".")) for g in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    else:
        try:
            seconds = parse_timecode(text)
        except ValueError:
            return None
    return seconds if 0 <= seconds <= LONGEST else None


def link_times(params) -> tuple[float, float | None]:
    """(start, end) of a link: start 0 when absent or garbage; end None unless it is a time
    after the start (a clip)."""
    start = parse_link_time(params.get("t")) or 0.0
    end = parse_link_time(params.get("end"))
    return start, (end if end is not None and end > start else None)
