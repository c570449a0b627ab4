"""The benchmark harness runs, and its generated corpora load (no timings are asserted).

``benchmarks/`` is not part of the wheel: against an installed wheel (where the
tests are copied without it) these tests skip. The runner's smoke test also needs
its peers (``pip install -e ".[bench]"``) and skips without them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import immunokb

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
TARGETS = [f"T{n}" for n in range(1, 11)]

pytestmark = pytest.mark.skipif(
    not (BENCHMARKS / "run.py").is_file(), reason="benchmarks/ is not here (wheel test run)"
)


def _corpus_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_corpus", BENCHMARKS / "corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_generated_corpus_loads_and_is_deterministic(tmp_path: Path) -> None:
    corpus = _corpus_module()
    made = corpus.generate(tmp_path / "a", 1000)
    kb = immunokb.load(paths=[made.directory], bundled=False, cache=False)

    assert made.documents == 1000
    assert len(kb.sources) == made.sources
    assert len(kb.entities) == made.entities == 1000 - made.sources
    assert len(kb.vaccines) == made.vaccines
    assert len(kb.therapies) == made.therapies + made.vaccines
    assert len(kb.side_effects) == made.side_effects
    assert len(kb.cancer_types) == made.cancer_types
    assert kb.warnings == ()
    # What the runner relies on: varied statuses, routes and indications, and hits
    # for the benchmark queries.
    assert len({t.status for t in kb.therapies}) >= 5
    assert len({r for t in kb.therapies for r in t.routes}) >= 6
    assert all(t.indications for t in kb.therapies)
    for query in (*corpus.QUERIES_1, *corpus.QUERIES_3):
        assert kb.search(query), query

    # The same seed gives the same bytes, also in another process under another
    # hash seed; another seed gives another corpus.
    again = corpus.generate(tmp_path / "b", 1000)
    assert _digest(again.directory) == _digest(made.directory)
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import corpus; "
        "corpus.generate(sys.argv[2], 1000)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-c", script, str(BENCHMARKS), str(tmp_path / "c")], check=True, env=env
    )
    assert _digest(tmp_path / "c") == _digest(made.directory)
    other = corpus.generate(tmp_path / "d", 1000, seed=7)
    assert _digest(other.directory) != _digest(made.directory)


def test_generate_refuses_a_directory_in_use(tmp_path: Path) -> None:
    corpus = _corpus_module()
    (tmp_path / "note.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError):
        corpus.generate(tmp_path, 10)


def test_quick_run_prints_every_target(tmp_path: Path) -> None:
    pytest.importorskip("pycountry", reason="the peers: pip install -e '.[bench]'")
    saved = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--json", str(saved)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| T")]
    shown = {line.split("|")[1].strip() for line in rows}
    assert shown == set(TARGETS), done.stdout
    assert all(re.search(r"\| (pass|FAIL|-) +\|$", line) for line in rows), done.stdout
    assert "CPU:" in done.stdout
    assert "Python:" in done.stdout
    assert "FAILING:" in done.stdout
    assert saved.is_file()


def test_readme_performance_figures_are_the_published_measurements() -> None:
    # The README quotes figures; docs/performance.md publishes the run they come
    # from. A figure the table does not show is a claim nobody measured.
    root = BENCHMARKS.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Performance", 1)[1].split("\n## ", 1)[0]
    table = [
        line
        for line in (root / "docs" / "performance.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| T")
    ]
    figures = re.findall(r"\b\d[\d,.]*\s?(?:ms|µs|s|MB)\b", section)
    assert figures, "the README's Performance section states no measured figure"
    cells = {cell.strip() for line in table for cell in line.split("|")}
    for figure in figures:
        assert figure in cells, f"README figure {figure!r} is not in docs/performance.md's table"
