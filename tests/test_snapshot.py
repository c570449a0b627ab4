"""The bundled snapshot: current, equal to a parse, and never served once stale."""

from __future__ import annotations

import marshal
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import immunokb
from immunokb import _load, _snapshot, _store

ROOT = _snapshot.data_directory()
pytestmark = pytest.mark.skipif(ROOT is None, reason="the package is not a directory")
STALE = "the committed snapshot is stale: run `python scripts/build_snapshot.py` and commit it"
QUERIES = ["sipuleucel", "flu-like symptoms", "melanoam", "how often", "免疫", "checkpoint"]


def _packed(path: str) -> tuple[dict[str, object], dict[str, Any], bytes | None]:
    packed = _store.Packed(path, first="kb")
    assert packed.first is not None
    parts = marshal.loads(packed.first)  # noqa: S302 - the package's own file
    return packed.meta, parts, packed.section("search", verify=True)


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A snapshot generated now from the package's documents."""
    assert ROOT is not None
    path = tmp_path_factory.mktemp("snapshot") / _snapshot.SNAPSHOT
    path.write_bytes(_snapshot.generate(ROOT))
    return str(path)


def test_the_committed_snapshot_is_current(fresh_build: str) -> None:
    assert ROOT is not None
    meta, parts, search = _packed(os.path.join(ROOT, _snapshot.SNAPSHOT))
    new_meta, new_parts, new_search = _packed(fresh_build)
    # The manifest, content version and fingerprint; the sections' bytes may differ
    # (marshal and pickle share repeated objects as they find them), their content not.
    meta.pop("sections")
    new_meta.pop("sections")
    assert meta == new_meta, STALE
    committed, rebuilt = parts["store"], new_parts["store"]
    assert isinstance(committed, dict)
    assert isinstance(rebuilt, dict)
    for name in committed.keys() - {"blobs"}:
        assert committed[name] == rebuilt[name], f"{STALE} ({name} differs)"
    assert committed["blobs"].keys() == rebuilt["blobs"].keys(), STALE
    for entity_id, blob in committed["blobs"].items():
        assert _store.load_models(blob) == _store.load_models(rebuilt["blobs"][entity_id]), STALE
    assert _store.load_models(parts["sources"]) == _store.load_models(new_parts["sources"]), STALE
    assert search == new_search, STALE


def test_the_served_snapshot_equals_a_parse_of_the_documents() -> None:
    served = immunokb.load()
    parsed = _load._build_bundled()
    assert served is not parsed
    assert served.sources == parsed.sources
    assert served.entities == parsed.entities
    assert served.content_version == parsed.content_version
    # the fingerprint shipped with the snapshot is the one its content gives
    assert served.fingerprint == parsed.fingerprint
    for query in QUERIES:
        assert served.search(query) == parsed.search(query), query
    for name in ("therapies", "vaccines", "side_effects", "cancer_types"):
        assert getattr(served, name) == getattr(parsed, name)
    assert served.conflicts() == parsed.conflicts()


# --------------------------------------------------------------------------- stale guard


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the package's data directory (documents and snapshot), its own cache."""
    assert ROOT is not None
    monkeypatch.setenv("IMMUNOKB_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "data"
    shutil.copytree(ROOT, copy)
    old = time.time() - 60  # out of the racy window, as after an install
    for path in copy.rglob("*"):
        os.utime(path, (old, old))
    return copy


def _stamps(data: Path) -> list[Path]:
    return sorted((data.parent / "cache").glob("bundled-*.stamp"))


def _documents(data: Path) -> list[Path]:
    return sorted(p for p in data.rglob("*.md"))


def test_an_intact_copy_is_served_and_stamped(data: Path) -> None:
    kb = _snapshot.read(str(data))
    assert kb is not None
    assert kb.fingerprint == immunokb.load().fingerprint
    assert len(_stamps(data)) == 1
    assert _snapshot.read(str(data)) is not None  # from the stamp this time


def _same_size_edit(path: Path, at: int = 0) -> None:
    raw = bytearray(path.read_bytes())
    index = at % len(raw)
    raw[index] = ord("x") if raw[index] != ord("x") else ord("y")
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("stamped", [False, True], ids=["no-stamp", "stamped"])
def test_a_same_size_edit_is_never_served(data: Path, stamped: bool) -> None:
    if stamped:
        assert _snapshot.read(str(data)) is not None
        assert _stamps(data)
    target = _documents(data)[3]
    _same_size_edit(target, 200)
    assert _snapshot.read(str(data)) is None


def test_an_edit_with_its_times_put_back_is_never_served(data: Path) -> None:
    assert _snapshot.read(str(data)) is not None  # stamped
    target = _documents(data)[0]
    before = target.stat()
    _same_size_edit(target, 100)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_mtime_ns == before.st_mtime_ns
    assert _snapshot.read(str(data)) is None  # its change time (or inode) moved


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: (d / "therapies" / "new.md").write_text("x"), id="added"),
        pytest.param(lambda d: _documents(d)[5].unlink(), id="removed"),
        pytest.param(
            lambda d: _documents(d)[5].rename(_documents(d)[5].with_suffix(".markdown")),
            id="renamed",
        ),
        pytest.param(
            lambda d: _documents(d)[1].write_bytes(_documents(d)[1].read_bytes() + b"\n"),
            id="grown",
        ),
        pytest.param(lambda d: (d / "CONTENT_VERSION").write_text("9.9.9\n"), id="content-version"),
    ],
)
def test_any_other_change_is_never_served(data: Path, change: object) -> None:
    assert _snapshot.read(str(data)) is not None
    change(data)  # type: ignore[operator]
    assert _snapshot.read(str(data)) is None


def test_a_touched_document_is_hashed_again_and_served(data: Path) -> None:
    assert _snapshot.read(str(data)) is not None
    (stamp,) = _stamps(data)
    first = stamp.read_bytes()
    old = time.time() - 30
    os.utime(_documents(data)[2], (old, old))
    assert _snapshot.read(str(data)) is not None
    assert stamp.read_bytes() != first  # renewed with the new times


def test_no_stamp_for_a_document_changed_just_now(data: Path) -> None:
    os.utime(_documents(data)[2])  # now: within the racy window
    assert _snapshot.read(str(data)) is not None  # the contents are checked, and equal
    assert _stamps(data) == []


def test_without_a_cache_every_load_hashes(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMMUNOKB_NO_CACHE", "1")
    assert _snapshot.read(str(data)) is not None
    _same_size_edit(_documents(data)[0], 50)
    assert _snapshot.read(str(data)) is None
    assert _stamps(data) == []


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[: len(b) // 2], id="truncated"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: b"junk" + b, id="foreign"),
    ],
)
def test_a_damaged_snapshot_is_not_served(data: Path, damage: object) -> None:
    path = data / _snapshot.SNAPSHOT
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    assert _snapshot.read(str(data)) is None


@settings(max_examples=25)
@given(document=st.integers(min_value=0), offset=st.integers(min_value=0), stamped=st.booleans())
def test_no_same_size_edit_anywhere_is_served(
    tmp_path_factory: pytest.TempPathFactory, document: int, offset: int, stamped: bool
) -> None:
    assert ROOT is not None
    base = tmp_path_factory.mktemp("edit")
    copy = base / "data"
    shutil.copytree(ROOT, copy)
    old = time.time() - 60
    for path in copy.rglob("*"):
        os.utime(path, (old, old))
    saved = os.environ.get("IMMUNOKB_CACHE_DIR")
    os.environ["IMMUNOKB_CACHE_DIR"] = str(base / "cache")
    try:
        if stamped:
            assert _snapshot.read(str(copy)) is not None
        documents = [*_documents(copy), copy / "CONTENT_VERSION"]
        target = documents[document % len(documents)]
        _same_size_edit(target, offset)
        assert _snapshot.read(str(copy)) is None
    finally:
        if saved is None:
            os.environ.pop("IMMUNOKB_CACHE_DIR", None)
        else:
            os.environ["IMMUNOKB_CACHE_DIR"] = saved


def test_load_parses_an_edited_package_instead_of_its_snapshot(tmp_path: Path) -> None:
    """End to end: a copy of the package with one document edited in place."""
    package = Path(immunokb.__file__).parent
    copy = tmp_path / "site" / "immunokb"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "data" / "CONTENT_VERSION").write_text("9.9.9\n", encoding="utf-8")  # same size
    env = {k: v for k, v in os.environ.items() if k != "IMMUNOKB_NO_CACHE"}
    env |= {"PYTHONPATH": str(copy.parent), "IMMUNOKB_CACHE_DIR": str(tmp_path / "cache")}
    code = (
        "import sys, immunokb\n"
        f"assert immunokb.__file__.startswith({str(copy)!r}), immunokb.__file__\n"
        "kb = immunokb.load()\n"
        "print(kb.content_version, 'immunokb._build' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["9.9.9", "True"]  # parsed, not the snapshot's 1.0.0
