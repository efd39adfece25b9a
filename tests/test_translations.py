"""Every message of ours has a Dutch translation: the .po files in git are complete (nothing
untranslated or fuzzy) and hold every message the code and templates contain today."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.shared_data import REPO, missing

LOCALE = REPO / "locale"
# Ours, and Dutch for dependencies that ship none (translations/<package>/<lang>/...).
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
CATALOGUES += sorted(REPO.glob("translations/*/*/LC_MESSAGES/*.po"))
# What makemessages must see of a checkout (the rest is build output or not ours).
NOT_OURS = (".git", ".venv", "node_modules", "media", "collected-static", "test-artifacts", "tests", "bench")


def _msgfmt() -> str:
    found = shutil.which("msgfmt")
    if not found:
        missing("GNU gettext (msgfmt) not installed (make system-deps)")
    return found


def statistics(po) -> str:
    """msgfmt's own count, e.g. '153 translated messages.' (stderr); fails on a broken file."""
    run = subprocess.run(
        [_msgfmt(), "--check", "--statistics", "-o", "/dev/null", str(po)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    return run.stderr.strip()


def untranslated(po) -> list[str]:
    """The msgids without a msgstr, or marked fuzzy (msgattrib selects exactly those)."""
    found = []
    for selection in ("--untranslated", "--only-fuzzy"):
        run = subprocess.run(
            ["msgattrib", selection, "--no-wrap", str(po)], capture_output=True, text=True, check=True
        )
        found += re.findall(r'^msgid "(.+)"$', run.stdout, re.M)
    return sorted(set(found))


def test_there_is_a_dutch_catalogue():
    assert LOCALE / "nl" / "LC_MESSAGES" / "django.po" in CATALOGUES


def test_every_catalogue_is_read_by_django(settings):
    """A catalogue in git that no LOCALE_PATHS entry names would be compiled and never used."""
    read = {Path(path).resolve() for path in settings.LOCALE_PATHS}
    for po in CATALOGUES:
        assert po.parents[2].resolve() in read, f"{po}: its folder is not in LOCALE_PATHS"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(REPO)))
def test_catalogue_has_no_untranslated_or_fuzzy_messages(po):
    stats = statistics(po)
    assert re.fullmatch(r"\d+ translated messages?\.", stats), f"{po}: {stats}\n{untranslated(po)}"


def test_catalogues_hold_every_message_of_the_code(tmp_path):
    """makemessages on a copy of the checkout adds nothing untranslated: a string wrapped for
    translation without a Dutch msgstr (or a changed msgid) fails here, naming it."""
    _msgfmt()
    copy = tmp_path / "checkout"
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(*NOT_OURS, "__pycache__", "*.sqlite3*", "*.mo"))
    run = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--all", "--no-obsolete", "--no-location", "-v", "0"]
        + [arg for pattern in NOT_OURS for arg in ("--ignore", f"{pattern}/*")],
        cwd=copy,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert run.returncode == 0, run.stderr
    for po in sorted((copy / "locale").glob("*/LC_MESSAGES/*.po")):
        left = untranslated(po)
        assert not left, f"{po.relative_to(copy)}: run makemessages and translate: {left}"
