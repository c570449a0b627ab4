"""Regenerate the bundled knowledge base's snapshot (src/immunokb/data/_snapshot.bin).

Run after any change to the bundled documents, or to how documents are built:

    python scripts/build_snapshot.py

The Markdown documents stay the source of truth: ``load()`` serves the snapshot
only while they are byte for byte those it was built from, and the test suite
fails while the committed snapshot differs from a fresh build.
"""

from __future__ import annotations

import sys

from immunokb import _snapshot


def main() -> int:
    """Rebuild the snapshot from the package's documents and report where it went."""
    root = _snapshot.data_directory()
    if root is None:
        print("the package's data directory is not on the file system", file=sys.stderr)
        return 1
    print(f"wrote {_snapshot.write(root)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
