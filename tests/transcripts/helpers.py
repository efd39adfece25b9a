"""Helpers for the transcripts tests: real files made by ffmpeg, word error rate, a WebVTT check."""

import re
import shutil
import subprocess
from pathlib import Path

from transcripts.accuracy import word_error_rate, words  # noqa: F401 (re-exported for the tests)

FFMPEG = shutil.which("ffmpeg")


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-v", "error", "-y", *args], check=True)


def silent_wav(path: Path, seconds: float = 5.0) -> Path:
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", str(seconds), str(path))
    return path


def make_video(path: Path, seconds: float = 3.0, with_audio: bool = False) -> Path:
    args = ["-f", "lavfi", "-i", f"testsrc=size=320x240:rate=10:duration={seconds}"]
    if with_audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-shortest"]
    encode = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast"]
    ffmpeg(*args, *encode, str(path))
    return path


VTT_TIMING = re.compile(r"^(\d{2}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2}):(\d{2}):(\d{2})\.(\d{3})$")


def parse_webvtt(text: str) -> list[tuple[float, float, str]]:
    """A strict little WebVTT reader: header, numbered cues, HH:MM:SS.mmm timings, text.
    Raises AssertionError on anything malformed; returns (start, end, text) per cue."""
    assert text.startswith("WEBVTT\n"), "missing WEBVTT header"
    blocks = [b for b in text.split("\n\n")[1:] if b.strip()]
    cues = []
    for block in blocks:
        lines = block.strip("\n").split("\n")
        assert len(lines) >= 3, f"cue without identifier, timing and text: {block!r}"
        assert lines[0].isdigit(), f"cue identifier {lines[0]!r}"
        match = VTT_TIMING.match(lines[1])
        assert match, f"bad cue timing line {lines[1]!r}"
        g = [int(x) for x in match.groups()]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        assert end > start, f"cue ends before it starts: {lines[1]}"
        cues.append((start, end, "\n".join(lines[2:])))
    return cues
