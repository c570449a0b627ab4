"""Every example in the README and the docs runs, and prints what the page shows.

The pages are ``README.md`` and every ``docs/*.md`` (pages in subfolders of
``docs/``, such as generated ones and ``docs/_build``, are not read). Each page's
examples run in page order, in a fresh working directory holding a copy of the
repository's ``examples/`` folder, as if from the root of a clone: files the
examples write go nowhere. The README is skipped when it is absent (the tests of
the installed wheel run without it).

``python`` blocks
    All the python blocks of a page run in one namespace, in order. A python
    block immediately followed by a ``text`` block (nothing but blank lines
    between them) must print exactly that text; any other python block only has
    to run. A block that starts with ``>>>`` (``python`` or ``pycon``) is an
    interactive session, checked as a doctest (whitespace normalised).
    ``DocumentWarning`` is ignored, since pages load documents with fields of
    their own on purpose; any other warning fails, as everywhere in the suite.

``console`` blocks
    A terminal session: each ``$ command`` line (a line ending in ``\\``
    continues on the next) runs in bash, and the lines after it, up to the next
    ``$ ``, must be what the terminal shows: standard output and standard error
    together, unless the command redirects them (``2>/dev/null``). The commands of
    one block share one shell, so ``$ echo $?`` shows the status of the command
    before it and ``$ echo ${PIPESTATUS[0]}`` that of the first command of a
    pipe. A command that exits with a status other than 0 must be followed by one
    of those, so that the page shows the failure.

``bash`` blocks
    Commands to copy, without output: each line runs in bash and must exit with
    status 0.

Which commands run
    By their first words, after any ``NAME=value`` settings: ``immunokb``,
    ``python -m immunokb``, ``python -c`` and a few harmless shell tools
    (``echo``, ``cat``, ``head``, ...) run; installing, building, testing,
    measuring and serving (``pip``, ``python -m venv``, ``python -m pytest``,
    ``python benchmarks/...``, ``git``, ``cd``, ``sphinx-build``, ``uvicorn``,
    ``curl``, ...) are never run. A command in neither list fails the test until
    it is added to one (``RUN`` and ``SETUP`` in ``docs_examples.py``).
    ``immunokb``, ``python`` and ``python3`` are the interpreter running the
    tests, so the commands test the code under test, installed or not.

Markers in expected output (python and console alike)
    A line that is only ``…`` or ``...`` (indentation allowed) stands for any
    number of lines, none included: output trimmed on the page. Inside a line,
    ``<version>`` stands for a version number, ``<fingerprint>`` for a hex digest,
    ``<date>`` for a ``YYYY-MM-DD`` date and ``<path>`` for a path. Everything
    else is compared exactly.

Optional dependencies
    When a python example fails because an optional dependency (pandas, pyarrow,
    fastapi, httpx) is not installed, the page's later python blocks are not run
    and its test is skipped, unless something else failed: the tests of the
    installed wheel run with only some extras. Any other error fails.

Files
    ``<!-- docs-test: file PATH -->`` directly before a block writes the block's
    text to ``PATH`` in the working directory before any example of the page
    runs, so that a page can show a document and then load it.

A failure names the page and the line of the block or command, with a diff.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

from docs_examples import PageRun, blocks, classify, matches, wrappers

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]
# For some pages, at least this many outputs compared and commands run.
LEAST = {
    "README.md": {"outputs": 1, "commands": 8},
    "docs/getting-started.md": {"outputs": 10, "commands": 8},
    "docs/cli.md": {"commands": 30},
    "docs/lookup-and-search.md": {"outputs": 2},
}


@pytest.fixture(scope="session")
def shell_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of the commands: the wrappers first on PATH, output unbuffered."""
    bindir = wrappers(tmp_path_factory.mktemp("docs-bin"))
    env = dict(os.environ)
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    # The commands run elsewhere: a relative PYTHONPATH would find other code, or none.
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(
            str(Path(entry).resolve()) for entry in env["PYTHONPATH"].split(os.pathsep) if entry
        )
    # Without a buffer, stdout and stderr interleave as they do in a terminal.
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory with a copy of the repository's examples."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_page(page: Path, name: str, workdir: Path, env: dict[str, str]):
    return PageRun(page, name, workdir, env).run()


@pytest.mark.parametrize("name", PAGES)
def test_page_examples_run_and_print_what_the_page_shows(name, workdir, shell_env) -> None:
    page = ROOT / name
    if not page.exists():
        pytest.skip(f"{name} is not here (the wheel's tests run without it)")
    outcome = run_page(page, name, workdir, shell_env)
    if outcome.failures:
        pytest.fail("\n\n".join(outcome.failures), pytrace=False)
    if outcome.missing:
        pytest.skip(f"examples need {', '.join(sorted(outcome.missing))}, not installed here")
    # The harness found the examples it should have compared, not nothing.
    for kind, least in LEAST.get(name, {}).items():
        assert outcome.counts[kind] >= least, (kind, outcome.counts)


# ---------------------------------------------------------------- the harness itself


def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return page


def _failures(tmp_path: Path, env: dict[str, str], text: str) -> list[str]:
    return run_page(_page(tmp_path, text), "page.md", tmp_path, env).failures


def test_blocks_know_their_language_line_and_what_comes_before(tmp_path) -> None:
    text = "# T\n\nSome prose.\n\n```python\nx = 1\n```\n\n````markdown\n```text\nhi\n```\n````\n"
    found = blocks(text)
    assert [(b.language, b.line) for b in found] == [("python", 5), ("markdown", 9)]
    assert found[1].body == "```text\nhi\n```\n"
    assert found[1].before == "\n"


def test_markers_stand_for_lines_and_values() -> None:
    assert matches("a\n...\nd\n", "a\nb\nc\nd\n")
    assert matches("a\n  …\nd\n", "a\nd\n")
    assert not matches("a\n...\nd\n", "a\nb\n")
    assert matches(
        "immunokb <version> (fingerprint <fingerprint>)\n",
        "immunokb 1.2.0 (fingerprint 0fa3b9c2d1)\n",
    )
    assert not matches("immunokb <version>\n", "immunokb\n")
    assert not matches("fingerprint <fingerprint>\n", "fingerprint XYZ\n")
    assert matches("on <date> in <path>\n", "on 2026-11-21 in /tmp/a b/c.md\n")
    assert not matches("a\nb\n", "a\nb\nc\n")
    assert not matches("a.b\n", "axb\n")  # nothing else is a pattern


def test_commands_are_run_skipped_or_refused_by_their_first_words() -> None:
    assert classify("immunokb get T-VEC --json | head -3") == "run"
    assert classify("python -m immunokb get T-VEC") == "run"
    assert classify("echo $?") == "run"
    assert classify('pip install -e ".[dev]" && immunokb side-effects sipuleucel-T') == "setup"
    assert classify("IMMUNOKB_FUZZ_EXAMPLES=50000 python -m pytest tests/x.py") == "setup"
    assert classify("python benchmarks/run.py --quick") == "setup"
    assert classify("immunokbx get") == "unknown"
    assert classify("rm -rf /") == "unknown"


def test_a_python_block_that_prints_something_else_fails_with_a_diff(tmp_path, shell_env) -> None:
    failures = _failures(
        tmp_path,
        shell_env,
        """
        Intro.

        ```python
        print("one")
        print("two")
        ```

        ```text
        one
        three
        ```
        """,
    )
    assert len(failures) == 1
    assert failures[0].startswith("page.md:3: python output differs")
    assert "-three" in failures[0]
    assert "+two" in failures[0]


def test_a_text_block_after_prose_is_not_output(tmp_path, shell_env) -> None:
    text = """
    ```python
    print("one")
    ```

    prints

    ```text
    two
    ```
    """
    assert _failures(tmp_path, shell_env, text) == []


def test_a_python_error_is_reported_at_its_page_line(tmp_path, shell_env) -> None:
    failures = _failures(
        tmp_path,
        shell_env,
        """
        ```python
        x = 1
        ```

        ```python
        y = x + 1
        raise ValueError("broken example")
        ```

        ```python
        print("not run")
        ```
        """,
    )
    assert len(failures) == 1
    assert failures[0].startswith("page.md:5: python block raised")
    assert 'page.md", line 7' in failures[0]
    assert "ValueError: broken example" in failures[0]


def test_only_a_missing_optional_dependency_skips_a_page(tmp_path, shell_env) -> None:
    optional = _page(tmp_path, '```python\nraise ImportError("not here", name="fastapi")\n```\n')
    outcome = run_page(optional, "page.md", tmp_path, shell_env)
    assert outcome.failures == []
    assert outcome.missing == {"fastapi"}
    typo = _page(tmp_path, "```python\nimport pandsa\n```\n")
    outcome = run_page(typo, "page.md", tmp_path, shell_env)
    assert outcome.missing == set()
    assert "ModuleNotFoundError: No module named 'pandsa'" in outcome.failures[0]


def test_an_interactive_session_is_a_doctest(tmp_path, shell_env) -> None:
    failures = _failures(
        tmp_path,
        shell_env,
        """
        ```python
        >>> 1 + 1
        3

        ```
        """,
    )
    assert len(failures) == 1
    assert failures[0].startswith("page.md:1: interactive example differs")


def test_console_output_status_and_markers(tmp_path, shell_env) -> None:
    ok = """
    ```console
    $ immunokb --version
    immunokb <version>
    ...
    fingerprint: <fingerprint>
    $ immunokb get sipuleucel
    immunokb: no entry matches 'sipuleucel'; did you mean: sipuleucel-T?
    $ echo $?
    1
    $ immunokb list therapies --json | head -2
    {
      "command": "list",
    $ echo ${PIPESTATUS[0]}
    1
    $ echo one; echo two >&2; echo three
    one
    ...
    ```
    """
    assert _failures(tmp_path, shell_env, ok) == []


def test_console_mismatch_and_unshown_failure_are_reported(tmp_path, shell_env) -> None:
    failures = _failures(
        tmp_path,
        shell_env,
        """
        Prose.

        ```console
        $ echo hello
        goodbye
        $ immunokb get sipuleucel 2>/dev/null
        ```
        """,
    )
    assert len(failures) == 2
    assert failures[0].startswith("page.md:4: `$ echo hello` printed something else")
    assert "-goodbye" in failures[0]
    assert "+hello" in failures[0]
    assert failures[1].startswith("page.md:6: `$ immunokb get sipuleucel 2>/dev/null` exited")


def test_bash_commands_must_succeed_and_setup_is_skipped(tmp_path, shell_env) -> None:
    failures = _failures(
        tmp_path,
        shell_env,
        """
        ```bash
        pip install immunokb
        immunokb get T-VEC
        immunokb get sipuleucel   # not found
        ```
        """,
    )
    assert len(failures) == 1
    assert failures[0].startswith("page.md:4: `immunokb get sipuleucel   # not found` exited")


def test_an_unknown_command_is_refused(tmp_path, shell_env) -> None:
    failures = _failures(tmp_path, shell_env, "```console\n$ frobnicate --all\n```\n")
    assert failures == [
        "page.md:2: command 'frobnicate' is neither run nor skipped by the docs examples "
        "harness: add it to RUN or SETUP in tests/docs_examples.py"
    ]


def test_file_directives_write_the_block_before_anything_runs(tmp_path, shell_env) -> None:
    text = """
    ```console
    $ cat notes/a.txt
    written first
    ```

    <!-- docs-test: file notes/a.txt -->
    ```text
    written first
    ```

    <!-- docs-test: flie notes/b.txt -->
    ```text
    b
    ```

    <!-- docs-test: file x.txt -->
    Prose between.

    ```text
    c
    ```
    """
    failures = _failures(tmp_path, shell_env, text)
    assert failures == [
        "page.md: 1 docs-test directive(s) not directly before a block",
        "page.md:12: unknown docs-test directive 'flie notes/b.txt'",
    ]
    assert not (tmp_path / "x.txt").exists()


def test_example_corpus_is_where_the_page_says() -> None:
    corpus = ROOT / "examples" / "hospital-docs"
    listed = {
        str(path.relative_to(corpus)).replace(os.sep, "/")
        for path in corpus.rglob("*")
        if path.is_file()
    }
    assert listed == {
        "04_hospital/day-unit-leaflet.md",
        "04_hospital/merkblatt-tagesklinik.md",
        "05_trials/Study List.md",
        "README.txt",
    }
