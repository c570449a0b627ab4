"""``immunokb export``: to stdout, to --output, the licence filter, and its errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import immunokb
from immunokb import KnowledgeBase
from immunokb import _cli as cli
from immunokb._cli import main
from immunokb._frames import KINDS

ROOT = Path(__file__).resolve().parents[1]
HOSPITAL = str(ROOT / "examples" / "hospital-docs")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt", ["json", "jsonl", "schema", "jsonld"])
def test_text_formats_go_to_stdout_as_they_are(capsys, kb: KnowledgeBase, fmt: str) -> None:
    code, out, err = run(capsys, "export", "--format", fmt)
    assert (code, err) == (0, "")
    assert out == kb.export(fmt)


def test_json_is_the_default_format(capsys, kb: KnowledgeBase) -> None:
    code, out, _ = run(capsys, "export")
    assert code == 0
    assert json.loads(out)["header"]["fingerprint"] == kb.fingerprint


def test_one_csv_table_to_stdout(capsys, kb: KnowledgeBase) -> None:
    pytest.importorskip("pandas")
    code, out, _ = run(capsys, "export", "--format", "csv", "--table", "indications")
    assert code == 0
    assert out == kb.export("csv", table="indications")


def test_parquet_to_a_pipe_is_the_bytes(capsysbinary, kb: KnowledgeBase) -> None:
    pytest.importorskip("pyarrow")
    code = main(["export", "--format", "parquet", "--table", "sources"])
    out, _ = capsysbinary.readouterr()
    assert code == 0
    assert out == kb.export("parquet", table="sources")


def test_parquet_is_never_written_to_a_terminal(capsys, monkeypatch) -> None:
    monkeypatch.setattr(cli, "_stdout_is_tty", lambda: True)
    code, out, err = run(capsys, "export", "--format", "parquet", "--table", "sources")
    assert (code, out) == (2, "")
    assert "Parquet is binary and stdout is a terminal" in err


def test_output_file_and_text_report(capsys, kb: KnowledgeBase, tmp_path: Path) -> None:
    target = tmp_path / "kb.jsonl"
    code, out, err = run(capsys, "export", "--format", "jsonl", "--output", str(target))
    assert (code, err) == (0, "")
    assert out == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8") == kb.export("jsonl")


def test_output_directory_of_tables_with_json_report(
    capsys, kb: KnowledgeBase, tmp_path: Path
) -> None:
    pytest.importorskip("pyarrow")
    folder = tmp_path / "tables"
    code, out, _ = run(capsys, "export", "--format", "parquet", "-o", str(folder), "--json")
    assert code == 0
    report = json.loads(out)
    assert list(report) == ["command", "arguments", "content_version", "count", "results"]
    assert report["command"] == "export"
    assert report["arguments"] == {
        "format": "parquet",
        "output": str(folder),
        "table": None,
        "licenses": None,
    }
    assert report["content_version"] == kb.version
    assert report["count"] == len(KINDS)
    assert [r["table"] for r in report["results"]] == list(KINDS)
    for result in report["results"]:
        path = Path(result["path"])
        assert path.parent == folder
        assert result["bytes"] == path.stat().st_size
        assert path.read_bytes() == kb.export("parquet", table=result["table"])


def test_licence_filter_and_its_note(capsys, kb: KnowledgeBase) -> None:
    code, out, err = run(capsys, "export", "--licence", "public_domain")
    assert code == 0
    assert out == kb.export("json", licenses=["public_domain"])
    header = json.loads(out)["header"]
    kept = len(json.loads(out)["sources"])
    assert header["license_filter"]["licenses"] == ["public_domain"]
    assert err.startswith(f"immunokb: licence filter (public_domain): kept {kept} of 5 sources")
    # --license is the same option, and repeatable
    code, both, _ = run(capsys, "export", "--license", "unknown", "--licence", "public_domain")
    assert code == 0
    assert both == kb.export("json", licenses=["unknown", "public_domain"])


def test_user_documents_with_path_and_no_bundled(capsys) -> None:
    code, out, err = run(
        capsys,
        "export",
        "--path",
        HOSPITAL,
        "--no-bundled",
        "--extra-field",
        "department",
        "--extra-field",
        "leafletCode",
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["header"]["content_version"] is None
    assert {s["id"] for s in doc["sources"]} == {
        "day-unit-leaflet",
        "merkblatt-tagesklinik",
        "study-list",
    }
    assert err == ""  # the extra fields were declared: no warning


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "xml"], "'xml' is not one of: json, jsonl, schema, jsonld, csv, parquet"),
        (
            ["--format", "csv", "--table", "drugs"],
            "'drugs' is not one of: therapies, vaccines, side-effects, cancer-types, sources, "
            "indications, citations",
        ),
        (
            ["--format", "jsno"],
            "'jsno' is not one of: json, jsonl, schema, jsonld, csv, parquet; did you mean 'json'?",
        ),
        (["--licence", "gpl"], "'gpl' is not one of: public_domain, cc0, cc_by,"),
        (["--table", "therapies"], "--table applies to --format csv and parquet, not json"),
        (["--format", "csv"], "--format csv writes one table to stdout"),
        (["--format", "schema", "--licence", "cc0"], "--licence does not apply to --format schema"),
        (["--json"], "--json reports the files written with --output"),
    ],
)
def test_bad_export_arguments_are_usage_errors(capsys, argv: list[str], message: str) -> None:
    code, out, err = run(capsys, "export", *argv)
    assert code == 2
    (line,) = [line for line in err.splitlines() if line.startswith("immunokb export: error: ")]
    assert message in line
    if "--json" in argv:  # the error document, as for every command
        assert json.loads(out)["error"]["message"].startswith(message)
    else:
        assert out == ""


def test_usage_error_json_names_the_command(capsys) -> None:
    code, out, _ = run(capsys, "export", "--format", "csv", "--json", "-o", "x", "--table", "bad")
    assert code == 2
    assert json.loads(out)["command"] == "export"
    assert json.loads(out)["error"]["type"] == "usage_error"


def test_a_path_that_cannot_be_written_exits_1(capsys, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "kb.json"
    code, out, err = run(capsys, "export", "--output", str(target))
    assert (code, out) == (1, "")
    assert err.startswith(f"immunokb: cannot write {target}: ")
    code, out, _ = run(capsys, "export", "--output", str(target), "--json")
    assert code == 1
    assert json.loads(out)["error"]["type"] == "write_error"


def test_missing_extra_exits_1(capsys, monkeypatch, tmp_path: Path) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    code, out, err = run(capsys, "export", "--format", "parquet", "-o", str(tmp_path / "p"))
    assert (code, out) == (1, "")
    assert "needs pyarrow, which is not installed; install pyarrow, or immunokb with its " in err
    assert "'parquet' extra" in err


def test_export_help_lists_formats_and_licences(capsys) -> None:
    code, out, _ = run(capsys, "export", "--help")
    assert code == 0
    for word in ("json, jsonl, schema, jsonld, csv, parquet", "public_domain", "--table KIND"):
        assert word in out
    code, out, _ = run(capsys, "--help")
    assert "export" in out


def test_csv_directory_reads_back(capsys, kb: KnowledgeBase, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    code, _, _ = run(capsys, "export", "--format", "csv", "--output", str(tmp_path))
    assert code == 0
    frame = pd.read_csv(tmp_path / "therapies.csv")
    assert list(frame["id"]) == [t.id for t in kb.therapies]
    assert set(frame["fingerprint"]) == {kb.fingerprint}
    text = io.StringIO((tmp_path / "sources.csv").read_text(encoding="utf-8"))
    assert "stale" not in pd.read_csv(text).columns
    assert immunokb.load().fingerprint == kb.fingerprint
