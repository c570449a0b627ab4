"""One walk over an entity's evidence, shared by references, filters and search."""

from __future__ import annotations

from typing import NamedTuple

from ._models import Citation, Entity, Indication, StatusClaim, Therapy, _Evidenced

__all__ = ["Piece", "claim_label", "evidence", "pieces"]


class Piece(NamedTuple):
    """One piece of evidence: a quote, or a curator's mark, and what it supports.

    ``supports`` is the readable label (``alias Provenge``, ``status approved
    (FDA)``); ``field``, ``value`` and ``status`` are the same as data: the field
    (``summary`` for an entity's defining quotes, ``name``, ``alias``, ``status``,
    ``indication``, ``dispute``, ``side_effect``...), its value (``None`` for
    ``summary``) and, for claims and disputes, the status claimed or disputed.
    """

    supports: str
    citation: Citation | None
    curated: str | None
    field: str
    value: str | None = None
    status: str | None = None
    disputes: bool = False  # a quote from another source speaking against a claim


def claim_label(what: str, claim: StatusClaim | Indication) -> str:
    """``status approved (FDA)``: what a claim says, with any regulator and phase.

    An indication's qualifiers follow, quoted: ``indication melanoma in_use, for
    “melanoma that returns after surgery ...”``.
    """
    extra = [q for q in (claim.regulator, claim.phase.value if claim.phase else None) if q]
    label = f"{what} {claim.status.value}" + (f" ({'; '.join(extra)})" if extra else "")
    if isinstance(claim, Indication) and claim.qualifiers:
        label += ", for " + "; ".join(f"“{q.text}”" for q in claim.qualifiers)
    return label


def pieces(
    label: str,
    evidenced: _Evidenced,
    field: str,
    value: str | None = None,
    status: str | None = None,
) -> list[Piece]:
    """The evidence of one statement or relation: its curated mark, or each quote."""
    if evidenced.curated is not None:
        return [Piece(label, None, evidenced.curated, field, value, status)]
    return [Piece(label, c, None, field, value, status) for c in evidenced.citations]


def evidence(entity: Entity) -> list[Piece]:
    """Every piece of evidence of an entity, in a fixed order.

    Its defining quotes first ("definition"), then each statement (name, aliases,
    broader links, routes, platform, purpose), then for a therapy each status claim
    and indication with the disputes against it, and each side effect.
    """
    found = [Piece("definition", c, None, "summary") for c in entity.citations]
    for s in entity.statements:
        found += pieces(f"{s.field.value} {s.value}", s, s.field.value, s.value)
    if isinstance(entity, Therapy):
        claims: list[tuple[str, str, StatusClaim | Indication]] = [
            ("status", c.status.value, c) for c in entity.status_claims
        ]
        claims += [("indication", i.cancer_type_id, i) for i in entity.indications]
        for field, value, claim in claims:
            what = "status" if field == "status" else f"indication {value}"
            status = claim.status.value
            found += pieces(claim_label(what, claim), claim, field, value, status)
            if isinstance(claim, Indication):
                found += [
                    Piece(
                        f"{what} {status}: {q.kind.value} “{q.text}”",
                        c,
                        None,
                        "qualifier",
                        q.text,
                        status,
                    )
                    for q in claim.qualifiers
                    for c in q.citations
                ]
            found += [
                Piece(
                    f"dispute of {what} {status}: {d.claim}",
                    c,
                    None,
                    "dispute",
                    d.claim,
                    status,
                    disputes=True,
                )
                for d in claim.disputed_by
                for c in d.citations
            ]
        for relation in entity.side_effects:
            found += pieces(
                f"side effect {relation.side_effect_id}",
                relation,
                "side_effect",
                relation.side_effect_id,
            )
    return found
