"""The load cache: hits for unchanged documents, and any damaged entry rebuilt."""

from __future__ import annotations

import marshal
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import immunokb
from conftest import NCI_VACCINES, side_effect_doc
from immunokb import _build, _cache, _store

LEAFLET = """
---
title: Leaflet
author: Dr Example
---
A body about immunotherapy.
"""

EFFECT = f"""
---
kind: side_effect
id: zzq-effect
name:
  value: zzq effect
  curated: "an invented test entity"
cite:
  - source: {NCI_VACCINES}
    quote: "Sipuleucel-T can cause stroke."
---
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty cache directory for one test."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("IMMUNOKB_CACHE_DIR", str(directory))
    monkeypatch.delenv("IMMUNOKB_NO_CACHE", raising=False)
    return directory


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the builds from documents (cache misses)."""
    calls: list[int] = []
    real = _build.build

    def counting(*args: object, **kwargs: object) -> immunokb.KnowledgeBase:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_build, "build", counting)
    return calls


def _load(folder: Path, **options: bool) -> immunokb.KnowledgeBase:
    with pytest.warns(immunokb.DocumentWarning):
        return immunokb.load(paths=[folder], **options)


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("kb-*.kbcache"))


@pytest.fixture
def folder(corpus) -> Path:
    return corpus({"sources/leaflet.md": LEAFLET, "effect.md": EFFECT})


def test_unchanged_documents_come_from_the_cache(cache, builds, folder) -> None:
    first = _load(folder)
    second = _load(folder)
    assert len(builds) == 1
    assert len(_entries(cache)) == 1
    assert second is not first
    assert second.fingerprint == first.fingerprint
    assert second.warnings == first.warnings  # the documents' warnings are kept too
    assert second.get("zzq-effect") == first.get("zzq-effect")
    assert second.source("leaflet").extra == {"author": "Dr Example"}
    assert second.content_version == first.content_version


def test_a_changed_document_is_parsed_again(cache, builds, folder) -> None:
    _load(folder)
    leaflet = folder / "sources" / "leaflet.md"
    leaflet.write_text(leaflet.read_text(encoding="utf-8") + "More text.\n", encoding="utf-8")
    kb = _load(folder)
    assert len(builds) == 2
    assert kb.source("leaflet").text.endswith("More text.")
    assert len(_entries(cache)) == 2


def test_bundled_or_not_are_different_entries(cache, builds, corpus) -> None:
    folder = corpus({"sources/leaflet.md": LEAFLET})
    _load(folder)
    only_mine = _load(folder, bundled=False)
    assert len(builds) == 2
    assert [s.id for s in only_mine.sources] == ["leaflet"]


MARKER = Path(tempfile.gettempdir()) / "immunokb-cache-test-should-not-exist"


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _section_start(data: bytes, name: str) -> tuple[int, int]:
    """Where a section of an entry starts in its bytes, and its length."""
    with tempfile.NamedTemporaryFile(delete=False) as out:
        out.write(data)
    try:
        packed = _store.Packed(out.name)
    finally:
        os.unlink(out.name)
    offset, length, _ = packed.sections[name]
    return packed.start + offset, length


def _damage_payload(data: bytes) -> bytes:
    start, length = _section_start(data, "kb")
    return _flip(data, start + length // 2)


def _repacked(data: bytes, **changes: object) -> bytes:
    """The entry with header fields or sections replaced, every checksum made right again."""
    with tempfile.NamedTemporaryFile(delete=False) as out:
        out.write(data)
    try:
        packed = _store.Packed(out.name)
        sections = {name: packed.section(name, verify=True) for name in packed.sections}
    finally:
        os.unlink(out.name)
    meta = {k: v for k, v in packed.meta.items() if k != "sections"}
    for name, value in changes.items():
        if name in sections:
            sections[name] = value  # type: ignore[assignment]
        else:
            meta[name] = value
    return _store.pack(meta, sections)  # type: ignore[arg-type]


class _Exploit:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {MARKER}",))


def _foreign_entry(data: bytes) -> bytes:
    """A well-formed entry whose sources would run a command if unpickled naively."""
    with tempfile.NamedTemporaryFile(delete=False) as out:
        out.write(data)
    try:
        parts = marshal.loads(_store.Packed(out.name, first="kb").first)  # noqa: S302
    finally:
        os.unlink(out.name)
    parts["sources"] = pickle.dumps(_Exploit())
    return _repacked(data, kb=marshal.dumps(parts))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda d: d[: len(d) // 2], id="truncated"),
        pytest.param(lambda d: b"", id="empty"),
        pytest.param(_damage_payload, id="flipped-byte"),
        pytest.param(lambda d: b"not a cache entry\n" + d, id="foreign-file"),
        pytest.param(lambda d: _repacked(d, format=99), id="other-format"),
        pytest.param(lambda d: _repacked(d, key="0" * 64), id="other-key"),
        pytest.param(lambda d: _repacked(d, notes="not warnings"), id="other-notes"),
        pytest.param(lambda d: _repacked(d, kb=b"\x00" * 64), id="not-a-store"),
        pytest.param(_foreign_entry, id="pickle-with-a-command"),
    ],
)
def test_a_damaged_entry_is_rebuilt_without_user_action(cache, builds, folder, damage) -> None:
    marker = MARKER
    marker.unlink(missing_ok=True)
    first = _load(folder)
    (entry,) = _entries(cache)
    entry.write_bytes(damage(entry.read_bytes()))
    again = _load(folder)
    assert len(builds) == 2  # the damaged entry was not used
    assert again.fingerprint == first.fingerprint
    assert not marker.exists()
    # ... and it was rewritten whole: the next load is a hit again
    _load(folder)
    assert len(builds) == 2


def test_an_entry_never_outlives_the_code_that_wrote_it(cache, monkeypatch, folder) -> None:
    _load(folder)
    documents = [*immunokb._load.bundled_documents(), *immunokb._load.gather([folder]).documents]
    version = immunokb._load.bundled_content_version()
    before = _cache.cache_key(documents, version)
    assert _cache.read(before) is not None
    monkeypatch.setattr(_cache, "_code_digest", lambda: b"another release of immunokb")
    assert _cache.cache_key(documents, version) != before


def test_turned_off_writes_nothing(cache, builds, folder, monkeypatch) -> None:
    _load(folder, cache=False)
    _load(folder, cache=False)
    monkeypatch.setenv("IMMUNOKB_NO_CACHE", "1")
    _load(folder)
    assert len(builds) == 3
    assert not cache.exists()


def test_invalid_documents_are_not_cached(cache, corpus) -> None:
    folder = corpus({"bad.md": side_effect_doc("zzq-effect", quote="Words no source has.")})
    for _ in range(2):
        with pytest.raises(immunokb.DocumentError, match="quote not found"):
            immunokb.load(paths=[folder])
    assert not cache.exists() or not _entries(cache)


def test_an_unwritable_cache_is_skipped_silently(tmp_path, monkeypatch, folder) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("IMMUNOKB_CACHE_DIR", str(blocker / "cache"))
    kb = _load(folder)
    assert kb.get("zzq-effect").id == "zzq-effect"


def test_only_the_newest_entries_are_kept(cache, corpus, monkeypatch) -> None:
    monkeypatch.setattr(_cache, "MAX_ENTRIES", 3)
    for number in range(5):
        folder = corpus({"sources/leaflet.md": LEAFLET + f"Version {number}.\n"})
        _load(folder)
    assert len(_entries(cache)) == 3
    assert not list(cache.glob(".tmp-*"))  # no temporary file left behind


def test_cache_directory_follows_the_platform_convention(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("IMMUNOKB_CACHE_DIR", raising=False)
    monkeypatch.delenv("IMMUNOKB_NO_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert _cache.cache_dir() == tmp_path / "xdg" / "immunokb"
        monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as the spec says
        assert _cache.cache_dir() == tmp_path / ".cache" / "immunokb"
    monkeypatch.setenv("IMMUNOKB_CACHE_DIR", str(tmp_path / "mine"))
    assert _cache.cache_dir() == tmp_path / "mine"
    monkeypatch.setenv("IMMUNOKB_NO_CACHE", "1")
    assert _cache.cache_dir() is None


def test_frozen_mappings_hash_right_after_a_trip_through_the_cache() -> None:
    # A hash cached in one process must not travel: string hashes differ per process.
    mapping = immunokb.FrozenMapping({"author": "Dr Example", "floors": [1, 2]})
    script = (
        "import pickle, sys, immunokb\n"
        "m = pickle.loads(sys.stdin.buffer.read())\n"
        "print(hash(m) == hash(immunokb.FrozenMapping(dict(m))), m == {'author': 'Dr Example',"
        " 'floors': (1, 2)})\n"
    )
    hash(mapping)  # fill the cached hash before pickling
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=pickle.dumps(mapping),
        capture_output=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert result.stdout.decode().split() == ["True", "True"]


def test_a_cache_hit_reads_no_yaml(cache, folder) -> None:
    _load(folder)
    script = (
        "import sys, warnings, immunokb\n"
        "warnings.simplefilter('ignore')\n"
        f"immunokb.load(paths=[{str(folder)!r}])\n"
        "print('yaml' in sys.modules, 'immunokb._build' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "IMMUNOKB_CACHE_DIR": str(cache)},
    )
    assert result.stdout.split() == ["False", "False"]


def test_a_foreign_entity_record_is_refused_never_run(cache, folder) -> None:
    MARKER.unlink(missing_ok=True)
    _load(folder)
    (entry,) = _entries(cache)
    data = entry.read_bytes()
    parts = marshal.loads(_store.Packed(str(entry), first="kb").first)  # noqa: S302
    parts["store"]["blobs"]["zzq-effect"] = pickle.dumps(_Exploit())
    entry.write_bytes(_repacked(data, kb=marshal.dumps(parts)))
    kb = _load(folder)  # the entry is intact: records are checked when first used
    with pytest.raises(immunokb.ImmunoKBError, match=r"stored record of 'zzq-effect'.*cache=False"):
        kb.get("zzq-effect")
    assert not MARKER.exists()
    assert kb.get("sipuleucel-T").id == "sipuleucel-t"  # the other records are fine


def test_a_damaged_search_index_is_rebuilt_on_first_search(cache, builds, folder) -> None:
    first = _load(folder)
    expected = first.search("immunotherapy")
    (entry,) = _entries(cache)
    data = entry.read_bytes()
    start, length = _section_start(data, "search")
    entry.write_bytes(_flip(data, start + length // 2))
    again = _load(folder)
    assert len(builds) == 1  # the entities are intact: served from the cache
    assert again.search("immunotherapy") == expected  # the index is built, not read


def _vocabularies() -> list[type]:
    from enum import Enum

    from immunokb import _models

    found = [
        value
        for value in vars(_models).values()
        if isinstance(value, type)
        and issubclass(value, Enum)
        and value.__module__ == _models.__name__
    ]
    assert found
    return found


@pytest.mark.parametrize("vocabulary", _vocabularies(), ids=lambda v: v.__name__)
def test_every_vocabulary_member_pickles_by_value_through_the_allow_list(vocabulary: type) -> None:
    # CPython before 3.11.5 pickled a str-mixed enum as getattr(cls, name); that is a
    # name the cache's allow-list refuses, so on those releases the cache never hit.
    for member in vocabulary:  # type: ignore[attr-defined]
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            data = pickle.dumps(member, protocol=protocol)
            assert b"getattr" not in data
            assert _store.load_models(data) is member


def test_a_cached_knowledge_base_is_read_back(tmp_path: Path, cache: Path) -> None:
    # The hit itself, through the allow-list reader: vocabularies, dates and models.
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "effect.md").write_text(EFFECT.lstrip(), encoding="utf-8")
    first = immunokb.load(paths=[folder])
    [entry] = _entries(cache)
    key = entry.name.removeprefix("kb-").removesuffix(".kbcache")
    cached = _cache.read(key)
    assert cached is not None
    served = cached.store.all()
    assert len(served) == len(first.entities)
    assert all(first.get(entity.id) == entity for entity in served)
    assert cached.sources == first.sources
