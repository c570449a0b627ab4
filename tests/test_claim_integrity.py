"""Invariants of every bundled status claim, indication claim and dispute.

These check how the claims are built (offsets, tiers, order), not what they say.
"""

from __future__ import annotations

import pytest

import immunokb
from immunokb._provenance import normalize_quote

KB = immunokb.load()

Claim = immunokb.StatusClaim | immunokb.Indication


def _all_claims() -> list[tuple[str, Claim]]:
    return [
        (f"{therapy.id}:{claim.status.value}:{index}", claim)
        for therapy in KB.therapies
        for index, claim in enumerate((*therapy.status_claims, *therapy.indications))
    ]


CLAIMS = _all_claims()


@pytest.mark.parametrize(("where", "claim"), CLAIMS, ids=[w for w, _ in CLAIMS])
def test_claim_citations_slice_their_quotes(where: str, claim: Claim) -> None:
    citations = [*claim.citations, *(c for d in claim.disputed_by for c in d.citations)]
    for citation in citations:
        text = KB.source(citation.source_id).text
        said = text[citation.start : citation.end]
        assert normalize_quote(said) == normalize_quote(citation.quote)
        if citation.lead_in is not None:
            lead = text[citation.lead_in_start : citation.lead_in_end]
            assert normalize_quote(lead) == normalize_quote(citation.lead_in)


@pytest.mark.parametrize(("where", "claim"), CLAIMS, ids=[w for w, _ in CLAIMS])
def test_claims_carry_their_sources_tier(where: str, claim: Claim) -> None:
    if claim.source_id is not None:
        assert claim.tier == KB.source(claim.source_id).tier
    for dispute in claim.disputed_by:
        assert dispute.source_id != claim.source_id
        assert dispute.tier == KB.source(dispute.source_id).tier


@pytest.mark.parametrize("therapy", KB.therapies, ids=lambda t: t.id)
def test_status_is_adopted_from_claims_in_trust_order(therapy: immunokb.Therapy) -> None:
    assert therapy.status is immunokb.adopted_status(therapy.status_claims)
    keys = [c.trust_key for c in therapy.status_claims]
    assert keys == sorted(keys)


def _disagree(claims) -> bool:
    values = {c.status for c in claims}
    compatible = {immunokb.Status.APPROVED, immunokb.Status.IN_USE}
    return (len(values) > 1 and not values <= compatible) or any(c.disputed_by for c in claims)


def test_conflicts_are_exactly_the_fields_where_sources_disagree() -> None:
    # disputed statuses, and disagreements the tiers settled (shown, not hidden)
    expected = {(t.id, "status", None) for t in KB.therapies if _disagree(t.status_claims)}
    expected |= {
        (t.id, "indication", c)
        for t in KB.therapies
        for c in t.cancer_type_ids
        if _disagree(t.indications_for(c))
    }
    found = {(c.entity_id, c.field.value, c.subject) for c in KB.conflicts()}
    assert found == expected
    for therapy in KB.therapies:
        if therapy.status is immunokb.Status.DISPUTED:
            assert (therapy.id, "status", None) in found
