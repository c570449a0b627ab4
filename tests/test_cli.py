from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from immunokb._cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_side_effects_text(capsys) -> None:
    code, out, _ = run(capsys, "side-effects", "sipuleucel-T")
    assert code == 0
    assert "stroke" in out
    assert "Sipuleucel-T can cause stroke." in out
    assert "inherited from treatment-vaccines" in out


def test_side_effects_json_shape(capsys) -> None:
    code, out, _ = run(capsys, "side-effects", "sipuleucel-T", "--json")
    assert code == 0
    links = json.loads(out)
    assert isinstance(links, list)
    assert links
    for link in links:
        assert set(link) == {"therapy_id", "side_effect", "via", "citations", "curated"}
        assert link["side_effect"]["kind"] == "side_effect"


def test_get_json_is_the_model(capsys) -> None:
    code, out, _ = run(capsys, "--json", "get", "Imlygic®")
    assert code == 0
    data = json.loads(out)
    assert data["id"] == "talimogene-laherparepvec"
    assert data["kind"] == "therapy"
    assert data["citations"][0]["start"] < data["citations"][0]["end"]


def test_get_text_shows_evidence_and_curated_marks(capsys) -> None:
    code, out, _ = run(capsys, "get", "prostate")
    assert code == 0
    assert "curated (not quoted)" in out


def test_not_found_exits_1_with_suggestions_on_stderr(capsys) -> None:
    code, out, err = run(capsys, "get", "sipuleucel")
    assert code == 1
    assert out == ""
    assert "sipuleucel-T" in err


def test_usage_error_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["list", "nonsense"])
    assert info.value.code == 2
    assert main([]) == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["therapies-for", "melanoma"],
        ["search", "tumor lysis", "--limit", "3"],
        ["list", "vaccines"],
        ["list", "sources"],
        ["sources", "--stale", "--on", "2026-11-21"],
        ["conflicts"],
    ],
)
def test_every_command_has_json(capsys, argv: list[str]) -> None:
    code, out, _ = run(capsys, *argv, "--json")
    assert code == 0
    assert isinstance(json.loads(out), list)
    code, text, _ = run(capsys, *argv)
    assert code == 0
    assert text.strip()


def test_sources_stale_json(capsys) -> None:
    _, out, _ = run(capsys, "sources", "--stale", "--on", "2026-01-01", "--json")
    ids = {s["id"] for s in json.loads(out)}
    assert "nci-cancer-treatment-vaccines" not in ids
    assert "healthmedia-how-do-cancer-immunotherapies-work" in ids


def _script() -> str:
    found = shutil.which("immunokb", path=os.path.dirname(sys.executable)) or shutil.which(
        "immunokb"
    )
    assert found, "the immunokb console script is installed"
    return found


def test_console_script_subprocess() -> None:
    done = subprocess.run(
        [_script(), "side-effects", "sipuleucel-T", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert {link["side_effect"]["id"] for link in json.loads(done.stdout)} >= {"stroke"}
    missing = subprocess.run(
        [_script(), "get", "checkpoint inhibiters"], capture_output=True, text=True, check=False
    )
    assert missing.returncode == 1
    assert missing.stdout == ""


def test_python_m_and_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "immunokb", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("immunokb ")
