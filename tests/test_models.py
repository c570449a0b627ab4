from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from pydantic import BaseModel, ValidationError

import immunokb
from strategies import any_model, citations, review_dates, sources

F = immunokb.StatementField


@given(any_model)
def test_model_json_round_trip(model) -> None:
    again = type(model).model_validate_json(model.model_dump_json())
    assert again == model
    assert type(again) is type(model)


@given(any_model)
def test_model_python_round_trip(model) -> None:
    assert type(model).model_validate(model.model_dump()) == model


@given(citations())
def test_citation_offsets_are_ordered(citation: immunokb.Citation) -> None:
    assert citation.start < citation.end
    if citation.lead_in_end is not None:
        assert citation.lead_in_end <= citation.start


def _cite(**overrides: object) -> immunokb.Citation:
    fields: dict[str, object] = {"source_id": "s", "quote": "q", "start": 0, "end": 1}
    fields.update(overrides)
    return immunokb.Citation.model_validate(fields)


def test_citation_rejects_empty_span() -> None:
    with pytest.raises(ValidationError, match="end must be greater than start"):
        _cite(start=5, end=5)


def test_citation_lead_in_fields_travel_together() -> None:
    with pytest.raises(ValidationError, match="set together"):
        _cite(lead_in="x", start=5, end=6)


def test_statement_needs_evidence() -> None:
    with pytest.raises(ValidationError, match="at least one citation or a curated"):
        immunokb.Statement(field=F.ALIAS, value="x")


def test_curated_statement_carries_no_citation() -> None:
    with pytest.raises(ValidationError, match="not quoted"):
        immunokb.Statement(field=F.ALIAS, value="x", citations=(_cite(),), curated="why")
    curated = immunokb.Statement(field=F.ALIAS, value="x", curated="why")
    assert curated.is_curated
    assert not immunokb.Statement(field=F.ALIAS, value="x", citations=(_cite(),)).is_curated


def _entity_fields(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "id": "thing",
        "name": "Thing",
        "summary": "",
        "citations": (_cite(),),
        "statements": (immunokb.Statement(field=F.NAME, value="Thing", citations=(_cite(),)),),
    }
    fields.update(overrides)
    return fields


def test_every_alias_needs_a_statement() -> None:
    with pytest.raises(ValidationError, match="no statement gives evidence for alias 'Other'"):
        immunokb.SideEffect(**_entity_fields(aliases=("Other",)))


def test_a_statement_must_match_the_entity() -> None:
    stray = immunokb.Statement(field=F.ALIAS, value="Nope", curated="x")
    with pytest.raises(ValidationError, match="does not match the entity"):
        immunokb.SideEffect(**_entity_fields(statements=(*_entity_fields()["statements"], stray)))


def test_rival_status_claims_from_two_sources_make_the_status_disputed() -> None:
    approved = immunokb.StatusClaim(
        status="approved", source_id="s", tier=1, citations=(_cite(source_id="s"),)
    )
    rival = immunokb.StatusClaim(
        status="investigational", source_id="t", tier=3, citations=(_cite(source_id="t"),)
    )
    therapy = immunokb.Therapy(
        **_entity_fields(),
        scope="product",
        status=immunokb.Status.DISPUTED,
        status_claims=(approved, rival),
    )
    assert [c.status for c in therapy.status_claims] == ["approved", "investigational"]
    assert [c.source_id for c in therapy.status_claims] == ["s", "t"]
    # the most trusted claim does not win over a rival: the claims disagree
    with pytest.raises(ValidationError, match="status 'approved' does not follow"):
        immunokb.Therapy(
            **_entity_fields(),
            scope="product",
            status=immunokb.Status.APPROVED,
            status_claims=(approved, rival),
        )
    # a single claim is adopted as it stands
    alone = immunokb.Therapy(
        **_entity_fields(),
        scope="product",
        status=immunokb.Status.INVESTIGATIONAL,
        status_claims=(rival,),
    )
    assert alone.status is immunokb.Status.INVESTIGATIONAL


def test_therapy_kind_tag_cannot_claim_vaccine() -> None:
    with pytest.raises(ValidationError, match="use Vaccine"):
        immunokb.Therapy(**_entity_fields(), scope="class", kind="vaccine")


@pytest.mark.parametrize("status", sorted(immunokb.PRODUCT_ONLY_STATUSES))
def test_a_class_is_never_approved_failed_or_discontinued(status) -> None:
    claim = immunokb.StatusClaim(
        status=status, source_id="s", tier=2, citations=(_cite(source_id="s"),)
    )
    adopted = immunokb.adopted_status([claim])
    product = immunokb.Therapy(
        **_entity_fields(), scope="product", status=adopted, status_claims=(claim,)
    )
    assert product.status is adopted
    with pytest.raises(ValidationError, match="only a product"):
        immunokb.Therapy(**_entity_fields(), scope="class", status=adopted, status_claims=(claim,))
    indication = immunokb.Indication(cancer_type_id="zzq", **claim.model_dump())
    with pytest.raises(ValidationError, match="only a product"):
        immunokb.Therapy(**_entity_fields(), scope="class", indications=(indication,))


def test_closed_schema_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError) as info:
        immunokb.SideEffect(**_entity_fields(colour="red"))
    assert [(e["type"], e["loc"]) for e in info.value.errors()] == [
        ("extra_forbidden", ("colour",))
    ]


def test_models_are_frozen(kb: immunokb.KnowledgeBase) -> None:
    entity = kb.get("T-VEC")
    for model, field in [
        (entity, "name"),
        (kb.sources[0], "title"),
        (entity.citations[0], "start"),
    ]:
        before = getattr(model, field)
        with pytest.raises(ValidationError) as info:
            setattr(model, field, before)
        assert [e["type"] for e in info.value.errors()] == ["frozen_instance"]
        assert getattr(model, field) == before
    assert isinstance(entity.aliases, tuple)
    with pytest.raises(AttributeError):
        entity.aliases.append("x")  # tuples have no append


def test_enums_are_lower_case_str() -> None:
    for enum in (
        immunokb.Status,
        immunokb.Route,
        immunokb.License,
        immunokb.Audience,
        immunokb.ReviewFrequency,
        immunokb.VaccinePurpose,
        immunokb.VaccinePlatform,
    ):
        for member in enum:
            assert isinstance(member, str)
            assert member.value == member.value.lower()
            assert member == member.value


def test_contract_enum_values_exist() -> None:
    assert {s.value for s in immunokb.Status} >= {
        "approved",
        "investigational",
        "discontinued",
        "failed",
        "unknown",
    }
    assert {r.value for r in immunokb.Route} >= {
        "intravenous",
        "oral",
        "topical",
        "intravesical",
        "intratumoral",
    }


def test_every_field_has_a_description() -> None:
    schema = immunokb.json_schema()
    for name, definition in schema["$defs"].items():
        for field, spec in definition.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{field} has no description"


def test_json_schema_covers_every_model() -> None:
    defs = immunokb.json_schema()["$defs"]
    for name in (
        "Source",
        "Therapy",
        "Vaccine",
        "SideEffect",
        "CancerType",
        "Citation",
        "Statement",
        "Indication",
        "SideEffectRelation",
        "SideEffectLink",
        "Conflict",
        "Hit",
        "StatusClaim",
        "Dispute",
        "Claim",
        "Phase",
    ):
        assert name in defs
    assert defs["Vaccine"]["properties"]["purpose"]["$ref"].endswith("VaccinePurpose")
    assert set(defs["Status"]["enum"]) == {s.value for s in immunokb.Status}
    assert set(defs["Phase"]["enum"]) == {p.value for p in immunokb.Phase}
    claims = defs["Therapy"]["properties"]["status_claims"]
    assert claims["items"]["$ref"].endswith("/StatusClaim")


PUBLIC_MODELS = [
    getattr(immunokb, name)
    for name in immunokb.__all__
    if isinstance(getattr(immunokb, name), type)
    and issubclass(getattr(immunokb, name), BaseModel)
    and name != "Entity"  # the abstract base is described through its subclasses
]


@pytest.mark.parametrize("model", PUBLIC_MODELS, ids=lambda m: m.__name__)
def test_json_schema_describes_every_field_of_every_public_model(model) -> None:
    definition = immunokb.json_schema()["$defs"][model.__name__]
    properties = definition["properties"]
    assert set(properties) == set(model.model_fields)
    for field, spec in properties.items():
        assert spec.get("description"), f"{model.__name__}.{field} has no description"
    assert definition.get("additionalProperties") is False


# ----------------------------------------------------------------- staleness


def _source(**overrides: object) -> immunokb.Source:
    fields: dict[str, object] = {"id": "s", "title": "T", "text": "", "path": "s.md"}
    fields.update(overrides)
    return immunokb.Source.model_validate(fields)


def test_quarterly_source_goes_stale_after_three_months() -> None:
    source = _source(
        last_reviewed=dt.date(2025, 12, 30),
        last_reviewed_precision="day",
        review_frequency="quarterly",
    )
    assert source.review_due == dt.date(2026, 3, 30)
    assert not source.is_stale(on=dt.date(2026, 3, 30))
    assert source.is_stale(on=dt.date(2026, 3, 31))


def test_month_precision_counts_from_the_first_of_the_month() -> None:
    source = _source(last_reviewed=dt.date(2021, 9, 1), last_reviewed_precision="month")
    assert source.last_reviewed_display == "2021-09"
    assert source.review_due == dt.date(2022, 9, 1)  # default period: 12 months
    assert source.is_stale(on=dt.date(2022, 9, 2))


def test_source_without_review_date_is_always_stale() -> None:
    assert _source().is_stale(on=dt.date(1990, 1, 1))


def test_review_date_and_precision_travel_together() -> None:
    with pytest.raises(ValidationError, match="set together"):
        _source(last_reviewed=dt.date(2020, 1, 1))


@given(sources(), review_dates, review_dates)
def test_staleness_is_monotonic_in_time(source: immunokb.Source, a: dt.date, b: dt.date) -> None:
    early, late = sorted((a, b))
    if source.is_stale(on=early):
        assert source.is_stale(on=late)


@given(sources())
def test_review_due_is_after_the_review(source: immunokb.Source) -> None:
    if source.last_reviewed is None:
        assert source.review_due is None
    else:
        assert source.review_due is not None
        assert source.review_due > source.last_reviewed
