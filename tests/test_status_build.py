"""Status and indication claims in entity documents, and the conflicts they report.

Every knowledge base here is built from invented documents only (``bundled=False``),
so nothing depends on the bundled content.
"""

from __future__ import annotations

import textwrap

import pytest

import immunokb

S = immunokb.Status
F = immunokb.StatementField

AGENCY = "zzq-agency"  # tier 1
JOURNAL = "zzq-journal"  # tier 3
BLOG = "zzq-blog"  # no sourceType: no tier

SOURCES = {
    f"sources/{AGENCY}.md": """
        ---
        title: Zzqmab label
        sourceType: 01_zzq_agency
        ---
        Zzqmab is approved by the FDA for zzq cancer.

        Zzqmab is used to treat zzq cancer in adults.

        Zzqmab was tested in a Phase 3 trial.

        Only one zzq product is approved, and it is not zzqmab.
        """,
    f"sources/{JOURNAL}.md": """
        ---
        title: Zzq journal
        sourceType: 03_zzq_journal
        ---
        Zzqmab is still investigational in zzq cancer.

        Zzqmab is approved for zzq cancer in some countries.
        """,
    f"sources/{BLOG}.md": """
        ---
        title: Zzq blog
        ---
        Zzqmab is used to treat zzq cancer.
        """,
    "zzq-cancer.md": f"""
        ---
        kind: cancer_type
        id: zzq-cancer
        name:
          value: zzq cancer
          cite:
            - source: {AGENCY}
              quote: "Zzqmab is approved by the FDA for zzq cancer."
        cite:
          - source: {AGENCY}
            quote: "Zzqmab is approved by the FDA for zzq cancer."
        ---
        An invented cancer type.
        """,
}

QUOTES = {
    AGENCY: "Zzqmab is approved by the FDA for zzq cancer.",
    JOURNAL: "Zzqmab is still investigational in zzq cancer.",
    BLOG: "Zzqmab is used to treat zzq cancer.",
}


def therapy_doc(*parts: str, entity_id: str = "zzq-therapy", name: str = "zzqmab") -> str:
    """A therapy document; ``parts`` is its status/indication YAML, each part dedented."""
    head = f"""\
kind: therapy
scope: product
id: {entity_id}
name:
  value: {name}
  curated: "an invented test therapy"
cite:
  - source: {AGENCY}
    quote: "{QUOTES[AGENCY]}"
"""
    claims = "".join(textwrap.dedent(part).strip("\n") + "\n" for part in parts)
    return f"---\n{head}{claims}---\nAn invented therapy.\n"


def _entry(first: str, source: str, quote: str | None, fields: dict[str, str]) -> str:
    """One list entry at column 0: ``- first``, its cite, then ``key: value`` lines."""
    extra = "".join(f"  {key}: {value}\n" for key, value in fields.items())
    cite = f'  cite:\n    - source: {source}\n      quote: "{quote or QUOTES[source]}"\n'
    return f"- {first}\n{cite}{extra}"


def claim(value: str, source: str, quote: str | None = None, **fields: str) -> str:
    """One entry of a ``status:`` list."""
    return _entry(f"value: {value}", source, quote, fields)


def indication(status: str, source: str, quote: str | None = None) -> str:
    """One entry of an ``indications:`` list, for the invented cancer type."""
    return _entry("cancer_type: zzq-cancer", source, quote, {"status": status})


@pytest.fixture
def build(corpus):
    """build(therapy_text, **more_files) -> KnowledgeBase of invented documents only."""

    def run(text: str, **more: str) -> immunokb.KnowledgeBase:
        files = {**SOURCES, "therapy.md": text, **{f"{k}.md": v for k, v in more.items()}}
        return immunokb.load(paths=[corpus(files)], bundled=False)

    return run


@pytest.fixture
def build_error(build):
    def run(text: str) -> immunokb.DocumentError:
        with pytest.raises(immunokb.DocumentError) as info:
            build(text)
        return info.value

    return run


# ----------------------------------------------------------------- status claims


def test_one_claim_is_adopted_with_its_source_and_tier(build) -> None:
    kb = build(therapy_doc("status:", claim("approved", AGENCY)))
    therapy = kb.get("zzqmab")
    assert therapy.status is S.APPROVED
    (only,) = therapy.status_claims
    assert (only.status, only.source_id, only.tier) == (S.APPROVED, AGENCY, 1)
    assert (only.phase, only.regulator, only.disputed_by) == (None, None, ())
    assert kb.conflicts() == []


def test_no_status_is_unknown_without_claims(build) -> None:
    therapy = build(therapy_doc()).get("zzq-therapy")
    assert therapy.status is S.UNKNOWN
    assert therapy.status_claims == ()


def test_single_mapping_status(build) -> None:
    text = therapy_doc(
        f"""
        status:
          value: investigational
          cite:
            - source: {JOURNAL}
              quote: "{QUOTES[JOURNAL]}"
        """
    )
    therapy = build(text).get("zzq-therapy")
    assert therapy.status is S.INVESTIGATIONAL
    assert [(c.source_id, c.tier) for c in therapy.status_claims] == [(JOURNAL, 3)]


def test_rival_claims_from_two_sources_are_disputed_most_trusted_first(build) -> None:
    # the less trusted source comes first in the document
    kb = build(therapy_doc("status:", claim("investigational", JOURNAL), claim("approved", AGENCY)))
    therapy = kb.get("zzq-therapy")
    assert therapy.status is S.DISPUTED
    assert [(c.source_id, c.tier) for c in therapy.status_claims] == [(AGENCY, 1), (JOURNAL, 3)]
    (conflict,) = kb.conflicts()
    assert conflict.entity_id == "zzq-therapy"
    assert conflict.field is F.STATUS
    assert conflict.subject is None
    assert conflict.adopted is S.DISPUTED
    assert [(c.value, c.source_id, c.tier, c.disputes) for c in conflict.claims] == [
        ("approved", AGENCY, 1, False),
        ("investigational", JOURNAL, 3, False),
    ]
    citation = conflict.claims[1].citations[0]
    assert kb.source(JOURNAL).text[citation.start : citation.end] == QUOTES[JOURNAL]


def test_quoted_claim_outranks_curated_claim(build) -> None:
    curated = """
        status:
        - value: approved
          curated: "the curator's reading"
        """
    kb = build(therapy_doc(curated, claim("investigational", BLOG)))
    therapy = kb.get("zzq-therapy")
    assert therapy.status is S.DISPUTED
    (conflict,) = kb.conflicts()
    assert [(c.value, c.source_id, c.tier, c.curated) for c in conflict.claims] == [
        ("investigational", BLOG, None, None),
        ("approved", None, None, "the curator's reading"),
    ]


def test_approved_beside_in_use_is_no_conflict(build) -> None:
    kb = build(
        therapy_doc(
            "status:",
            claim("approved", JOURNAL, "Zzqmab is approved for zzq cancer in some countries."),
            claim("in_use", AGENCY, "Zzqmab is used to treat zzq cancer in adults."),
        )
    )
    assert kb.get("zzq-therapy").status is S.IN_USE  # the tier-1 claim
    assert kb.conflicts() == []


def test_dispute_from_another_source(build) -> None:
    text = therapy_doc(
        f"""
        status:
          value: approved
          cite:
            - source: {JOURNAL}
              quote: "Zzqmab is approved for zzq cancer in some countries."
          disputed_by:
            - claim: "  The agency says the only approved product is another one.  "
              cite:
                - source: {AGENCY}
                  quote: "Only one zzq product is approved, and it is not zzqmab."
        """
    )
    kb = build(text)
    therapy = kb.get("zzq-therapy")
    assert therapy.status is S.DISPUTED
    (dispute,) = therapy.status_claims[0].disputed_by
    assert (dispute.source_id, dispute.tier) == (AGENCY, 1)
    assert dispute.claim == "The agency says the only approved product is another one."
    (conflict,) = kb.conflicts()
    assert conflict.field is F.STATUS
    # every side, dispute or claim, is ordered by its source's tier
    assert [(c.value, c.source_id, c.tier, c.disputes) for c in conflict.claims] == [
        ("The agency says the only approved product is another one.", AGENCY, 1, True),
        ("approved", JOURNAL, 3, False),
    ]
    assert [c.against for c in conflict.claims] == [f"approved ({JOURNAL})", None]
    assert conflict.claims[0].citations[0].quote.startswith("Only one zzq product")


@pytest.mark.parametrize("dispute_sources", [[JOURNAL], [AGENCY, BLOG]], ids=["own", "two"])
def test_a_dispute_quotes_one_other_source(build_error, dispute_sources) -> None:
    cites = "".join(
        f'\n        - source: {source}\n          quote: "{QUOTES[source]}"'
        for source in dispute_sources
    )
    text = therapy_doc(
        f"""
status:
  value: approved
  cite:
    - source: {JOURNAL}
      quote: "Zzqmab is approved for zzq cancer in some countries."
  disputed_by:
    - claim: "says otherwise"
      cite:{cites}
"""
    )
    error = build_error(text)
    assert error.field == "status.disputed_by[0].cite"
    assert "a dispute quotes one source, other than the claim's own" in error.reason


def test_a_status_entry_citing_two_sources_is_refused_at_its_cite(build_error) -> None:
    two = claim("approved", AGENCY) + f'    - source: {BLOG}\n      quote: "{QUOTES[BLOG]}"\n'
    text = therapy_doc("status:", claim("investigational", JOURNAL), two)
    error = build_error(text)
    assert error.path.endswith("therapy.md")
    assert error.field == "status[1].cite"
    assert f"cites {AGENCY}, {BLOG}" in error.reason
    assert "give each source its own entry" in error.reason
    lines = text.split("\n")
    second = lines.index("- value: approved")
    assert error.line == second + 2  # 1-based: the 'cite:' line right after the entry's value
    assert lines[error.line - 1] == "  cite:"


def test_a_single_status_citing_two_sources_is_refused(build_error) -> None:
    text = therapy_doc(
        f"""
        status:
          value: approved
          cite:
            - source: {AGENCY}
              quote: "{QUOTES[AGENCY]}"
            - source: {JOURNAL}
              quote: "Zzqmab is approved for zzq cancer in some countries."
        """
    )
    error = build_error(text)
    assert error.field == "status.cite"
    assert text.split("\n")[error.line - 1] == "  cite:"


def test_regulator_must_be_named_in_the_quotes(build, build_error) -> None:
    good = therapy_doc("status:", claim("approved", AGENCY, regulator="FDA"))
    (only,) = build(good).get("zzq-therapy").status_claims
    assert only.regulator == "FDA"

    bad = therapy_doc("status:", claim("approved", AGENCY, regulator="NMPA"))
    error = build_error(bad)
    assert error.field is not None
    assert error.field.endswith("regulator")
    assert error.field == "status[0].regulator"
    assert "do not name the regulator 'NMPA'" in error.reason
    assert bad.split("\n")[error.line - 1] == "  regulator: NMPA"


def test_phase_must_be_stated_in_the_quotes(build, build_error) -> None:
    phase_quote = "Zzqmab was tested in a Phase 3 trial."
    good = therapy_doc("status:", claim("investigational", AGENCY, phase_quote, phase="phase_3"))
    (only,) = build(good).get("zzq-therapy").status_claims
    assert only.phase is immunokb.Phase.PHASE_3

    bad = therapy_doc("status:", claim("investigational", JOURNAL, phase="phase_3"))
    error = build_error(bad)
    assert error.field == "status[0].phase"
    assert "do not state 'phase_3'" in error.reason

    # the word "phase" is not enough: the quote must state this phase
    wrong = therapy_doc("status:", claim("investigational", AGENCY, phase_quote, phase="phase_1"))
    assert "do not state 'phase_1'" in build_error(wrong).reason


def test_regulator_must_be_whole_words_of_the_quotes(build_error) -> None:
    # "tri" is in the quote only as part of "trial", so it is not named there
    quote = "Zzqmab was tested in a Phase 3 trial."
    doc = therapy_doc("status:", claim("investigational", AGENCY, quote, regulator="Phase 3 tri"))
    assert "do not name the regulator" in build_error(doc).reason


def test_unknown_phase_value_is_a_document_error(build_error) -> None:
    error = build_error(therapy_doc("status:", claim("investigational", AGENCY, phase="phase_5")))
    assert any("phase_3" in p.reason for p in error.problems)


@pytest.mark.parametrize("listed", [True, False], ids=["list", "mapping"])
def test_a_schema_error_inside_status_names_the_entry(build_error, listed) -> None:
    entry = claim("investigational", AGENCY, phase="phase_5")
    if not listed:  # the same entry as a single mapping
        entry = "  " + entry[2:]
    text = therapy_doc("status:\n" + entry)
    error = build_error(text)
    assert [p.field for p in error.problems] == ["status[0].phase" if listed else "status.phase"]
    assert text.split("\n")[error.line - 1].strip() == "phase: phase_5"


@pytest.mark.parametrize("value", ["disputed", "unverified", "unknown"])
def test_a_conclusion_cannot_be_claimed(build_error, value) -> None:
    error = build_error(therapy_doc("status:", claim(value, AGENCY)))
    assert error.field == "status[0].value"
    assert error.reason == (
        f"{value!r} is not one of: approved, in_use, investigational, discontinued, failed; "
        f"{value!r} is a conclusion drawn from the claims, not a claim"
    )


def test_a_conclusion_cannot_be_claimed_for_an_indication(build_error) -> None:
    error = build_error(therapy_doc("indications:", indication("disputed", AGENCY)))
    assert error.field == "indications[0].status"
    assert error.reason.endswith("'disputed' is a conclusion drawn from the claims, not a claim")


@pytest.mark.parametrize("qualifier", ["regulator: FDA", "phase: phase_3"])
def test_a_curated_claim_carries_no_regulator_or_phase(build_error, qualifier) -> None:
    text = therapy_doc(
        f"""
        status:
          - value: approved
            curated: "the curator's reading"
            {qualifier}
        """
    )
    error = build_error(text)
    assert error.field == "status[0]"
    assert "must be read from quotes" in error.reason


# ----------------------------------------------------------------- promotional sources


PROMOTIONAL_SOURCE = """
---
title: Zzq company page
sourceType: 07_zzq_company
---
Zzqmab is FDA approved.
"""


def test_approval_from_a_promotional_source_alone_is_unverified(build) -> None:
    text = therapy_doc("status:", claim("approved", "zzq-company", "Zzqmab is FDA approved."))
    kb = build(text, **{"sources/zzq-company": PROMOTIONAL_SOURCE})
    therapy = kb.get("zzq-therapy")
    assert therapy.status is S.UNVERIFIED
    (only,) = therapy.status_claims
    assert (only.status, only.tier) == (S.APPROVED, immunokb.PROMOTIONAL_TIER)
    assert kb.conflicts() == []  # nothing disagrees: the approval is only unconfirmed


def test_approval_confirmed_by_a_stronger_source_is_approved(build) -> None:
    text = therapy_doc(
        "status:",
        claim("approved", "zzq-company", "Zzqmab is FDA approved."),
        claim("approved", AGENCY),
    )
    kb = build(text, **{"sources/zzq-company": PROMOTIONAL_SOURCE})
    therapy = kb.get("zzq-therapy")
    assert therapy.status is S.APPROVED
    assert [c.tier for c in therapy.status_claims] == [1, immunokb.PROMOTIONAL_TIER]


# ----------------------------------------------------------------- indication claims


def test_incompatible_indication_claims_are_a_conflict_about_the_cancer_type(build) -> None:
    kb = build(
        therapy_doc(
            "indications:", indication("investigational", JOURNAL), indication("approved", AGENCY)
        )
    )
    therapy = kb.get("zzq-therapy")
    assert therapy.status is S.UNKNOWN  # indications do not set the therapy's own status
    assert therapy.cancer_type_ids == ("zzq-cancer",)
    assert therapy.indication_status("zzq-cancer") is S.DISPUTED
    (conflict,) = kb.conflicts()
    assert conflict.entity_id == "zzq-therapy"
    assert conflict.field is F.INDICATION
    assert conflict.subject == "zzq-cancer"
    assert conflict.adopted is S.DISPUTED
    assert [(c.value, c.source_id, c.tier) for c in conflict.claims] == [
        ("approved", AGENCY, 1),
        ("investigational", JOURNAL, 3),
    ]
    assert [t.id for t in kb.therapies_for("zzq cancer")] == ["zzq-therapy"]


def test_approved_and_in_use_indications_agree(build) -> None:
    kb = build(
        therapy_doc(
            "indications:",
            indication("approved", JOURNAL, "Zzqmab is approved for zzq cancer in some countries."),
            indication("in_use", AGENCY, "Zzqmab is used to treat zzq cancer in adults."),
        )
    )
    therapy = kb.get("zzq-therapy")
    assert kb.conflicts() == []
    assert therapy.indication_status("zzq-cancer") is S.IN_USE  # the most trusted claim
    assert [(i.source_id, i.tier) for i in therapy.indications_for("zzq-cancer")] == [
        (AGENCY, 1),
        (JOURNAL, 3),
    ]


def test_indication_claim_citing_two_sources_is_refused(build_error) -> None:
    two = indication("approved", AGENCY).replace(
        "  status:", f'    - source: {BLOG}\n      quote: "{QUOTES[BLOG]}"\n  status:'
    )
    error = build_error(therapy_doc("indications:", two))
    assert error.field == "indications[0].cite"
    assert "one source's claim" in error.reason


def test_conflicts_are_sorted_by_entity(build) -> None:
    rival = ("status:", claim("investigational", JOURNAL), claim("approved", AGENCY))
    kb = build(
        therapy_doc(*rival, entity_id="zzq-b-therapy", name="zzqmab b"),
        other=therapy_doc(*rival, entity_id="zzq-a-therapy", name="zzqmab a"),
    )
    assert [c.entity_id for c in kb.conflicts()] == ["zzq-a-therapy", "zzq-b-therapy"]
