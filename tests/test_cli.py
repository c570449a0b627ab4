from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import immunokb
from immunokb import DocumentError, KnowledgeBase
from immunokb import _cli as cli
from immunokb._cli import main
from immunokb._errors import QueryError

ANSI = re.compile(r"\x1b\[[0-9;]*m")
ENVELOPE = ["command", "arguments", "content_version", "count", "results"]
ERROR_KEYS = {"type", "message", "suggestions"}
DAY = "2026-01-01"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv: str) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == ENVELOPE
    assert data["count"] == len(data["results"])
    assert data["content_version"] == immunokb.load().content_version
    return data


def dumps(items) -> list:
    return [item.model_dump(mode="json") for item in items]


@pytest.fixture
def terminal(monkeypatch):
    """Pretend stdout is a colour terminal COLUMNS wide (default 200)."""
    monkeypatch.setattr(cli, "_stdout_is_tty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "200")
    return monkeypatch


# --------------------------------------------------------------------------- get


def test_get_json_is_the_model(capsys, kb: KnowledgeBase) -> None:
    data = run_json(capsys, "get", "Imlygic®")
    assert data["command"] == "get"
    assert data["arguments"] == {"name": "Imlygic®"}
    assert data["count"] == 1
    entity = data["results"][0]
    assert entity["id"] == "talimogene-laherparepvec"
    assert entity["kind"] == "therapy"
    assert entity["citations"][0]["start"] < entity["citations"][0]["end"]
    assert entity == kb.get("T-VEC").model_dump(mode="json")


def test_json_accepted_before_the_command(capsys) -> None:
    code, out, _ = run(capsys, "--json", "get", "T-VEC")
    assert code == 0
    assert json.loads(out)["results"][0]["id"] == "talimogene-laherparepvec"


def test_get_text_shows_evidence_and_curated_marks(capsys) -> None:
    code, out, _ = run(capsys, "get", "prostate cancer")
    assert code == 0
    assert out.startswith("prostate cancer  [cancer_type: prostate-cancer]\n")
    assert "  house tags (cancerTypes, not names): prostate\n" in out
    assert "  evidence:\n" in out
    assert "curated (not quoted): House cancerTypes tag that stands for prostate cancer" in out
    assert "(Cancer Treatment Vaccines - Immunotherapy - NCI; nci-cancer-treatment-vaccines)" in out


def test_get_text_shows_status_claims_disputes_and_indications(capsys) -> None:
    code, out, _ = run(capsys, "get", "LK101")
    assert code == 0
    assert "    status: unverified, from these claims:" in out
    assert "approved (FDA)  claimed by commercial-therapeutic-cancer-vaccines, tier 7" in out
    assert "disputed by nci-cancer-treatment-vaccines, tier 2:" in out
    code, out, _ = run(capsys, "get", "T-VEC")
    assert "    indication: melanoma (in_use)" in out
    assert "    side effect: tumor-lysis-syndrome" in out


def test_typo_exits_1_with_suggestions_on_stderr(capsys) -> None:
    code, out, err = run(capsys, "get", "checkpoint inhibiters")
    assert code == 1
    assert out == ""
    assert err.startswith("immunokb: no entry matches 'checkpoint inhibiters'")
    assert "did you mean: immune checkpoint inhibitors" in err


def test_partial_name_suggests_the_entity(capsys) -> None:
    code, out, err = run(capsys, "get", "sipuleucel")
    assert code == 1
    assert out == ""
    assert "sipuleucel-T" in err


@pytest.mark.parametrize("name", ["", "   "])
def test_get_empty_name_is_not_found(capsys, name: str) -> None:
    code, out, err = run(capsys, "get", name)
    assert code == 1
    assert out == ""
    assert "no entry matches" in err


def test_not_found_json_error_shape(capsys) -> None:
    code, out, err = run(capsys, "get", "checkpoint inhibiters", "--json")
    assert code == 1
    data = json.loads(out)
    assert list(data) == ["command", "error"]
    assert data["command"] == "get"
    assert set(data["error"]) == ERROR_KEYS
    assert data["error"]["type"] == "not_found"
    assert "immune checkpoint inhibitors" in data["error"]["suggestions"]
    assert data["error"]["message"] in err


# --------------------------------------------------------------------------- search


def test_search_text_shows_score_name_snippet_and_source(capsys) -> None:
    code, out, _ = run(capsys, "search", "dendritic", "--limit", "3")
    assert code == 0
    lines = out.splitlines()
    assert re.match(
        r"^ +\d+\.\d{3}  dendritic cell vaccines  \[vaccine: dendritic-cell-vaccines\]$", lines[0]
    )
    assert "**Dendritic**" in lines[1]
    assert lines[2].strip() == "source: nci-cancer-treatment-vaccines"
    assert "passage in nci-cancer-treatment-vaccines  (section: How do cancer treatment" in out


def test_search_json_matches_the_api(capsys, kb: KnowledgeBase) -> None:
    data = run_json(capsys, "search", "tumor lysis", "--limit", "3")
    assert data["arguments"] == {"text": "tumor lysis", "limit": 3}
    assert data["results"] == dumps(kb.search("tumor lysis", limit=3))
    assert 0 < data["count"] <= 3
    assert set(data["results"][0]) == {
        "entity",
        "source_id",
        "score",
        "snippet",
        "section",
        "citation",
        "matched",
    }


@pytest.mark.parametrize("text", ["", "   "])
def test_search_empty_query_has_no_hits(capsys, text: str) -> None:
    code, out, _ = run(capsys, "search", text)
    assert (code, out) == (0, "no matches\n")
    data = run_json(capsys, "search", text)
    assert (data["count"], data["results"]) == (0, [])


@pytest.mark.parametrize("limit", ["0", "-1", "two"])
def test_search_limit_must_be_positive(capsys, limit: str) -> None:
    code, out, err = run(capsys, "search", "vaccine", "--limit", limit)
    assert code == 2
    assert out == ""
    assert "argument --limit" in err


# --------------------------------------------------------------------------- list


LIST_CASES = [
    (["therapies"], "find_therapies", {}),
    (["therapies", "--cancer-type", "melanoma"], "find_therapies", {"cancer_type": "melanoma"}),
    (
        ["therapies", "--status", "approved", "--status", "in_use"],
        "find_therapies",
        {"status": ["approved", "in_use"]},
    ),
    (["therapies", "--route", "intravenous"], "find_therapies", {"route": ["intravenous"]}),
    (
        ["therapies", "--category", "immune checkpoint inhibitors"],
        "find_therapies",
        {"category": "immune checkpoint inhibitors"},
    ),
    (
        ["therapies", "--source", "healthmedia-how-do-cancer-immunotherapies-work"],
        "find_therapies",
        {"source": ["healthmedia-how-do-cancer-immunotherapies-work"]},
    ),
    (["therapies", "--tier", "5", "--tier", "6"], "find_therapies", {"tier": [5, 6]}),
    (["therapies", "--audience", "patient"], "find_therapies", {"audience": ["patient"]}),
    (["vaccines"], "find_vaccines", {}),
    (["vaccines", "--purpose", "prevention"], "find_vaccines", {"purpose": "prevention"}),
    (
        ["vaccines", "--platform", "mrna", "--platform", "peptide"],
        "find_vaccines",
        {"platform": ["mrna", "peptide"]},
    ),
    (["vaccines", "--status", "unverified"], "find_vaccines", {"status": ["unverified"]}),
    (["vaccines", "--cancer-type", "lung cancer"], "find_vaccines", {"cancer_type": "lung cancer"}),
    (["vaccines", "--route", "intratumoral"], "find_vaccines", {"route": ["intratumoral"]}),
    (
        ["vaccines", "--category", "treatment vaccines"],
        "find_vaccines",
        {"category": "treatment vaccines"},
    ),
    (["vaccines", "--tier", "7"], "find_vaccines", {"tier": [7]}),
    (["vaccines", "--audience", "professional"], "find_vaccines", {"audience": ["professional"]}),
    (
        ["vaccines", "--source", "nci-cancer-treatment-vaccines"],
        "find_vaccines",
        {"source": ["nci-cancer-treatment-vaccines"]},
    ),
    (["side-effects"], "find_side_effects", {}),
    (["side-effects", "--therapy", "T-VEC"], "find_side_effects", {"therapy": "T-VEC"}),
    (
        ["side-effects", "--source", "oncology-practice-immunotherapy-for-cancer"],
        "find_side_effects",
        {"source": ["oncology-practice-immunotherapy-for-cancer"]},
    ),
    (["side-effects", "--tier", "2"], "find_side_effects", {"tier": [2]}),
    (["side-effects", "--audience", "patient"], "find_side_effects", {"audience": ["patient"]}),
    (["cancer-types"], "find_cancer_types", {}),
    (["cancer-types", "--therapy", "tecemotide"], "find_cancer_types", {"therapy": "tecemotide"}),
    (
        ["cancer-types", "--source", "nci-cancer-treatment-vaccines"],
        "find_cancer_types",
        {"source": ["nci-cancer-treatment-vaccines"]},
    ),
    (["cancer-types", "--tier", "5"], "find_cancer_types", {"tier": [5]}),
    (["cancer-types", "--audience", "patient"], "find_cancer_types", {"audience": ["patient"]}),
    (["sources"], "find_sources", {}),
    (["sources", "--license", "public_domain"], "find_sources", {"license": ["public_domain"]}),
    (["sources", "--tier", "2"], "find_sources", {"tier": [2]}),
    (["sources", "--audience", "patient"], "find_sources", {"audience": ["patient"]}),
    (
        ["sources", "--stale", "--on", DAY],
        "find_sources",
        {"stale": True, "on": dt.date.fromisoformat(DAY)},
    ),
    (
        ["sources", "--current", "--on", DAY],
        "find_sources",
        {"stale": False, "on": dt.date.fromisoformat(DAY)},
    ),
]


@pytest.mark.parametrize(
    ("argv", "method", "kwargs"), LIST_CASES, ids=[" ".join(c[0]) for c in LIST_CASES]
)
def test_list_filters_match_the_api(capsys, kb: KnowledgeBase, argv, method, kwargs) -> None:
    expected = getattr(kb, method)(**kwargs)
    data = run_json(capsys, "list", *argv)
    assert data["command"] == "list"
    assert data["arguments"]["kind"] == argv[0]
    for key, value in kwargs.items():
        assert data["arguments"][key] == (
            value.isoformat() if isinstance(value, dt.date) else value
        )
    assert data["results"] == dumps(expected)
    code, out, _ = run(capsys, "list", *argv)
    assert code == 0
    lines = out.splitlines()
    if not expected:
        assert lines == ["no matches"]
        return
    assert len(lines) == len(expected) + 1
    assert [line.split()[0] for line in lines[1:]] == [item.id for item in expected]


def test_list_filters_really_filter(kb: KnowledgeBase) -> None:
    # The cases above must not all be trivially "everything" or "nothing"; no vaccine
    # states a route, so that case checks the empty table.
    for argv, method, kwargs in LIST_CASES:
        found = len(getattr(kb, method)(**kwargs))
        if argv == ["vaccines", "--route", "intratumoral"]:
            assert found == 0
        elif kwargs and argv[0] != "sources" and "audience" not in kwargs:
            assert 0 < found < len(getattr(kb, method)()), argv


def test_list_arguments_list_every_filter_of_the_kind(capsys) -> None:
    data = run_json(capsys, "list", "vaccines")
    assert data["arguments"] == {
        "kind": "vaccines",
        "cancer_type": None,
        "status": None,
        "route": None,
        "category": None,
        "platform": None,
        "purpose": None,
        "source": None,
        "tier": None,
        "audience": None,
    }
    assert list(run_json(capsys, "list", "sources")["arguments"]) == [
        "kind",
        "license",
        "tier",
        "audience",
        "stale",
        "on",
    ]
    assert list(run_json(capsys, "list", "side-effects")["arguments"]) == [
        "kind",
        "therapy",
        "source",
        "tier",
        "audience",
    ]


def test_list_therapies_for_melanoma(capsys) -> None:
    code, out, _ = run(capsys, "list", "therapies", "--cancer-type", "melanoma")
    assert code == 0
    assert out.splitlines()[0].split() == ["id", "name", "kind", "status", "routes"]
    row = next(line for line in out.splitlines() if line.startswith("talimogene-laherparepvec "))
    assert row.split()[1:] == ["talimogene", "laherparepvec", "therapy", "approved", "intratumoral"]


def test_list_prevention_vaccines(capsys, kb: KnowledgeBase) -> None:
    data = run_json(capsys, "list", "vaccines", "--purpose", "prevention")
    assert data["results"]
    assert {v["purpose"] for v in data["results"]} == {"prevention"}
    assert "hpv-vaccine" in {v["id"] for v in data["results"]}
    assert data["count"] == sum(v.purpose.value == "prevention" for v in kb.vaccines)
    _, out, _ = run(capsys, "list", "vaccines", "--purpose", "prevention")
    header = out.splitlines()[0].split()
    assert header == ["id", "name", "kind", "status", "routes", "platform", "purpose"]
    assert all(line.endswith("prevention") for line in out.splitlines()[1:])


def test_list_side_effect_and_cancer_type_tables_show_broader(capsys) -> None:
    _, out, _ = run(capsys, "list", "side-effects")
    assert out.splitlines()[0].split() == ["id", "name", "broader"]
    assert re.search(r"^fever +fever +flu-like-symptoms$", out, re.M)
    assert re.search(r"^stroke +stroke +-$", out, re.M)
    _, out, _ = run(capsys, "list", "cancer-types", "--therapy", "tecemotide")
    assert out.splitlines()[1].split() == ["nsclc", "NSCLC", "lung-cancer"]


def test_list_sources_table(capsys) -> None:
    _, out, _ = run(capsys, "list", "sources", "--on", DAY)
    lines = out.splitlines()
    assert re.split(r"  +", lines[0]) == [
        "id",
        "tier",
        "licence",
        "last reviewed",
        f"stale on {DAY}",
        "title",
    ]
    nci = next(line for line in lines if line.startswith("nci-cancer-treatment-vaccines "))
    assert re.split(r"  +", nci) == [
        "nci-cancer-treatment-vaccines",
        "2",
        "public_domain",
        "2025-12-30",
        "no",
        "Cancer Treatment Vaccines - Immunotherapy - NCI",
    ]
    commercial = next(line for line in lines if line.startswith("commercial-"))
    assert "no review date  yes" in commercial
    _, out, _ = run(capsys, "list", "sources")
    assert re.split(r"  +", out.splitlines()[0])[4] == "stale"


def test_list_columns_are_aligned(capsys) -> None:
    _, out, _ = run(capsys, "list", "therapies")
    lines = out.splitlines()
    start = lines[0].index("status")
    for line in lines[1:]:
        assert line[start - 2 : start] == "  "
        assert line[start] != " "


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["side-effects", "--platform", "mrna"], "--platform"),
        (["therapies", "--purpose", "prevention"], "--purpose"),
        (["sources", "--cancer-type", "melanoma"], "--cancer-type"),
        (["sources", "--status", "approved"], "--status"),
        (["cancer-types", "--route", "oral"], "--route"),
        (["side-effects", "--category", "immunotherapy"], "--category"),
        (["therapies", "--therapy", "T-VEC"], "--therapy"),
        (["sources", "--source", "nci-cancer-treatment-vaccines"], "--source"),
        (["vaccines", "--license", "cc0"], "--license"),
        (["therapies", "--stale"], "--stale"),
        (["cancer-types", "--current"], "--current"),
        (["side-effects", "--on", DAY], "--on"),
    ],
)
def test_a_filter_of_another_kind_is_a_usage_error(capsys, argv, flag) -> None:
    code, out, err = run(capsys, "list", *argv)
    assert code == 2
    assert out == ""
    assert "immunokb list [-h]" in err.splitlines()[0]  # the command's usage comes first
    assert f"immunokb list: error: {flag} does not apply to {argv[0]}; it applies to:" in err
    code, out, _ = run(capsys, "list", *argv, "--json")
    assert code == 2
    data = json.loads(out)
    assert data["command"] == "list"
    assert data["error"]["type"] == "usage_error"
    assert flag in data["error"]["message"]


@pytest.mark.parametrize(
    "argv",
    [
        ["therapies", "--status", "aproved"],
        ["vaccines", "--platform", "rna"],
        ["sources", "--license", "mit"],
        ["sources", "--tier", "two"],
        ["sources", "--on", "2026-02-30"],
        ["sources", "--stale", "--current"],
        ["nonsense"],
    ],
)
def test_bad_filter_values_are_usage_errors(capsys, argv) -> None:
    code, out, err = run(capsys, "list", *argv)
    assert code == 2
    assert out == ""
    assert "immunokb list: error:" in err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["therapies", "--cancer-type", "mesothelioma"], "matches 'mesothelioma'"),
        (["therapies", "--category", "melanoma"], "no therapy class matches 'melanoma'"),
        (["vaccines", "--source", "nci-cancer-treatment-vaccine"], "nci-cancer-treatment-vaccines"),
        (["side-effects", "--therapy", "melanoma"], "no therapy matches 'melanoma'"),
        (["cancer-types", "--therapy", "T-VECC"], "talimogene laherparepvec"),
    ],
)
def test_a_filter_naming_nothing_exits_1(capsys, argv, needle) -> None:
    code, out, err = run(capsys, "list", *argv)
    assert (code, out) == (1, "")
    assert needle in err


# --------------------------------------------------------------------------- side effects


def test_side_effects_text(capsys) -> None:
    code, out, _ = run(capsys, "side-effects", "sipuleucel-T")
    assert code == 0
    assert out.startswith("Side effects of sipuleucel-T (sipuleucel-t):\n  stroke\n")
    assert '"Sipuleucel-T can cause stroke."' in out
    assert "inherited from treatment-vaccines" in out
    assert (
        "  allergic reaction  (inherited from treatment-vaccines)\n"
        "      path: sipuleucel-t → dendritic-cell-vaccines → treatment-vaccines\n"
        '      "What are the side effects of cancer treatment vaccines? … '
        'You may have a severe allergic reaction."'
    ) in out
    assert "  stroke\n      path:" not in out  # a side effect of its own has no path
    assert (
        "      which include, according to nci-cancer-treatment-vaccines: fever; chills; "
        "weakness; dizziness;"
    ) in out


def test_side_effects_json_shape(capsys, kb: KnowledgeBase) -> None:
    data = run_json(capsys, "side-effects", "sipuleucel-T")
    assert data["command"] == "side-effects"
    assert data["arguments"] == {"therapy": "sipuleucel-T"}
    assert data["results"] == dumps(kb.side_effects_of("sipuleucel-T"))
    for link in data["results"]:
        assert set(link) == {
            "therapy_id",
            "side_effect",
            "via",
            "path",
            "citations",
            "curated",
            "includes",
        }
        assert link["side_effect"]["kind"] == "side_effect"
        assert link["path"][0] == "sipuleucel-t"
    assert {link["side_effect"]["id"] for link in data["results"]} >= {"stroke"}


def test_side_effects_of_a_non_therapy_is_not_found(capsys) -> None:
    code, out, err = run(capsys, "side-effects", "melanoma")
    assert (code, out) == (1, "")
    assert "no therapy matches 'melanoma'" in err


# --------------------------------------------------------------------------- therapies-for


def test_therapies_for_text_and_narrower_types(capsys) -> None:
    code, out, _ = run(capsys, "therapies-for", "lung cancer")
    assert code == 0
    assert out.startswith("Therapies used for or tested in lung cancer (lung-cancer):")
    assert "  tecemotide  [tecemotide]  unverified for nsclc" in out
    assert "claimed by commercial-therapeutic-cancer-vaccines, tier 7" in out


def test_therapies_for_json_rows(capsys, kb: KnowledgeBase) -> None:
    data = run_json(capsys, "therapies-for", "melanoma")
    assert data["arguments"] == {"cancer_type": "melanoma"}
    assert data["results"]
    for row in data["results"]:
        assert list(row) == [
            "therapy_id",
            "name",
            "kind",
            "therapy_status",
            "cancer_type_id",
            "status",
            "claims",
        ]
    tvec = next(r for r in data["results"] if r["therapy_id"] == "talimogene-laherparepvec")
    assert (tvec["status"], tvec["therapy_status"]) == ("in_use", "approved")
    assert {r["therapy_id"] for r in data["results"]} == {
        t.id for t in kb.therapies_for("melanoma")
    }


def test_therapies_for_a_therapy_names_what_was_typed(capsys) -> None:
    code, out, err = run(capsys, "therapies-for", "T-VEC")
    assert (code, out) == (1, "")
    assert err == "immunokb: no cancer type matches 'T-VEC'\n"


# --------------------------------------------------------------------------- therapies-with


def test_therapies_with_a_symptom(capsys, kb: KnowledgeBase) -> None:
    code, out, _ = run(capsys, "therapies-with", "fever")
    assert code == 0
    assert out.startswith(
        "Therapies with fever (fever):\n  (fever is part of: flu-like symptoms)\n"
    )
    assert (
        "  sipuleucel-T  [sipuleucel-t]  flu-like symptoms  (inherited from treatment-vaccines)\n"
        "      path: sipuleucel-t → dendritic-cell-vaccines → treatment-vaccines\n"
    ) in out
    # the practice's "feels similar to getting the flu" lists no fever
    assert "    flu-like symptoms, stated for immunotherapy\n" not in out
    assert "[immune-checkpoint-inhibitors]" not in out
    data = run_json(capsys, "therapies-with", "fever")
    assert data["arguments"] == {"side_effect": "fever"}
    assert data["results"] == dumps(kb.therapies_with_side_effect("fever"))


def test_therapies_with_a_direct_side_effect(capsys) -> None:
    code, out, _ = run(capsys, "therapies-with", "tumor lysis syndrome")
    assert code == 0
    assert "  talimogene laherparepvec  [talimogene-laherparepvec]  tumor lysis syndrome\n" in out
    assert '"T-VEC can cause tumor lysis syndrome."' in out


def test_therapies_with_a_non_side_effect_is_not_found(capsys) -> None:
    code, out, err = run(capsys, "therapies-with", "melanoma", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["error"]["type"] == "not_found"
    assert "no side effect matches 'melanoma'" in err


# --------------------------------------------------------------------------- sources, conflicts


def test_sources_stale_json(capsys) -> None:
    data = run_json(capsys, "sources", "--stale", "--on", DAY)
    assert data["arguments"] == {"stale": True, "on": DAY}
    ids = {s["id"] for s in data["results"]}
    assert "nci-cancer-treatment-vaccines" not in ids
    assert "healthmedia-how-do-cancer-immunotherapies-work" in ids


def test_sources_text_is_the_sources_table(capsys, kb: KnowledgeBase) -> None:
    code, out, _ = run(capsys, "sources", "--on", DAY)
    assert code == 0
    assert out == run(capsys, "list", "sources", "--on", DAY)[1]
    assert len(out.splitlines()) == len(kb.sources) + 1


def test_conflicts(capsys, kb: KnowledgeBase) -> None:
    code, out, _ = run(capsys, "conflicts")
    assert code == 0
    assert out.startswith("lk101: status is unverified\n")
    assert "treatment-vaccines: indication for bladder-cancer is disputed" in out
    assert "against approved (commercial-therapeutic-cancer-vaccines)" in out
    data = run_json(capsys, "conflicts")
    assert data["arguments"] == {}
    assert data["results"] == dumps(kb.conflicts())


# --------------------------------------------------------------------------- cite


def test_cite_an_entity_is_kb_cite(capsys, kb: KnowledgeBase) -> None:
    code, out, _ = run(capsys, "cite", "sipuleucel-T", "--on", DAY)
    assert code == 0
    assert out == kb.cite("sipuleucel-T", on=dt.date.fromisoformat(DAY)) + "\n"
    assert "[7] “Sipuleucel-T can cause stroke.”" in out
    data = run_json(capsys, "cite", "sipuleucel-T", "--on", DAY)
    assert data["arguments"] == {
        "name": "sipuleucel-T",
        "side_effect": None,
        "cancer_type": None,
        "on": DAY,
    }
    assert data["results"] == dumps(kb.references("sipuleucel-T", on=dt.date.fromisoformat(DAY)))
    assert set(data["results"][0]) == {
        "supports",
        "source_id",
        "title",
        "publisher",
        "url",
        "license",
        "tier",
        "last_reviewed",
        "stale",
        "quote",
        "lead_in",
        "start",
        "end",
        "curated",
    }


def test_cite_a_side_effect(capsys, kb: KnowledgeBase) -> None:
    code, out, _ = run(capsys, "cite", "sipuleucel-T", "--side-effect", "stroke")
    assert code == 0
    assert out.startswith("stroke: a side effect of sipuleucel-t\n")
    assert "[1] “Sipuleucel-T can cause stroke.”" in out
    assert "supports: side effect stroke" in out
    data = run_json(capsys, "cite", "sipuleucel-T", "--side-effect", "stroke")
    link = next(x for x in kb.side_effects_of("sipuleucel-T") if x.side_effect.id == "stroke")
    assert data["results"] == dumps(kb.references(link))


def test_cite_an_inherited_side_effect_through_a_symptom(capsys) -> None:
    code, out, _ = run(capsys, "cite", "sipuleucel-T", "--side-effect", "fever")
    assert code == 0
    blocks = out.split("\n\n")
    assert len(blocks) == 2
    assert blocks[0].startswith(
        "flu-like symptoms: a side effect of sipuleucel-t "
        "(via sipuleucel-t → dendritic-cell-vaccines → treatment-vaccines)"
    )
    assert "supports: side effect flu-like-symptoms (stated for immunotherapy)" in blocks[1]


def test_cite_an_indication(capsys, kb: KnowledgeBase) -> None:
    code, out, _ = run(capsys, "cite", "tecemotide", "--cancer-type", "lung cancer")
    assert code == 0
    assert out.startswith(
        "tecemotide (tecemotide): indication nsclc failed, "
        "claimed by commercial-therapeutic-cancer-vaccines\n[1] “"
    )
    assert "supports: indication nsclc failed (phase_3)" in out
    data = run_json(capsys, "cite", "T-VEC", "--cancer-type", "melanoma")
    claims = kb.get("T-VEC").indications_for("melanoma")  # type: ignore[union-attr]
    assert data["results"] == [r for c in claims for r in dumps(kb.references(c))]


@pytest.mark.parametrize(
    ("argv", "needle", "suggestion"),
    [
        (
            ["sipuleucel-T", "--side-effect", "tumor lysis syndrome"],
            "sipuleucel-T (sipuleucel-t) has no recorded side effect 'tumor lysis syndrome'",
            "stroke",
        ),
        (
            ["T-VEC", "--cancer-type", "prostate cancer"],
            "talimogene laherparepvec (talimogene-laherparepvec) has no indication for",
            "melanoma",
        ),
        (
            ["melanoma", "--cancer-type", "melanoma"],
            "melanoma (melanoma) is a cancer type, not a therapy",
            None,
        ),
        (["T-VEC", "--side-effect", "tumour lyssis"], "no entry matches 'tumour lyssis'", None),
    ],
)
def test_cite_without_such_link_exits_1(capsys, argv, needle, suggestion) -> None:
    code, out, err = run(capsys, "cite", *argv)
    assert (code, out) == (1, "")
    assert needle in err
    code, out, _ = run(capsys, "cite", *argv, "--json")
    assert code == 1
    error = json.loads(out)["error"]
    assert error["type"] == "not_found"
    assert needle in error["message"]
    if suggestion is not None:
        assert suggestion in error["suggestions"]


def test_cite_options_exclude_each_other(capsys) -> None:
    code, out, err = run(capsys, "cite", "T-VEC", "--side-effect", "x", "--cancer-type", "y")
    assert (code, out) == (2, "")
    assert "not allowed with argument" in err


# --------------------------------------------------------------------------- envelope, errors


EVERY_COMMAND = [
    ["get", "T-VEC"],
    ["search", "tumor lysis", "--limit", "3"],
    ["list", "vaccines"],
    ["list", "sources"],
    ["side-effects", "T-VEC"],
    ["therapies-for", "melanoma"],
    ["therapies-with", "stroke"],
    ["sources", "--stale", "--on", "2026-11-21"],
    ["conflicts"],
    ["cite", "T-VEC"],
]


@pytest.mark.parametrize("argv", EVERY_COMMAND, ids=[" ".join(a) for a in EVERY_COMMAND])
def test_every_command_has_the_json_envelope(capsys, argv: list[str]) -> None:
    data = run_json(capsys, *argv)
    assert data["command"] == argv[0]
    assert isinstance(data["arguments"], dict)
    assert data["count"] > 0
    assert all(isinstance(r, dict) for r in data["results"])
    code, text, _ = run(capsys, *argv)
    assert code == 0
    assert text.strip()
    assert "\x1b[" not in text


def test_json_keeps_non_ascii_as_written(capsys) -> None:
    code, out, _ = run(capsys, "get", "Imlygic®", "--json")
    assert code == 0
    assert '"name": "Imlygic®"' in out
    assert "\\u" not in out


def test_usage_errors_exit_2(capsys) -> None:
    assert main(["list", "nonsense"]) == 2
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["get"]) == 2
    assert main(["conflicts", "--bogus"]) == 2
    _, err = capsys.readouterr()
    assert "immunokb: error: a command is required" in err
    # The unknown command is named on the error line (argparse words the rest).
    assert any(
        line.startswith("immunokb: error:") and "'frobnicate'" in line for line in err.splitlines()
    )


def test_usage_error_json(capsys) -> None:
    code, out, err = run(capsys, "--json")
    assert code == 2
    assert json.loads(out) == {
        "command": None,
        "error": {"type": "usage_error", "message": "a command is required", "suggestions": []},
    }
    assert "a command is required" in err
    code, out, _ = run(capsys, "search", "--json", "--limit", "0", "x")
    assert code == 2
    assert json.loads(out)["command"] == "search"


def test_query_error_exits_2(capsys, monkeypatch) -> None:
    def refuse(self, text: str, *, limit: int = 10):
        raise QueryError("limit='x' is not valid")

    monkeypatch.setattr(KnowledgeBase, "search", refuse)
    code, out, err = run(capsys, "search", "vaccine")
    assert (code, out) == (2, "")
    assert err == "immunokb: limit='x' is not valid\n"
    code, out, _ = run(capsys, "search", "vaccine", "--json")
    assert code == 2
    assert json.loads(out) == {
        "command": "search",
        "error": {"type": "query_error", "message": "limit='x' is not valid", "suggestions": []},
    }


def test_invalid_document_exits_1(capsys, monkeypatch) -> None:
    def broken(paths=None, *, bundled=True, extra_fields=()):
        assert (paths, bundled, list(extra_fields)) == (None, True, [])
        first = DocumentError("bad quote", path="y.md", field="cite[0]")
        first.problems = (first, DocumentError("title is missing", path="sources/x.md", line=2))
        raise first

    monkeypatch.setattr(cli, "load", broken)
    code, out, err = run(capsys, "conflicts")
    assert (code, out) == (1, "")
    message = "invalid documents: 2 errors; nothing was loaded"
    assert err.splitlines() == [
        "sources/x.md:2: error: title is missing",
        "y.md: cite[0]: error: bad quote",
        f"immunokb: {message}",
    ]
    code, out, _ = run(capsys, "conflicts", "--json")
    assert code == 1
    error = json.loads(out)["error"]
    assert error == {
        "type": "invalid_document",
        "message": message,
        "suggestions": [],
        "problems": [
            {
                "severity": "error",
                "path": "sources/x.md",
                "line": 2,
                "field": None,
                "message": "title is missing",
            },
            {
                "severity": "error",
                "path": "y.md",
                "line": None,
                "field": "cite[0]",
                "message": "bad quote",
            },
        ],
    }


def test_version_and_help(capsys) -> None:
    kb = immunokb.load()
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.splitlines() == [
        f"immunokb {immunokb.__version__}",
        f"content version: {kb.version}",
        f"fingerprint: {kb.fingerprint}",
    ]
    code, out, _ = run(capsys, "list", "--help")
    assert code == 0
    assert "filters for vaccines only" in out
    words = " ".join(out.split())  # however the help is wrapped
    assert "--purpose PURPOSE what the vaccine is for, one of: treatment, prevention" in words


def test_version_names_the_data_the_commands_would_query(capsys) -> None:
    hospital = str(Path(__file__).resolve().parents[1] / "examples" / "hospital-docs")
    fields = ["--extra-field", "department", "--extra-field", "leafletCode"]
    mine = immunokb.load(paths=[hospital], extra_fields=["department", "leafletCode"])
    data = run_json(capsys, "--path", hospital, *fields, "--version")
    assert data["command"] == "version"
    assert data["arguments"] == {"paths": [hospital], "bundled": True}
    assert data["results"] == [
        {
            "version": immunokb.__version__,
            "content_version": mine.version,
            "fingerprint": mine.fingerprint,
        }
    ]
    assert mine.fingerprint != immunokb.load().fingerprint
    alone = immunokb.load(
        paths=[hospital], bundled=False, extra_fields=["department", "leafletCode"]
    )
    code, out, _ = run(capsys, "--no-bundled", "--path", hospital, *fields, "--version")
    assert code == 0
    assert out.splitlines()[1:] == [
        "content version: none (the bundled documents are left out)",
        f"fingerprint: {alone.fingerprint}",
    ]
    code, out, _ = run(capsys, "--no-bundled", "--version")
    assert code == 0
    assert out.splitlines()[2] == "fingerprint: none (no documents)"


def test_version_with_invalid_documents_fails_like_a_command(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("---\nkind: therapy\nid: x\n---\n", encoding="utf-8")
    code, out, err = run(capsys, "--path", str(tmp_path), "--version", "--json")
    assert code == 1
    error = json.loads(out)
    assert error["command"] == "version"
    assert error["error"]["type"] == "invalid_document"
    assert "nothing was loaded" in err


# --------------------------------------------------------------------------- colour, width


def test_no_colour_when_not_a_terminal(capsys, monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    for argv in (["search", "dendritic"], ["list", "therapies"], ["get", "LK101"]):
        _, out, _ = run(capsys, *argv)
        assert not ANSI.search(out)
    _, out, _ = run(capsys, "search", "dendritic")
    assert "**Dendritic**" in out


def test_colour_on_a_terminal(capsys, terminal) -> None:
    _, out, _ = run(capsys, "search", "dendritic", "--limit", "1")
    assert "\x1b[1;33mDendritic\x1b[0m" in out
    assert "**" not in out
    _, out, _ = run(capsys, "list", "therapies", "--status", "unverified")
    assert "\x1b[33munverified\x1b[0m" in out
    assert out.startswith("\x1b[1mid\x1b[0m")


@pytest.mark.parametrize(("name", "value"), [("NO_COLOR", "1"), ("TERM", "dumb")])
def test_no_colour_with_no_color_or_a_dumb_terminal(capsys, terminal, name, value) -> None:
    terminal.setenv(name, value)
    _, out, _ = run(capsys, "search", "dendritic")
    assert not ANSI.search(out)
    assert "**Dendritic**" in out


def test_empty_no_color_does_not_disable_colour(capsys, terminal) -> None:
    terminal.setenv("NO_COLOR", "")
    _, out, _ = run(capsys, "list", "vaccines")
    assert ANSI.search(out)


def test_color_option_overrides_auto(capsys, terminal, monkeypatch) -> None:
    _, out, _ = run(capsys, "--color", "never", "get", "LK101")
    assert not ANSI.search(out)
    terminal.setenv("NO_COLOR", "1")
    _, out, _ = run(capsys, "get", "LK101", "--color", "always")
    assert "\x1b[33munverified\x1b[0m" in out
    assert ANSI.sub("", out) == run(capsys, "get", "LK101", "--color", "never")[1]


def test_color_always_when_piped(capsys, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = run(capsys, "--color", "always", "side-effects", "T-VEC")
    assert out.startswith("\x1b[1mSide effects of talimogene laherparepvec")


def test_json_is_never_coloured(capsys, terminal) -> None:
    code, out, _ = run(capsys, "search", "dendritic", "--json", "--color", "always")
    assert code == 0
    assert "\x1b" not in out
    assert "**Dendritic**" in out


def test_tables_fit_the_terminal(capsys, terminal) -> None:
    terminal.setenv("COLUMNS", "100")
    _, out, _ = run(capsys, "list", "sources", "--color", "never")
    lines = out.splitlines()
    assert all(len(line) <= 100 for line in lines)
    assert "…" in out
    assert lines[1].startswith("commercial-therapeutic-cancer-vaccines ")  # ids are never cut
    assert re.search(r"  Therapeut\w*…$", lines[1])
    terminal.setenv("COLUMNS", "80")
    _, out, _ = run(capsys, "list", "therapies")
    lines = [ANSI.sub("", line) for line in out.splitlines()]
    assert all(len(line) <= 80 for line in lines)
    assert "…" in out
    # Too narrow for the ids with the other columns at their minimum: ids are cut too.
    assert any(line.startswith("radiation-monoclonal-a") and "…" in line for line in lines)
    terminal.setenv("COLUMNS", "120")
    _, out, _ = run(capsys, "list", "therapies")
    assert "radiation-monoclonal-antibody-combination  " in out


def test_tables_are_not_cut_when_piped(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    _, out, _ = run(capsys, "list", "sources")
    assert "…" not in out
    assert "Therapeutic Cancer Vaccines: Training the Immune System" in out


def test_cell_width_counts_wide_characters() -> None:
    assert cli._width("abc") == 3
    assert cli._width("癌症") == 4
    assert cli._truncate("immunotherapy", 6) == "immun…"
    assert cli._truncate("癌症疫苗", 5) == "癌症…"
    assert cli._truncate("short", 10) == "short"


# --------------------------------------------------------------------------- installed


def _script() -> Path:
    found = Path(sys.executable).parent / ("immunokb.exe" if os.name == "nt" else "immunokb")
    if not found.exists():
        pytest.skip("the immunokb console script is not installed next to this interpreter")
    return found


def _run(*argv: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        env={**os.environ, **env},
    )


def test_console_script_subprocess() -> None:
    done = _run(_script(), "side-effects", "sipuleucel-T", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert list(data) == ENVELOPE
    assert data["command"] == "side-effects"
    assert {link["side_effect"]["id"] for link in data["results"]} >= {"stroke"}
    missing = _run(_script(), "get", "checkpoint inhibiters")
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert "did you mean: immune checkpoint inhibitors?" in missing.stderr
    missing = _run(_script(), "--json", "get", "checkpoint inhibiters")
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["error"]["suggestions"][0] == "immune checkpoint inhibitors"
    usage = _run(_script(), "list", "sources", "--platform", "mrna")
    assert usage.returncode == 2
    assert "--platform does not apply to sources" in usage.stderr


def test_console_script_is_plain_when_piped() -> None:
    done = _run(_script(), "list", "vaccines", "--purpose", "prevention", TERM="xterm")
    assert done.returncode == 0
    assert "\x1b" not in done.stdout
    assert "hpv-vaccine" in done.stdout


def test_python_m_and_version() -> None:
    done = _run(sys.executable, "-m", "immunokb", "--version")
    assert done.returncode == 0
    assert done.stdout.startswith("immunokb ")
    done = _run(sys.executable, "-m", "immunokb", "search", "--json", "dendritic")
    assert done.returncode == 0
    data = json.loads(done.stdout)
    assert list(data) == ENVELOPE
    assert data["arguments"] == {"text": "dendritic", "limit": 10}
    usage = _run(sys.executable, "-m", "immunokb", "list", "vaccines", "--therapy", "x", "--json")
    assert usage.returncode == 2
    assert json.loads(usage.stdout)["error"]["type"] == "usage_error"


def test_output_is_utf8_whatever_the_locale() -> None:
    done = _run(
        sys.executable, "-m", "immunokb", "side-effects", "sipuleucel-T", PYTHONIOENCODING="ascii"
    )
    assert done.returncode == 0, done.stderr
    assert "sipuleucel-t → dendritic-cell-vaccines" in done.stdout


def test_closed_pipe_stops_quietly() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "immunokb", "list", "therapies", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.read(10)
        process.stdout.close()
        err = process.stderr.read()
        code = process.wait()
    assert code == 1
    assert b"Traceback" not in err
