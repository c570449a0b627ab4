"""Finding documents and loading knowledge bases (the bundled one once per process)."""

from __future__ import annotations

import os
import stat
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import _snapshot
from ._errors import DocumentError, DocumentWarning
from ._kb import KnowledgeBase

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:  # pragma: no cover
        from importlib_resources.abc import Traversable

    from ._validate import ValidationReport

__all__ = [
    "DOCUMENT_SUFFIXES",
    "MAX_DOCUMENT_BYTES",
    "Gathered",
    "RawDocument",
    "bundled_content_version",
    "bundled_documents",
    "gather",
    "is_document_name",
    "load",
]

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
"""Largest document accepted, in bytes (2 MiB)."""

DOCUMENT_SUFFIXES = (".md", ".markdown")
"""File name endings of documents, in any case; other files in a directory are skipped."""


def is_document_name(name: str) -> bool:
    """Whether a file name ends like a document (``.md``, ``.markdown``; any case)."""
    return name.lower().endswith(DOCUMENT_SUFFIXES)


Progress = Callable[[int, int], None]
"""``progress(done, total)``, called as documents are read and checked."""

_lock = threading.Lock()
_bundled: KnowledgeBase | None = None


@dataclass(frozen=True)
class RawDocument:
    """A document's bytes, where it came from, and the folders it was found in."""

    path: str
    """The path shown in messages: a filesystem path, or ``immunokb/data/...`` when bundled."""
    data: bytes
    folders: tuple[str, ...] = ()
    """Folder names from the directory given down to the file (for tier folders)."""


@dataclass
class Gathered:
    """What a walk over the given paths found."""

    documents: list[RawDocument] = field(default_factory=list)
    errors: list[DocumentError] = field(default_factory=list)
    warnings: list[DocumentWarning] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Files in the directories given that are not documents (by name), not read."""


# --------------------------------------------------------------------------- bundled


def _walk_bundled(
    folder: Traversable, prefix: str, folders: tuple[str, ...]
) -> Iterator[RawDocument]:
    for child in sorted(folder.iterdir(), key=lambda c: c.name):
        if child.name.startswith((".", "_")):
            continue
        if child.is_dir():
            yield from _walk_bundled(child, f"{prefix}{child.name}/", (*folders, child.name))
        elif is_document_name(child.name):
            yield RawDocument(f"{prefix}{child.name}", child.read_bytes(), folders)


def _package_files() -> Traversable:
    # importlib.resources (and the tempfile, shutil and compression modules it
    # imports) costs milliseconds: imported only when the documents are read.
    if sys.version_info >= (3, 11):
        from importlib.resources import files  # noqa: PLC0415
    else:  # pragma: no cover - exercised on Python 3.10 only
        from importlib_resources import files  # noqa: PLC0415
    return files("immunokb")


def bundled_documents() -> list[RawDocument]:
    """The package's documents, in a stable order."""
    return list(_walk_bundled(_package_files().joinpath("data"), "immunokb/data/", ()))


def bundled_content_version() -> str:
    """The version of the bundled content (``data/CONTENT_VERSION``), e.g. ``1.0.0``."""
    raw: str = _package_files().joinpath("data", "CONTENT_VERSION").read_text(encoding="utf-8")
    return raw.strip()


# --------------------------------------------------------------------------- user documents


def _read(path: str, size: int, found: Gathered) -> bytes | None:
    if size > MAX_DOCUMENT_BYTES:
        found.errors.append(
            DocumentError(
                f"document is {size} bytes; the limit is {MAX_DOCUMENT_BYTES} bytes", path=path
            )
        )
        return None
    try:
        data = _read_at_most(path, size + 1)
        if len(data) > size:  # it grew since we looked: read it whole, up to the limit
            data = _read_at_most(path, MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        found.errors.append(DocumentError(f"cannot read the file: {exc.strerror}", path=path))
        return None
    if len(data) > MAX_DOCUMENT_BYTES:  # it grew since we looked
        found.errors.append(
            DocumentError(f"document is larger than {MAX_DOCUMENT_BYTES} bytes", path=path)
        )
        return None
    return data


def _read_at_most(path: str, limit: int) -> bytes:
    """Up to ``limit`` bytes of the file (a buffer the size the file is expected to have).

    Asking for the largest document allowed would allocate 2 MiB for every file.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        parts = []
        left = limit
        while left > 0:
            part = os.read(descriptor, left)
            if not part:
                break
            parts.append(part)
            left -= len(part)
    finally:
        os.close(descriptor)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _resolve(path: str) -> Path | None:
    """The real path, or None for a link loop (or anything else that cannot resolve)."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return None


def _inside(target: Path, root: Path) -> bool:
    return target == root or root in target.parents


class _Walk:
    def __init__(self, found: Gathered) -> None:
        self.found = found
        # Files are told apart by device and inode (what a stat already gives, where
        # resolving every path would cost a system call per path component).
        self.seen_files: set[tuple[int, int]] = set()
        self.seen_dirs: set[Path] = set()

    def add_file(
        self, path: str, identity: tuple[int, int], size: int, folders: tuple[str, ...]
    ) -> None:
        if identity in self.seen_files:  # named twice (a folder and a file in it, or a link)
            return
        self.seen_files.add(identity)
        data = _read(path, size, self.found)
        if data is not None:
            self.found.documents.append(RawDocument(path, data, folders))

    def directory(self, path: str, root: Path, folders: tuple[str, ...]) -> None:
        real = Path(path).resolve()
        if real in self.seen_dirs:
            return
        self.seen_dirs.add(real)
        try:
            with os.scandir(path) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            self.found.errors.append(
                DocumentError(f"cannot read the directory: {exc.strerror}", path=path)
            )
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            target = _resolve(entry.path) if entry.is_symlink() else None
            if entry.is_symlink() and target is None:
                self.found.warnings.append(
                    DocumentWarning("symbolic link loop; skipped", path=entry.path)
                )
                continue
            if target is not None and not _inside(target, root):
                self.found.warnings.append(
                    DocumentWarning(
                        f"symbolic link to {target} leads outside {root}; skipped",
                        path=entry.path,
                    )
                )
                continue
            try:
                info = entry.stat()
            except OSError as exc:  # a broken link, or a file that vanished
                self.found.warnings.append(
                    DocumentWarning(f"cannot be read ({exc.strerror}); skipped", path=entry.path)
                )
                continue
            if stat.S_ISDIR(info.st_mode):
                self.directory(entry.path, root, (*folders, entry.name))
            elif not stat.S_ISREG(info.st_mode) or not is_document_name(entry.name):
                self.found.skipped.append(entry.path)
            else:
                self.add_file(entry.path, (info.st_dev, info.st_ino), info.st_size, folders)


def gather(paths: Sequence[str | os.PathLike[str]]) -> Gathered:
    """Find and read the documents under the given files and directories.

    A directory is walked recursively in name order. Names starting with ``.`` are
    skipped; so are files not named ``*.md`` or ``*.markdown`` (listed in
    ``skipped``), and symbolic links that lead outside the directory given (with a
    warning). A file named directly must be a document. Nothing is written.
    """
    found = Gathered()
    walk = _Walk(found)
    for given in paths:
        path = os.fspath(given)
        try:
            info = os.stat(path)
        except FileNotFoundError:
            found.errors.append(DocumentError("no such file or directory", path=path))
            continue
        except OSError as exc:  # a link loop, a permission problem
            found.errors.append(DocumentError(f"cannot be read: {exc.strerror}", path=path))
            continue
        if stat.S_ISDIR(info.st_mode):
            root = Path(path).resolve()
            walk.directory(path, root, (root.name,))
        elif not stat.S_ISREG(info.st_mode):
            found.errors.append(DocumentError("not a regular file or a directory", path=path))
        elif not is_document_name(path):
            found.errors.append(
                DocumentError(
                    "not a document: immunokb reads Markdown files named *.md or *.markdown",
                    path=path,
                )
            )
        else:
            folder = Path(path).resolve().parent.name
            walk.add_file(path, (info.st_dev, info.st_ino), info.st_size, (folder,))
    return found


# --------------------------------------------------------------------------- load


def _announce(kb: KnowledgeBase) -> None:
    """Issue the load's first warning through :mod:`warnings`, counting the others."""
    if not kb.warnings:
        return
    first = kb.warnings[0]
    more = len(kb.warnings) - 1
    if more:
        first = DocumentWarning(
            f"{first.reason} (and {more} more warning{'s' if more > 1 else ''}; see kb.warnings)",
            path=first.path,
            line=first.line,
            field=first.field,
        )
    warnings.warn(first, stacklevel=3)


def _build_bundled() -> KnowledgeBase:
    """The bundled knowledge base parsed from its documents (no usable snapshot)."""
    from ._build import build  # noqa: PLC0415 - keep `import immunokb` free of YAML

    return build(bundled_documents(), content_version=bundled_content_version())


def load(
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    bundled: bool = True,
    cache: bool = True,
    extra_fields: Iterable[str] = (),
) -> KnowledgeBase:
    """Load a validated, immutable knowledge base.

    Args:
        paths: Files or directories of your own documents (``*.md``), merged with
            the bundled ones and validated together. A new knowledge base is built
            on every call with paths. See :func:`gather` for which files are read.
        bundled: Include the documents bundled in the package.
        cache: With ``paths``, reuse the result of an earlier load of the very same
            documents from the user cache directory, and store this one there (see
            :doc:`/your-documents`). ``IMMUNOKB_NO_CACHE=1`` turns it off too.
        extra_fields: Frontmatter fields of your own that source documents may have
            (``["department", "leafletCode"]``): kept in ``Source.extra`` like any
            unknown field, but without a warning, and never taken for a misspelling.

    Returns:
        The knowledge base. Without ``paths``, the bundled one is built on first
        use and then shared: the same object for every caller and thread.

    Raises:
        DocumentError: a document is invalid; ``.problems`` lists every problem
            found, and no knowledge base is returned.

    Warns:
        DocumentWarning: something in the documents deserves a look (an unknown
            field kept, a link skipped); every one is in ``kb.warnings``.
    """
    if not paths:
        if not bundled:
            from ._build import build  # noqa: PLC0415 - keep `import immunokb` free of YAML

            return build(())
        global _bundled  # noqa: PLW0603 - the per-process cache, guarded by _lock
        kb = _bundled
        if kb is None:
            with _lock:
                kb = _bundled
                if kb is None:
                    kb = _snapshot.read() or _build_bundled()
                    _bundled = kb
        return kb
    from . import _cache  # noqa: PLC0415 - only loads with paths use the cache

    found = gather(paths)
    documents = [*bundled_documents(), *found.documents] if bundled else found.documents
    version = bundled_content_version() if bundled else None
    declared = sorted(set(extra_fields))
    key = None if found.errors or not cache else _cache.cache_key(documents, version, declared)
    entry = None if key is None else _cache.read(key)
    if entry is not None:
        kb = KnowledgeBase._open(
            entry.store,
            entry.sources,
            content_version=version,
            warnings=(*found.warnings, *entry.warnings),
            search_data=entry.search,
        )
    else:
        from ._build import build  # noqa: PLC0415 - a cache hit reads no YAML

        kb = build(
            documents,
            content_version=version,
            errors=found.errors,
            warnings=found.warnings,
            extra_fields=declared,
        )
        if key is not None:
            notes = kb.warnings[len(found.warnings) :]
            _cache.write(key, kb, notes)
    _announce(kb)
    return kb


def validate(
    paths: Sequence[str | os.PathLike[str]],
    *,
    bundled: bool = True,
    progress: Progress | None = None,
    extra_fields: Iterable[str] = (),
) -> ValidationReport:
    """Check documents as :func:`load` would, and report every problem instead of raising.

    Args:
        paths: Files or directories of documents, as for :func:`load`.
        bundled: Check them together with the bundled documents (so that they may
            cite bundled sources and must not reuse bundled names), as ``load`` does.
        progress: Called as ``progress(done, total)`` while documents are checked.
        extra_fields: Frontmatter fields of your own, as for :func:`load`: kept
            without a warning.

    Returns:
        A :class:`~immunokb.ValidationReport` listing every error and warning.
    """
    from ._build import check  # noqa: PLC0415 - keep `import immunokb` free of YAML
    from ._validate import ValidationReport  # noqa: PLC0415

    found = gather(paths)
    documents = bundled_documents() if bundled else []
    errors, notes, count = check(
        [*documents, *found.documents],
        errors=found.errors,
        warnings=found.warnings,
        progress=progress,
        extra_fields=extra_fields,
    )
    return ValidationReport(
        documents=count - len(documents),
        errors=tuple(errors),
        warnings=tuple(notes),
        skipped=tuple(found.skipped),
    )
