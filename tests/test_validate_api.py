"""immunokb.validate(): every problem of a corpus in one report, nothing raised."""

from __future__ import annotations

import json

import pytest

import immunokb
from conftest import NCI_VACCINES, side_effect_doc

LEAFLET = """
---
title: Leaflet
reviewer: Dr Example
licence: cc_by
---
Body.
"""


@pytest.fixture
def folder(corpus):
    return corpus(
        {
            "sources/leaflet.md": LEAFLET,
            "effects/bad.md": side_effect_doc("zzq-bad", quote="Words no source has."),
            "notes.txt": "not a document",
        }
    )


def test_report_lists_errors_and_warnings_in_file_order(folder) -> None:
    report = immunokb.validate([folder])
    assert not report.ok
    assert report.documents == 2
    assert report.skipped == (str(folder / "notes.txt"),)
    assert [type(p).__name__ for p in report.problems] == [
        "DocumentError",  # effects/bad.md: name.cite[0].quote
        "DocumentError",  # effects/bad.md: cite[0].quote
        "DocumentWarning",  # sources/leaflet.md:3 reviewer
        "DocumentError",  # sources/leaflet.md:4 licence
    ]
    lines = report.lines()
    assert (
        lines[2]
        == f"{folder}/sources/leaflet.md:3: reviewer: warning: unknown field, kept in Source.extra"
    )
    assert lines[3] == (
        f"{folder}/sources/leaflet.md:4: licence: error: unknown field; did you mean 'license'?"
    )
    assert all(": error: quote not found" in line for line in lines[:2])


def test_report_as_plain_data(folder) -> None:
    data = immunokb.validate([folder]).as_dict()
    assert json.loads(json.dumps(data)) == data  # JSON-ready
    assert (data["ok"], data["documents"], data["errors"], data["warnings"]) == (False, 2, 3, 1)
    severities = [p["severity"] for p in data["problems"]]
    assert severities == ["error", "error", "warning", "error"]
    warning = data["problems"][2]
    assert warning == {
        "severity": "warning",
        "path": f"{folder}/sources/leaflet.md",
        "line": 3,
        "field": "reviewer",
        "message": "unknown field, kept in Source.extra",
    }


def test_validate_agrees_with_load(folder) -> None:
    report = immunokb.validate([folder])
    with pytest.raises(immunokb.DocumentError) as info:
        immunokb.load(paths=[folder])
    assert [str(e) for e in info.value.problems] == [str(e) for e in report.errors]


def test_warnings_only_is_ok_and_matches_the_loaded_kb(corpus) -> None:
    folder = corpus({"sources/leaflet.md": LEAFLET.replace("licence", "license")})
    report = immunokb.validate([folder])
    assert report.ok
    assert report.errors == ()
    with pytest.warns(immunokb.DocumentWarning, match="reviewer: unknown field"):
        kb = immunokb.load(paths=[folder])
    assert kb.warnings == report.warnings
    assert kb.source("leaflet").extra == {"reviewer": "Dr Example"}


def test_bundled_false_checks_documents_alone(corpus) -> None:
    # Citing a bundled source is fine with the bundled documents, an error without.
    folder = corpus({"effect.md": side_effect_doc("zzq-effect")})
    with_bundled = immunokb.validate([folder])
    alone = immunokb.validate([folder], bundled=False)
    assert not any("no source" in e.reason for e in with_bundled.errors)
    assert any(f"no source with id {NCI_VACCINES!r}" in e.reason for e in alone.errors)


def test_missing_path_is_a_problem_not_an_exception(tmp_path) -> None:
    report = immunokb.validate([tmp_path / "nowhere"])
    assert [e.reason for e in report.errors] == ["no such file or directory"]
    assert report.documents == 0


def test_progress_is_reported_up_to_the_total(corpus) -> None:
    files = {f"sources/s{i}.md": f"---\ntitle: S{i}\n---\nBody {i}.\n" for i in range(60)}
    calls: list[tuple[int, int]] = []
    immunokb.validate([corpus(files)], bundled=False, progress=lambda d, t: calls.append((d, t)))
    assert calls
    assert calls[-1] == (120, 120)  # two steps per document: read, then checked
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})


def test_declared_fields_are_kept_without_warnings(corpus) -> None:
    folder = corpus({"sources/leaflet.md": LEAFLET.replace("licence", "license")})
    report = immunokb.validate([folder], extra_fields=["reviewer"])
    assert (report.ok, report.warnings) == (True, ())
    kb = immunokb.load(paths=[folder], extra_fields=["reviewer"])  # no warning issued
    assert kb.warnings == ()
    assert kb.source("leaflet").extra == {"reviewer": "Dr Example"}
    # The cache tells the two apart: undeclared, the same documents warn again.
    with pytest.warns(immunokb.DocumentWarning, match="reviewer"):
        assert immunokb.load(paths=[folder]).warnings != ()


def test_a_declared_field_is_never_taken_for_a_misspelling(corpus) -> None:
    folder = corpus({"sources/leaflet.md": "---\ntitle: Leaflet\nlicence: ours\n---\nBody.\n"})
    assert not immunokb.validate([folder]).ok
    kb = immunokb.load(paths=[folder], extra_fields=["licence"])
    assert kb.source("leaflet").extra == {"licence": "ours"}
    assert kb.source("leaflet").license == immunokb.License.UNKNOWN


@pytest.mark.parametrize("key", ["knd", "Kind", "kinds"])
def test_a_misspelt_kind_is_an_error_not_a_source_field(corpus, key) -> None:
    folder = corpus({"effect.md": f"---\n{key}: side_effect\nid: zzq\n---\n# Zzq\n"})
    (error,) = immunokb.validate([folder], bundled=False).errors
    assert (error.line, error.field) == (2, key)
    assert "did you mean 'kind'?" in error.reason


@pytest.mark.parametrize("key", ["cite", "aliases", "broader", "indications", "side_effects"])
def test_entity_fields_without_kind_are_errors(corpus, key) -> None:
    folder = corpus({"effect.md": f"---\ntitle: Zzq\n{key}: []\n---\nBody.\n"})
    (error,) = immunokb.validate([folder], bundled=False).errors
    assert error.field == key
    assert "has no `kind:`" in error.reason


def test_document_suffixes_in_any_case(corpus) -> None:
    folder = corpus(
        {
            "sources/Leaflet.MD": "---\ntitle: A\n---\nBody.\n",
            "sources/Notes.Markdown": "---\ntitle: B\n---\nBody.\n",
        }
    )
    kb = immunokb.load(paths=[folder], bundled=False)
    assert [s.id for s in kb.sources] == ["leaflet", "notes"]


@pytest.mark.parametrize(
    ("written", "shown"), [("2021", "2021"), ("'2021'", "2021"), ("2021-09", "2021-09")]
)
def test_a_review_year_may_be_written_unquoted(corpus, written, shown) -> None:
    folder = corpus({"s.md": f"---\ntitle: S\nlastReviewed: {written}\n---\nBody.\n"})
    source = immunokb.load(paths=[folder], bundled=False).source("s")
    assert source.last_reviewed_display == shown


@pytest.mark.parametrize("written", ["21", "20210", "-2021", "2021.5"])
def test_other_numbers_are_not_review_dates(corpus, written) -> None:
    folder = corpus({"s.md": f"---\ntitle: S\nlastReviewed: {written}\n---\nBody.\n"})
    (error,) = immunokb.validate([folder], bundled=False).errors
    assert (error.field, error.line) == ("lastReviewed", 3)


BLANK_VALUES = {
    "name.value": "name: {value: ' ', curated: x}",
    "aliases[0].value": "name: {value: X, curated: x}\naliases: [{value: '', curated: y}]",
    "status.regulator": (
        "name: {value: X, curated: x}\n"
        "status: {value: approved, regulator: ' ', cite: [{source: s, quote: Vaccine X}]}"
    ),
    "status.disputed_by[0].claim": (
        "name: {value: X, curated: x}\n"
        "status: {value: approved, curated: x, disputed_by: "
        "[{claim: ' ', cite: [{source: s, quote: Vaccine X}]}]}"
    ),
    "cite[0].quote": "name: {value: X, curated: x}",
}


@pytest.mark.parametrize("field", sorted(BLANK_VALUES))
def test_blank_text_is_a_document_error(corpus, field) -> None:
    # Found by fuzzing: a value of only spaces passed the document schema and then
    # failed a model with a raw pydantic ValidationError.
    cite_quote = "' '" if field == "cite[0].quote" else "Vaccine X"
    folder = corpus(
        {
            "s.md": "---\ntitle: S\n---\nVaccine X is approved by the FDA.\n",
            "e.md": f"---\nkind: therapy\nid: vx\n{BLANK_VALUES[field]}\n"
            f"cite: [{{source: s, quote: {cite_quote}}}]\n---\n",
        }
    )
    (error,) = immunokb.validate([folder], bundled=False).errors
    assert (error.field, error.reason) == (field, "must not be empty or only spaces")


def test_a_model_refusing_a_value_is_still_a_document_error(corpus, monkeypatch) -> None:
    # The safety net under the document schema: should a model refuse a value that
    # the schema let through, the load still ends in a DocumentError naming the file.
    from pydantic import BaseModel, Field

    from immunokb import _build

    class Pickier(BaseModel):
        field: str = Field(max_length=1)
        value: str
        citations: tuple[object, ...] = ()
        curated: str | None = None

    monkeypatch.setattr(_build, "Statement", Pickier)
    folder = corpus(
        {
            "s.md": "---\ntitle: S\n---\nVaccine X is approved by the FDA.\n",
            "e.md": "---\nkind: therapy\nid: vx\nscope: product\nname: {value: X, curated: x}\n"
            "cite: [{source: s, quote: Vaccine X}]\n---\n",
        }
    )
    with pytest.raises(immunokb.DocumentError) as info:
        immunokb.load(paths=[folder], bundled=False, cache=False)
    assert info.value.path == str(folder / "e.md")
    assert info.value.reason.startswith("invalid value in Pickier.field: ")
