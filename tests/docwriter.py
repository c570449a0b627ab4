"""Write immunokb models back to documents (a test helper).

``source_document`` turns a :class:`~immunokb.Source` into a source document with
house frontmatter, ``entity_document`` turns a therapy, vaccine, side effect or cancer
type into an entity document in immunokb's schema, and ``write_kb`` does both for a
whole knowledge base. Loading what they write gives the same models back; the
round-trip tests check exactly that.

``render`` and ``encode`` are the low-level part, shared with the corpus strategies:
frontmatter mapping + body -> document text -> bytes, with a choice of line endings
and an optional UTF-8 byte-order mark.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

import yaml

import immunokb

BOM = b"\xef\xbb\xbf"


def dump_yaml(
    meta: Mapping[str, Any],
    *,
    allow_unicode: bool = True,
    width: int = 100,
    indent: int = 2,
    flow: bool | None = False,
) -> str:
    """The frontmatter block's YAML (``yaml.safe_dump``, keys in the order given)."""
    return yaml.safe_dump(
        dict(meta),
        allow_unicode=allow_unicode,
        sort_keys=False,
        default_flow_style=flow,
        width=width,
        indent=indent,
    )


def render(meta: Mapping[str, Any], body: str, **style: Any) -> str:
    """A document: ``---``, the YAML of ``meta``, ``---``, then ``body`` (LF line endings)."""
    text = "---\n" + dump_yaml(meta, **style) + "---\n"
    return text + body + "\n" if body else text


def encode(text: str, *, newline: str = "\n", bom: bool = False) -> bytes:
    """UTF-8 bytes of ``text`` with its LF line endings replaced by ``newline``."""
    data = text.replace("\n", newline).encode("utf-8")
    return BOM + data if bom else data


# --------------------------------------------------------------------------- sources


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_thaw(item) for item in value]
    return value


def _value(member: Enum | None) -> str | None:
    return None if member is None else str(member.value)


def source_meta(source: immunokb.Source) -> dict[str, Any]:
    """The house frontmatter that loads as ``source`` (with the body as its text)."""
    meta: dict[str, Any] = {
        "title": source.title,
        "license": source.license.value,
        "audienceLevel": source.audience.value,
    }
    optional = {
        "url": source.url,
        "source": source.publisher,
        "sourceType": source.source_type,
        "citation": source.citation,
        "language": source.language,
        "lastReviewed": source.last_reviewed_display,
        "reviewFrequency": _value(source.review_frequency),
        "status": _value(source.status),
        "version": source.version,
        "notes": source.notes,
    }
    meta.update((key, value) for key, value in optional.items() if value is not None)
    if source.cancer_types:
        meta["cancerTypes"] = list(source.cancer_types)
    if source.tags:
        meta["tags"] = list(source.tags)
    for key, value in source.extra.items():
        meta[key] = _thaw(value)
    return meta


def source_document(source: immunokb.Source) -> str:
    """The source document (house frontmatter and body) that loads as ``source``."""
    return render(source_meta(source), source.text)


# --------------------------------------------------------------------------- entities


def citation_doc(citation: immunokb.Citation) -> dict[str, Any]:
    """``{source, lead_in?, quote}`` for one citation."""
    doc: dict[str, Any] = {"source": citation.source_id}
    if citation.lead_in is not None:
        doc["lead_in"] = citation.lead_in
    doc["quote"] = citation.quote
    return doc


def evidence_doc(evidence: Any) -> dict[str, Any]:
    """``{curated: ...}`` or ``{cite: [...]}``: the evidence of a statement or claim."""
    if evidence.curated is not None:
        return {"curated": evidence.curated}
    return {"cite": [citation_doc(c) for c in evidence.citations]}


def statement_doc(statement: immunokb.Statement) -> dict[str, Any]:
    """``{value, cite | curated}`` for one statement."""
    return {"value": statement.value, **evidence_doc(statement)}


def dispute_doc(dispute: immunokb.Dispute) -> dict[str, Any]:
    """``{claim, cite}`` for one dispute."""
    return {"claim": dispute.claim, "cite": [citation_doc(c) for c in dispute.citations]}


def claim_doc(
    claim: immunokb.StatusClaim | immunokb.Indication, key: str = "value"
) -> dict[str, Any]:
    """A status claim (``key`` ``value``) or an indication (``key`` ``status``)."""
    doc: dict[str, Any] = {}
    if isinstance(claim, immunokb.Indication):
        doc["cancer_type"] = claim.cancer_type_id
    doc[key] = claim.status.value
    doc.update(evidence_doc(claim))
    if claim.phase is not None:
        doc["phase"] = claim.phase.value
    if claim.regulator is not None:
        doc["regulator"] = claim.regulator
    if claim.disputed_by:
        doc["disputed_by"] = [dispute_doc(d) for d in claim.disputed_by]
    if isinstance(claim, immunokb.Indication) and claim.qualifiers:
        doc["qualifiers"] = [
            {
                "kind": q.kind.value,
                "text": q.text,
                "cite": [citation_doc(c) for c in q.citations],
            }
            for q in claim.qualifiers
        ]
    return doc


def _statements(entity: immunokb.Entity, field: immunokb.StatementField) -> list[dict[str, Any]]:
    return [statement_doc(s) for s in entity.statements if s.field is field]


def entity_meta(entity: immunokb.Entity) -> dict[str, Any]:
    """The frontmatter, in immunokb's entity schema, that loads as ``entity``."""
    sf = immunokb.StatementField
    meta: dict[str, Any] = {"kind": entity.kind, "id": entity.id}
    if isinstance(entity, immunokb.Therapy):
        meta["scope"] = entity.scope.value
    (meta["name"],) = _statements(entity, sf.NAME)
    for key, field in (
        ("aliases", sf.ALIAS),
        ("broader", sf.BROADER),
        ("cancer_type_tags", sf.CANCER_TYPE_TAG),
        ("routes", sf.ROUTE),
    ):
        statements = _statements(entity, field)
        if statements:
            meta[key] = statements
    for key, field in (("platform", sf.PLATFORM), ("purpose", sf.PURPOSE)):
        statements = _statements(entity, field)
        if statements:
            (meta[key],) = statements
    meta["cite"] = [citation_doc(c) for c in entity.citations]
    if isinstance(entity, immunokb.Therapy):
        if entity.status_claims:
            meta["status"] = [claim_doc(c) for c in entity.status_claims]
        if entity.indications:
            meta["indications"] = [claim_doc(i, "status") for i in entity.indications]
        if entity.side_effects:
            meta["side_effects"] = [
                {"side_effect": r.side_effect_id, **evidence_doc(r)} for r in entity.side_effects
            ]
    return meta


def entity_document(entity: immunokb.Entity) -> str:
    """The entity document (frontmatter and summary) that loads as ``entity``."""
    return render(entity_meta(entity), entity.summary)


def entity_path(entity_id: str) -> str:
    """Where the corpus helpers put an entity's document."""
    return f"entities/{entity_id}.md"


def write_kb(kb: immunokb.KnowledgeBase) -> list[tuple[str, str]]:
    """Every source and entity of ``kb`` as ``(path, document text)``.

    Sources keep their own path (a source's id is its file name); entities go to
    ``entities/<id>.md``.
    """
    documents = [(source.path, source_document(source)) for source in kb.sources]
    documents += [(entity_path(e.id), entity_document(e)) for e in kb.entities]
    return documents
