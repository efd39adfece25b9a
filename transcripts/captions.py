"""WebVTT and SubRip caption files, built from a transcript's segments on every request (so an
editor's correction shows up at once; nothing is cached on disk)."""

from collections.abc import Iterable

# Browsers drop cues that end where they start; give a zero-length segment a moment on screen.
MIN_CUE_SECONDS = 0.1


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
    number = 0
    for segment in segments:
        text = _one_paragraph(segment.text)
        if not text:
            continue
        number += 1
        start = max(0.0, float(segment.start))
        end = max(float(segment.end), start + MIN_CUE_SECONDS)
        yield number, start, end, text


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
