"""A deliberately broken corpus: one run reports every problem, exactly, and nothing else.

``tests/fixtures/broken-corpus/`` mixes source and entity documents in several
languages and tier folders: some valid, many with one or several problems, a few
with warnings. ``EXPECTED.txt`` lists every problem :func:`immunokb.validate` must
report, one per line as ``file[:line][: field]: error|warning: message-prefix``.
A problem missing from the report, an extra one (such as a cascade: an error
reported again where a document uses a refused one) or a moved line fails.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

import immunokb

CORPUS = Path(__file__).parent / "fixtures" / "broken-corpus"


class Expected(NamedTuple):
    where: str
    severity: str
    prefix: str


def _expected() -> list[Expected]:
    out = []
    for line in (CORPUS / "EXPECTED.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        for severity in ("error", "warning"):
            marker = f": {severity}: "
            if marker in line:
                where, prefix = line.split(marker, 1)
                out.append(Expected(where, severity, prefix))
                break
        else:  # pragma: no cover - a malformed EXPECTED.txt
            raise AssertionError(f"EXPECTED.txt: no severity in {line!r}")
    return out


def _relative(text: str) -> str:
    return text.replace(f"{CORPUS}{os.sep}", "").replace(os.sep, "/")


def _actual(problem: immunokb.DocumentError | immunokb.DocumentWarning) -> Expected:
    where = Path(problem.path).relative_to(CORPUS).as_posix()
    if problem.line is not None:
        where += f":{problem.line}"
    if problem.field is not None:
        where += f": {problem.field}"
    severity = "error" if isinstance(problem, immunokb.DocumentError) else "warning"
    return Expected(where, severity, _relative(problem.reason))


@pytest.fixture(scope="module")
def report() -> immunokb.ValidationReport:
    return immunokb.validate([CORPUS])


def test_the_corpus_is_big_and_varied_enough(report: immunokb.ValidationReport) -> None:
    expected = _expected()
    assert report.documents >= 20
    assert len(expected) >= 25
    assert {e.severity for e in expected} == {"error", "warning"}
    files = [e.where.split(":", 1)[0] for e in expected]
    assert len(set(files)) >= 15
    assert any(files.count(f) >= 3 for f in files)  # a file with several problems
    assert any("/0" in f for f in files)  # in tier folders
    # Some documents are valid: they appear nowhere in the list.
    documents = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.suffix == ".md"}
    assert len(documents - set(files)) >= 8


def test_validate_reports_exactly_the_expected_problems(
    report: immunokb.ValidationReport,
) -> None:
    expected = _expected()
    actual = [_actual(p) for p in report.problems]
    # Locations and severities first, as whole lists: a missing, extra or moved
    # problem shows up in the diff.
    assert [(a.where, a.severity) for a in actual] == [(e.where, e.severity) for e in expected]
    for got, want in zip(actual, expected, strict=True):
        assert got.prefix.startswith(want.prefix), (got, want)
    assert len(report.errors) == sum(e.severity == "error" for e in expected)
    assert len(report.warnings) == sum(e.severity == "warning" for e in expected)
    assert not report.ok


def test_report_lines_carry_the_same_problems(report: immunokb.ValidationReport) -> None:
    lines = [_relative(line) for line in report.lines()]
    assert len(lines) == len(_expected())
    for line, want in zip(lines, _expected(), strict=True):
        assert line.startswith(f"{want.where}: {want.severity}: {want.prefix}"), line


def test_documents_and_skipped_files(report: immunokb.ValidationReport) -> None:
    documents = [p for p in CORPUS.rglob("*") if p.suffix == ".md"]
    assert report.documents == len(documents)
    assert report.skipped == (str(CORPUS / "EXPECTED.txt"), str(CORPUS / "sources" / "README.txt"))


def test_load_raises_with_the_same_errors(report: immunokb.ValidationReport) -> None:
    shared = immunokb.load()
    before = shared.fingerprint
    with pytest.raises(immunokb.DocumentError) as info:
        immunokb.load([CORPUS])
    error = info.value

    def key(p: immunokb.DocumentError) -> tuple[str, int | None, str | None, str]:
        return (p.path, p.line, p.field, p.reason)

    assert [key(p) for p in error.problems] == [key(p) for p in report.errors]
    assert key(error) == key(error.problems[0])
    assert f"(and {len(report.errors) - 1} more problems; see .problems)" in str(error)
    assert immunokb.load() is shared
    assert shared.fingerprint == before


def test_no_cascade_from_refused_documents(report: immunokb.ValidationReport) -> None:
    """Documents that use a refused document get no error for it."""
    own = {
        "zzq-hives.md": [],  # cites a source whose YAML does not parse
        "zzq-rash.md": [],  # broader: an entity whose YAML does not parse
        "zzqmab.md": [],  # side_effects: an entity the schema refuses
        "zzq-itching.md": [],  # the first of two documents with the same id
        "zzq-juckreiz.md": ["aliases[0].value"],  # cites a source with invalid fields
    }
    for name, fields in own.items():
        assert [p.field for p in report.problems if Path(p.path).name == name] == fields, name
    missing = [p for p in report.errors if p.reason.startswith("no source with id")]
    assert [p.reason for p in missing] == [
        "no source with id 'zzq-agency-notise'; did you mean 'zzq-agency-notice'?"
    ]
    dangling = [p for p in report.errors if p.reason.startswith("dangling reference")]
    assert [p.reason for p in dangling] == [
        "dangling reference: no entity 'zzq-lymphom'; did you mean 'zzq-lymphoma'?"
    ]


def test_fixing_the_corpus_leaves_only_valid_documents(tmp_path: Path) -> None:
    """The valid documents of the corpus load on their own (they are valid indeed)."""
    valid = [
        "sources/01_agency/zzq-agency-notice.md",
        "sources/02_clinical/zzq-hoja-clinica.md",
        "sources/zzq-hindi-parcha.md",
        "sources/07_company/zzq-company-page.md",
        "entities/therapies/zzqmab.md",
        "entities/vaccines/zzq-vacuna.md",
        "entities/side-effects/zzq-itching.md",
        "entities/side-effects/zzq-khujli.md",
        "entities/cancer-types/zzq-lymphoma.md",
    ]
    for name in valid:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / name, target)
    # zzqmab's side effect zzq-flag is refused in the corpus; here it is absent.
    text = (tmp_path / "entities/therapies/zzqmab.md").read_text(encoding="utf-8")
    cut = text.index("  - side_effect: zzq-flag")
    end = text.index("cite:\n  - *approval")
    (tmp_path / "entities/therapies/zzqmab.md").write_text(text[:cut] + text[end:], "utf-8")
    with pytest.warns(immunokb.DocumentWarning, match="department: unknown field"):
        kb = immunokb.load([tmp_path])
    zzqmab = kb.get("Zzqmab")
    assert zzqmab.status is immunokb.Status.APPROVED
    assert [i.cancer_type_id for i in zzqmab.indications] == ["zzq-lymphoma"]
    assert kb.source("zzq-agency-notice").tier == 1  # from its tier folder
    assert kb.source("zzq-company-page").title == "Zzqmab: a brighter tomorrow"
    assert kb.get("खुजली").broader == ("zzq-itching",)
