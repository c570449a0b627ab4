"""Status claims: the adopted-status rules and the validators that keep claims honest."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

import immunokb
from strategies import (
    CONCLUSIONS,
    by_trust,
    claim_lists,
    claimable,
    slugs,
    status_claims,
    therapies,
)

S = immunokb.Status
F = immunokb.StatementField
adopted = immunokb.adopted_status
COMPATIBLE = {S.APPROVED, S.IN_USE}
PROMOTIONAL = immunokb.PROMOTIONAL_TIER

compatible = st.sampled_from(sorted(COMPATIBLE))


def _cite(source_id: str = "a") -> immunokb.Citation:
    return immunokb.Citation(source_id=source_id, quote="q", start=0, end=1)


def _claim(status: S = S.APPROVED, source_id: str = "a", tier: int | None = 1, **kw: object):
    return immunokb.StatusClaim(
        status=status, source_id=source_id, tier=tier, citations=(_cite(source_id),), **kw
    )


def _dispute(source_id: str = "b", tier: int | None = None) -> immunokb.Dispute:
    return immunokb.Dispute(
        claim="says otherwise", source_id=source_id, tier=tier, citations=(_cite(source_id),)
    )


def _promotional(tier: int | None) -> bool:
    return tier is not None and tier >= PROMOTIONAL


def _counted(claims) -> list:
    """The claims that decide: every claim but those of promotional sources."""
    return [c for c in claims if c.is_curated or not _promotional(c.tier)]


def _vouches(claim: immunokb.StatusClaim) -> bool:
    """A curator's mark, or a source of a known tier below the promotional tier."""
    return claim.is_curated or (claim.tier is not None and claim.tier < PROMOTIONAL)


def _only_promoted(claims) -> bool:
    """Whether no counted claim of approval is vouched for (only sources of unknown kind)."""
    return not any(_vouches(c) for c in _counted(claims) if c.status is S.APPROVED)


# ----------------------------------------------------------------- adopted_status rules


def test_no_claim_is_unknown() -> None:
    assert adopted([]) is S.UNKNOWN
    assert adopted(iter(())) is S.UNKNOWN  # any iterable


@given(claim_lists())
def test_unknown_iff_no_claims(claims) -> None:
    assert (adopted(claims) is S.UNKNOWN) == (not claims)


@given(claim_lists(min_size=1), st.data())
def test_promotional_sources_alone_are_never_adopted(claims, data) -> None:
    # whatever they claim, and whoever disputes them
    tiers = st.integers(PROMOTIONAL, PROMOTIONAL + 3)
    promoted = [c.model_copy(update={"tier": data.draw(tiers)}) for c in claims if not c.is_curated]
    assume(promoted)
    assert adopted(promoted) is S.UNVERIFIED


@given(claim_lists(min_size=1), claim_lists(min_size=1))
def test_promotional_claims_never_decide_beside_others(claims, extra) -> None:
    assume(_counted(claims))
    promotional = [c for c in extra if not c.is_curated and _promotional(c.tier)]
    assert adopted([*claims, *promotional]) is adopted(claims)


@given(claim_lists(), st.data())
def test_a_counted_claim_disputed_by_a_source_not_promotional_is_disputed(claims, data) -> None:
    disputed = data.draw(
        status_claims(disputed=True).filter(
            lambda c: (
                (c.is_curated or not _promotional(c.tier))
                and any(not _promotional(d.tier) for d in c.disputed_by)
            )
        )
    )
    position = data.draw(st.integers(0, len(claims)))
    assert adopted([*claims[:position], disputed, *claims[position:]]) is S.DISPUTED


@given(claimable, st.data())
def test_claims_that_agree_give_their_status(status, data) -> None:
    claims = data.draw(claim_lists(st.just(status), disputed=False, min_size=1))
    result = adopted(claims)
    assert result is not S.DISPUTED
    if not _counted(claims) or (status is S.APPROVED and _only_promoted(claims)):
        assert result is S.UNVERIFIED
    else:
        assert result is status


@given(claim_lists(compatible, disputed=False, min_size=1))
def test_approved_beside_in_use_takes_the_most_trusted_counted_claim(claims) -> None:
    counted = _counted(claims)
    result = adopted(claims)
    assert result is not S.DISPUTED
    if result is S.UNVERIFIED:
        assert not counted or _only_promoted(claims)
        return
    best = min(c.trust_key for c in counted)
    assert result in {c.status for c in counted if c.trust_key == best}


def test_most_trusted_means_lowest_tier_then_quoted_before_curated() -> None:
    assert adopted([_claim(S.APPROVED, "b", 3), _claim(S.IN_USE, "a", 1)]) is S.IN_USE
    assert adopted([_claim(S.IN_USE, "b", None), _claim(S.APPROVED, "a", 5)]) is S.APPROVED
    curated = immunokb.StatusClaim(status=S.APPROVED, curated="curator's reading")
    assert adopted([curated, _claim(S.IN_USE, "a", None)]) is S.IN_USE
    assert adopted([curated]) is S.APPROVED  # a curator vouches for the approval


@given(claim_lists(disputed=False, min_size=2))
def test_other_disagreements_among_counted_claims_are_disputed(claims) -> None:
    values = {c.status for c in _counted(claims)}
    assume(len(values) > 1 and not values <= COMPATIBLE)
    assert adopted(claims) is S.DISPUTED


@given(claim_lists())
def test_unverified_only_without_a_source_that_vouches(claims) -> None:
    if adopted(claims) is S.UNVERIFIED:
        counted = _counted(claims)
        assert not counted or ({c.status for c in counted} <= COMPATIBLE and _only_promoted(claims))


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ([(S.APPROVED, PROMOTIONAL)], S.UNVERIFIED),
        ([(S.APPROVED, PROMOTIONAL + 1)], S.UNVERIFIED),
        ([(S.APPROVED, PROMOTIONAL - 1)], S.APPROVED),
        ([(S.APPROVED, PROMOTIONAL), (S.APPROVED, 2)], S.APPROVED),
        ([(S.APPROVED, PROMOTIONAL), (S.IN_USE, PROMOTIONAL + 1)], S.UNVERIFIED),
        ([(S.APPROVED, PROMOTIONAL), (S.IN_USE, 2)], S.IN_USE),
        ([(S.IN_USE, PROMOTIONAL)], S.UNVERIFIED),  # a company's word alone, whatever it says
        ([(S.INVESTIGATIONAL, PROMOTIONAL)], S.UNVERIFIED),
        ([(S.FAILED, PROMOTIONAL)], S.UNVERIFIED),
        ([(S.DISCONTINUED, PROMOTIONAL + 2)], S.UNVERIFIED),
        ([(S.APPROVED, PROMOTIONAL), (S.INVESTIGATIONAL, 2)], S.INVESTIGATIONAL),
        ([(S.FAILED, PROMOTIONAL), (S.APPROVED, 2)], S.APPROVED),
        ([(S.APPROVED, None)], S.UNVERIFIED),  # a source of unknown kind
        ([(S.IN_USE, None)], S.IN_USE),
        ([(S.APPROVED, None), (S.APPROVED, 0)], S.APPROVED),
    ],
)
def test_what_rests_on_promotional_sources_is_never_fact(claims, expected) -> None:
    made = [_claim(status, f"s{i}", tier) for i, (status, tier) in enumerate(claims)]
    assert adopted(made) is expected


def test_a_promotional_dispute_does_not_unsettle_a_trusted_claim() -> None:
    trusted = _claim(S.APPROVED, "a", 2, disputed_by=(_dispute("b", PROMOTIONAL),))
    assert adopted([trusted]) is S.APPROVED
    weighed = _claim(S.APPROVED, "a", 2, disputed_by=(_dispute("b", 3),))
    assert adopted([weighed]) is S.DISPUTED
    # a promotional approval the NCI speaks against is the company's claim, not a tie
    promoted = _claim(S.APPROVED, "c", PROMOTIONAL, disputed_by=(_dispute("n", 2),))
    assert adopted([promoted]) is S.UNVERIFIED


@given(claim_lists() | claim_lists(compatible, disputed=False), st.data())
def test_adopted_status_ignores_the_order_of_the_claims(claims, data) -> None:
    # ties in trust included: few tiers, and approved-beside-in_use lists drawn often
    shuffled = data.draw(st.permutations(claims))
    assert adopted(shuffled) is adopted(claims)


def test_a_tie_between_approved_and_in_use_does_not_depend_on_order() -> None:
    approved, in_use = _claim(S.APPROVED, "a", 2), _claim(S.IN_USE, "b", 2)
    assert adopted([approved, in_use]) is adopted([in_use, approved])


@given(st.lists(st.sampled_from([S.APPROVED, S.INVESTIGATIONAL, S.FAILED]), min_size=1))
def test_indications_follow_the_same_rules(values) -> None:
    claims = [
        immunokb.Indication(
            cancer_type_id="c", status=v, source_id=f"s{i}", tier=1, citations=(_cite(f"s{i}"),)
        )
        for i, v in enumerate(values)
    ]
    expected = values[0] if len(set(values)) == 1 else S.DISPUTED
    assert adopted(claims) is expected


# ----------------------------------------------------------------- claim validators


@pytest.mark.parametrize("model", [immunokb.StatusClaim, immunokb.Indication])
@pytest.mark.parametrize("status", sorted(CONCLUSIONS))
def test_a_conclusion_is_not_a_claim(model, status) -> None:
    extra = {"cancer_type_id": "c"} if model is immunokb.Indication else {}
    with pytest.raises(ValidationError, match=f"'{status.value}' is a conclusion"):
        model(status=status, source_id="a", citations=(_cite("a"),), **extra)
    with pytest.raises(ValidationError, match=f"'{status.value}' is a conclusion"):
        model(status=status, curated="why", **extra)


@pytest.mark.parametrize("status", sorted(set(S) - CONCLUSIONS))
def test_every_other_status_can_be_claimed(status) -> None:
    assert _claim(status).status is status


@pytest.mark.parametrize("model", [immunokb.StatusClaim, immunokb.Indication])
def test_a_quoted_claim_quotes_its_own_source_only(model) -> None:
    extra = {"cancer_type_id": "c"} if model is immunokb.Indication else {}
    with pytest.raises(ValidationError, match="every citation from source_id"):
        model(status=S.APPROVED, source_id="a", citations=(_cite("a"), _cite("b")), **extra)
    with pytest.raises(ValidationError, match="every citation from source_id"):
        model(status=S.APPROVED, source_id="a", citations=(_cite("b"),), **extra)
    with pytest.raises(ValidationError, match="names its source_id"):
        model(status=S.APPROVED, citations=(_cite("a"),), **extra)
    assert model(status=S.APPROVED, source_id="a", citations=(_cite("a"),), **extra)


@pytest.mark.parametrize("attribution", [{"source_id": "a"}, {"tier": 2}])
def test_a_curated_claim_has_no_source_or_tier(attribution) -> None:
    with pytest.raises(ValidationError, match="curated claim has no source_id or tier"):
        immunokb.StatusClaim(status=S.APPROVED, curated="why", **attribution)
    with pytest.raises(ValidationError, match="curated claim has no source_id or tier"):
        immunokb.Indication(cancer_type_id="c", status=S.APPROVED, curated="why", **attribution)


@pytest.mark.parametrize("qualifier", [{"regulator": "FDA"}, {"phase": "phase_3"}])
def test_a_curated_claim_has_no_regulator_or_phase(qualifier) -> None:
    with pytest.raises(ValidationError, match="read from quotes, not curated"):
        immunokb.StatusClaim(status=S.APPROVED, curated="why", **qualifier)
    assert _claim(**qualifier)  # a quoted claim may state them


def test_a_claim_is_not_disputed_by_its_own_source() -> None:
    with pytest.raises(ValidationError, match="disputed by its own source"):
        _claim(source_id="a", disputed_by=(_dispute("a"),))
    assert _claim(source_id="a", disputed_by=(_dispute("b"),)).disputed_by[0].source_id == "b"
    # a curated claim has no source, so any source may dispute it
    curated = immunokb.StatusClaim(status=S.APPROVED, curated="why", disputed_by=(_dispute(),))
    assert curated.disputed_by


def test_a_dispute_quotes_its_own_source_only() -> None:
    with pytest.raises(ValidationError, match="every citation of a dispute"):
        immunokb.Dispute(claim="no", source_id="b", citations=(_cite("b"), _cite("c")))
    with pytest.raises(ValidationError) as info:
        immunokb.Dispute(claim="no", source_id="b", citations=())
    assert [(e["type"], e["loc"]) for e in info.value.errors()] == [("too_short", ("citations",))]


def test_trust_key() -> None:
    assert _claim(tier=2).trust_key == (2, 0)
    assert _claim(tier=None).trust_key == (100, 0)
    assert immunokb.StatusClaim(status=S.APPROVED, curated="why").trust_key == (100, 1)


# ----------------------------------------------------------------- therapy validators


def _therapy(**overrides: object) -> immunokb.Therapy:
    name = immunokb.Statement(field=F.NAME, value="Thing", curated="test")
    fields: dict[str, object] = {
        "id": "thing",
        "name": "Thing",
        "scope": "product",
        "summary": "",
        "citations": (_cite(),),
        "statements": (name,),
    }
    fields.update(overrides)
    return immunokb.Therapy.model_validate(fields)


@given(claim_lists(), st.sampled_from(S))
def test_a_therapy_status_must_follow_from_its_claims(claims, status) -> None:
    ordered = by_trust(claims)
    if status is adopted(ordered):
        assert _therapy(status=status, status_claims=ordered).status is status
    else:
        with pytest.raises(ValidationError, match="does not follow from its claims"):
            _therapy(status=status, status_claims=ordered)


def test_status_defaults_to_unknown_and_needs_claims() -> None:
    assert _therapy().status is S.UNKNOWN
    with pytest.raises(ValidationError, match="status 'approved' does not follow"):
        _therapy(status=S.APPROVED)


@given(claim_lists(min_size=2))
def test_status_claims_must_be_most_trusted_first(claims) -> None:
    keys = [c.trust_key for c in claims]
    assume(keys != sorted(keys))
    with pytest.raises(ValidationError, match="ordered most trusted first"):
        _therapy(status=adopted(claims), status_claims=tuple(claims))


def test_a_status_statement_is_no_longer_how_status_is_given() -> None:
    stray = immunokb.Statement(field=F.STATUS, value="approved", citations=(_cite(),))
    with pytest.raises(ValidationError, match="statement for status 'approved' does not match"):
        _therapy(
            statements=(*_therapy().statements, stray),
            status=S.APPROVED,
            status_claims=(_claim(),),
        )


def test_indications_by_cancer_type() -> None:
    def indication(cancer: str, status: S, source: str, tier: int | None):
        return immunokb.Indication(
            cancer_type_id=cancer,
            status=status,
            source_id=source,
            tier=tier,
            citations=(_cite(source),),
        )

    low, high = indication("c1", S.APPROVED, "b", 3), indication("c1", S.IN_USE, "a", 1)
    other = indication("c2", S.FAILED, "a", 1)
    therapy = _therapy(indications=(low, other, high))
    assert therapy.cancer_type_ids == ("c1", "c2")
    assert therapy.indications_for("c1") == (high, low)
    assert therapy.indication_status("c1") is S.IN_USE
    assert therapy.indication_status("c2") is S.FAILED
    assert therapy.indications_for("c3") == ()
    assert therapy.indication_status("c3") is S.UNKNOWN


@given(st.lists(slugs, min_size=1, max_size=4))
def test_cancer_type_ids_keep_first_order_without_repeats(ids) -> None:
    indications = tuple(
        immunokb.Indication(cancer_type_id=i, status=S.APPROVED, curated="test") for i in ids
    )
    assert _therapy(indications=indications).cancer_type_ids == tuple(dict.fromkeys(ids))


# ----------------------------------------------------------------- conflicts


@given(therapies())
def test_conflicts_are_the_fields_where_sources_disagree_with_every_claim(therapy) -> None:
    kb = immunokb.KnowledgeBase(sources=(), entities=(therapy,))

    def disagree(claims) -> bool:
        values = {c.status for c in claims}
        return (len(values) > 1 and not values <= COMPATIBLE) or any(c.disputed_by for c in claims)

    expected = {(F.STATUS, None)} if disagree(therapy.status_claims) else set()
    expected |= {
        (F.INDICATION, c) for c in therapy.cancer_type_ids if disagree(therapy.indications_for(c))
    }
    conflicts = kb.conflicts()
    assert {(c.field, c.subject) for c in conflicts} == expected
    assert len(conflicts) == len(expected)
    for conflict in conflicts:
        assert conflict.entity_id == therapy.id
        claims = (
            therapy.status_claims
            if conflict.field is F.STATUS
            else therapy.indications_for(conflict.subject)
        )
        # every disagreement is listed; the adopted status shows how tiers weighed it
        assert conflict.adopted is adopted(claims)
        if adopted(claims) is S.DISPUTED:
            assert disagree(claims)
        disputes = [d for c in claims for d in c.disputed_by]
        assert sorted(c.value for c in conflict.claims if not c.disputes) == sorted(
            c.status.value for c in claims
        )
        assert sorted(c.source_id for c in conflict.claims if c.disputes) == sorted(
            d.source_id for d in disputes
        )
        tiers = [100 if c.tier is None else c.tier for c in conflict.claims]
        assert tiers == sorted(tiers)
