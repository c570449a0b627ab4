"""Human-readable citations and the structured references behind them."""

from __future__ import annotations

import datetime as dt

import pytest

import immunokb
from immunokb._provenance import normalize_quote

KB = immunokb.load()
DAY = dt.date(2026, 11, 21)


def evidence_count(entity: immunokb.Entity) -> int:
    """Pieces of evidence: each citation, or one per curated mark."""
    count = len(entity.citations)
    pieces: list = list(entity.statements)
    if isinstance(entity, immunokb.Therapy):
        pieces += [*entity.status_claims, *entity.indications, *entity.side_effects]
        count += sum(
            len(d.citations)
            for c in (*entity.status_claims, *entity.indications)
            for d in c.disputed_by
        )
        count += sum(len(q.citations) for i in entity.indications for q in i.qualifiers)
    return count + sum(1 if p.curated is not None else len(p.citations) for p in pieces)


@pytest.mark.parametrize("entity_id", [e.id for e in KB.entities])
def test_references_cover_every_piece_of_evidence_verbatim(entity_id: str) -> None:
    entity = KB.get(entity_id)
    references = KB.references(entity, on=DAY)
    assert isinstance(references, list)
    assert len(references) == evidence_count(entity)
    for reference in references:
        if reference.curated is not None:
            assert reference.source_id is None
            assert reference.quote is None
            continue
        source = KB.source(reference.source_id)
        assert normalize_quote(source.text[reference.start : reference.end]) == normalize_quote(
            reference.quote
        )
        assert (reference.title, reference.url, reference.license, reference.tier) == (
            source.title,
            source.url,
            source.license,
            source.tier,
        )
        assert reference.last_reviewed == source.last_reviewed_display
        assert reference.stale is source.is_stale(on=DAY)


@pytest.mark.parametrize("entity_id", [e.id for e in KB.entities])
def test_cite_renders_every_quote_title_and_curated_mark(entity_id: str) -> None:
    entity = KB.get(entity_id)
    text = KB.cite(entity_id, on=DAY)
    assert text.splitlines()[0] == f"{entity.name} ({entity.id})"
    for reference in KB.references(entity, on=DAY):
        if reference.curated is None:
            assert reference.quote in text
            assert reference.title in text
            if reference.url:
                assert reference.url in text
        else:
            assert f"[curated, not quoted] {reference.supports}: {reference.curated}" in text
    assert text == KB.cite(entity, on=DAY)


def test_a_quote_supporting_several_facts_is_listed_once() -> None:
    text = KB.cite("sipuleucel-T", on=DAY)
    references = [r for r in KB.references("sipuleucel-T") if r.curated is None]
    distinct = {(r.source_id, r.start, r.end) for r in references}
    assert text.count("\n[") + text.startswith("[") == len(distinct)


def test_staleness_is_judged_on_the_day_asked() -> None:
    source = next(s for s in KB.sources if s.review_due is not None)
    assert source.review_due is not None
    entity = next(e for e in KB.entities if any(c.source_id == source.id for c in e.citations))
    before = source.review_due
    after = source.review_due + dt.timedelta(days=1)
    assert (
        "overdue for review" not in KB.cite(entity, on=before).split(source.title)[1].split("\n")[0]
    )
    assert f"overdue for review on {after.isoformat()}" in KB.cite(entity, on=after)


def test_cite_a_side_effect_link_names_the_inheritance_path() -> None:
    link = next(x for x in KB.side_effects_of("sipuleucel-T") if x.via is not None)
    text = KB.cite(link, on=DAY)
    assert " → ".join(link.path) in text
    for citation in link.citations:
        assert citation.quote in text
    (reference, *_) = KB.references(link)
    assert reference.supports.startswith(f"side effect {link.side_effect.id}")


def test_cite_a_conflict_lists_both_sides() -> None:
    conflict = KB.conflicts()[0]
    references = KB.references(conflict)
    assert {r.source_id for r in references} == {c.source_id for c in conflict.claims}
    assert KB.cite(conflict).startswith(f"Conflict: {conflict.entity_id}")


def test_cite_claims_statements_and_citations() -> None:
    therapy = KB.get("lk101")
    assert isinstance(therapy, immunokb.Therapy)
    claim = therapy.status_claims[0]
    assert [r.quote for r in KB.references(claim)] == [c.quote for c in claim.citations]
    statement = therapy.statements[0]
    assert len(KB.references(statement)) == max(len(statement.citations), 1)
    citation = therapy.citations[0]
    (reference,) = KB.references(citation)
    assert reference.quote == citation.quote


def test_cite_a_search_hit() -> None:
    hit = KB.search("how often", limit=1)[0]
    assert hit.citation is not None
    (reference,) = KB.references(hit)
    assert reference.quote == hit.citation.quote
    assert hit.citation.quote in KB.cite(hit)


def test_cite_errors() -> None:
    with pytest.raises(immunokb.NotFoundError):
        KB.cite("no such therapy")
    with pytest.raises(immunokb.QueryError):
        KB.cite(42)  # type: ignore[arg-type]


def test_every_citable_kind_has_a_readable_heading() -> None:
    therapy = KB.get("T-VEC")
    assert isinstance(therapy, immunokb.Therapy)
    items = [
        therapy.indications[0],
        therapy.status_claims[0],
        therapy.statements[0],
        therapy.side_effects[0],
        therapy.citations[0],
        KB.conflicts()[0].claims[0],
    ]
    for item in items:
        heading = KB.cite(item).splitlines()[0]
        assert heading != type(item).__name__
        assert len(heading) > len(type(item).__name__)


def test_a_direct_link_is_headed_without_a_path() -> None:
    link = next(x for x in KB.side_effects_of("sipuleucel-T") if x.via is None)
    assert (
        KB.cite(link).splitlines()[0] == f"{link.side_effect.name}: a side effect of sipuleucel-t"
    )
