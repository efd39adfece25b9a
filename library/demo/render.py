"""Render talk scripts to recordings offline: espeak-ng speaks, ffmpeg encodes.

Video talks get a plain title card so the demo has both video and audio sessions."""

import shutil
import subprocess
from pathlib import Path

import ffmpeg

# espeak-ng settings per language. Dutch: the Klatt variant, slower (115 words a minute) and
# with 60 ms between words; Whisper base then hears it far better than the default voice at
# 150 (word error rate of the Dutch demo talks 0.68 -> 0.44; bench/demo_voice.py measures it).
# Debian main ships no MBROLA voice nor any other offline Dutch voice, nor does PyPI one we
# could find, so espeak-ng it is. English (en-gb at 150) is understood well as it is.
VOICES = {
    "nl": ["-v", "nl+klatt", "-s", "115", "-g", "6"],
    "en": ["-v", "en-gb", "-s", "150"],
}


class RenderError(RuntimeError):
    pass


def _require(program: str, package: str) -> str:
    path = shutil.which(program)
    if not path:
        raise RenderError(f"'{program}' is not installed (Debian package: {package}).")
    return path


def speak(text: str, language: str, wav_path: Path) -> Path:
    espeak = _require("espeak-ng", "espeak-ng")
    subprocess.run(
        [espeak, *VOICES.get(language, VOICES["en"]), "-w", str(wav_path), text],
        check=True,
        capture_output=True,
    )
    return wav_path


def _ffmpeg_run(stream):
    try:
        stream.overwrite_output().run(quiet=True)
    except ffmpeg.Error as exc:
        tail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-3:]
        raise RenderError("ffmpeg failed: " + " | ".join(tail)) from exc


def render_audio(wav_path: Path, out_path: Path) -> Path:
    """Encode speech as AAC in .m4a (plays in every browser)."""
    _require("ffmpeg", "ffmpeg")
    _ffmpeg_run(ffmpeg.output(ffmpeg.input(str(wav_path)), str(out_path), acodec="aac", audio_bitrate="64k"))
    return out_path


def render_video(wav_path: Path, title: str, out_path: Path) -> Path:
    """A title card (plain colour; the title is burnt in where drawtext is available) + speech."""
    _require("ffmpeg", "ffmpeg")
    card = ffmpeg.input("color=c=0x0b4f8a:s=640x360:r=5", f="lavfi")
    video = card.video.drawtext(
        text=title.replace(":", r"\:").replace("'", "’"),
        fontcolor="white",
        fontsize=28,
        x="(w-text_w)/2",
        y="(h-text_h)/2",
    )
    audio = ffmpeg.input(str(wav_path)).audio
    args = dict(
        vcodec="libx264",
        pix_fmt="yuv420p",
        preset="ultrafast",
        tune="stillimage",
        acodec="aac",
        audio_bitrate="64k",
        shortest=None,
        movflags="+faststart",
    )
    try:
        _ffmpeg_run(ffmpeg.output(video, audio, str(out_path), **args))
    except RenderError:
        # ffmpeg without drawtext/fonts: keep the plain card rather than fail the demo.
        _ffmpeg_run(ffmpeg.output(card.video, audio, str(out_path), **args))
    return out_path


def render_talk(script: str, language: str, title: str, kind: str, workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    wav = speak(script, language, workdir / "speech.wav")
    if kind == "video":
        return render_video(wav, title, workdir / "talk.mp4")
    return render_audio(wav, workdir / "talk.m4a")


def render_tone(out_path: Path, seconds: float, frequency: int = 440, sample_rate: int | None = None,
                **output) -> Path:  # fmt: skip
    """A sine tone (a recording without speech, for tests and benchmarks); ``output`` are
    ffmpeg output options, e.g. ``ac=1, acodec="libmp3lame", audio_bitrate="32k"``."""
    _require("ffmpeg", "ffmpeg")
    source = f"sine=frequency={frequency}:duration={seconds}"
    if sample_rate:
        source += f":sample_rate={sample_rate}"
    _ffmpeg_run(ffmpeg.output(ffmpeg.input(source, f="lavfi"), str(out_path), **output))
    return out_path
