"""What identifies the data: ``kb.version`` and ``kb.fingerprint``."""

from __future__ import annotations

from pathlib import Path

import immunokb
from immunokb import _load

HOSPITAL = Path(__file__).resolve().parents[1] / "examples" / "hospital-docs"


def test_version_is_the_bundled_content_version() -> None:
    kb = immunokb.load()
    assert kb.version == _load.bundled_content_version()
    assert kb.version == kb.content_version
    assert kb.version is not None


def test_user_documents_alone_have_no_version() -> None:
    kb = immunokb.load(paths=[HOSPITAL], bundled=False, extra_fields=["department", "leafletCode"])
    assert kb.version is None
    assert len(kb.fingerprint) == 64
    assert kb.fingerprint != immunokb.load().fingerprint
