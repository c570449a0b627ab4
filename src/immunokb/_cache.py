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
- **Entry.** One file per key, in the layout of :func:`immunokb._store.pack`: a
  magic line, a header (format, key, the documents' warnings, and each section's
  offset, length and SHA-256), then two sections. ``kb`` holds the sources
  (pickled) and the :class:`~immunokb._store.Store`: the plain indexes and one
  pickle per entity. ``search`` holds the search index, built when the entry is
  written, so that the first search after a load reads it instead of indexing.
  A reader checks the magic, the format, the key and the ``kb`` section's
  checksum, and unpickles with an allow-list (only immunokb's model classes and
  ``datetime.date`` may be named): the sources at once, each entity when it is
  first used. The ``search`` section is read, and checked, on the first search.
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
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._errors import DocumentWarning
from ._models import Source
from ._store import Packed, Store, kb_sections, pack, read_kb

if TYPE_CHECKING:
    from ._kb import KnowledgeBase
    from ._load import RawDocument

__all__ = ["MAX_ENTRIES", "Entry", "cache_dir", "cache_key", "read", "write"]

FORMAT = 2
"""Version of the entry layout; part of every key."""

MAX_ENTRIES = 16
"""How many cached knowledge bases are kept (the most recently written)."""

_SUFFIX = ".kbcache"


class Entry:
    """What an entry holds: the store, the sources and the documents' warnings."""

    __slots__ = ("search", "sources", "store", "warnings")

    def __init__(
        self,
        store: Store,
        sources: tuple[Source, ...],
        warnings: tuple[DocumentWarning, ...],
        search: Callable[[], bytes | None],
    ) -> None:
        """Hold the parts of an entry read back (``search`` reads its index on demand)."""
        self.store = store
        self.sources = sources
        self.warnings = warnings
        self.search = search


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
    import hashlib  # noqa: PLC0415 - only loads with paths hash

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
    import hashlib  # noqa: PLC0415
    import json  # noqa: PLC0415

    digest = hashlib.sha256(_code_digest())
    digest.update(json.dumps([content_version, sorted(extra_fields)]).encode())
    update = digest.update
    for document in documents:
        # Each part is preceded by its length, so no two lists of documents hash alike.
        head = [document.path, *document.folders]
        update(f"{len(head)}:{len(document.data)}:".encode())
        for part in head:
            encoded = part.encode("utf-8", "surrogateescape")
            update(b"%d:%s" % (len(encoded), encoded))
        update(document.data)
    return digest.hexdigest()


def _entry_path(directory: Path, key: str) -> Path:
    return directory / f"kb-{key}{_SUFFIX}"


def _notes(value: object) -> tuple[DocumentWarning, ...] | None:
    """The warnings recorded in a header, or None if they are not what was written."""
    if not (isinstance(value, tuple) and all(isinstance(n, tuple) and len(n) == 4 for n in value)):
        return None
    return tuple(
        DocumentWarning(reason, path=path, line=line, field=field)
        for reason, path, line, field in value
    )


def read(key: str) -> Entry | None:
    """The entry for ``key``, or None if there is none or it is not intact."""
    directory = cache_dir()
    if directory is None:
        return None
    try:
        packed = Packed(str(_entry_path(directory, key)), first="kb")
    except (OSError, ValueError):
        return None
    meta = packed.meta
    if meta.get("format") != FORMAT or meta.get("key") != key:
        return None
    notes = _notes(meta.get("notes"))
    data = packed.verified("kb", packed.first)
    if notes is None or data is None:
        return None
    try:
        store, sources = read_kb(data, trusted=False)
    except ValueError:  # any failure to read back is a miss, never an error
        return None
    return Entry(store, sources, notes, lambda: packed.section("search", verify=True))


def write(key: str, kb: KnowledgeBase, warnings: tuple[DocumentWarning, ...]) -> None:
    """Store an entry for ``key`` atomically; give up silently if the cache is unwritable.

    The search index is built here (if the knowledge base has none yet), so that
    loads served by this entry search at once.
    """
    import tempfile  # noqa: PLC0415

    directory = cache_dir()
    if directory is None:
        return
    notes = tuple((w.reason, w.path, w.line, w.field) for w in warnings)
    data = pack({"format": FORMAT, "key": key, "notes": notes}, kb_sections(kb))
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=_SUFFIX)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
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
