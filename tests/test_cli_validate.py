"""The ``validate`` command, and ``--path``/``--no-bundled`` on the query commands."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import immunokb
from conftest import NCI_VACCINES, side_effect_doc
from immunokb._cli import main
from immunokb._load import bundled_documents

ANSI = re.compile(r"\x1b\[[0-9;]*m")
ENVELOPE = ["command", "arguments", "content_version", "count", "results"]
REPORT_KEYS = ["ok", "documents", "errors", "warnings", "skipped", "problems"]
PROBLEM_KEYS = ["severity", "path", "line", "field", "message"]
UNKNOWN = "unknown field, kept in Source.extra"

LEAFLET = """
---
title: Our clinic leaflet
source: Example clinic
reviewer: A. Nurse
department: oncology
---
Immunotherapy can cause tiredness. Ask your nurse for this leaflet.
"""

OLD_LEAFLET = """
---
title: An old leaflet
licence: cc_by
---
Old text.
"""

TIREDNESS = """
---
kind: side_effect
id: tiredness
name:
  value: tiredness
  cite:
    - source: clinic-leaflet
      quote: "Immunotherapy can cause tiredness."
cite:
  - source: clinic-leaflet
    quote: "Immunotherapy can cause tiredness."
---
A side effect our leaflet names.
"""

BAD_EFFECT = """
---
kind: side_effect
id: test-effect
name:
  value: stroke-like event
  cite:
    - source: nci-cancer-treatment-vaccines
      quote: "Sipuleucel-T can cause a stroke-like event."
cite:
  - source: nci-missing-source
    quote: "Sipuleucel-T can cause stroke."
---
A test entity.
"""

# Sorted by file, then line; `docs` stands for the corpus folder.
EXPECTED = [
    "{docs}/effects/bad.md:8: name.cite[0].quote: error: quote not found in source "
    "'nci-cancer-treatment-vaccines'; it matches up to 'Sipuleucel-T can cause ' and differs "
    "from there",
    "{docs}/effects/bad.md:10: cite[0].source: error: no source with id 'nci-missing-source'",
    "{docs}/sources/clinic-leaflet.md:4: reviewer: warning: unknown field, kept in Source.extra",
    "{docs}/sources/clinic-leaflet.md:5: department: warning: unknown field, kept in Source.extra",
    "{docs}/sources/old-leaflet.md:3: licence: error: unknown field; did you mean 'license'?",
    "4 documents: 3 errors, 2 warnings; 1 file skipped (not *.md or *.markdown)",
]


def run(capsys, *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def broken(corpus) -> Path:
    """A corpus with three errors and two warnings in four documents, and a text file."""
    return (
        corpus(
            {
                "broken/sources/clinic-leaflet.md": LEAFLET,
                "broken/sources/old-leaflet.md": OLD_LEAFLET,
                "broken/effects/tiredness.md": TIREDNESS,
                "broken/effects/bad.md": BAD_EFFECT,
                "broken/README.txt": "Not a document.\n",
            }
        )
        / "broken"
    )


@pytest.fixture
def mine(corpus) -> Path:
    """A valid corpus of one source (with two unknown fields, so two warnings) and one entity."""
    return corpus({"mine/clinic-leaflet.md": LEAFLET, "mine/tiredness.md": TIREDNESS}) / "mine"


@pytest.fixture
def clean(corpus) -> Path:
    """A valid corpus without warnings: one side effect quoting a bundled source."""
    return corpus({"clean/effect.md": side_effect_doc(name="can cause stroke")}) / "clean"


class FakeTTY(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


# --------------------------------------------------------------------------- validate, text


def test_validate_prints_every_problem_sorted_then_the_summary(capsys, broken: Path) -> None:
    code, out, err = run(capsys, "validate", broken)
    assert code == 1
    assert out.splitlines() == [line.format(docs=broken) for line in EXPECTED]
    assert err == ""


def test_validate_lines_are_the_reports(capsys, broken: Path) -> None:
    report = immunokb.validate([broken])
    _, out, _ = run(capsys, "validate", broken)
    assert out.splitlines()[:-1] == report.lines()


def test_validate_relative_paths_are_shown_as_given(capsys, broken: Path, monkeypatch) -> None:
    monkeypatch.chdir(broken.parent)
    code, out, _ = run(capsys, "validate", broken.name)
    assert code == 1
    assert out.splitlines()[0].startswith(f"{broken.name}/effects/bad.md:8: name.cite[0].quote: ")


def test_warnings_alone_exit_0(capsys, mine: Path) -> None:
    code, out, err = run(capsys, "validate", mine)
    assert code == 0
    assert out.splitlines() == [
        f"{mine}/clinic-leaflet.md:4: reviewer: warning: unknown field, kept in Source.extra",
        f"{mine}/clinic-leaflet.md:5: department: warning: unknown field, kept in Source.extra",
        "2 documents: 0 errors, 2 warnings",
    ]
    assert err == ""


def test_declared_extra_fields_are_not_warned_about(capsys, mine: Path) -> None:
    code, out, _ = run(capsys, "validate", mine, "--extra-field", "reviewer")
    assert (code, out.splitlines()) == (
        0,
        [
            f"{mine}/clinic-leaflet.md:5: department: warning: unknown field, kept in Source.extra",
            "2 documents: 0 errors, 1 warning",
        ],
    )
    both = ["--extra-field", "reviewer", "validate", mine, "--extra-field", "department"]
    assert run(capsys, *both)[1] == "2 documents: 0 errors, 0 warnings\n"


def test_declared_extra_fields_on_a_query_silence_the_load_warnings(capsys, mine: Path) -> None:
    code, _, err = run(capsys, "--path", mine, "get", "tiredness", "--extra-field", "reviewer")
    assert code == 0
    assert err.splitlines() == [
        f"{mine}/clinic-leaflet.md:5: department: warning: unknown field, kept in Source.extra"
    ]
    argv = ["--path", mine, "--extra-field", "reviewer", "--extra-field", "department"]
    assert run(capsys, *argv, "get", "tiredness")[2] == ""


def test_a_clean_corpus_prints_only_the_summary(capsys, clean: Path) -> None:
    code, out, _ = run(capsys, "validate", clean)
    assert (code, out) == (0, "1 document: 0 errors, 0 warnings\n")


def test_a_path_that_does_not_exist_is_an_error_line(capsys, clean: Path) -> None:
    missing = clean / "nowhere"
    code, out, err = run(capsys, "validate", clean / "effect.md", missing)
    assert code == 1
    assert out.splitlines() == [
        f"{missing}: error: no such file or directory",
        "1 document: 1 error, 0 warnings",
    ]
    assert "Traceback" not in err


def test_a_file_named_directly_must_be_a_document(capsys, broken: Path) -> None:
    code, out, _ = run(capsys, "validate", broken / "README.txt")
    assert code == 1
    assert out.splitlines() == [
        f"{broken / 'README.txt'}: error: not a document: immunokb reads Markdown files "
        "named *.md or *.markdown",
        "0 documents: 1 error, 0 warnings",
    ]


def test_no_bundled_checks_the_documents_alone(capsys, clean: Path) -> None:
    code, out, _ = run(capsys, "validate", clean, "--no-bundled")
    assert code == 1
    assert out.splitlines() == [
        f"{clean}/effect.md:7: name.cite[0].source: error: no source with id '{NCI_VACCINES}'",
        f"{clean}/effect.md:10: cite[0].source: error: no source with id '{NCI_VACCINES}'",
        "1 document: 2 errors, 0 warnings",
    ]
    # --no-bundled before the command means the same.
    assert run(capsys, "--no-bundled", "validate", clean)[1] == out


def test_path_options_are_checked_with_the_arguments(capsys, broken: Path, clean: Path) -> None:
    code, out, _ = run(capsys, "--path", broken, "validate", clean)
    assert code == 1
    assert out.splitlines()[-1] == EXPECTED[-1].replace("4 documents", "5 documents")
    # A folder given twice is read once.
    _, out, _ = run(capsys, "validate", broken, broken, "--path", broken)
    assert out.splitlines()[-1] == EXPECTED[-1]


def test_validate_needs_a_path(capsys) -> None:
    code, out, err = run(capsys, "validate")
    assert (code, out) == (2, "")
    (line,) = [line for line in err.splitlines() if line.startswith("immunokb validate: error:")]
    assert "PATH" in line  # the missing argument is named (argparse words the rest)
    code, out, _ = run(capsys, "validate", "--json")
    assert code == 2
    assert json.loads(out)["command"] == "validate"
    assert json.loads(out)["error"]["type"] == "usage_error"


def test_validate_help_describes_the_output(capsys) -> None:
    code, out, _ = run(capsys, "validate", "--help")
    assert code == 0
    assert "file:line: field: error: message" in out
    assert "--no-bundled" in out


# --------------------------------------------------------------------------- validate, colour


def test_colour_marks_the_severity_words(capsys, broken: Path) -> None:
    code, out, _ = run(capsys, "validate", broken, "--color", "always")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(
        f"{broken}/effects/bad.md:8: name.cite[0].quote: \x1b[1;31merror\x1b[0m: "
    )
    assert ": \x1b[33mwarning\x1b[0m: unknown field" in lines[2]
    assert ANSI.sub("", out) == run(capsys, "validate", broken, "--color", "never")[1]


def test_no_colour_when_piped(capsys, broken: Path, monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    _, out, _ = run(capsys, "validate", broken)
    assert not ANSI.search(out)


# --------------------------------------------------------------------------- validate, JSON


def test_validate_json_is_the_report_in_the_envelope(capsys, broken: Path) -> None:
    code, out, err = run(capsys, "validate", broken, "--json")
    assert code == 1
    assert err == ""
    data = json.loads(out)
    assert list(data) == ENVELOPE
    assert data["command"] == "validate"
    assert data["arguments"] == {"paths": [str(broken)], "bundled": True}
    assert data["content_version"] == immunokb.load().content_version
    assert data["count"] == 1
    (report,) = data["results"]
    assert list(report) == REPORT_KEYS
    assert report["ok"] is False
    assert (report["documents"], report["errors"], report["warnings"]) == (4, 3, 2)
    assert report["skipped"] == [str(broken / "README.txt")]
    assert all(list(problem) == PROBLEM_KEYS for problem in report["problems"])
    assert [p["severity"] for p in report["problems"]] == [
        "error",
        "error",
        "warning",
        "warning",
        "error",
    ]
    assert report["problems"][1] == {
        "severity": "error",
        "path": f"{broken}/effects/bad.md",
        "line": 10,
        "field": "cite[0].source",
        "message": "no source with id 'nci-missing-source'",
    }
    assert report["problems"][2]["field"] == "reviewer"


def test_validate_json_without_bundled_or_errors(capsys, mine: Path) -> None:
    code, out, _ = run(capsys, "--json", "validate", "--no-bundled", mine)
    assert code == 0
    data = json.loads(out)
    assert data["arguments"] == {"paths": [str(mine)], "bundled": False}
    assert data["content_version"] is None
    (report,) = data["results"]
    assert report["ok"] is True
    assert (report["documents"], report["errors"], report["warnings"]) == (2, 0, 2)
    assert {p["severity"] for p in report["problems"]} == {"warning"}
    assert report["skipped"] == []


def test_validate_json_is_never_coloured(capsys, broken: Path) -> None:
    _, out, _ = run(capsys, "validate", broken, "--json", "--color", "always")
    assert "\x1b" not in out


# --------------------------------------------------------------------------- progress


@pytest.fixture
def large(corpus) -> Path:
    """Enough documents, with the bundled ones, for more than 200 checking steps."""
    return (
        corpus(
            {
                f"large/extra-{n:02d}.md": textwrap.dedent(
                    f"""
                ---
                kind: side_effect
                id: extra-{n:02d}
                name:
                  value: test effect {n}
                  curated: "A test name."
                cite:
                  - source: {NCI_VACCINES}
                    quote: "Sipuleucel-T can cause stroke."
                ---
                A test entity.
                """
                )
                for n in range(40)
            }
        )
        / "large"
    )


def steps(documents: int) -> int:
    """Checking steps for these user documents and the bundled ones: two per document."""
    return 2 * (documents + len(bundled_documents()))


def test_progress_line_on_a_terminal(capsys, monkeypatch, large: Path) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    stderr = FakeTTY()
    monkeypatch.setattr(sys, "stderr", stderr)
    code, out, _ = run(capsys, "validate", large)
    total = steps(40)
    assert total > 200
    assert (code, out) == (0, "40 documents: 0 errors, 0 warnings\n")
    written = stderr.getvalue()
    frames = written.split("\r")
    assert frames[0] == ""
    width = len(str(total))
    drawn = [f"checking documents  {done:>{width}}/{total}" for done in range(50, total, 50)]
    drawn.append(f"checking documents  {total}/{total}")
    assert frames[1:-2] == drawn
    # Cleared at the end: blanks over the longest frame, and the cursor back at the start.
    assert frames[-2:] == [" " * len(drawn[-1]), ""]
    assert "\n" not in written


def test_progress_line_with_json_too(capsys, monkeypatch, large: Path) -> None:
    monkeypatch.setenv("TERM", "xterm")
    stderr = FakeTTY()
    monkeypatch.setattr(sys, "stderr", stderr)
    code, out, _ = run(capsys, "validate", large, "--json")
    assert code == 0
    assert json.loads(out)["results"][0]["documents"] == 40
    assert f"checking documents  {steps(40)}/{steps(40)}" in stderr.getvalue()


def test_no_progress_line_when_stderr_is_not_a_terminal(capsys, monkeypatch, large: Path) -> None:
    monkeypatch.setenv("TERM", "xterm")
    code, out, err = run(capsys, "validate", large)
    assert (code, err) == (0, "")
    assert "checking" not in out


def test_no_progress_line_on_a_dumb_terminal(capsys, monkeypatch, large: Path) -> None:
    monkeypatch.setenv("TERM", "dumb")
    stderr = FakeTTY()
    monkeypatch.setattr(sys, "stderr", stderr)
    run(capsys, "validate", large)
    assert stderr.getvalue() == ""


def test_no_progress_line_for_a_small_corpus(capsys, monkeypatch, mine: Path) -> None:
    monkeypatch.setenv("TERM", "xterm")
    stderr = FakeTTY()
    monkeypatch.setattr(sys, "stderr", stderr)
    code, _, _ = run(capsys, "validate", mine, "--no-bundled")  # 4 steps
    assert code == 0
    assert stderr.getvalue() == ""


# --------------------------------------------------------------------------- --path on queries


def test_search_your_documents_with_the_bundled_ones(capsys, mine: Path) -> None:
    code, out, _ = run(capsys, "--path", mine, "search", "leaflet")
    assert code == 0
    assert "passage in clinic-leaflet" in out
    assert "Ask your nurse for this **leaflet" in out
    # Without --path the bundled knowledge base has no such passage.
    _, out, _ = run(capsys, "search", "leaflet")
    assert "clinic-leaflet" not in out


def test_path_after_the_command_and_repeated(capsys, corpus, tmp_path: Path) -> None:
    corpus({"one/clinic-leaflet.md": LEAFLET, "two/tiredness.md": TIREDNESS})
    code, out, _ = run(
        capsys, "--path", tmp_path / "one", "get", "tiredness", "--path", tmp_path / "two"
    )
    assert code == 0
    assert out.startswith("tiredness  [side_effect: tiredness]\n")
    assert '"Immunotherapy can cause tiredness." (Our clinic leaflet; clinic-leaflet)' in out
    # Without the folder of sources, the entity's quotes cite a source that is not there.
    code, out, err = run(capsys, "get", "tiredness", "--path", tmp_path / "two")
    assert (code, out) == (1, "")
    assert "no source with id 'clinic-leaflet'" in err


def test_no_bundled_leaves_out_the_bundled_documents(capsys, mine: Path) -> None:
    code, out, _ = run(capsys, "--path", mine, "--no-bundled", "list", "sources")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["id", "clinic-leaflet"]
    code, out, _ = run(capsys, "--path", mine, "list", "sources", "--json")
    ids = [s["id"] for s in json.loads(out)["results"]]
    assert "clinic-leaflet" in ids
    assert NCI_VACCINES in ids
    code, _, err = run(capsys, "--path", mine, "--no-bundled", "get", "sipuleucel-T")
    assert code == 1
    assert "no entry matches 'sipuleucel-T'" in err


def test_no_bundled_json_has_no_content_version(capsys, mine: Path) -> None:
    code, out, _ = run(capsys, "get", "tiredness", "--path", mine, "--no-bundled", "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ENVELOPE
    assert data["content_version"] is None
    assert data["arguments"] == {"name": "tiredness"}
    assert data["results"][0]["citations"][0]["source_id"] == "clinic-leaflet"


def test_empty_results_name_your_sources(capsys, mine: Path) -> None:
    _, out, _ = run(capsys, "--path", mine, "--no-bundled", "therapies-with", "tiredness")
    assert out.splitlines() == [
        "Therapies with tiredness (tiredness):",
        "  none recorded in your sources",
    ]
    _, out, _ = run(capsys, "--path", mine, "therapies-with", "tiredness")
    assert out.splitlines()[-1] == "  none recorded in the bundled sources or yours"


QUERIES = [
    ["get", "tiredness"],
    ["search", "tiredness"],
    ["list", "side-effects", "--source", "clinic-leaflet"],
    ["side-effects", "T-VEC"],
    ["therapies-for", "melanoma"],
    ["therapies-with", "stroke"],
    ["sources"],
    ["conflicts"],
    ["cite", "tiredness"],
]


@pytest.mark.parametrize("argv", QUERIES, ids=[" ".join(a) for a in QUERIES])
def test_every_query_command_reads_your_documents(capsys, mine: Path, argv: list[str]) -> None:
    code, out, err = run(capsys, *argv, "--path", mine, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["command"] == argv[0]
    assert data["count"] > 0
    # The load's warnings, once each way, on stderr: the JSON stays clean.
    assert err.splitlines()[0].endswith("reviewer: warning: unknown field, kept in Source.extra")


def test_cite_quotes_your_source(capsys, mine: Path) -> None:
    code, out, _ = run(capsys, "--path", mine, "cite", "tiredness")
    assert code == 0
    assert "“Immunotherapy can cause tiredness.”" in out
    assert "Our clinic leaflet. Example clinic." in out


def test_no_bundled_without_path_is_a_usage_error(capsys) -> None:
    code, out, err = run(capsys, "--no-bundled", "conflicts")
    assert (code, out) == (2, "")
    assert "immunokb: error: --no-bundled needs --path" in err
    code, out, _ = run(capsys, "search", "x", "--no-bundled", "--json")
    assert code == 2
    assert json.loads(out)["error"]["type"] == "usage_error"
    assert json.loads(out)["command"] == "search"


def test_a_path_value_is_not_taken_for_the_command(capsys) -> None:
    code, out, _ = run(capsys, "--path", "get", "--json")
    assert code == 2
    assert json.loads(out)["command"] is None


# --------------------------------------------------------------------------- load problems


def test_invalid_documents_exit_1_with_every_error(capsys, broken: Path) -> None:
    code, out, err = run(capsys, "--path", broken, "search", "leaflet")
    assert (code, out) == (1, "")
    errors = [line.format(docs=broken) for line in EXPECTED if ": error: " in line]
    assert err.splitlines() == [
        *errors,
        f"immunokb: invalid documents: 3 errors; nothing was loaded "
        f"(check them with: immunokb validate {broken})",
    ]


def test_invalid_documents_hint_keeps_no_bundled(capsys, clean: Path) -> None:
    code, _, err = run(capsys, "--no-bundled", "--path", clean, "conflicts")
    assert code == 1
    assert err.splitlines()[-1] == (
        f"immunokb: invalid documents: 2 errors; nothing was loaded "
        f"(check them with: immunokb validate --no-bundled {clean})"
    )


def test_a_missing_path_is_an_invalid_document(capsys, tmp_path: Path) -> None:
    missing = tmp_path / "my docs"
    code, out, err = run(capsys, "get", "T-VEC", "--path", missing, "--json")
    assert code == 1
    assert err.splitlines() == [
        f"{missing}: error: no such file or directory",
        "immunokb: invalid documents: 1 error; nothing was loaded "
        f"(check them with: immunokb validate '{missing}')",
    ]
    assert json.loads(out) == {
        "command": "get",
        "error": {
            "type": "invalid_document",
            "message": "invalid documents: 1 error; nothing was loaded "
            f"(check them with: immunokb validate '{missing}')",
            "suggestions": [],
            "problems": [
                {
                    "severity": "error",
                    "path": str(missing),
                    "line": None,
                    "field": None,
                    "message": "no such file or directory",
                }
            ],
        },
    }


def test_load_warnings_go_to_stderr_once(capsys, mine: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = run(capsys, "--path", mine, "get", "tiredness")
    assert code == 0
    assert out.startswith("tiredness  [side_effect: tiredness]")
    assert err.splitlines() == [
        f"{mine}/clinic-leaflet.md:4: reviewer: warning: unknown field, kept in Source.extra",
        f"immunokb: 1 more warning; list them all with: immunokb validate {mine}",
    ]
    assert caught == []  # Python's own warning machinery printed nothing


def test_a_single_load_warning_is_printed_alone(capsys, corpus, tmp_path: Path) -> None:
    corpus({"clinic-leaflet.md": LEAFLET.replace("department: oncology\n", "")})
    code, _, err = run(capsys, "--path", tmp_path, "sources")
    assert code == 0
    assert err == f"{tmp_path}/clinic-leaflet.md:4: reviewer: warning: {UNKNOWN}\n"


def test_bundled_queries_print_no_warnings(capsys) -> None:
    code, _, err = run(capsys, "get", "T-VEC")
    assert (code, err) == (0, "")


# --------------------------------------------------------------------------- installed


def _script() -> Path:
    found = Path(sys.executable).parent / ("immunokb.exe" if os.name == "nt" else "immunokb")
    if not found.exists():
        pytest.skip("the immunokb console script is not installed next to this interpreter")
    return found


def _run(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, encoding="utf-8", check=False
    )


def test_console_script_validate(broken: Path, mine: Path) -> None:
    done = _run(_script(), "validate", broken)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [line.format(docs=broken) for line in EXPECTED]
    assert done.stderr == ""  # stderr is a pipe: no progress line
    done = _run(_script(), "validate", mine, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"][0]["warnings"] == 2
    done = _run(_script(), "--path", mine, "search", "leaflet")
    assert done.returncode == 0
    assert "passage in clinic-leaflet" in done.stdout
    assert done.stderr.splitlines() == [
        f"{mine}/clinic-leaflet.md:4: reviewer: warning: unknown field, kept in Source.extra",
        f"immunokb: 1 more warning; list them all with: immunokb validate {mine}",
    ]
    assert "DocumentWarning" not in done.stderr
