"""One walk over an entity's evidence, shared by references, filters and search."""

from __future__ import annotations

from typing import NamedTuple

from ._models import Citation, Entity, Indication, StatusClaim, Therapy, _Evidenced

__all__ = ["Piece", "claim_label", "evidence", "pieces"]


class Piece(NamedTuple):
    """One piece of evidence: a quote, or a curator's mark, and what it supports."""

    supports: str
    citation: Citation | None
    curated: str | None
    disputes: bool = False  # a quote from another source speaking against a claim


def claim_label(what: str, claim: StatusClaim | Indication) -> str:
    """``status approved (FDA)``: what a claim says, with any regulator and phase."""
    extra = [q for q in (claim.regulator, claim.phase.value if claim.phase else None) if q]
    return f"{what} {claim.status.value}" + (f" ({'; '.join(extra)})" if extra else "")


def pieces(label: str, evidenced: _Evidenced) -> list[Piece]:
    """The evidence of one statement or relation: its curated mark, or each quote."""
    if evidenced.curated is not None:
        return [Piece(label, None, evidenced.curated)]
    return [Piece(label, c, None) for c in evidenced.citations]


def evidence(entity: Entity) -> list[Piece]:
    """Every piece of evidence of an entity, in a fixed order.

    Its defining quotes first ("definition"), then each statement (name, aliases,
    broader links, routes, platform, purpose), then for a therapy each status claim
    and indication with the disputes against it, and each side effect.
    """
    found = [Piece("definition", c, None) for c in entity.citations]
    for statement in entity.statements:
        found += pieces(f"{statement.field.value} {statement.value}", statement)
    if isinstance(entity, Therapy):
        claims: list[tuple[str, StatusClaim | Indication]] = [
            ("status", c) for c in entity.status_claims
        ]
        claims += [(f"indication {i.cancer_type_id}", i) for i in entity.indications]
        for what, claim in claims:
            found += pieces(claim_label(what, claim), claim)
            found += [
                Piece(f"dispute of {what} {claim.status.value}: {d.claim}", c, None, disputes=True)
                for d in claim.disputed_by
                for c in d.citations
            ]
        for relation in entity.side_effects:
            found += pieces(f"side effect {relation.side_effect_id}", relation)
    return found
