"""Helpers the end-to-end tests share: where things are, and how to skip or fail."""

import shutil
from pathlib import Path

from tests.shared_data import missing

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")


# Locally a missing tool skips with the reason; under CI=true it fails the run.
skip_or_fail = missing


def chromium_path() -> str | None:
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(page, name: str) -> Path:
    """Save the page as it is now under test-artifacts/ (git-ignored), for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
