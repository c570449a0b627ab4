"""Loading from several threads and processes at once, and loading never writes.

Threads and processes that load the same user corpus get equal knowledge bases
(same fingerprint, same repr); the bundled one is built once per process and
shared. No load writes into the installed package or into the folders it reads:
at most the on-disk cache writes, inside its own directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import immunokb

FIXTURES = Path(__file__).parent / "fixtures"
PACKAGE = Path(immunokb.__file__).parent
THREADS = 8
PROCESSES = 4


@pytest.fixture(scope="module")
def user_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A realistic user corpus: a copy of the bundled documents, plus Devanagari ones."""
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copytree(PACKAGE / "data", corpus / "docs", ignore=shutil.ignore_patterns("_*"))
    shutil.copytree(FIXTURES / "bad" / "devanagari", corpus / "docs" / "hindi")
    return corpus


def _load(corpus: Path) -> immunokb.KnowledgeBase:
    return immunokb.load([corpus], bundled=False)


def _isolated_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a child: home, cache and bytecode kept out of real folders."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"IMMUNOKB_CACHE_DIR", "IMMUNOKB_NO_CACHE", "XDG_CACHE_HOME", "HOME"}
    }
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env |= {
        "HOME": str(home),
        "USERPROFILE": str(home),
        "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
        "IMMUNOKB_CACHE_DIR": str(tmp_path / "immunokb-cache"),
        "PYTHONDONTWRITEBYTECODE": "1",  # Python's own .pyc files are not the test
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    env.update(extra)
    return env


# ----------------------------------------------------------------- threads


@pytest.mark.parametrize("cache", ["cache", "no-cache"])
def test_threads_loading_one_corpus_get_equal_knowledge_bases(
    user_corpus: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cache: str
) -> None:
    monkeypatch.setenv("IMMUNOKB_CACHE_DIR", str(tmp_path / "cache"))
    if cache == "no-cache":
        monkeypatch.setenv("IMMUNOKB_NO_CACHE", "1")
    barrier = threading.Barrier(THREADS)

    def worker(_: int) -> immunokb.KnowledgeBase:
        barrier.wait()
        return _load(user_corpus)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        kbs = list(pool.map(worker, range(THREADS)))
    first = kbs[0]
    assert len(first.sources) == 6  # the five bundled sources and the Hindi one
    assert first.get("खुजली").id == "zzq-khujli"
    assert {kb.fingerprint for kb in kbs} == {first.fingerprint}
    assert {repr(kb) for kb in kbs} == {repr(first)}
    assert len({id(kb) for kb in kbs}) == THREADS  # each call with paths builds its own
    # ... and equals a load made alone, after the rush.
    again = _load(user_corpus)
    assert (again.fingerprint, repr(again)) == (first.fingerprint, repr(first))


def test_threads_loading_a_broken_corpus_all_get_the_same_errors() -> None:
    corpus = FIXTURES / "broken-corpus"
    barrier = threading.Barrier(THREADS)

    def worker(_: int) -> list[str]:
        barrier.wait()
        try:
            immunokb.load([corpus])
        except immunokb.DocumentError as exc:
            return [str(p) for p in exc.problems]
        return []  # pragma: no cover - a broken corpus must not load

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    assert len(results[0]) > 25
    assert all(result == results[0] for result in results)


_FIRST_LOAD_RACE = """
import json, threading, time
import immunokb, immunokb._snapshot as snapshot_module

builds = []
original = snapshot_module.read
def slow_read(*args, **kwargs):
    builds.append(threading.get_ident())
    time.sleep(0.2)  # widen the window in which other threads could start a load
    return original(*args, **kwargs)
snapshot_module.read = slow_read

barrier = threading.Barrier({threads})
results = []
def worker():
    barrier.wait()
    results.append(immunokb.load())
threads = [threading.Thread(target=worker) for _ in range({threads})]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({{
    "builds": len(builds),
    "loads": len(results),
    "objects": len({{id(kb) for kb in results}}),
    "fingerprint": results[0].fingerprint,
}}))
"""


def test_first_bundled_load_from_many_threads_builds_one_shared_object(tmp_path: Path) -> None:
    # In a fresh process, so that the threads really race for the first build.
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_LOAD_RACE.format(threads=THREADS)],
        env=_isolated_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(done.stdout)
    assert result == {
        "builds": 1,
        "loads": THREADS,
        "objects": 1,
        "fingerprint": immunokb.load().fingerprint,
    }


# ----------------------------------------------------------------- processes


_LOAD_AND_REPORT = """
import json, sys
import immunokb
kb = immunokb.load([sys.argv[1]], bundled=False)
print(json.dumps({"fingerprint": kb.fingerprint, "repr": repr(kb)}))
"""


def test_processes_loading_one_corpus_get_equal_knowledge_bases(
    user_corpus: Path, tmp_path: Path
) -> None:
    # All at once, sharing one cache directory (half of them with the cache off).
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _LOAD_AND_REPORT, str(user_corpus)],
            env=_isolated_env(tmp_path, IMMUNOKB_NO_CACHE=str(index % 2)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(PROCESSES)
    ]
    results = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        results.append(json.loads(out))
    here = _load(user_corpus)
    assert results == [{"fingerprint": here.fingerprint, "repr": repr(here)}] * PROCESSES


# ----------------------------------------------------------------- nothing is written


_LOADS_THAT_MUST_NOT_WRITE = """
import json, os, sys
events = []
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        mode, flags = args[1], args[2]
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & WRITE:
            events.append(["open", os.fsdecode(args[0])])
    elif event in {"os.rename", "os.replace", "os.link", "os.symlink"}:
        events.append([event, os.fsdecode(args[1])])
    elif event in {"os.mkdir", "os.remove", "os.rmdir", "os.truncate", "os.chmod", "os.utime"}:
        if isinstance(args[0], (str, bytes, os.PathLike)):
            events.append([event, os.fsdecode(args[0])])
sys.addaudithook(hook)

import immunokb
corpus, alone, broken, probe = sys.argv[1:5]
immunokb.load()
for _ in range(2):  # the second load may be served from the cache
    immunokb.load([corpus])
    immunokb.load([alone], bundled=False)
immunokb.validate([corpus])
try:
    immunokb.load([broken])
except immunokb.DocumentError:
    pass
with open(probe, "w") as handle:  # a write the hook must see
    handle.write("probe")
print(json.dumps(events))
"""


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``root``: (size, mtime_ns), by relative path."""
    out = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        out[path.relative_to(root).as_posix()] = (info.st_size, info.st_mtime_ns)
    info = root.lstat()
    out["."] = (info.st_size, info.st_mtime_ns)
    return out


def test_loading_writes_nothing_outside_the_cache_directory(
    user_corpus: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(FIXTURES / "broken-corpus", broken)
    corpus = tmp_path / "mine"  # loads with the bundled documents
    shutil.copytree(FIXTURES / "bad" / "devanagari", corpus)
    roots = (PACKAGE, corpus, user_corpus, broken)
    before = {root: _snapshot(root) for root in roots}
    env = _isolated_env(tmp_path)
    probe = tmp_path / "probe.txt"
    done = subprocess.run(
        [sys.executable, "-c", _LOADS_THAT_MUST_NOT_WRITE, *map(str, roots[1:]), str(probe)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    after = {root: _snapshot(root) for root in before}
    for root, snapshot in before.items():
        assert after[root] == snapshot, f"{root} changed"
    cache = Path(env["IMMUNOKB_CACHE_DIR"]).resolve()
    writes = json.loads(done.stdout)
    assert writes[-1] == ["open", str(probe)]  # the audit hook does see writes
    outside = [
        [event, path]
        for event, path in writes[:-1]
        if cache not in Path(path).resolve().parents and Path(path).resolve() != cache
    ]
    assert outside == []
    # The home folder stays empty: nothing is written next to the user's files.
    assert list(Path(env["HOME"]).iterdir()) == []
    assert not Path(env["XDG_CACHE_HOME"]).exists()  # IMMUNOKB_CACHE_DIR wins
