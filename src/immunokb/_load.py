"""Finding documents and loading knowledge bases (the bundled one once per process)."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._errors import DocumentError
from ._kb import KnowledgeBase

if sys.version_info >= (3, 11):
    from importlib.resources import files
else:  # pragma: no cover - exercised on Python 3.10 only
    from importlib_resources import files

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:  # pragma: no cover
        from importlib_resources.abc import Traversable

__all__ = ["bundled_content_version", "bundled_documents", "load"]

_lock = threading.Lock()
_bundled: KnowledgeBase | None = None
_SUFFIX = ".md"


def _walk(folder: Traversable, prefix: str) -> Iterator[tuple[str, bytes]]:
    for child in sorted(folder.iterdir(), key=lambda c: c.name):
        if child.name.startswith((".", "_")):
            continue
        if child.is_dir():
            yield from _walk(child, f"{prefix}{child.name}/")
        elif child.name.endswith(_SUFFIX):
            yield f"{prefix}{child.name}", child.read_bytes()


def bundled_documents() -> list[tuple[str, bytes]]:
    """The package's documents as ``(resource path, bytes)``, in a stable order."""
    return list(_walk(files("immunokb").joinpath("data"), "immunokb/data/"))


def bundled_content_version() -> str:
    """The version of the bundled content (``data/CONTENT_VERSION``), e.g. ``1.0.0``."""
    raw: str = files("immunokb").joinpath("data", "CONTENT_VERSION").read_text(encoding="utf-8")
    return raw.strip()


def user_documents(paths: Sequence[str | os.PathLike[str]]) -> list[tuple[str, bytes]]:
    """Documents under the given files and directories (``*.md``, dot-files skipped)."""
    out: list[tuple[str, bytes]] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob(f"*{_SUFFIX}")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            out.extend((str(p), p.read_bytes()) for p in found)
        elif path.is_file():
            out.append((str(path), path.read_bytes()))
        else:
            raise DocumentError("no such file or directory", path=str(path))
    return out


def load(
    paths: Sequence[str | os.PathLike[str]] | None = None, *, bundled: bool = True
) -> KnowledgeBase:
    """Load a validated, immutable knowledge base.

    Args:
        paths: Files or directories of your own documents (``*.md``), merged with
            the bundled ones and validated together. A new knowledge base is built
            on every call with paths.
        bundled: Include the documents bundled in the package.

    Returns:
        The knowledge base. Without ``paths``, the bundled one is built on first
        use and then shared: the same object for every caller and thread.

    Raises:
        DocumentError: a document is invalid; ``.problems`` lists every problem
            found, and no knowledge base is returned.
    """
    from ._build import build  # noqa: PLC0415 - keep `import immunokb` free of YAML

    if not paths:
        if not bundled:
            return build(())
        global _bundled  # noqa: PLW0603 - the per-process cache, guarded by _lock
        kb = _bundled
        if kb is None:
            with _lock:
                kb = _bundled
                if kb is None:
                    kb = build(bundled_documents(), content_version=bundled_content_version())
                    _bundled = kb
        return kb
    documents = bundled_documents() if bundled else []
    version = bundled_content_version() if bundled else None
    return build([*documents, *user_documents(paths)], content_version=version)
