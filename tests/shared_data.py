"""Access to the real recordings in ../shared/data.

Absent in a user's fresh clone: tests that need them skip there, with the reason,
but fail under CI=true, where the folder must exist."""

import os
from pathlib import Path

import pytest
from django.conf import settings


def shared_data_dir() -> Path:
    return Path(settings.SHARED_DATA_DIR)


def require_shared_file(name: str) -> Path:
    path = shared_data_dir() / name
    if not path.is_file():
        message = f"real recording {path} not found (../shared/data is only on the project's machines)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; CI=true requires it")
        pytest.skip(message)
    return path
