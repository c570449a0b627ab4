"""Products and classes: a sentence about one product never sets its class's status."""

from __future__ import annotations

import pytest

import immunokb

SOURCE = """\
---
title: Zzq bulletin
sourceType: 02_zzq
---
Zzqmab is approved for zzq cancer. Zzq antibodies are used to treat zzq cancer.
"""
CANCER = """\
---
kind: cancer_type
id: zzq-cancer
name:
  value: "zzq cancer"
  cite:
    - source: zzq-bulletin
      quote: "Zzqmab is approved for zzq cancer."
cite:
  - source: zzq-bulletin
    quote: "Zzqmab is approved for zzq cancer."
---
"""


def therapy(scope: str | None, status: str, indication: str) -> str:
    lines = ["---", "kind: therapy", "id: zzq-antibodies"]
    if scope is not None:
        lines.append(f"scope: {scope}")
    lines += [
        "name:",
        '  value: "zzq antibodies"',
        "  cite:",
        "    - source: zzq-bulletin",
        '      quote: "Zzq antibodies are used to treat zzq cancer."',
        "status:",
        f"  - value: {status}",
        "    cite:",
        "      - source: zzq-bulletin",
        '        quote: "Zzqmab is approved for zzq cancer."',
        "indications:",
        "  - cancer_type: zzq-cancer",
        f"    status: {indication}",
        "    cite:",
        "      - source: zzq-bulletin",
        '        quote: "Zzqmab is approved for zzq cancer."',
        "cite:",
        "  - source: zzq-bulletin",
        '    quote: "Zzq antibodies are used to treat zzq cancer."',
        "---",
        "",
    ]
    return "\n".join(lines)


def load(corpus, doc: str) -> immunokb.KnowledgeBase:
    folder = corpus({"zzq-bulletin.md": SOURCE, "cancer.md": CANCER, "therapy.md": doc})
    return immunokb.load(paths=[folder], bundled=False)


@pytest.mark.parametrize("status", sorted(s.value for s in immunokb.PRODUCT_ONLY_STATUSES))
def test_a_class_claiming_a_product_status_is_refused_where_it_says_so(corpus, status) -> None:
    with pytest.raises(immunokb.DocumentError) as info:
        load(corpus, therapy("class", status, "in_use"))
    problems = [(p.field, p.line) for p in info.value.problems]
    assert ("status[0].value", 11) in problems
    assert "only a product" in info.value.problems[0].reason
    with pytest.raises(immunokb.DocumentError) as info:
        load(corpus, therapy("class", "in_use", status))
    assert [(p.field, p.line) for p in info.value.problems] == [("indications[0].status", 17)]


def test_a_product_may_be_approved(corpus) -> None:
    kb = load(corpus, therapy("product", "approved", "approved"))
    found = kb.get("zzq antibodies")
    assert found.scope is immunokb.Scope.PRODUCT
    assert found.status is immunokb.Status.APPROVED


def test_a_class_may_be_in_use_or_investigational(corpus) -> None:
    kb = load(corpus, therapy("class", "in_use", "investigational"))
    found = kb.get("zzq antibodies")
    assert found.scope is immunokb.Scope.CLASS
    assert found.indication_status("zzq-cancer") is immunokb.Status.INVESTIGATIONAL


def test_a_therapy_must_say_whether_it_is_a_product_or_a_class(corpus) -> None:
    with pytest.raises(immunokb.DocumentError) as info:
        load(corpus, therapy(None, "in_use", "in_use"))
    assert info.value.field == "scope"
    assert "scope: product" in info.value.reason
    assert info.value.path is not None
    assert info.value.path.endswith("therapy.md")
