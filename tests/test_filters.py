"""Keyword filters over every collection, checked against the models themselves."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

import immunokb
from immunokb import Audience, License, Route, Status, VaccinePlatform, VaccinePurpose

KB = immunokb.load()
SOURCES = {s.id: s for s in KB.sources}


def evidence_sources(entity: immunokb.Entity) -> set[str]:
    found = {c.source_id for c in entity.citations}
    for statement in entity.statements:
        found |= {c.source_id for c in statement.citations}
    if isinstance(entity, immunokb.Therapy):
        for claim in (*entity.status_claims, *entity.indications):
            found |= {c.source_id for c in claim.citations}
            for dispute in claim.disputed_by:
                found |= {c.source_id for c in dispute.citations}
        for relation in entity.side_effects:
            found |= {c.source_id for c in relation.citations}
    return found


def descendants(entity_id: str) -> set[str]:
    out: set[str] = set()
    frontier = {entity_id}
    while frontier:
        frontier = {e.id for e in KB.entities if set(e.broader) & frontier} - out
        out |= frontier
    return out


def ids(items) -> list[str]:
    return [x.id for x in items]


@pytest.mark.parametrize("cancer_type", ids(KB.cancer_types))
def test_cancer_type_filter_includes_narrower_types(cancer_type: str) -> None:
    wanted = {cancer_type} | descendants(cancer_type)
    expected = [t.id for t in KB.therapies if wanted & set(t.cancer_type_ids)]
    assert ids(KB.find_therapies(cancer_type=cancer_type)) == expected
    assert ids(KB.therapies_for(cancer_type)) == expected


@pytest.mark.parametrize("status", list(Status))
def test_status_filter(status: Status) -> None:
    expected = [t.id for t in KB.therapies if t.status is status]
    assert ids(KB.find_therapies(status=status)) == expected
    assert ids(KB.find_therapies(status=status.value)) == expected


@pytest.mark.parametrize("route", list(Route))
def test_route_filter(route: Route) -> None:
    expected = [t.id for t in KB.therapies if route in t.routes]
    assert ids(KB.find_therapies(route=route.value)) == expected


@pytest.mark.parametrize("category", [t.id for t in KB.therapies if descendants(t.id)])
def test_category_filter_is_every_narrower_member(category: str) -> None:
    assert set(ids(KB.find_therapies(category=category))) == descendants(category)


@pytest.mark.parametrize("source_id", list(SOURCES))
def test_source_filter_is_any_evidence_from_that_source(source_id: str) -> None:
    for kind, find in [
        (KB.therapies, KB.find_therapies),
        (KB.side_effects, KB.find_side_effects),
        (KB.cancer_types, KB.find_cancer_types),
    ]:
        expected = [e.id for e in kind if source_id in evidence_sources(e)]
        assert ids(find(source=source_id)) == expected
    assert KB.find_therapies(source=source_id), f"{source_id} supports no therapy"


@pytest.mark.parametrize("tier", sorted({s.tier for s in KB.sources if s.tier is not None}))
def test_tier_filter(tier: int) -> None:
    tiered = {s.id for s in KB.sources if s.tier == tier}
    expected = [t.id for t in KB.therapies if evidence_sources(t) & tiered]
    assert ids(KB.find_therapies(tier=tier)) == expected
    assert ids(KB.find_sources(tier=tier)) == sorted(tiered)


def test_tier_accepts_a_range() -> None:
    assert ids(KB.find_sources(tier=range(1, 6))) == [
        s.id for s in KB.sources if s.tier is not None and 1 <= s.tier < 6
    ]


@pytest.mark.parametrize("audience", list(Audience))
def test_audience_filter(audience: Audience) -> None:
    matching = {s.id for s in KB.sources if s.audience is audience}
    expected = [t.id for t in KB.therapies if evidence_sources(t) & matching]
    assert ids(KB.find_therapies(audience=audience)) == expected
    assert ids(KB.find_sources(audience=audience)) == sorted(matching)


def test_source_tier_and_audience_apply_to_one_and_the_same_source() -> None:
    # tier 7 and tier 2 are different sources: asking for source X at tier 7 is empty
    # unless X is tier 7.
    for source in KB.sources:
        other_tiers = {s.tier for s in KB.sources if s.tier is not None} - {source.tier}
        for tier in other_tiers:
            assert KB.find_therapies(source=source.id, tier=tier) == []


@pytest.mark.parametrize("platform", list(VaccinePlatform))
def test_platform_filter(platform: VaccinePlatform) -> None:
    expected = [v.id for v in KB.vaccines if v.platform is platform]
    assert ids(KB.find_vaccines(platform=platform)) == expected


@pytest.mark.parametrize("purpose", list(VaccinePurpose))
def test_purpose_filter(purpose: VaccinePurpose) -> None:
    expected = [v.id for v in KB.vaccines if v.purpose is purpose]
    assert ids(KB.find_vaccines(purpose=purpose.value)) == expected
    assert expected


FILTERS = {
    "status": [s.value for s in Status],
    "route": [r.value for r in Route],
    "cancer_type": ids(KB.cancer_types),
    "source": list(SOURCES),
    "tier": [2, 5, 6, 7],
    "audience": [a.value for a in Audience],
    "category": [t.id for t in KB.therapies if descendants(t.id)],
}


@given(
    st.dictionaries(
        st.sampled_from(sorted(FILTERS)), st.just(None), min_size=2, max_size=4
    ).flatmap(lambda keys: st.fixed_dictionaries({k: st.sampled_from(FILTERS[k]) for k in keys}))
)
def test_combined_filters_are_the_intersection_of_single_filters(filters: dict) -> None:
    combined = set(ids(KB.find_therapies(**filters)))
    singles = [set(ids(KB.find_therapies(**{k: v}))) for k, v in filters.items()]
    # source, tier and audience must hold for one and the same source, so the
    # combination may be narrower than the intersection, never wider.
    assert combined <= set.intersection(*singles)
    if not {"source", "tier", "audience"} & set(filters):
        assert combined == set.intersection(*singles)


def test_a_collection_of_values_matches_any_of_them() -> None:
    both = ids(KB.find_therapies(status=["approved", Status.DISPUTED]))
    expected = [t.id for t in KB.therapies if t.status in {Status.APPROVED, Status.DISPUTED}]
    assert both == expected
    assert ids(KB.find_vaccines(purpose=("treatment", "prevention"))) == ids(KB.vaccines)


def test_no_filter_gives_everything_as_a_result_list() -> None:
    for found, everything in [
        (KB.find_therapies(), KB.therapies),
        (KB.find_vaccines(), KB.vaccines),
        (KB.find_side_effects(), KB.side_effects),
        (KB.find_cancer_types(), KB.cancer_types),
        (KB.find_sources(), KB.sources),
    ]:
        assert isinstance(found, list)
        assert found == list(everything)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: KB.find_therapies(status="aproved"), "status"),
        (lambda: KB.find_therapies(route=["oral", "nasal"]), "route"),
        (lambda: KB.find_vaccines(platform="rna"), "platform"),
        (lambda: KB.find_sources(license="gpl"), "license"),
        (lambda: KB.find_sources(tier="2"), "tier"),
        (lambda: KB.find_sources(audience="children"), "audience"),
    ],
)
def test_bad_values_raise_a_query_error_listing_the_valid_ones(call, argument: str) -> None:
    with pytest.raises(immunokb.QueryError) as info:
        call()
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, immunokb.ImmunoKBError)
    assert str(info.value).startswith(f"{argument}=")


def test_unknown_names_raise_not_found_with_suggestions() -> None:
    with pytest.raises(immunokb.NotFoundError) as info:
        KB.find_therapies(cancer_type="melanomma")
    assert "melanoma" in info.value.suggestions
    with pytest.raises(immunokb.NotFoundError):
        KB.find_therapies(category="stroke")  # a side effect, not a therapy class
    with pytest.raises(immunokb.NotFoundError):
        KB.find_therapies(source="nci")


@pytest.mark.parametrize("license_", list(License))
def test_license_filter(license_: License) -> None:
    assert ids(KB.find_sources(license=license_)) == [
        s.id for s in KB.sources if s.license is license_
    ]


def test_stale_and_current_sources_partition_the_sources() -> None:
    day = dt.date(2026, 11, 21)
    stale = ids(KB.find_sources(stale=True, on=day))
    current = ids(KB.find_sources(stale=False, on=day))
    assert sorted(stale + current) == ids(KB.sources)
    assert stale == ids(KB.stale_sources(on=day))
    assert all(KB.source(s).is_stale(on=day) for s in stale)


# ---------------------------------------------------------------- side effects


@pytest.mark.parametrize("therapy", ids(KB.therapies))
def test_inheritance_paths_follow_broader_links(therapy: str) -> None:
    for link in KB.side_effects_of(therapy):
        assert link.path[0] == therapy
        assert link.path[-1] == (link.via or therapy)
        for narrower, broader in itertools.pairwise(link.path):
            assert broader in KB.get(narrower).broader
        stated_on = KB.get(link.path[-1])
        assert link.side_effect.id in {r.side_effect_id for r in stated_on.side_effects}


@pytest.mark.parametrize("therapy", ids(KB.therapies))
def test_side_effect_filter_matches_side_effects_of(therapy: str) -> None:
    expected = {link.side_effect.id for link in KB.side_effects_of(therapy)}
    assert set(ids(KB.find_side_effects(therapy=therapy))) == expected


@pytest.mark.parametrize("side_effect", ids(KB.side_effects))
def test_therapies_with_side_effect_is_the_inverse_of_side_effects_of(side_effect: str) -> None:
    # a link counts when it is to the side effect, or its own sources list it under
    # the side effect linked
    expected = [
        (t.id, link.side_effect.id, link.via)
        for t in KB.therapies
        for link in KB.side_effects_of(t.id)
        if link.side_effect.id == side_effect
        or side_effect in {p.side_effect.id for p in link.includes}
    ]
    found = [
        (link.therapy_id, link.side_effect.id, link.via)
        for link in KB.therapies_with_side_effect(side_effect)
    ]
    assert found == expected


def test_a_symptom_finds_therapies_through_its_syndrome() -> None:
    syndrome = KB.get("flu-like symptoms")
    symptom = KB.narrower(syndrome.id)[0]
    links = KB.therapies_with_side_effect(symptom.id)
    assert links
    assert {link.side_effect.id for link in links} == {syndrome.id}
    assert "sipuleucel-t" in {link.therapy_id for link in links}


def test_cancer_types_of_a_therapy() -> None:
    for therapy in KB.therapies:
        assert ids(KB.find_cancer_types(therapy=therapy.id)) == sorted(therapy.cancer_type_ids)
