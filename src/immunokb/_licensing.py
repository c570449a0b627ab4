"""The licence filter of the exports: keep only what sources of some licences say.

:func:`filter_by_license` keeps the sources whose licence is in a set and rebuilds
every entity from the evidence those sources give, by these rules (a medical-data
safety rule: nothing exported may rest on a source that was left out):

- every citation of a source that is not kept is dropped, wherever it is (an
  entity's own citations, statements, status claims, indications, disputes,
  side-effect relations; a lead-in goes with its citation);
- a status claim or indication made by a source that is not kept is dropped, and
  so is a dispute by such a source; curated facts name no source and stay;
- a statement or side-effect relation left with no citation, and not curated, is
  dropped with the value it supported (an alias, a route, a broader id, the
  platform); statuses are derived again from the claims that remain;
- an entity is withheld when none of its own citations remains, or when its name
  (or, for a vaccine, its purpose) loses all its evidence; references to withheld
  entities (broader ids, side-effect relations, indications) are removed;
- the summary, the curator's prose over the entity's evidence, stays only when
  the entity comes through whole: no citation dropped anywhere in it (its own, its
  statements', claims', disputes', relations'), no value removed, no status
  changed. Otherwise it is withheld (an empty string), since it might state what
  the remaining evidence no longer backs.

Every entity is rebuilt with ``model_validate``, so the models' own validators
check the result; an entity that does not validate is withheld too (with the
reason), never exported half-checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ._errors import QueryError
from ._evidence import evidence
from ._models import (
    AnyEntity,
    CancerType,
    Citation,
    Dispute,
    Indication,
    License,
    SideEffectRelation,
    Statement,
    StatementField,
    StatusClaim,
    Therapy,
    Vaccine,
    adopted_status,
    weigh_statement,
)

if TYPE_CHECKING:
    from ._kb import KnowledgeBase

__all__ = ["Changed", "Filtered", "Withheld", "filter_by_license", "license_set"]

SUMMARY_WITHHELD = "summary withheld"
"""The change recorded when an entity's summary is replaced by an empty string."""


@dataclass(frozen=True)
class Withheld:
    """An entity the filter left out, and why (one short sentence)."""

    id: str
    kind: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        """The record as plain data: ``id``, ``kind``, ``reason``."""
        return {"id": self.id, "kind": self.kind, "reason": self.reason}


@dataclass(frozen=True)
class Changed:
    """An entity the filter kept with less than it had: what was removed or changed."""

    id: str
    changes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The record as plain data: ``id``, ``changes`` (a list of short phrases)."""
        return {"id": self.id, "changes": list(self.changes)}


@dataclass(frozen=True)
class Filtered:
    """A knowledge base cut down to the sources of some licences, and what was cut.

    Attributes:
        kb: The filtered knowledge base (same content version as the original).
        licenses: The licences kept, in the order of the :class:`License` vocabulary.
        sources_withheld: Ids of the sources whose licence is not in the set.
        entities_withheld: The entities left out, sorted by id.
        entities_changed: The entities kept with something removed, sorted by id.
    """

    kb: KnowledgeBase
    licenses: tuple[License, ...]
    sources_withheld: tuple[str, ...]
    entities_withheld: tuple[Withheld, ...]
    entities_changed: tuple[Changed, ...]

    def report(self) -> dict[str, Any]:
        """What the filter did, as plain data (the export header's ``license_filter``)."""
        return {
            "licenses": [license.value for license in self.licenses],
            "fingerprint": self.kb.fingerprint,
            "sources_kept": [source.id for source in self.kb.sources],
            "sources_withheld": list(self.sources_withheld),
            "entities_withheld": [w.as_dict() for w in self.entities_withheld],
            "entities_changed": [c.as_dict() for c in self.entities_changed],
        }


def license_set(licenses: Iterable[License | str] | License | str | None) -> frozenset[License]:
    """The licences asked for, checked against the :class:`License` vocabulary.

    Args:
        licenses: A licence or an iterable of them, as members or their string values.

    Returns:
        The set of members.

    Raises:
        QueryError: A value is not a licence (the message lists the valid ones), the
            argument is not an iterable of them, or it is empty.
    """
    valid = ", ".join(member.value for member in License)
    if isinstance(licenses, (str, Enum)):
        values: list[object] = [licenses]
    else:
        try:
            values = list(licenses)  # type: ignore[arg-type]  # checked at run time below
        except TypeError:
            raise QueryError(
                f"licenses={licenses!r} must be a licence or an iterable of licences: {valid}"
            ) from None
    if not values:
        raise QueryError(
            "licenses is empty, so nothing would be exported; pass None for no filter, "
            f"or some of: {valid}"
        )
    known = {member.value: member for member in License}
    found: set[License] = set()
    for value in values:
        key = value.value if isinstance(value, Enum) else value
        if not isinstance(key, str) or key not in known:
            raise QueryError(f"licenses: {value!r} is not one of: {valid}")
        found.add(known[key])
    return frozenset(found)


# --------------------------------------------------------------------------- evidence


def _kept(citations: Iterable[Citation], sources: frozenset[str]) -> list[dict[str, Any]]:
    return [c.model_dump() for c in citations if c.source_id in sources]


def _evidence(
    item: Statement | SideEffectRelation, sources: frozenset[str]
) -> dict[str, Any] | None:
    """The item with only kept citations, as data; None when nothing supports it any more."""
    if item.curated is not None:
        return item.model_dump()
    citations = _kept(item.citations, sources)
    if not citations:
        return None
    return {**item.model_dump(), "citations": citations}


def _claim(
    claim: StatusClaim | Indication, sources: frozenset[str]
) -> StatusClaim | Indication | None:
    """The claim without disputes by dropped sources; None when its own source is dropped."""
    if claim.source_id is not None and claim.source_id not in sources:
        return None
    disputes: list[Dispute] = [d for d in claim.disputed_by if d.source_id in sources]
    data = {**claim.model_dump(), "disputed_by": [d.model_dump() for d in disputes]}
    return type(claim).model_validate(data)


def _first_reason(entity: AnyEntity, sources: frozenset[str]) -> str | None:
    """Why the entity must be withheld on its own evidence alone, or None."""
    if not any(c.source_id in sources for c in entity.citations):
        return "none of its own citations is from a kept source"
    for field, what in ((StatementField.NAME, "name"), (StatementField.PURPOSE, "purpose")):
        statements = entity.statements_for(field)
        if statements and all(_evidence(s, sources) is None for s in statements):
            return f"its {what} has no evidence from a kept source"
    return None


# --------------------------------------------------------------------------- one entity


def _rebuild(
    entity: AnyEntity,
    sources: frozenset[str],
    withheld: Mapping[str, Withheld],
    tiers: Mapping[str, int | None],
) -> tuple[AnyEntity, list[str]]:
    """The entity rebuilt from kept evidence, and the list of what changed.

    A statement kept on promotional sources alone is marked so again (``tiers``).

    Raises:
        ValidationError: The rebuilt entity is not valid (the caller withholds it).
    """
    changes: list[str] = []
    citations = _kept(entity.citations, sources)
    statements: list[dict[str, Any]] = []
    supported: set[tuple[StatementField, str]] = set()
    for statement in entity.statements:
        kept = _evidence(statement, sources)
        if statement.field is StatementField.BROADER and statement.value in withheld:
            kept = None
        if kept is not None:
            weighed = weigh_statement(Statement.model_validate(kept), tiers)
            statements.append(weighed.model_dump())
            supported.add((statement.field, statement.value))
    removed: set[tuple[StatementField, str]] = set()
    for statement in entity.statements:
        key = (statement.field, statement.value)
        if key not in supported and key not in removed:
            removed.add(key)
            gone = statement.field is StatementField.BROADER and statement.value in withheld
            why = "withheld" if gone else "no evidence from a kept source"
            changes.append(f"{statement.field.value} {statement.value!r} removed ({why})")
    data: dict[str, Any] = {
        **entity.model_dump(),
        "citations": citations,
        "statements": statements,
        "aliases": [a for a in entity.aliases if (StatementField.ALIAS, a) not in removed],
        "broader": [b for b in entity.broader if (StatementField.BROADER, b) not in removed],
    }
    if isinstance(entity, CancerType):
        tag = StatementField.CANCER_TYPE_TAG
        data["cancer_type_tags"] = [t for t in entity.cancer_type_tags if (tag, t) not in removed]
    if isinstance(entity, Therapy):
        data.update(_therapy_fields(entity, sources, withheld, removed, changes))
    rebuilt = type(entity).model_validate(data)
    before, after = _quotes(entity), _quotes(rebuilt)
    if after < before:
        changes.insert(0, f"{before - after} of {before} citations dropped")
    if changes and entity.summary:
        # The summary may speak of anything the entity had: it stays only if nothing went.
        changes.append(SUMMARY_WITHHELD)
        rebuilt = type(entity).model_validate({**data, "summary": ""})
    return rebuilt, changes


def _quotes(entity: AnyEntity) -> int:
    """How many citations the entity has, everywhere (its own, statements, claims...)."""
    return sum(1 for piece in evidence(entity) if piece.citation is not None)


def _therapy_fields(
    therapy: Therapy,
    sources: frozenset[str],
    withheld: Mapping[str, Withheld],
    removed: set[tuple[StatementField, str]],
    changes: list[str],
) -> dict[str, Any]:
    """The therapy's own fields rebuilt from kept evidence; appends to ``changes``."""
    claims = [c for c in (_claim(c, sources) for c in therapy.status_claims) if c is not None]
    status = adopted_status(claims)
    if status is not therapy.status:
        changes.append(f"status {therapy.status.value!r} -> {status.value!r}")
    indications = [
        i
        for i in (_claim(i, sources) for i in therapy.indications)
        if isinstance(i, Indication) and i.cancer_type_id not in withheld
    ]
    for cancer_type_id in therapy.cancer_type_ids:
        before = therapy.indication_status(cancer_type_id)
        remaining = [i for i in indications if i.cancer_type_id == cancer_type_id]
        if not remaining:
            changes.append(f"indication {cancer_type_id!r} removed")
        elif (after := adopted_status(remaining)) is not before:
            changes.append(
                f"indication {cancer_type_id!r} status {before.value!r} -> {after.value!r}"
            )
    relations: list[dict[str, Any]] = []
    for relation in therapy.side_effects:
        kept = _evidence(relation, sources)
        if kept is None or relation.side_effect_id in withheld:
            changes.append(f"side effect {relation.side_effect_id!r} removed")
        else:
            relations.append(kept)
    fields: dict[str, Any] = {
        "status_claims": [c.model_dump() for c in claims],
        "status": status,
        "routes": [r for r in therapy.routes if (StatementField.ROUTE, r.value) not in removed],
        "indications": [i.model_dump() for i in indications],
        "side_effects": relations,
    }
    platform = therapy.platform if isinstance(therapy, Vaccine) else None
    if platform is not None and (StatementField.PLATFORM, platform.value) in removed:
        fields["platform"] = None
    return fields


# --------------------------------------------------------------------------- the whole KB


def _validation_reason(error: ValidationError) -> str:
    first = error.errors()[0]
    return f"what remains of it is not valid: {first['msg']}"


def filter_by_license(kb: KnowledgeBase, licenses: frozenset[License]) -> Filtered:
    """The knowledge base cut down to the sources whose licence is in ``licenses``.

    See the module's docstring for the rules. With every licence of the knowledge
    base's sources in ``licenses``, the result holds exactly the same sources and
    entities.

    Args:
        kb: The knowledge base.
        licenses: The licences to keep (see :func:`license_set`).

    Returns:
        The filtered knowledge base, with what was withheld and changed.
    """
    from ._kb import KnowledgeBase  # noqa: PLC0415 - _kb imports this module lazily

    kept_sources = tuple(s for s in kb.sources if s.license in licenses)
    sources = frozenset(s.id for s in kept_sources)
    tiers = {s.id: s.tier for s in kb.sources}
    withheld: dict[str, Withheld] = {}
    for entity in kb.entities:
        reason = _first_reason(entity, sources)
        if reason is not None:
            withheld[entity.id] = Withheld(entity.id, entity.kind, reason)
    while True:  # until withholding an entity no longer makes another invalid
        built: dict[str, tuple[AnyEntity, list[str]]] = {}
        invalid: dict[str, Withheld] = {}
        for entity in kb.entities:
            if entity.id in withheld:
                continue
            try:
                built[entity.id] = _rebuild(entity, sources, withheld, tiers)
            except ValidationError as error:
                invalid[entity.id] = Withheld(entity.id, entity.kind, _validation_reason(error))
        if not invalid:
            break
        withheld.update(invalid)
    filtered = KnowledgeBase(
        sources=kept_sources,
        entities=tuple(entity for entity, _ in built.values()),
        content_version=kb.content_version,
        warnings=kb.warnings,
    )
    return Filtered(
        kb=filtered,
        licenses=tuple(member for member in License if member in licenses),
        sources_withheld=tuple(s.id for s in kb.sources if s.id not in sources),
        entities_withheld=tuple(withheld[i] for i in sorted(withheld)),
        entities_changed=tuple(
            Changed(i, tuple(changes)) for i, (_, changes) in sorted(built.items()) if changes
        ),
    )
