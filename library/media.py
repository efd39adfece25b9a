"""Reading uploaded recordings with ffmpeg: probe, 16 kHz mono audio for Whisper, poster frames.

The one ffprobe of the project: the importer (library) and the transcripts app both read
recordings through it; it lives beside the Recording model because library may not import
transcripts.

Every failure an editor can cause (empty upload, a document renamed to .mp4, a file cut off
half-way, a video without sound) raises :class:`MediaError`, whose ``message`` is a short
plain-language sentence safe to show in the admin; ffmpeg's own output is kept in ``detail``
for logs, never in the message.

Command lines are built with ffmpeg-python (``import ffmpeg``); they are run here with
``subprocess`` because ffmpeg-python 0.2.0's ``run``/``probe`` have no timeout, and a worker
must not hang forever on a pathological file. Inputs are passed as ``file:<absolute path>`` so
a file name can never be read as an option or another protocol.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import tempfile
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import numpy as np

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000  # what Whisper expects
PROBE_TIMEOUT = 60.0
_WAV_BLOCK_FRAMES = 1 << 20
_FFMPEG_GLOBAL = ("-nostdin", "-hide_banner", "-loglevel", "error")

MSG_NOT_FOUND = "The recording file could not be found."
MSG_NOT_A_FILE = "This is not a file that can be read as a recording."
MSG_NO_PERMISSION = "The recording file could not be opened (permission denied on the server)."
MSG_EMPTY = "The file is empty (0 bytes). The upload probably failed; please upload it again."
MSG_UNREADABLE = (
    "This file could not be read as a recording. It is not an audio or video file, "
    "its format is not supported, or it is damaged or incomplete (for example an upload that was cut off)."
)
MSG_NO_STREAMS = "This file contains no audio or video."
MSG_NO_AUDIO = "This recording has no audio track, so there is nothing to transcribe."
MSG_NO_SOUND = "No sound could be read from this recording; the file may be damaged or incomplete."
MSG_NO_VIDEO = "This recording has no picture, so no poster frame can be taken from it."
MSG_TIMEOUT = "Reading this recording took too long; the file may be damaged."
MSG_NO_FFMPEG = (
    "The server cannot read recordings right now: ffmpeg is not installed. Please tell an administrator."
)
MSG_DISK_FULL = (
    "The server ran out of disk space while processing this recording. Please tell an administrator."
)
MSG_FAILED = "This recording could not be processed. The file may be damaged or in an unsupported format."


class MediaError(Exception):
    """A recording that cannot be used. ``message`` is for editors; ``detail`` (ffmpeg output) for logs."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class MediaInfo:
    duration: float | None  # seconds, as declared by the container (estimates for some formats)
    has_audio: bool
    has_video: bool  # a real picture stream; an MP3's embedded cover art does not count
    width: int | None
    height: int | None
    format_name: str  # ffprobe's name, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "flac", "wav"
    audio_codec: str | None = None
    video_codec: str | None = None


def _input_url(path: Path) -> str:
    return "file:" + str(path.absolute())


def _check_file(path: str | os.PathLike) -> Path:
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise MediaError(MSG_NOT_FOUND, str(path)) from None
    except PermissionError:
        raise MediaError(MSG_NO_PERMISSION, str(path)) from None
    except OSError as exc:
        raise MediaError(MSG_NOT_A_FILE, f"{path}: {exc}") from None
    if not path.is_file():
        raise MediaError(MSG_NOT_A_FILE, str(path))
    if st.st_size == 0:
        raise MediaError(MSG_EMPTY, str(path))
    if not os.access(path, os.R_OK):
        raise MediaError(MSG_NO_PERMISSION, str(path))
    return path


def _message_for(stderr: str, default: str = MSG_FAILED) -> str:
    """Translate ffmpeg/ffprobe stderr into one of the plain-language messages."""
    text = stderr.lower()
    if "no space left on device" in text:
        return MSG_DISK_FULL
    if "permission denied" in text:
        return MSG_NO_PERMISSION
    if "no such file or directory" in text:
        return MSG_NOT_FOUND
    if "does not contain any stream" in text or "matches no streams" in text:
        return MSG_NO_AUDIO
    unreadable = (
        "invalid data found when processing input",
        "moov atom not found",
        "could not find codec parameters",
        "end of file",
        "invalid argument",
        "unknown format",
        "failed to read",
    )
    if any(marker in text for marker in unreadable):
        return MSG_UNREADABLE
    return default


def _tail(stderr: bytes | str, limit: int = 2000) -> str:
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    return stderr.strip()[-limit:]


def _run(
    args: list[str], timeout: float | None, *, capture_stdout: bool = False
) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise MediaError(MSG_NO_FFMPEG, f"{args[0]} not found on PATH") from None
    except subprocess.TimeoutExpired as exc:  # subprocess.run kills the child before raising
        raise MediaError(MSG_TIMEOUT, f"{args[0]} exceeded {timeout} s: {_tail(exc.stderr or b'')}") from None


def _float(value) -> float | None:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if result == result and result >= 0 else None  # drop NaN / negatives


def probe(path: str | os.PathLike, timeout: float = PROBE_TIMEOUT) -> MediaInfo:
    """Describe a recording. Raises :class:`MediaError` for empty, unreadable or stream-less files.

    A video without sound probes fine (``has_audio=False``); :func:`extract_audio` refuses it.
    """
    path = _check_file(path)
    # Same command line as ffmpeg.probe(), which has no timeout in ffmpeg-python 0.2.0.
    args = ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", _input_url(path)]
    proc = _run(args, timeout, capture_stdout=True)
    stderr = _tail(proc.stderr)
    if proc.returncode != 0:
        raise MediaError(_message_for(stderr, MSG_UNREADABLE), stderr)
    try:
        data = json.loads(proc.stdout.decode("utf-8", "replace") or "{}")
    except ValueError:
        raise MediaError(MSG_UNREADABLE, "ffprobe printed invalid JSON") from None
    streams = data.get("streams") or []
    fmt = data.get("format") or {}
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    video = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    if not audio and not video:
        raise MediaError(MSG_NO_STREAMS, stderr or f"streams: {[s.get('codec_type') for s in streams]}")
    duration = _float(fmt.get("duration"))
    if duration is None:
        durations = [d for d in (_float(s.get("duration")) for s in audio + video) if d is not None]
        duration = max(durations) if durations else None
    first_video = video[0] if video else {}
    return MediaInfo(
        duration=duration,
        has_audio=bool(audio),
        has_video=bool(video),
        width=first_video.get("width") or None,
        height=first_video.get("height") or None,
        format_name=str(fmt.get("format_name") or ""),
        audio_codec=audio[0].get("codec_name") if audio else None,
        video_codec=first_video.get("codec_name"),
    )


def _temp_sibling(target: Path, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=suffix)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; like Django's FILE_UPLOAD_PERMISSIONS default
    finally:
        os.close(fd)
    return Path(name)


def extract_audio(
    path: str | os.PathLike,
    out_wav: str | os.PathLike,
    *,
    info: MediaInfo | None = None,
    timeout: float | None = None,
) -> Path:
    """Write the first audio track of ``path`` as 16 kHz mono 16-bit PCM WAV to ``out_wav``.

    The file appears atomically (written beside it, then renamed). Raises :class:`MediaError`
    when there is no audio track, nothing decodable, or a damaged file of which less than 90 %
    of the declared length could be decoded. A file cut off cleanly (e.g. a truncated MP3 that
    decodes without errors) yields the audio that is there.
    """
    info = info or probe(path)
    src = _check_file(path)
    if not info.has_audio:
        raise MediaError(MSG_NO_AUDIO, f"streams in {src}: video only")
    target = Path(out_wav)
    target.parent.mkdir(parents=True, exist_ok=True)
    if timeout is None:
        timeout = 120.0 + (info.duration or 3600.0) / 4  # decoding runs at hundreds x real time
    tmp = _temp_sibling(target, ".wav")
    try:
        args = (
            ffmpeg.input(_input_url(src))
            .output(str(tmp), map="0:a:0", ac=1, ar=SAMPLE_RATE, acodec="pcm_s16le", f="wav")
            .global_args(*_FFMPEG_GLOBAL)
            .overwrite_output()
            .compile()
        )
        proc = _run(args, timeout)
        stderr = _tail(proc.stderr)
        if proc.returncode != 0:
            raise MediaError(_message_for(stderr), stderr)
        try:
            with wave.open(str(tmp), "rb") as wav:
                decoded = wav.getnframes() / SAMPLE_RATE
        except (wave.Error, EOFError) as exc:
            raise MediaError(MSG_NO_SOUND, f"{stderr}\n{exc}") from None
        if decoded <= 0:
            raise MediaError(MSG_NO_SOUND, stderr)
        if stderr:
            declared = info.duration or 0.0
            if declared and decoded < 0.9 * declared:
                raise MediaError(
                    f"The recording is damaged or incomplete: only {_clock(decoded)} of its "
                    f"{_clock(declared)} could be read. Please upload the complete file again.",
                    stderr,
                )
            logger.warning("ffmpeg reported problems decoding %s (kept %.1f s): %s", src, decoded, stderr)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return target


def _clock(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class WavReader:
    """Sequential reader of a 16 kHz mono 16-bit WAV as float32 blocks (bounded memory).

    ``with WavReader(path) as wav: block = wav.read(n)``; ``wav.frames`` is the total length.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        try:
            self._wav = wave.open(self.path, "rb")
        except FileNotFoundError:
            raise MediaError(MSG_NOT_FOUND, self.path) from None
        except (wave.Error, EOFError) as exc:
            raise MediaError(MSG_NO_SOUND, f"{self.path}: {exc}") from None
        params = (self._wav.getframerate(), self._wav.getnchannels(), self._wav.getsampwidth())
        if params != (SAMPLE_RATE, 1, 2) or self._wav.getcomptype() != "NONE":
            self._wav.close()
            raise MediaError(MSG_FAILED, f"{self.path}: {params} is not 16 kHz mono 16-bit PCM")
        self.frames = self._wav.getnframes()

    @property
    def duration(self) -> float:
        return self.frames / SAMPLE_RATE

    def read(self, frames: int) -> np.ndarray:
        out = np.empty(max(0, frames), dtype=np.float32)
        pos = 0
        while pos < out.size:
            try:
                block = self._wav.readframes(min(_WAV_BLOCK_FRAMES, out.size - pos))
            except (wave.Error, EOFError) as exc:
                raise MediaError(MSG_NO_SOUND, f"{self.path}: {exc}") from None
            if not block:
                break
            samples = np.frombuffer(block, dtype="<i2")
            out[pos : pos + samples.size] = samples
            pos += samples.size
        out = out[:pos]
        out *= 1.0 / 32768.0
        return out

    def close(self) -> None:
        self._wav.close()

    def __enter__(self) -> WavReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_wav(path: str | os.PathLike) -> np.ndarray:
    """Read a whole 16 kHz mono 16-bit WAV (as written by :func:`extract_audio`) as float32 in [-1, 1)."""
    with WavReader(path) as wav:
        return wav.read(wav.frames)


def is_whisper_wav(path: str | os.PathLike) -> bool:
    """True for a 16 kHz mono 16-bit PCM WAV, i.e. what :func:`extract_audio` writes."""
    try:
        with wave.open(str(path), "rb") as wav:
            return (wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), wav.getcomptype()) == (
                SAMPLE_RATE,
                1,
                2,
                "NONE",
            )
    except (wave.Error, EOFError, OSError):
        return False


@contextlib.contextmanager
def open_audio(path: str | os.PathLike) -> Iterator[WavReader]:
    """Any recording as a :class:`WavReader` of 16 kHz mono audio, for reading in blocks.

    A WAV already in that format (from :func:`extract_audio`) is read in place; anything else
    is extracted into a temporary WAV first (removed on exit). Raises :class:`MediaError`.
    """
    path = _check_file(path)
    if is_whisper_wav(path):
        with WavReader(path) as reader:
            yield reader
        return
    with tempfile.TemporaryDirectory(prefix="session-library-audio-") as tmp:
        with WavReader(extract_audio(path, Path(tmp) / "audio.wav")) as reader:
            yield reader


def load_audio(path: str | os.PathLike) -> np.ndarray:
    """Any recording as one float32 16 kHz mono array (4 bytes per sample: 230 MB per hour)."""
    with open_audio(path) as reader:
        return reader.read(reader.frames)


def poster_frame(
    path: str | os.PathLike,
    out_jpg: str | os.PathLike,
    at_seconds: float = 1.0,
    *,
    width: int | None = None,
    info: MediaInfo | None = None,
    timeout: float = 120.0,
) -> Path:
    """Write one JPEG frame of a video to ``out_jpg`` (atomically) and return its path.

    ``at_seconds`` is clamped into the video's length (a frame past the end falls back to the
    first frame). ``width`` scales the picture down to that width, keeping the aspect ratio.
    Raises :class:`MediaError` for recordings without a picture.
    """
    info = info or probe(path)
    src = _check_file(path)
    if not info.has_video:
        raise MediaError(MSG_NO_VIDEO, f"{src}: no video stream")
    at = max(0.0, float(at_seconds or 0.0))
    if info.duration:
        at = min(at, max(0.0, info.duration - 0.5))
    target = Path(out_jpg)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(target, ".jpg")
    stderr = ""
    try:
        for start in dict.fromkeys((at, 0.0)):  # retry from the first frame if seeking found nothing
            stream = ffmpeg.input(_input_url(src), ss=start) if start else ffmpeg.input(_input_url(src))
            video = stream["v:0"]
            if width:
                video = video.filter("scale", int(width), -2)
            args = (
                ffmpeg.output(video, str(tmp), vframes=1, vcodec="mjpeg", pix_fmt="yuvj420p", f="image2", q=3)
                .global_args(*_FFMPEG_GLOBAL)
                .overwrite_output()
                .compile()
            )
            proc = _run(args, timeout)
            stderr = _tail(proc.stderr)
            if proc.returncode == 0 and tmp.stat().st_size > 0:
                os.replace(tmp, target)
                return target
        message = _message_for(stderr)
        raise MediaError(MSG_NO_VIDEO if message == MSG_NO_AUDIO else message, stderr)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
