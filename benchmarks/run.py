"""Measure issue 6's targets (T1-T10) against their peers and print one table.

Run:  python benchmarks/run.py [--quick] [--sizes 1000,10000] [--repeats 11]
                               [--load-repeats 3] [--only T1,T5] [--json PATH]

Install the peers first: ``pip install -e ".[bench]"`` (pycountry; SQLite FTS5 and
plain dicts come with Python).

Every target is a ratio to a peer measured on the same machine in the same run.
Each figure is the median over repeats of paired A/B runs (ours, then the peer,
then the peer first, alternating), because the machines are shared and noisy:

- **Whole process** (T1, T2): a fresh interpreter per run (``python -c ...``),
  timed from spawn to exit; peak RSS from the child's own rusage (``os.wait4``).
- **In a fresh process** (T3, T4, T8, T10): the child times the step itself after
  its imports and reports it, so interpreter start-up does not dilute it. T8
  pairs our first search and the FTS5 build in one child, ours first.
- **Warm, in process** (T5, T6, T7, T9): calibrated batches of calls (T7: single
  queries, p50), after a warm-up, in a fresh worker process per target and size
  that holds only that knowledge base, so that no figure depends on the heap or
  the caches an earlier one left behind.

Children write their bytecode under the scratch directory (``PYTHONPYCACHEPREFIX``,
``PYTHONDONTWRITEBYTECODE`` dropped), as an installed package has its bytecode,
and every whole-process timing follows a discarded warm-up run.

Generated corpora (``benchmarks/corpus.py``, fixed seed) of each ``--sizes`` are
loaded with ``bundled=False``. The load cache lives in a temporary
``IMMUNOKB_CACHE_DIR``, so a run never touches the user's cache. Targets stated
"at 10,000" are judged at 10,000 documents (or at the largest size run, said so in
the table); other sizes are shown as data points. 100,000 is a scaling data point.

The exit status is 0 when everything was measured, whether or not the targets
are met (the table says which fail); 1 when a measurement itself broke.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import corpus as corpus_module  # noqa: E402 - the benchmarks folder is not a package

import immunokb  # noqa: E402

TARGETS = ("T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10")
JUDGED_SIZE = 10_000
"""Targets stated "at 10,000 documents/entities" are judged at this size."""
LAZY = ("yaml", "frontmatter", "rapidfuzz", "pandas")
"""Modules that ``import immunokb`` must not load (T1)."""

BUNDLED_NAMES = ("sipuleucel-T", "Imlygic®", "T-VEC", "melanoma", "fever")
BUNDLED_TYPOS = ("sipuleucal-T", "melanoam", "imlygik", "oncolitic virus therapy")
COUNTRY_CODES = ("DE", "FR", "US", "JP", "BR")
COUNTRY_TYPOS = ("Germny", "Frnace", "Untied States", "Japn")


# --------------------------------------------------------------------------- results


@dataclass
class Row:
    """One line of the table: our figure, the peer's, and the target on their ratio."""

    target: str
    what: str
    unit: str
    ours: float | None = None
    peer: float | None = None
    limit: float | None = None
    """The target: ``ours / peer <= limit``; None for a data point."""
    note: str = ""
    check: bool | None = None
    """For a row without a ratio to judge: whether it meets its target."""
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        if self.check is not None or self.ours is None or not self.peer:
            return None
        return self.ours / self.peer

    @property
    def passed(self) -> bool | None:
        if self.error is not None:
            return False
        if self.check is not None:
            return self.check
        if self.limit is None or self.ratio is None:
            return None
        return self.ratio <= self.limit

    def result(self) -> str:
        if self.error is not None:
            return "ERROR"
        return {True: "pass", False: "FAIL", None: "-"}[self.passed]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "passed": self.passed}


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "modules":
        return f"{value:.0f} {unit}"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2 if abs(value) >= 1 else 3
    return f"{value:,.{digits}f} {unit}"


def table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table."""
    head = ("target", "what", "ours", "peer", "ratio", "target ratio", "result")
    lines = [head]
    for row in rows:
        ratio = "-" if row.ratio is None else f"{row.ratio:.3g}x"
        limit = "-" if row.limit is None else f"<= {row.limit:g}x"
        if row.check is not None:
            limit = "none extra"
        what = row.what + (f" [{row.note}]" if row.note else "")
        if row.error is not None:
            what += f" [error: {row.error}]"
        lines.append(
            (
                row.target,
                what,
                _number(row.ours, row.unit),
                _number(row.peer, row.unit),
                ratio,
                limit,
                row.result(),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = []
    for number, line in enumerate(lines):
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |")
        if number == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


# --------------------------------------------------------------------------- machine


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        head = subprocess.run(  # noqa: S603 - git, with fixed arguments
            [git, "-C", str(HERE), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603
            [git, "-C", str(HERE), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}{' (with uncommitted changes)' if dirty else ''}"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import sqlite3  # noqa: PLC0415

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    load = hasattr(os, "getloadavg")
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": affinity,
        "load_average": [round(x, 2) for x in os.getloadavg()] if load else None,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "packages": {
            name: _version(name)
            for name in (
                "immunokb",
                "pydantic",
                "pydantic-core",
                "PyYAML",
                "python-frontmatter",
                "pycountry",
            )
        },
    }
    commit = _git_commit()
    if commit:
        info["commit"] = commit
    return info


def describe(info: dict[str, Any]) -> str:
    packages = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    lines = [
        f"CPU: {info['cpu']}; {info['cores']} cores ({info['cores_usable']} usable); "
        f"load average {info['load_average']}",
        f"Python: {info['python']}; SQLite {info['sqlite']}",
        f"OS: {info['os']}",
        f"Packages: {packages}",
    ]
    if "commit" in info:
        lines.append(f"immunokb work tree: {info['commit']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- processes


@dataclass
class Finished:
    """A child process: wall time from spawn to exit, its peak RSS, what it printed."""

    ms: float
    peak_mb: float | None
    output: str

    def report(self) -> dict[str, Any]:
        """The JSON object the child printed last."""
        last = self.output.strip().splitlines()[-1]
        value: dict[str, Any] = json.loads(last)
        return value


def _maxrss_mb(kilobytes_or_bytes: int) -> float:
    # ru_maxrss is in kibibytes on Linux, in bytes on macOS.
    return kilobytes_or_bytes / (1024 * 1024 if sys.platform == "darwin" else 1024)


def child(code: str, *args: str, env: dict[str, str] | None = None) -> Finished:
    """Run ``python -c code args...`` in a fresh interpreter and wait for it."""
    return run_python(["-c", code, *args], env=env)


def run_python(arguments: Sequence[str], env: dict[str, str] | None = None) -> Finished:
    """Run ``python arguments...`` in a fresh interpreter and wait for it."""
    command = [sys.executable, *arguments]
    start = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env or os.environ.copy()
    )
    assert process.stdout is not None
    output = process.stdout.read()
    process.stdout.close()
    peak: float | None = None
    if hasattr(os, "wait4"):
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        peak = _maxrss_mb(usage.ru_maxrss)
    else:  # pragma: no cover - Windows
        process.wait()
    elapsed = (time.perf_counter() - start) * 1000
    text = output.decode("utf-8", "replace")
    if process.returncode != 0:
        raise RuntimeError(f"child exited {process.returncode}:\n{text[-2000:]}")
    return Finished(elapsed, peak, text)


def paired(
    ours: Callable[[], dict[str, float]],
    peer: Callable[[], dict[str, float]],
    repeats: int,
) -> tuple[dict[str, float], dict[str, float]]:
    """Medians of each figure over ``repeats`` A/B pairs, alternating which goes first."""
    mine: list[dict[str, float]] = []
    theirs: list[dict[str, float]] = []
    for number in range(repeats):
        if number % 2 == 0:
            mine.append(ours())
            theirs.append(peer())
        else:
            theirs.append(peer())
            mine.append(ours())

    def medians(runs: list[dict[str, float]]) -> dict[str, float]:
        return {key: statistics.median(run[key] for run in runs) for key in runs[0]}

    return medians(mine), medians(theirs)


def calibrated(call: Callable[[], object], seconds: float) -> Callable[[], float]:
    """A timer of ``call`` repeated often enough to take about ``seconds``; gives s per call."""
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            call()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds or loops >= 1 << 24:
            break
        loops = max(loops * 2, int(loops * seconds / max(elapsed, 1e-9) * 1.2))

    def timer() -> float:
        begin = time.perf_counter()
        for _ in range(loops):
            call()
        return (time.perf_counter() - begin) / loops

    return timer


# --------------------------------------------------------------------------- child code

RSS = """
def rss_mb():
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (2**20 if sys.platform == "darwin" else 2**10)
"""

MODULES = """
import json, sys
{statement}
third = sorted(
    {{name.split(".")[0] for name in sys.modules}}
    - set(sys.stdlib_module_names) - set(sys.builtin_module_names) - {{"__main__", "immunokb"}}
)
print(json.dumps(third))
"""

FIRST_LOAD = """
import json, time
{imports}
start = time.perf_counter()
{call}
print(json.dumps({{"ms": (time.perf_counter() - start) * 1000}}))
"""

FIRST_ANSWER = """
import json, time
start = time.perf_counter()
{imports}
imported = time.perf_counter()
{load}
loaded = time.perf_counter()
{answer}
answered = time.perf_counter()
print(json.dumps({{
    "ms": (answered - start) * 1000,
    "import_ms": (imported - start) * 1000,
    "load_ms": (loaded - imported) * 1000,
    "answer_ms": (answered - loaded) * 1000,
}}))
"""
"""A first answer as a program sees it: from before its import to the answer in hand."""

LOAD = """
import json, sys, time
import immunokb
load = immunokb.load  # the package's modules, imported on first use of a name
path, cache = sys.argv[1], sys.argv[2] == "1"
start = time.perf_counter()
kb = load(paths=[path], bundled=False, cache=cache)
ms = (time.perf_counter() - start) * 1000
print(json.dumps({"ms": ms, "documents": len(kb.sources) + len(kb.entities)}))
"""

FIRST_SEARCH = """
import json, sqlite3, sys, time
sys.path.insert(0, sys.argv[3])
import immunokb
from search_engines import Fts5
path, query = sys.argv[1], sys.argv[2]
kb = immunokb.load(paths=[path], bundled=False)
# Ours first: the first search on a freshly loaded knowledge base builds its index.
start = time.perf_counter()
hits = kb.search(query, limit=10)
ours = (time.perf_counter() - start) * 1000
assert hits, "no hit"
# The peer: FTS5 indexing the same rows (extracted untimed from the reference setup).
reference = Fts5(kb, list(kb.sources))
create = reference.db.execute("SELECT sql FROM sqlite_master WHERE name = 'docs'").fetchone()[0]
rows = reference.db.execute("SELECT names, body, key FROM docs").fetchall()
reference.db.close()
start = time.perf_counter()
db = sqlite3.connect(":memory:")
db.execute(create)
db.executemany("INSERT INTO docs VALUES (?, ?, ?)", rows)
db.commit()
peer = (time.perf_counter() - start) * 1000
print(json.dumps({"ours": ours, "peer": peer, "rows": len(rows)}))
"""

MEMORY_OURS = (
    """
import gc, json, os, sys
import immunokb
"""
    + RSS
    + """
path, dump = sys.argv[1], sys.argv[2]
everything = len(sys.argv) > 3
# The package's modules (and pydantic) before the baseline, as the peer has json:
# the figure is the data, not the code.
immunokb.load, immunokb.KnowledgeBase, immunokb.Therapy
gc.collect()
before = rss_mb()
kb = immunokb.load(paths=[path], bundled=False)
if everything:
    kb.entities  # every entity's model materialised
gc.collect()
after = rss_mb()
documents = len(kb.sources) + len(kb.entities)
if not os.path.exists(dump):
    records = [s.model_dump(mode="json") for s in kb.sources]
    records += [e.model_dump(mode="json") for e in kb.entities]
    with open(dump, "w", encoding="utf-8") as out:
        json.dump(records, out)
print(json.dumps({"mb": after - before, "documents": documents}))
"""
)

MEMORY_DICTS = (
    """
import gc, json, os, sys
"""
    + RSS
    + """
gc.collect()
before = rss_mb()
with open(sys.argv[1], encoding="utf-8") as source:
    records = json.load(source)
gc.collect()
after = rss_mb()
print(json.dumps({"mb": after - before, "documents": len(records)}))
"""
)


# --------------------------------------------------------------------------- context


@dataclass
class Context:
    """Options, the scratch directory, and the corpora generated so far."""

    sizes: list[int]
    repeats: int
    load_repeats: int
    quick: bool
    work: Path
    batch_seconds: float
    rounds: int
    corpora: dict[int, corpus_module.Corpus] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        """The children's environment: bytecode cached as after an install, off the tree.

        Installed packages come with their bytecode compiled; a development checkout
        (or ``PYTHONDONTWRITEBYTECODE``) would make only our import compile from
        source. So bytecode is written, for both sides alike, under the scratch
        directory (``PYTHONPYCACHEPREFIX``), and every timing is preceded by a warm-up.
        """
        env = os.environ.copy()
        env.pop("IMMUNOKB_NO_CACHE", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(self.work / "pycache")
        env.update(extra)
        return env

    @property
    def judged(self) -> int:
        """The size at which "at 10,000" targets are judged."""
        at_most = [s for s in self.sizes if s <= JUDGED_SIZE]
        return JUDGED_SIZE if JUDGED_SIZE in self.sizes else max(at_most or self.sizes)

    def judged_note(self, size: int) -> str:
        if size == self.judged and size != JUDGED_SIZE:
            return f"judged at {size:,}: 10,000 not run"
        return ""

    def load_repeats_for(self, size: int) -> int:
        return 1 if size >= 100_000 else self.load_repeats

    def corpus(self, size: int) -> corpus_module.Corpus:
        """The generated corpus of ``size`` documents, its cache entry written."""
        made = self.corpora.get(size)
        if made is None:
            progress(f"generating {size:,} documents")
            made = corpus_module.generate(self.work / f"corpus-{size}", size)
            progress(f"parsing {size:,} documents once to fill the cache")
            child(LOAD, str(made.directory), "1", env=self.env())
            self.corpora[size] = made
        return made


def progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def _ms(finished: Finished) -> dict[str, float]:
    return {"ms": finished.ms, "peak_mb": finished.peak_mb or 0.0}


# --------------------------------------------------------------------------- targets


def _canonical(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _pydantic_distributions() -> set[str]:
    """Pydantic and what it requires (without extras): what ``import immunokb`` may load.

    Also the ``importlib-resources`` backport, standard from Python 3.11 on.
    """
    allowed = {"pydantic", "importlib-resources"}
    for requirement in metadata.requires("pydantic") or ():
        if "extra ==" not in requirement:
            allowed.add(_canonical(re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0]))
    return allowed


def t1(ctx: Context) -> list[Row]:
    ours_code, peer_code = "import immunokb", "from pydantic import BaseModel"
    models_code = "from immunokb import Therapy"
    env = ctx.env()
    for code in (ours_code, peer_code, models_code):  # warm-up: bytecode and page caches
        child(code, env=env)
    ours, peer = paired(
        lambda: _ms(child(ours_code, env=env)),
        lambda: _ms(child(peer_code, env=env)),
        ctx.repeats,
    )
    # `import immunokb` defers its modules to the first use of a name: what the
    # first name costs (the models, with pydantic) is shown beside it.
    models, peer_again = paired(
        lambda: _ms(child(models_code, env=env)),
        lambda: _ms(child(peer_code, env=env)),
        ctx.repeats,
    )
    mine = json.loads(child(MODULES.format(statement=ours_code), env=env).output)
    theirs = json.loads(child(MODULES.format(statement=peer_code), env=env).output)
    allowed = _pydantic_distributions()
    owners = metadata.packages_distributions()
    extra = [
        m
        for m in mine
        if m not in theirs and not {_canonical(d) for d in owners.get(m, ())} & allowed
    ]
    lazy = [m for m in mine if m in LAZY]
    return [
        Row(
            "T1",
            '`python -c "import immunokb"` vs `from pydantic import BaseModel`, whole process',
            "ms",
            ours["ms"],
            peer["ms"],
            1.35,
        ),
        Row(
            "T1",
            "`from immunokb import Therapy` (the models loaded) vs `from pydantic import "
            "BaseModel`, whole process",
            "ms",
            models["ms"],
            peer_again["ms"],
            None,
            note="data point",
        ),
        Row(
            "T1",
            "third-party modules loaded by the import (only pydantic and its requirements may be)",
            "modules",
            len(mine),
            len(theirs),
            None,
            note=f"others: {', '.join(extra) or 'none'}; "
            f"of {'/'.join(LAZY)}: {', '.join(lazy) or 'none'}",
            check=not extra,
        ),
    ]


def t2(ctx: Context) -> list[Row]:
    ours_code = "import immunokb; immunokb.load().get('sipuleucel-T')"
    peer_code = "import pycountry; pycountry.countries.get(alpha_2='DE')"
    env = ctx.env()
    for code in (ours_code, peer_code):
        child(code, env=env)
    ours, peer = paired(
        lambda: _ms(child(ours_code, env=env)),
        lambda: _ms(child(peer_code, env=env)),
        ctx.repeats,
    )
    rows = [
        Row(
            "T2",
            "cold first use: import + load() + get(), whole process, vs pycountry cold",
            "ms",
            ours["ms"],
            peer["ms"],
            2.3,
        )
    ]
    # The time to a first cited answer, in the process, as a program sees it: the
    # import, load() (which imports the models) and the answer with its citation.
    answer_code = FIRST_ANSWER.format(
        imports="import immunokb",
        load="kb = immunokb.load()",
        answer='text = kb.cite(kb.side_effects_of("sipuleucel-T")[0])',
    )
    peer_answer_code = FIRST_ANSWER.format(
        imports="import pycountry",
        load="countries = pycountry.countries",
        answer="name = countries.get(alpha_2='DE').name",
    )
    for code in (answer_code, peer_answer_code):
        child(code, env=env)
    first, peer_first = paired(
        lambda: child(answer_code, env=env).report(),
        lambda: child(peer_answer_code, env=env).report(),
        ctx.repeats,
    )
    rows.append(
        Row(
            "T2",
            "first cited answer in a fresh process (`import immunokb`, `load()`, "
            "`cite(side_effects_of(...)[0])`), interpreter start-up excluded, vs pycountry's "
            "import and first `get()`",
            "ms",
            first["ms"],
            peer_first["ms"],
            None,
            note=f"data point: import {first['import_ms']:.0f} ms, load() "
            f"{first['load_ms']:.0f} ms, answer {first['answer_ms']:.1f} ms",
        )
    )
    if hasattr(os, "wait4"):
        rows.append(
            Row(
                "T2",
                "cold first use: peak RSS, vs pycountry cold",
                "MB",
                ours["peak_mb"],
                peer["peak_mb"],
                1.9,
            )
        )
    return rows


def t3(ctx: Context) -> list[Row]:
    # `import immunokb` defers its modules to the first use of a name (T1): they are
    # imported before the clock starts, as pycountry's are by its import.
    ours_code = FIRST_LOAD.format(imports="import immunokb\nload = immunokb.load", call="load()")
    peer_code = FIRST_LOAD.format(
        imports="import pycountry", call="pycountry.countries.get(alpha_2='DE')"
    )
    env = ctx.env()
    for code in (ours_code, peer_code):
        child(code, env=env)
    ours, peer = paired(
        lambda: child(ours_code, env=env).report(),
        lambda: child(peer_code, env=env).report(),
        ctx.repeats,
    )
    return [
        Row(
            "T3",
            "bundled load() after import, fresh process, vs pycountry's first get() after import",
            "ms",
            ours["ms"],
            peer["ms"],
            1.0,
        )
    ]


def t4(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    per_document: dict[int, tuple[float, float]] = {}  # size -> (cache, parse) ms per document
    for size in ctx.sizes:
        made = ctx.corpus(size)
        path = str(made.directory)
        repeats = ctx.load_repeats_for(size)
        progress(f"T4: loading {size:,} documents, cache vs parse, {repeats} pairs")
        cached, parsed = paired(
            lambda p=path: child(LOAD, p, "1", env=ctx.env()).report(),
            lambda p=path: child(LOAD, p, "0", env=ctx.env(IMMUNOKB_NO_CACHE="1")).report(),
            repeats,
        )
        per_document[size] = (cached["ms"] / size, parsed["ms"] / size)
        rows.append(
            Row(
                "T4",
                f"load {size:,} documents: from the cache vs parsing Markdown (>= 10x faster)",
                "ms",
                cached["ms"],
                parsed["ms"],
                0.1 if size <= JUDGED_SIZE else None,
                note="" if size <= JUDGED_SIZE else "data point",
            )
        )
    ordered = sorted(per_document)
    for small, large in itertools.pairwise(ordered):
        for index, how in ((0, "from the cache"), (1, "parsing Markdown")):
            judged = large <= JUDGED_SIZE
            rows.append(
                Row(
                    "T4",
                    f"cost per document {how}: {large:,} vs {small:,} documents",
                    "ms/doc",
                    per_document[large][index],
                    per_document[small][index],
                    1.5 if judged else None,
                    note="" if judged else "scaling data point",
                )
            )
    return rows


def _names_in(kb: immunokb.KnowledgeBase, count: int = 5) -> list[str]:
    """Names and aliases of entities spread over the knowledge base."""
    entities = kb.entities
    step = max(1, len(entities) // count)
    names = []
    for index in range(0, len(entities), step):
        entity = entities[index]
        names.append(entity.aliases[0] if entity.aliases and index % 2 else entity.name)
    return names[:count]


def _typo(name: str) -> str:
    """``name`` with two neighbouring letters swapped in its middle (one typo)."""
    middle = len(name) // 2
    for at in range(middle, len(name) - 1):
        if name[at].isalpha() and name[at + 1].isalpha() and name[at] != name[at + 1]:
            return name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    return name + "x"


def _get_all(kb: immunokb.KnowledgeBase, names: Sequence[str]) -> Callable[[], None]:
    def call() -> None:
        for name in names:
            kb.get(name)

    return call


def _miss_all(kb: immunokb.KnowledgeBase, typos: Sequence[str]) -> Callable[[], None]:
    def call() -> None:
        for typo in typos:
            try:
                kb.get(typo)
            except immunokb.NotFoundError:
                continue
            raise AssertionError(f"{typo!r} was found")

    return call


def _micro(
    ctx: Context, ours: Callable[[], object], peer: Callable[[], object], n_ours: int, n_peer: int
) -> tuple[float, float]:
    """Warm per-call times in microseconds: medians of paired calibrated batches."""
    ours(), peer()  # warm-up: lazy indexes, caches
    ours_timer = calibrated(ours, ctx.batch_seconds)
    peer_timer = calibrated(peer, ctx.batch_seconds)
    mine, theirs = paired(
        lambda: {"s": ours_timer()}, lambda: {"s": peer_timer()}, max(ctx.repeats, 3)
    )
    return mine["s"] / n_ours * 1e6, theirs["s"] / n_peer * 1e6


def _pycountry() -> Any:  # noqa: ANN401 - an optional module
    try:
        import pycountry  # noqa: PLC0415
    except ImportError as exc:
        raise RuntimeError("pycountry is not installed: pip install 'immunokb[bench]'") from exc
    return pycountry


def _pycountry_get() -> Callable[[], None]:
    countries = _pycountry().countries

    def peer() -> None:
        for code in COUNTRY_CODES:
            countries.get(alpha_2=code)

    return peer


def _pycountry_miss() -> Callable[[], None]:
    countries = _pycountry().countries

    def peer() -> None:
        for typo in COUNTRY_TYPOS:
            with contextlib.suppress(LookupError):
                countries.search_fuzzy(typo)

    return peer


def _at(ctx: Context, size: int) -> tuple[str, bool, str]:
    """For a row at ``size``: its label, whether its target is judged there, its note."""
    label = "the bundled KB" if size == 0 else f"{size:,} documents"
    judged = size == ctx.judged
    return label, judged, ctx.judged_note(size) if judged else "data point"


def t5_at(ctx: Context, kb: immunokb.KnowledgeBase, size: int) -> list[Row]:
    names = list(BUNDLED_NAMES) if size == 0 else _names_in(kb)
    ours, theirs = _micro(ctx, _get_all(kb, names), _pycountry_get(), len(names), 5)
    label, _, _ = _at(ctx, size)
    return [
        Row(
            "T5",
            f"get() exact, warm, {label} ({len(kb.entities):,} entities), "
            "vs pycountry.countries.get",
            "µs",
            ours,
            theirs,
            1.0,
        )
    ]


def t5(ctx: Context) -> list[Row]:
    rows = [row for size in (0, *ctx.sizes) for row in in_process(ctx, "T5", size)]
    largest = max(ctx.sizes)
    rows.append(
        Row(
            "T5",
            f"flat in corpus size: get() at {largest:,} documents vs on the bundled KB",
            "µs",
            rows[-1].ours,
            rows[0].ours,
            1.5,
            note="harness reading of 'flat': within 1.5x",
        )
    )
    return rows


def t6_at(ctx: Context, kb: immunokb.KnowledgeBase, size: int) -> list[Row]:
    if size == 0:
        typos = list(BUNDLED_TYPOS)
    else:
        labels = {immunokb.normalize(x) for e in kb.entities for x in (e.id, e.name, *e.aliases)}
        typos = [_typo(name) for name in _names_in(kb, 4)]
        typos = [t for t in typos if immunokb.normalize(t) not in labels]
    ours, theirs = _micro(ctx, _miss_all(kb, typos), _pycountry_miss(), len(typos), 4)
    label, judged, note = _at(ctx, size)
    limit = 0.5 if judged else None
    if size == 0:  # a target of its own
        limit, note = 0.05, ""
    return [
        Row(
            "T6",
            f"miss with suggestions (one typo), warm, {label} ({len(kb.entities):,} entities), "
            "vs pycountry.countries.search_fuzzy",
            "µs",
            ours,
            theirs,
            limit,
            note=note,
        )
    ]


def t6(ctx: Context) -> list[Row]:
    return [row for size in (0, *ctx.sizes) for row in in_process(ctx, "T6", size)]


def t7_at(ctx: Context, kb: immunokb.KnowledgeBase, size: int) -> list[Row]:
    from search_engines import Fts5  # noqa: PLC0415

    fts = Fts5(kb, list(kb.sources))
    indexed = fts.db.execute("SELECT count(*) FROM docs").fetchone()[0]
    kb.search("warm up")  # builds our index

    def ours(query: str) -> object:
        return kb.search(query, limit=10)

    def peer(query: str) -> object:
        return fts.search(query, 10)

    rows: list[Row] = []
    label, judged, note = _at(ctx, size)
    for words, queries, limit in (
        (1, corpus_module.QUERIES_1, 0.5),
        (3, corpus_module.QUERIES_3, 0.6),
    ):
        mine: list[float] = []
        theirs: list[float] = []
        for query in queries:  # warm-up
            ours(query)
            peer(query)
        for number in range(ctx.rounds):
            for query in queries:
                pair = [(ours, mine), (peer, theirs)]
                for search, samples in pair if number % 2 == 0 else pair[::-1]:
                    start = time.perf_counter()
                    search(query)
                    samples.append((time.perf_counter() - start) * 1000)
        rows.append(
            Row(
                "T7",
                f"search() top 10, warm p50, {words}-word queries, {label} "
                f"({indexed:,} indexed), vs FTS5 bm25 in memory",
                "ms",
                statistics.median(mine),
                statistics.median(theirs),
                limit if judged else None,
                note=note,
            )
        )
    fts.db.close()
    return rows


def t7(ctx: Context) -> list[Row]:
    return [row for size in ctx.sizes for row in in_process(ctx, "T7", size)]


def t8(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    for size in ctx.sizes:
        made = ctx.corpus(size)
        repeats = ctx.load_repeats_for(size)
        progress(f"T8: first search after loading {size:,} documents, {repeats} runs")
        runs = [
            child(
                FIRST_SEARCH,
                str(made.directory),
                corpus_module.QUERIES_1[0],
                str(HERE),
                env=ctx.env(),
            ).report()
            for _ in range(repeats)
        ]
        judged = size == ctx.judged
        rows.append(
            Row(
                "T8",
                f"loaded KB of {size:,} documents to the first search result, fresh process, "
                "vs building the FTS5 index of the same texts",
                "ms",
                statistics.median(r["ours"] for r in runs),
                statistics.median(r["peer"] for r in runs),
                0.05 if judged else None,
                note=ctx.judged_note(size) if judged else "data point",
            )
        )
    return rows


def _scan(
    therapies: Sequence[immunokb.Therapy],
    cancer_type_id: str,
    status: immunokb.Status,
    route: immunokb.Route,
) -> list[immunokb.Therapy]:
    """The peer: a linear scan over the models."""
    return [
        t
        for t in therapies
        if t.status is status
        and route in t.routes
        and any(i.cancer_type_id == cancer_type_id for i in t.indications)
    ]


def t9_at(ctx: Context, kb: immunokb.KnowledgeBase, size: int) -> list[Row]:
    status, route = immunokb.Status.INVESTIGATIONAL, immunokb.Route.INTRAVENOUS
    # The cancer type named by most therapies, among those with no narrower type
    # (so that the scan needs no hierarchy to give the same answer).
    counts: dict[str, int] = {}
    for therapy in kb.therapies:
        for cancer_type_id in therapy.cancer_type_ids:
            counts[cancer_type_id] = counts.get(cancer_type_id, 0) + 1
    leaves = [c for c in kb.cancer_types if not kb.narrower(c.id)]
    cancer = max(leaves, key=lambda c: (counts.get(c.id, 0), c.id)).id
    therapies = kb.therapies

    def ours() -> object:
        return kb.find_therapies(cancer_type=cancer, status=status, route=route)

    def peer() -> object:
        return _scan(therapies, cancer, status, route)

    found = [t.id for t in kb.find_therapies(cancer_type=cancer, status=status, route=route)]
    if found != [t.id for t in _scan(therapies, cancer, status, route)]:
        raise AssertionError("find_therapies and the scan disagree")
    mine, theirs = _micro(ctx, ours, peer, 1, 1)
    label, judged, note = _at(ctx, size)
    return [
        Row(
            "T9",
            f"find_therapies(cancer_type, status, route), {label} "
            f"({len(kb.entities):,} entities, {len(found)} found), vs a linear scan",
            "µs",
            mine,
            theirs,
            0.05 if judged else None,
            note=note,
        )
    ]


def t9(ctx: Context) -> list[Row]:
    return [row for size in ctx.sizes for row in in_process(ctx, "T9", size)]


# --------------------------------------------------------------------------- workers

IN_PROCESS: dict[str, Callable[[Context, immunokb.KnowledgeBase, int], list[Row]]] = {
    "T5": t5_at,
    "T6": t6_at,
    "T7": t7_at,
    "T9": t9_at,
}


def in_process(ctx: Context, target: str, size: int) -> list[Row]:
    """Rows of an in-process target at ``size`` (0: the bundled KB), from a fresh worker.

    Each (target, size) gets its own interpreter holding only that knowledge base,
    so that no figure depends on what an earlier one left in the heap or in caches.
    """
    spec = {
        "target": target,
        "size": size,
        "corpus": str(ctx.corpus(size).directory) if size else None,
        "sizes": ctx.sizes,
        "repeats": ctx.repeats,
        "quick": ctx.quick,
        "work": str(ctx.work),
        "batch_seconds": ctx.batch_seconds,
        "rounds": ctx.rounds,
    }
    progress(f"{target}: {'the bundled KB' if size == 0 else f'{size:,} documents'}, in a worker")
    script = [str(HERE / "run.py"), "--worker", json.dumps(spec)]
    report = run_python(script, env=ctx.env()).report()
    return [Row(**row) for row in report["rows"]]


def worker(spec: dict[str, Any]) -> int:
    """Run one in-process target at one size and print its rows as JSON."""
    ctx = Context(
        sizes=spec["sizes"],
        repeats=spec["repeats"],
        load_repeats=1,
        quick=spec["quick"],
        work=Path(spec["work"]),
        batch_seconds=spec["batch_seconds"],
        rounds=spec["rounds"],
    )
    size = spec["size"]
    kb = immunokb.load(paths=[spec["corpus"]], bundled=False) if size else immunokb.load()
    rows = IN_PROCESS[spec["target"]](ctx, kb, size)
    print(json.dumps({"rows": [asdict(row) for row in rows]}))
    return 0


def t10(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    for size in ctx.sizes:
        made = ctx.corpus(size)
        dump = ctx.work / f"plain-{size}.json"
        repeats = ctx.load_repeats_for(size)
        progress(f"T10: memory after loading {size:,} documents, {repeats} pairs")
        # The first run writes the same data as plain dicts (model_dump) for the peer.
        child(MEMORY_OURS, str(made.directory), str(dump), env=ctx.env())
        ours, peer = paired(
            lambda d=str(made.directory), p=str(dump): child(
                MEMORY_OURS, d, p, env=ctx.env()
            ).report(),
            lambda p=str(dump): child(MEMORY_DICTS, p, env=ctx.env()).report(),
            repeats,
        )
        judged = size == ctx.judged
        rows.append(
            Row(
                "T10",
                f"resident memory per 1,000 documents after load ({size:,} documents, "
                "from the cache), vs the same data as plain dicts (JSON of model_dump)",
                "MB",
                ours["mb"] / size * 1000,
                peer["mb"] / size * 1000,
                1.15 if judged else None,
                note=ctx.judged_note(size) if judged else "data point",
            )
        )
        # Entities are materialised on first use: the same, once every one has been.
        whole = statistics.median(
            child(MEMORY_OURS, str(made.directory), str(dump), "all", env=ctx.env()).report()["mb"]
            for _ in range(repeats)
        )
        rows.append(
            Row(
                "T10",
                f"the same after kb.entities materialised every model ({size:,} documents)",
                "MB",
                whole / size * 1000,
                peer["mb"] / size * 1000,
                None,
                note="data point",
            )
        )
    return rows


MEASURES: dict[str, Callable[[Context], list[Row]]] = {
    "T1": t1,
    "T2": t2,
    "T3": t3,
    "T4": t4,
    "T5": t5,
    "T6": t6,
    "T7": t7,
    "T8": t8,
    "T9": t9,
    "T10": t10,
}


# --------------------------------------------------------------------------- main


def _size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    return int(text[:-1]) * 1000 if text.endswith("k") else int(text)


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({_size(part) for part in text.split(",") if part.strip()})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of sizes: {text}") from exc
    if not sizes or sizes[0] < 10:
        raise argparse.ArgumentTypeError("sizes are numbers of documents, at least 10")
    return sizes


def _only(text: str) -> list[str]:
    wanted = [part.strip().upper() for part in text.split(",") if part.strip()]
    unknown = [w for w in wanted if w not in MEASURES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown target {unknown[0]}; known: {', '.join(TARGETS)}"
        )
    return wanted


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=textwrap.dedent(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke mode: tiny corpora, one repeat, short batches; checks that every "
        "measurement runs, and its figures mean little",
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=None,
        help="corpus sizes in documents, comma-separated, 10k for 10000 (default 1k,10k; "
        "--quick 40,80); add 100k for the scaling data point",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="paired A/B repeats of each cheap measurement (default 11; --quick 1)",
    )
    parser.add_argument(
        "--load-repeats",
        type=int,
        default=None,
        help="paired repeats of each load of a generated corpus (T4, T8, T10; default 3, "
        "always 1 at 100,000 documents or more; --quick 1)",
    )
    parser.add_argument("--only", type=_only, default=None, help="targets to run, e.g. T1,T5")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    parser.add_argument("--worker", type=json.loads, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker is not None:
        return worker(args.worker)
    quick = args.quick
    sizes = args.sizes or ([40, 80] if quick else [1000, 10_000])
    repeats = args.repeats or (1 if quick else 11)
    load_repeats = args.load_repeats or (1 if quick else 3)
    wanted = args.only or list(TARGETS)
    command = " ".join(["python", "benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)])

    with _scratch() as work:
        ctx = Context(
            sizes=sizes,
            repeats=repeats,
            load_repeats=load_repeats,
            quick=quick,
            work=work,
            batch_seconds=0.002 if quick else 0.05,
            rounds=2 if quick else 20,
        )
        info = machine()
        rows: list[Row] = []
        for target in wanted:
            progress(f"{target}")
            started = time.perf_counter()
            try:
                rows += MEASURES[target](ctx)
            except Exception as exc:  # a broken measurement is reported, not hidden
                traceback.print_exc(file=sys.stderr)
                # A child's traceback ends with the exception: the line that says most.
                reason = [line for line in f"{exc}".splitlines() if line.strip()] or [repr(exc)]
                rows.append(Row(target, "measurement failed", "", error=reason[-1].strip()))
            progress(f"{target} took {time.perf_counter() - started:.1f} s")

    print(f"immunokb performance targets (issue 6): {command}")
    if quick:
        print("QUICK SMOKE MODE: tiny corpora and one repeat; the figures are not measurements.")
    print(describe(info))
    print(
        f"Corpus sizes: {', '.join(f'{s:,}' for s in sizes)} documents; repeats {repeats}, "
        f"corpus-load repeats {load_repeats}; medians of paired A/B runs."
    )
    print()
    print(table(rows))
    print()
    failing = sorted({r.target for r in rows if r.passed is False}, key=TARGETS.index)
    errors = [r for r in rows if r.error is not None and r.what == "measurement failed"]
    met = [t for t in wanted if t not in failing]
    print(f"Met: {', '.join(met) or 'none'}")
    print(f"FAILING: {', '.join(failing) or 'none'}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "command": command,
                    "quick": quick,
                    "sizes": sizes,
                    "repeats": repeats,
                    "load_repeats": load_repeats,
                    "machine": info,
                    "rows": [r.as_dict() for r in rows],
                    "failing": failing,
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n",
            encoding="utf-8",
        )
    return 1 if errors else 0


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    """A temporary directory holding the corpora and the load cache, removed afterwards."""
    saved = {name: os.environ.get(name) for name in ("IMMUNOKB_CACHE_DIR", "IMMUNOKB_NO_CACHE")}
    with tempfile.TemporaryDirectory(prefix="immunokb-bench-") as scratch:
        work = Path(scratch)
        os.environ["IMMUNOKB_CACHE_DIR"] = str(work / "cache")
        os.environ.pop("IMMUNOKB_NO_CACHE", None)
        try:
            yield work
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


if __name__ == "__main__":
    sys.exit(main())
