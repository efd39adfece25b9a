"""WebVTT and SubRip caption files, built from a transcript's segments on every request (so an
editor's correction shows up at once; nothing is cached on disk)."""

from collections.abc import Iterable

# Browsers drop cues that end where they start; give a zero-length segment a moment on screen.
MIN_CUE_SECONDS = 0.1
# A cue ends this long before the next one starts, so only one caption is on screen at a time.
CUE_GAP_SECONDS = 0.01


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(float(seconds) * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def vtt_timestamp(seconds: float) -> str:
    """00:01:02.500"""
    return _clock(seconds, ".")


def srt_timestamp(seconds: float) -> str:
    """00:01:02,500"""
    return _clock(seconds, ",")


def _one_paragraph(text: str) -> str:
    # A blank line ends a cue in both formats, so a cue's text never contains one.
    return "\n".join(line.strip() for line in str(text).splitlines() if line.strip())


def escape_vtt(text: str) -> str:
    """Cue text is markup in WebVTT: & and < start entities and tags; > is escaped so '-->' can't appear."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cues(segments: Iterable) -> Iterable[tuple[int, float, float, str]]:
    timed = []
    for segment in segments:
        text = _one_paragraph(segment.text)
        if text:
            timed.append((max(0.0, float(segment.start)), float(segment.end), text))
    for number, (start, end, text) in enumerate(timed, start=1):
        if number < len(timed):
            # Whisper's segments touch (end == next start); players show every cue whose range
            # holds the current time, so a touching pair shows two captions after a seek.
            end = min(end, timed[number][0] - CUE_GAP_SECONDS)
        yield number, start, max(end, start + MIN_CUE_SECONDS), text


def build_webvtt(segments: Iterable) -> str:
    lines = ["WEBVTT", ""]
    for number, start, end, text in _cues(segments):
        lines += [str(number), f"{vtt_timestamp(start)} --> {vtt_timestamp(end)}", escape_vtt(text), ""]
    return "\n".join(lines) + "\n"


def build_srt(segments: Iterable) -> str:
    lines = []
    for number, start, end, text in _cues(segments):
        lines += [str(number), f"{srt_timestamp(start)} --> {srt_timestamp(end)}", text, ""]
    return "\n".join(lines) + ("\n" if lines else "")
