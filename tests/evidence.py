"""Walk every piece of evidence in a knowledge base: one record per citation or curated mark.

Used by the data-integrity tests (every fact is evidenced, every source contributes)
and handy for reviewing the bundled content by hand:
``python -c "import sys; sys.path.insert(0, 'tests'); import evidence; evidence.report()"``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import immunokb


@dataclass(frozen=True)
class Evidence:
    """One citation (or curated mark) backing one fact about one entity."""

    entity_id: str
    relation: str  # "entity", "name", "alias", "broader", "route", "platform", "purpose",
    #                "status", "indication", "side_effect", "dispute"
    value: str
    citation: immunokb.Citation | None
    curated: str | None

    @property
    def source_id(self) -> str | None:
        return None if self.citation is None else self.citation.source_id


def _evidenced(
    entity_id: str, relation: str, value: str, item: immunokb.Statement | object
) -> Iterator[Evidence]:
    citations = getattr(item, "citations", ())
    curated = getattr(item, "curated", None)
    if curated is not None:
        yield Evidence(entity_id, relation, value, None, curated)
    for citation in citations:
        yield Evidence(entity_id, relation, value, citation, None)


def walk(kb: immunokb.KnowledgeBase) -> Iterator[Evidence]:
    """Every citation and curated mark of every entity, statement and relation."""
    for entity in kb.entities:
        for citation in entity.citations:
            yield Evidence(entity.id, "entity", entity.name, citation, None)
        for statement in entity.statements:
            yield from _evidenced(entity.id, statement.field.value, statement.value, statement)
        if not isinstance(entity, immunokb.Therapy):
            continue
        claims = [("status", c.status.value, c) for c in entity.status_claims]
        claims += [
            ("indication", f"{i.cancer_type_id}={i.status.value}", i) for i in entity.indications
        ]
        for relation, value, claim in claims:
            yield from _evidenced(entity.id, relation, value, claim)
            for dispute in claim.disputed_by:
                yield from _evidenced(entity.id, "dispute", f"{relation}:{value}", dispute)
        for effect in entity.side_effects:
            yield from _evidenced(entity.id, "side_effect", effect.side_effect_id, effect)


def relations(kb: immunokb.KnowledgeBase) -> list[tuple[str, str, str, object]]:
    """Every fact that needs evidence: (entity id, relation, value, evidenced object)."""
    out: list[tuple[str, str, str, object]] = []
    for entity in kb.entities:
        out += [(entity.id, s.field.value, s.value, s) for s in entity.statements]
        if isinstance(entity, immunokb.Therapy):
            out += [(entity.id, "status", c.status.value, c) for c in entity.status_claims]
            out += [(entity.id, "indication", i.cancer_type_id, i) for i in entity.indications]
            out += [(entity.id, "side_effect", r.side_effect_id, r) for r in entity.side_effects]
            for claim in (*entity.status_claims, *entity.indications):
                out += [(entity.id, "dispute", d.claim, d) for d in claim.disputed_by]
    return out


def by_source(kb: immunokb.KnowledgeBase) -> dict[str, set[tuple[str, str]]]:
    """Source id -> the (entity id, relation) pairs that cite it."""
    out: dict[str, set[tuple[str, str]]] = {s.id: set() for s in kb.sources}
    for record in walk(kb):
        if record.source_id is not None:
            out[record.source_id].add((record.entity_id, record.relation))
    return out


def report(kb: immunokb.KnowledgeBase | None = None) -> None:
    """Print counts: entities by kind, relations by kind, citations by source, conflicts."""
    kb = kb or immunokb.load()
    print("entities:", dict(Counter(e.kind for e in kb.entities)))
    print("facts:", dict(Counter(r for _, r, _, _ in relations(kb))))
    records = list(walk(kb))
    print("citations by source:", dict(Counter(r.source_id for r in records if r.citation)))
    print("curated marks:", sum(1 for r in records if r.curated is not None))
    print("conflicts:", len(kb.conflicts()))
    for source_id, pairs in by_source(kb).items():
        entities = len({e for e, _ in pairs})
        print(f"  {source_id}: {entities} entities, {len(pairs)} (entity, relation) pairs")
