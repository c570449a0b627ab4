"""Data-integrity tests over every bundled record."""

from __future__ import annotations

import pytest

import immunokb
from immunokb._provenance import normalize_quote

KB = immunokb.load()


def _all_citations() -> list[tuple[str, immunokb.Citation]]:
    out: list[tuple[str, immunokb.Citation]] = []
    for entity in KB.entities:
        out += [(f"{entity.id}.citations", c) for c in entity.citations]
        for statement in entity.statements:
            out += [
                (f"{entity.id}.{statement.field.value}:{statement.value}", c)
                for c in statement.citations
            ]
        if isinstance(entity, immunokb.Therapy):
            for relation in (*entity.indications, *entity.side_effects):
                out += [(f"{entity.id}.relation", c) for c in relation.citations]
    return out


CITATIONS = _all_citations()


def test_bundled_kb_is_not_empty() -> None:
    assert len(KB.sources) == 5
    assert KB.therapies
    assert KB.vaccines
    assert KB.side_effects
    assert KB.cancer_types


@pytest.mark.parametrize(("where", "citation"), CITATIONS, ids=[w for w, _ in CITATIONS])
def test_citation_offsets_slice_the_quote(where: str, citation: immunokb.Citation) -> None:
    text = KB.source(citation.source_id).text
    assert normalize_quote(text[citation.start : citation.end]) == normalize_quote(citation.quote)
    if citation.lead_in is not None:
        assert citation.lead_in_start is not None
        assert citation.lead_in_end is not None
        lead = text[citation.lead_in_start : citation.lead_in_end]
        assert normalize_quote(lead) == normalize_quote(citation.lead_in)


@pytest.mark.parametrize("entity", KB.entities, ids=lambda e: e.id)
def test_every_entity_is_cited(entity) -> None:
    assert entity.citations
    assert entity.statements_for(immunokb.StatementField.NAME, entity.name)
    for alias in entity.aliases:
        statements = entity.statements_for(immunokb.StatementField.ALIAS, alias)
        assert statements
        for statement in statements:
            # quoted or curated with a reason, never both
            assert bool(statement.citations) != bool(statement.curated)


@pytest.mark.parametrize("entity", KB.entities, ids=lambda e: e.id)
def test_quoted_names_appear_in_their_quotes(entity) -> None:
    for statement in entity.statements:
        if statement.field in {immunokb.StatementField.NAME, immunokb.StatementField.ALIAS}:
            for citation in statement.citations:
                said = normalize_quote(f"{citation.lead_in or ''} {citation.quote}").casefold()
                assert normalize_quote(statement.value).casefold() in said


@pytest.mark.parametrize("entity", KB.entities, ids=lambda e: e.id)
def test_broader_links_resolve_within_the_same_kind(entity) -> None:
    family = {"vaccine": "therapy"}
    for parent_id in entity.broader:
        parent = KB.get(parent_id)
        assert family.get(parent.kind, parent.kind) == family.get(entity.kind, entity.kind)


@pytest.mark.parametrize("source", KB.sources, ids=lambda s: s.id)
def test_every_source_is_described(source: immunokb.Source) -> None:
    assert source.title
    assert source.text.strip()
    assert source.tier is not None
    assert source.language == "en"
    assert source.notes, "bundled sources explain where their metadata comes from"


def test_no_frontmatter_cancer_type_tag_is_immunotherapy() -> None:
    # Seed 000 listed "immunotherapy" among its cancerTypes; the bundled copy is corrected.
    for source in KB.sources:
        assert "immunotherapy" not in source.cancer_types
    assert all(immunokb.normalize(c.name) != "immunotherapy" for c in KB.cancer_types)


def test_unstated_metadata_is_null_not_guessed() -> None:
    # Only the NCI vaccines page states a URL, a licence and a review frequency.
    stated = {s.id for s in KB.sources if s.url is not None}
    assert stated == {"nci-cancer-treatment-vaccines"}
    assert {s.id for s in KB.sources if s.license is not immunokb.License.UNKNOWN} == stated
    assert {s.id for s in KB.sources if s.review_frequency is not None} == stated


def test_page_chrome_is_stripped() -> None:
    chrome = [
        "Skip to main content",
        "Request an Appointment",
        "More On",
        "Translate this page",
        "Check Eligibility for a Therapeutic Cancer Vaccine",
        "](/",
    ]
    for source in KB.sources:
        for line in chrome:
            assert line not in source.text, (source.id, line)
