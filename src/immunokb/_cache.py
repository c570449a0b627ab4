"""An on-disk cache of built knowledge bases, in the user cache directory.

Loading your own documents parses YAML, validates every field and finds every
quote in its source; the result depends only on the documents' bytes and on this
library's code. So a successful build is stored under a key that hashes exactly
those, and a later load of unchanged documents reads it back instead of parsing.

Design:

- **Where.** ``IMMUNOKB_CACHE_DIR`` if set; otherwise the platform's user cache
  directory (``$XDG_CACHE_HOME/immunokb`` or ``~/.cache/immunokb`` on Linux,
  ``~/Library/Caches/immunokb`` on macOS, ``%LOCALAPPDATA%/immunokb/Cache`` on
  Windows). ``IMMUNOKB_NO_CACHE=1`` (or ``load(..., cache=False)``) turns it off.
  Nothing is ever written next to the documents or into the package.
- **Key.** SHA-256 over the cache format, the Python and pydantic versions, the
  bytes of this package's own modules (so an upgrade, or an edit in a development
  checkout, can never be served an old result), the fields declared as your own,
  and every document's path, folders and bytes, in order.
- **Entry.** One file per key: a magic line, a JSON header (format, key, size and
  SHA-256 of the payload), then the payload: the sources, the entities and the
  documents' warnings, pickled. A reader checks the magic, the key, the size and
  the checksum before unpickling, unpickles with an allow-list (only immunokb's
  model classes and ``datetime.date`` may be named), and checks the shapes it got.
  Anything unexpected (a truncated, corrupt, foreign or stale file) counts as a
  miss: the documents are parsed again and the entry is rewritten.
- **Writes** go to a temporary file in the same directory, then ``os.replace``:
  concurrent loads see either no entry or a whole one. Only the newest
  ``MAX_ENTRIES`` entries are kept. A cache that cannot be written (read-only,
  full disk) is skipped silently: the cache only ever saves time.
- **Errors are not cached**: a corpus with an invalid document is parsed, and
  reported, every time.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import pickle
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import _models
from ._errors import DocumentWarning
from ._load import RawDocument
from ._models import AnyEntity, Source

__all__ = ["MAX_ENTRIES", "cache_dir", "cache_key", "read", "write"]

FORMAT = 1
"""Version of the entry layout; part of every key."""

MAX_ENTRIES = 16
"""How many cached knowledge bases are kept (the most recently written)."""

_MAGIC = b"immunokb-cache\n"
_SUFFIX = ".kbcache"

Entry = tuple[tuple[Source, ...], tuple[AnyEntity, ...], tuple[DocumentWarning, ...]]
"""What an entry holds: sources, entities and the documents' warnings."""


def cache_dir() -> Path | None:
    """The directory for cache entries, or None when caching is turned off."""
    if os.environ.get("IMMUNOKB_NO_CACHE", "") not in {"", "0"}:
        return None
    override = os.environ.get("IMMUNOKB_CACHE_DIR")
    if override:
        return Path(override)
    home = Path.home()
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        base = os.environ.get("LOCALAPPDATA")
        return (Path(base) if base else home / "AppData" / "Local") / "immunokb" / "Cache"
    if sys.platform == "darwin":  # pragma: no cover - exercised on macOS only
        return home / "Library" / "Caches" / "immunokb"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base_dir = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".cache"
    return base_dir / "immunokb"


@functools.lru_cache(maxsize=1)
def _code_digest() -> bytes:
    """Hash of this package's modules: a changed loader never reads an old entry."""
    import pydantic  # noqa: PLC0415 - already imported by the models

    digest = hashlib.sha256()
    digest.update(f"{FORMAT}|{sys.version_info[:2]}|{pydantic.VERSION}".encode())
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.name.encode())
        digest.update(module.read_bytes())
    return digest.digest()


def cache_key(
    documents: Sequence[RawDocument],
    content_version: str | None,
    extra_fields: Sequence[str] = (),
) -> str:
    """The key of a build of ``documents``: a hex SHA-256 (see the module docstring)."""
    digest = hashlib.sha256(_code_digest())
    digest.update(json.dumps([content_version, sorted(extra_fields)]).encode())
    for document in documents:
        head = json.dumps([document.path, list(document.folders), len(document.data)])
        digest.update(head.encode())
        digest.update(document.data)
    return digest.hexdigest()


def _entry_path(directory: Path, key: str) -> Path:
    return directory / f"kb-{key}{_SUFFIX}"


_ALLOWED_MODULES = {"immunokb._models": frozenset(_models.__all__) | {"FrozenMapping"}}


class _Unpickler(pickle.Unpickler):
    """Unpickles models only: any other class or function named is refused."""

    def find_class(self, module: str, name: str) -> Any:  # noqa: ANN401 - pickle's API
        if name in _ALLOWED_MODULES.get(module, ()) or (module, name) == ("datetime", "date"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache entry")


def _shaped(value: object) -> Entry | None:
    """``value`` if it has an entry's shape, else None."""
    if not (isinstance(value, tuple) and len(value) == 3):
        return None
    sources, entities, notes = value
    if not (
        isinstance(sources, tuple)
        and all(isinstance(s, Source) for s in sources)
        and isinstance(entities, tuple)
        and all(isinstance(e, _models.Entity) for e in entities)
        and isinstance(notes, tuple)
        and all(isinstance(n, tuple) and len(n) == 4 for n in notes)
    ):
        return None
    warnings = tuple(
        DocumentWarning(reason, path=path, line=line, field=field)
        for reason, path, line, field in notes
    )
    return sources, entities, warnings


def read(key: str) -> Entry | None:
    """The entry for ``key``, or None if there is none or it is not intact."""
    directory = cache_dir()
    if directory is None:
        return None
    try:
        raw = _entry_path(directory, key).read_bytes()
    except OSError:
        return None
    if not raw.startswith(_MAGIC):
        return None
    header_end = raw.find(b"\n", len(_MAGIC))
    try:
        header = json.loads(raw[len(_MAGIC) : header_end])
    except (ValueError, UnicodeDecodeError):
        return None
    payload = raw[header_end + 1 :]
    if (
        header_end < 0
        or not isinstance(header, dict)
        or header.get("format") != FORMAT
        or header.get("key") != key
        or header.get("size") != len(payload)
        or header.get("sha256") != hashlib.sha256(payload).hexdigest()
    ):
        return None
    try:
        value = _Unpickler(io.BytesIO(payload)).load()
    except Exception:  # any failure to unpickle is a miss, never an error
        return None
    return _shaped(value)


def write(
    key: str,
    sources: tuple[Source, ...],
    entities: tuple[AnyEntity, ...],
    warnings: tuple[DocumentWarning, ...],
) -> None:
    """Store an entry for ``key`` atomically; give up silently if the cache is unwritable."""
    directory = cache_dir()
    if directory is None:
        return
    notes = tuple((w.reason, w.path, w.line, w.field) for w in warnings)
    payload = pickle.dumps((sources, entities, notes), protocol=pickle.HIGHEST_PROTOCOL)
    header = {
        "format": FORMAT,
        "key": key,
        "size": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=_SUFFIX)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(_MAGIC + json.dumps(header).encode() + b"\n" + payload)
            os.replace(temporary, _entry_path(directory, key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _prune(directory)
    except OSError:
        return


def _prune(directory: Path) -> None:
    """Keep the ``MAX_ENTRIES`` most recently written entries."""
    entries = []
    for path in directory.glob(f"kb-*{_SUFFIX}"):
        try:
            entries.append((path.stat().st_mtime_ns, path))
        except OSError:  # noqa: PERF203 - removed by another process meanwhile
            continue
    for _, path in sorted(entries, reverse=True)[MAX_ENTRIES:]:
        path.unlink(missing_ok=True)
