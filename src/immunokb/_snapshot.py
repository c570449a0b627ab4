"""The bundled knowledge base's snapshot: built from the Markdown, served only while it matches.

The bundled documents are the source of truth. Parsing and checking them takes
tens of milliseconds, far too long for a process that starts, loads and answers one
question, so the package also ships ``data/_snapshot.bin``: the knowledge base
built from those documents (sources, the store of entities with its indexes, the
search index and the fingerprint), in the layout of :func:`immunokb._store.pack`,
with a *manifest* of the documents it was built from (path, size and SHA-256 of
each, and of ``CONTENT_VERSION``).

``load()`` serves the snapshot only if the documents beside it are, byte for
byte, those of the manifest; otherwise it parses the documents, as it would
without a snapshot. Proving that without reading every document on every load:

1. The names and sizes of the documents on disk must equal the manifest's (one
   directory listing and a ``stat`` per file; catches any added, removed or
   resized document).
2. A *stamp* in the user cache directory records the ``stat`` of every document
   (size, modification and change times in nanoseconds, inode) taken when their
   contents were last hashed and found equal to the manifest. If the ``stat`` of
   every document is still the same, the contents are too (the rule git uses for
   its index). Otherwise every document is read and hashed again; equal, the stamp
   is renewed; different, the snapshot is not served.

A stamp is not written while a document was modified within the last two seconds
(a file changed again within the same clock tick could keep its times), and with
the cache turned off (``IMMUNOKB_NO_CACHE``) the documents are hashed on every
load. A snapshot that cannot be read, is of another format, or was written for
other models, is not served either.

The snapshot is regenerated with ``python scripts/build_snapshot.py`` after any
change to the bundled documents or to how they are built; the test suite fails
while the committed snapshot differs from a fresh build.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import stat
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._cache import cache_dir
from ._store import Packed, kb_sections, pack, read_kb

if TYPE_CHECKING:
    from ._kb import KnowledgeBase

__all__ = ["FORMAT", "SNAPSHOT", "data_directory", "generate", "manifest_id", "read", "write"]

FORMAT = 1
"""Version of the snapshot layout."""

SNAPSHOT = "_snapshot.bin"
"""The snapshot's file name in the package's data directory."""

VERSION_FILE = "CONTENT_VERSION"

_RACY_SECONDS = 2.0

Listing = list[tuple[str, int, int, int, int]]
"""(path within the data directory, size, mtime_ns, ctime_ns, inode) of each file."""


def data_directory() -> str | None:
    """The package's data directory, when the package is a directory on the file system.

    None for a package imported from a zip file: it has no snapshot to stat, and is
    loaded by parsing through :mod:`importlib.resources`.
    """
    from . import __path__ as locations  # noqa: PLC0415 - the package's own directories

    for location in locations:
        path = os.path.join(location, "data")
        if os.path.isdir(path):
            return path
    return None


def listing(root: str) -> Listing:
    """Every bundled document under ``root`` and ``CONTENT_VERSION``, with its ``stat``.

    The walk is the one that finds the bundled documents: names in order, names
    starting with ``.`` or ``_`` skipped, ``*.md`` and ``*.markdown`` files read.
    """
    from ._load import is_document_name  # noqa: PLC0415 - _load imports this module

    found: Listing = []

    def add(path: str, relative: str) -> None:
        info = os.stat(path)
        found.append((relative, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino))

    add(os.path.join(root, VERSION_FILE), VERSION_FILE)

    def walk(folder: str, prefix: str) -> None:
        with os.scandir(folder) as entries:
            ordered = sorted(entries, key=lambda e: e.name)
        for entry in ordered:
            if entry.name.startswith((".", "_")):
                continue
            if entry.is_dir():
                walk(entry.path, f"{prefix}{entry.name}/")
            elif is_document_name(entry.name):
                info = entry.stat()
                found.append(
                    (
                        prefix + entry.name,
                        info.st_size,
                        info.st_mtime_ns,
                        info.st_ctime_ns,
                        info.st_ino,
                    )
                )

    walk(root, "")
    return found


def _stamp_path(snapshot_id: str) -> str | None:
    """Where the stamp of this snapshot goes (one per snapshot; it names its directory)."""
    directory = cache_dir()
    if directory is None:
        return None
    return os.path.join(directory, f"bundled-{snapshot_id[:24]}.stamp")


def _same_contents(root: str, manifest: Sequence[tuple[str, int, str]]) -> bool:
    import hashlib  # noqa: PLC0415 - only when the stamp does not vouch for the files

    for relative, _, digest in manifest:
        try:
            with open(os.path.join(root, relative), "rb") as handle:
                data = handle.read()
        except OSError:
            return False
        if hashlib.sha256(data).hexdigest() != digest:
            return False
    return True


def _write_stamp(path: str, record: bytes) -> None:
    """Write the stamp atomically; silently skip a cache that cannot be written."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(temporary, "wb") as out:
            out.write(record)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def fresh(root: str, manifest: object, snapshot_id: str) -> bool:
    """Whether the documents under ``root`` are exactly those of ``manifest`` (see above)."""
    if not (
        isinstance(manifest, tuple) and all(isinstance(m, tuple) and len(m) == 3 for m in manifest)
    ):
        return False
    try:
        found = listing(root)
    except OSError:
        return False
    if [(name, size) for name, size, *_ in found] != [(name, size) for name, size, _ in manifest]:
        return False
    record = marshal.dumps((os.path.abspath(root), snapshot_id, found))
    stamp = _stamp_path(snapshot_id)
    if stamp is not None:
        try:
            with open(stamp, "rb") as handle:
                if handle.read() == record:
                    return True
        except OSError:
            pass
    if not _same_contents(root, manifest):
        return False
    newest = max(mtime for _, _, mtime, _, _ in found)
    if stamp is not None and time.time_ns() - newest > _RACY_SECONDS * 1e9:
        # Re-read the stat: a document changed while it was being hashed must not
        # be vouched for by the stamp.
        try:
            again = listing(root)
        except OSError:
            return True
        if again == found:
            _write_stamp(stamp, record)
    return True


def read(root: str | None = None) -> KnowledgeBase | None:
    """The bundled knowledge base from the snapshot, or None if it may not be served."""
    from ._kb import KnowledgeBase  # noqa: PLC0415

    root = root or data_directory()
    if root is None:
        return None
    try:
        packed = Packed(os.path.join(root, SNAPSHOT), first="kb")
    except (OSError, ValueError):
        return None
    meta = packed.meta
    snapshot_id = meta.get("id")
    version = meta.get("content_version")
    fingerprint = meta.get("fingerprint")
    if not (
        meta.get("format") == FORMAT
        and isinstance(snapshot_id, str)
        and isinstance(version, str)
        and isinstance(fingerprint, str)
        and packed.first is not None
        and fresh(root, meta.get("manifest"), snapshot_id)
    ):
        return None
    try:
        store, sources = read_kb(packed.first, trusted=True)
    except ValueError:  # a snapshot that cannot be read back is simply not used
        return None
    return KnowledgeBase._open(
        store,
        sources,
        content_version=version,
        fingerprint=fingerprint,
        search_data=lambda: packed.section("search", verify=False),
    )


def generate(root: str) -> bytes:
    """The snapshot of the documents under ``root``, built by parsing them."""
    import hashlib  # noqa: PLC0415

    from ._build import build  # noqa: PLC0415
    from ._load import RawDocument  # noqa: PLC0415

    manifest: list[tuple[str, int, str]] = []
    documents: list[RawDocument] = []
    version = ""
    for relative, *_ in listing(root):
        with open(os.path.join(root, relative), "rb") as handle:
            data = handle.read()
        manifest.append((relative, len(data), hashlib.sha256(data).hexdigest()))
        if relative == VERSION_FILE:
            version = data.decode("utf-8").strip()
        else:
            folders = tuple(relative.split("/")[:-1])
            documents.append(RawDocument(f"immunokb/data/{relative}", data, folders))
    kb = build(documents, content_version=version)
    meta: dict[str, Any] = {
        "format": FORMAT,
        "id": manifest_id(manifest),
        "content_version": version,
        "fingerprint": kb.fingerprint,
        "manifest": tuple(manifest),
    }
    return pack(meta, kb_sections(kb))


def manifest_id(manifest: Sequence[tuple[str, int, str]]) -> str:
    """The snapshot's id: SHA-256 of its manifest written as canonical JSON.

    JSON, not :mod:`marshal`: marshal's bytes for the same value differ between
    Python versions, and the id must not depend on which Python built the snapshot.
    """
    import hashlib  # noqa: PLC0415
    import json  # noqa: PLC0415

    canonical = json.dumps([list(m) for m in manifest], separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def write(root: str) -> str:
    """Regenerate the snapshot under ``root``; return its path."""
    path = os.path.join(root, SNAPSHOT)
    data = generate(root)
    temporary = f"{path}.tmp"
    with open(temporary, "wb") as out:
        out.write(data)
    os.replace(temporary, path)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    return path
