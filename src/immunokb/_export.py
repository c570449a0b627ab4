"""Exports of the knowledge base: JSON, JSON Lines, JSON Schema, JSON-LD, CSV and Parquet.

:func:`export` renders the whole knowledge base (or, for the table formats, one
table of it) in memory: a ``str`` for the text formats, ``bytes`` for Parquet.
:func:`export_to` writes the same to a file, or every table to a directory.
Every export carries the knowledge base's identity (its content version and
fingerprint) and, when asked, is cut down by the licence filter of
:mod:`immunokb._licensing`.

Nothing here reads the clock: the same knowledge base gives the same bytes.
pandas (CSV) and pyarrow (Parquet) are optional and imported only when a table
is exported.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ._errors import MissingDependencyError, QueryError
from ._frames import KINDS
from ._models import (
    CancerType,
    Citation,
    DatePrecision,
    Dispute,
    Entity,
    Indication,
    License,
    SideEffect,
    SideEffectRelation,
    Source,
    Statement,
    StatusClaim,
    Therapy,
    Vaccine,
)

if TYPE_CHECKING:
    from ._kb import KnowledgeBase
    from ._licensing import Filtered

__all__ = [
    "FORMATS",
    "GROUPS",
    "SUFFIXES",
    "TABLE_FORMATS",
    "ExportView",
    "export",
    "export_schema",
    "export_to",
    "jsonld_context",
    "prepare",
    "render",
    "write",
]

FORMATS: tuple[str, ...] = ("json", "jsonl", "schema", "jsonld", "csv", "parquet")
"""The export formats, by name."""

TABLE_FORMATS = frozenset({"csv", "parquet"})
"""The formats that export one table (one kind of record of ``_frames.KINDS``) per file."""

SUFFIXES = {
    "json": ".json",
    "jsonl": ".jsonl",
    "schema": ".schema.json",
    "jsonld": ".jsonld",
    "csv": ".csv",
    "parquet": ".parquet",
}
"""The file name ending of each format (for the files of a directory export)."""

GROUPS: tuple[tuple[str, str, type[Entity]], ...] = (
    ("therapies", "therapy", Therapy),
    ("vaccines", "vaccine", Vaccine),
    ("side_effects", "side_effect", SideEffect),
    ("cancer_types", "cancer_type", CancerType),
)
"""The entity groups of the JSON export: key, ``kind`` tag and model, in document order."""

IDENTITY_COLUMNS = ("content_version", "fingerprint", "license_filter")
"""The columns a CSV table ends with: the knowledge base's identity and the filter applied."""

CONTEXT_FILE = "context.jsonld"
"""The JSON-LD context's file name in the package (next to ``__init__.py``)."""

ENTITY_PREFIX = "urn:immunokb:entity:"
SOURCE_PREFIX = "urn:immunokb:source:"
DATASET_PREFIX = "urn:immunokb:dataset:"

_SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"


# --------------------------------------------------------------------------- arguments


def _check(format: str, table: str | None, licenses: object) -> None:
    """Refuse a format, table or combination that makes no sense (QueryError)."""
    if format not in FORMATS:
        raise QueryError(f"format={format!r} is not one of: {', '.join(FORMATS)}")
    if table is not None:
        if format not in TABLE_FORMATS:
            raise QueryError(
                f"table={table!r} applies only to the table formats csv and parquet, "
                f"not to {format}"
            )
        if table not in KINDS:
            raise QueryError(f"table={table!r} is not one of: {', '.join(KINDS)}")
    if format == "schema" and licenses is not None:
        raise QueryError("licenses does not apply to format 'schema': the schema holds no data")


def _version() -> str:
    from importlib.metadata import version  # noqa: PLC0415 - reads the installed metadata

    return version("immunokb")


class ExportView:
    """What one export shows: the knowledge base to render and the filter applied (if any).

    Attributes:
        original: The knowledge base exported from.
        filtered: The licence filter's result, or None without a filter.
        kb: What the export shows: the filtered knowledge base, or the original.
    """

    def __init__(self, kb: KnowledgeBase, licenses: Iterable[License | str] | None) -> None:
        self.original = kb
        self.filtered: Filtered | None = None
        if licenses is not None:
            from ._licensing import filter_by_license, license_set  # noqa: PLC0415

            self.filtered = filter_by_license(kb, license_set(licenses))
        self.kb = kb if self.filtered is None else self.filtered.kb

    def header(self) -> dict[str, Any]:
        """The identity of the export: versions, fingerprint, filter, counts."""
        kb = self.kb
        return {
            "immunokb_version": _version(),
            "content_version": self.original.content_version,
            "fingerprint": self.original.fingerprint,
            "license_filter": None if self.filtered is None else self.filtered.report(),
            "counts": {
                "sources": len(kb.sources),
                **{key: len(self.group(model, tag)) for key, tag, model in GROUPS},
            },
        }

    def group(self, model: type[Entity], tag: str) -> list[Entity]:
        """The entities of one group, sorted by id (a vaccine only under ``vaccines``)."""
        return [e for e in self.kb.entities if isinstance(e, model) and e.kind == tag]

    def license_filter(self) -> str | None:
        """The licences kept, joined with ``; ``, or None without a filter."""
        if self.filtered is None:
            return None
        return "; ".join(license.value for license in self.filtered.licenses)


# --------------------------------------------------------------------------- JSON, JSONL


def _dumps(document: object) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _json(view: ExportView) -> str:
    document: dict[str, Any] = {
        "header": view.header(),
        "sources": [s.model_dump(mode="json") for s in view.kb.sources],
    }
    for key, tag, model in GROUPS:
        document[key] = [e.model_dump(mode="json") for e in view.group(model, tag)]
    return _dumps(document)


def _jsonl(view: ExportView) -> str:
    records: list[dict[str, Any]] = [{"record": "header", **view.header()}]
    records += [{"record": "source", **s.model_dump(mode="json")} for s in view.kb.sources]
    for _, tag, model in GROUPS:
        records += [{"record": tag, **e.model_dump(mode="json")} for e in view.group(model, tag)]
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


# --------------------------------------------------------------------------- schema


_FILTER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "What the licence filter kept and left out.",
    "additionalProperties": False,
    "required": [
        "licenses",
        "fingerprint",
        "sources_kept",
        "sources_withheld",
        "entities_withheld",
        "entities_changed",
    ],
    "properties": {
        "licenses": {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "#/$defs/License"},
            "description": "The licences whose sources were kept.",
        },
        "fingerprint": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "Fingerprint of the exported (filtered) content.",
        },
        "sources_kept": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Ids of the sources kept.",
        },
        "sources_withheld": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Ids of the sources left out: their licence is not in the set.",
        },
        "entities_withheld": {
            "type": "array",
            "description": "Entities left out, with the reason.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "kind", "reason"],
                "properties": {
                    "id": {"type": "string"},
                    "kind": {"type": "string"},
                    "reason": {"type": "string"},
                },
            },
        },
        "entities_changed": {
            "type": "array",
            "description": "Entities kept with something removed or changed.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "changes"],
                "properties": {
                    "id": {"type": "string"},
                    "changes": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}

_HEADER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The identity of the export and what the licence filter did.",
    "additionalProperties": False,
    "required": ["immunokb_version", "content_version", "fingerprint", "license_filter", "counts"],
    "properties": {
        "immunokb_version": {
            "type": "string",
            "description": "Version of the immunokb package that wrote the export.",
        },
        "content_version": {
            "type": ["string", "null"],
            "description": "Version of the bundled content; null without the bundled documents.",
        },
        "fingerprint": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "SHA-256 fingerprint of the knowledge base exported from.",
        },
        "license_filter": {
            "description": "The licence filter applied, or null for none.",
            "anyOf": [{"$ref": "#/$defs/LicenseFilter"}, {"type": "null"}],
        },
        "counts": {
            "type": "object",
            "description": "How many records of each kind the export holds.",
            "additionalProperties": False,
            "required": ["sources", *(key for key, _, _ in GROUPS)],
            "properties": {
                key: {"type": "integer", "minimum": 0}
                for key in ("sources", *(key for key, _, _ in GROUPS))
            },
        },
    },
}


def _of_kind(model: str, tag: str) -> dict[str, Any]:
    return {"allOf": [{"$ref": f"#/$defs/{model}"}, {"properties": {"kind": {"const": tag}}}]}


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema  # noqa: PLC0415

    models: list[type[BaseModel]] = [Source, Therapy, Vaccine, SideEffect, CancerType]
    _, top = models_json_schema([(m, "serialization") for m in models], title="immunokb export")
    defs: dict[str, Any] = top["$defs"]
    # model_dump writes every field, defaults included: the export always has them all.
    for definition in defs.values():
        if definition.get("type") == "object" and "properties" in definition:
            definition["required"] = list(definition["properties"])
    defs["ExportHeader"] = _HEADER_SCHEMA
    defs["LicenseFilter"] = _FILTER_SCHEMA
    groups = {
        key: {"type": "array", "items": _of_kind(model.__name__, tag)} for key, tag, model in GROUPS
    }
    return {
        "$schema": _SCHEMA_DRAFT,
        "title": "immunokb export",
        "description": (
            "The JSON export of an immunokb knowledge base: a header, then every source and "
            "every entity once, grouped by kind (a vaccine only under 'vaccines')."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": ["header", "sources", *groups],
        "properties": {
            "header": {"$ref": "#/$defs/ExportHeader"},
            "sources": {"type": "array", "items": {"$ref": "#/$defs/Source"}},
            **groups,
        },
        "$defs": dict(sorted(defs.items())),
    }


def export_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the JSON export (``kb.export("json")``).

    Every model the export holds (sources, the four kinds of entity and every model
    nested in them) is under ``$defs`` by name, in serialization mode: the schema of
    ``model_dump(mode="json")``, in which every field is present. ``ExportHeader``
    and ``LicenseFilter`` describe the header. :func:`immunokb.json_schema` is the
    schema of every public model for validation instead.

    Returns:
        A fresh dict each call.

    Example:
        >>> schema = export_schema()
        >>> schema["required"]
        ['header', 'sources', 'therapies', 'vaccines', 'side_effects', 'cancer_types']
    """
    return copy.deepcopy(_schema())


# --------------------------------------------------------------------------- JSON-LD


def _package_files() -> Any:  # noqa: ANN401 - an importlib.resources Traversable
    import sys  # noqa: PLC0415

    if sys.version_info >= (3, 11):
        from importlib.resources import files  # noqa: PLC0415
    else:  # pragma: no cover - exercised on Python 3.10 only
        from importlib_resources import files  # noqa: PLC0415
    return files("immunokb")


@lru_cache(maxsize=1)
def _context_text() -> str:
    text: str = _package_files().joinpath(CONTEXT_FILE).read_text(encoding="utf-8")
    return text


def jsonld_context() -> dict[str, Any]:
    """The JSON-LD context of the JSON-LD export, as published with the package.

    The file is ``immunokb/context.jsonld`` in the installed package; the export
    embeds the same context inline, so that it reads offline. Entities are
    identified as ``urn:immunokb:entity:<id>``, sources as
    ``urn:immunokb:source:<id>``, and immunokb's own terms as
    ``urn:immunokb:vocab:<term>``; see the exports page of the documentation.

    Returns:
        The document ``{"@context": {...}}``, a fresh dict each call.

    Example:
        >>> jsonld_context()["@context"]["aliases"]["@id"]
        'skos:altLabel'
    """
    document: dict[str, Any] = json.loads(_context_text())
    return document


def _urn(prefix: str, slug: str) -> str:
    return prefix + slug


def _set(**values: Any) -> dict[str, Any]:  # noqa: ANN401 - JSON values
    """The items whose value is not None or empty: JSON-LD drops them anyway."""
    return {k: v for k, v in values.items() if v is not None and v not in ([], "")}


def _citation_node(citation: Citation) -> dict[str, Any]:
    return _set(
        type="schema:Quotation",
        text=citation.quote,
        isPartOf=_urn(SOURCE_PREFIX, citation.source_id),
        start=citation.start,
        end=citation.end,
        leadIn=citation.lead_in,
        leadInStart=citation.lead_in_start,
        leadInEnd=citation.lead_in_end,
    )


def _evidence(item: Statement | SideEffectRelation | StatusClaim | Indication) -> dict[str, Any]:
    return _set(citations=[_citation_node(c) for c in item.citations], curated=item.curated)


def _dispute_node(dispute: Dispute) -> dict[str, Any]:
    return _set(
        type="ikb:Dispute",
        claim=dispute.claim,
        source=_urn(SOURCE_PREFIX, dispute.source_id),
        tier=dispute.tier,
        citations=[_citation_node(c) for c in dispute.citations],
    )


def _claim_node(claim: StatusClaim | Indication) -> dict[str, Any]:
    if isinstance(claim, Indication):
        head: dict[str, Any] = {
            "type": ["schema:MedicalIndication", "ikb:Indication"],
            "cancerType": _urn(ENTITY_PREFIX, claim.cancer_type_id),
            **_set(
                qualifiers=[
                    {
                        "type": "ikb:Qualifier",
                        "qualifierKind": q.kind.value,
                        "text": q.text,
                        "citations": [_citation_node(c) for c in q.citations],
                    }
                    for q in claim.qualifiers
                ]
            ),
        }
    else:
        head = {"type": "ikb:StatusClaim"}
    return {
        **head,
        **_set(
            status=claim.status.value,
            source=None if claim.source_id is None else _urn(SOURCE_PREFIX, claim.source_id),
            tier=claim.tier,
            phase=None if claim.phase is None else claim.phase.value,
            regulator=claim.regulator,
            disputedBy=[_dispute_node(d) for d in claim.disputed_by],
        ),
        **_evidence(claim),
    }


_TYPES = {
    "therapy": ["skos:Concept", "schema:MedicalTherapy", "ikb:Therapy"],
    "vaccine": ["skos:Concept", "schema:MedicalTherapy", "ikb:Therapy", "ikb:Vaccine"],
    "side_effect": ["skos:Concept", "schema:MedicalCondition", "ikb:SideEffect"],
    "cancer_type": ["skos:Concept", "schema:MedicalCondition", "ikb:CancerType"],
}


def _entity_node(kb: KnowledgeBase, entity: Entity) -> dict[str, Any]:
    kind: str = getattr(entity, "kind", "")
    node: dict[str, Any] = {
        "id": _urn(ENTITY_PREFIX, entity.id),
        "type": _TYPES[kind],
        "identifier": entity.id,
        "prefLabel": entity.name,
        "name": entity.name,
    }
    node.update(
        _set(
            aliases=list(entity.aliases),
            summary=entity.summary,
            broader=[_urn(ENTITY_PREFIX, b) for b in entity.broader],
            narrower=[_urn(ENTITY_PREFIX, n.id) for n in kb.narrower(entity.id)],
            citations=[_citation_node(c) for c in entity.citations],
            statements=[
                {
                    "type": "ikb:Statement",
                    "field": s.field.value,
                    "value": s.value,
                    **_evidence(s),
                }
                for s in entity.statements
            ],
        )
    )
    if isinstance(entity, Therapy):
        node.update(
            _set(
                scope=entity.scope.value,
                status=entity.status.value,
                statusClaims=[_claim_node(c) for c in entity.status_claims],
                routes=[r.value for r in entity.routes],
                indications=[_claim_node(i) for i in entity.indications],
                adverseOutcome=[_urn(ENTITY_PREFIX, r.side_effect_id) for r in entity.side_effects],
                sideEffects=[
                    {
                        "type": "ikb:SideEffectRelation",
                        "sideEffect": _urn(ENTITY_PREFIX, r.side_effect_id),
                        **_evidence(r),
                    }
                    for r in entity.side_effects
                ],
            )
        )
    if isinstance(entity, CancerType):
        node.update(_set(cancerTypeTags=list(entity.cancer_type_tags)))
    if isinstance(entity, Vaccine):
        node.update(
            _set(
                platform=None if entity.platform is None else entity.platform.value,
                purpose=entity.purpose.value,
            )
        )
    return node


_PRECISION_TYPES = {"day": "xsd:date", "month": "xsd:gYearMonth", "year": "xsd:gYear"}


def _source_node(source: Source) -> dict[str, Any]:
    reviewed = None
    if source.last_reviewed_display is not None:
        precision = (source.last_reviewed_precision or DatePrecision.DAY).value
        reviewed = {"@value": source.last_reviewed_display, "@type": _PRECISION_TYPES[precision]}
    node: dict[str, Any] = {
        "id": _urn(SOURCE_PREFIX, source.id),
        "type": ["schema:CreativeWork", "ikb:Source"],
        "identifier": source.id,
        "name": source.title,
    }
    node.update(
        _set(
            url=source.url,
            publisher=source.publisher,
            license=source.license.value,
            sourceType=source.source_type,
            tier=source.tier,
            citationText=source.citation,
            inLanguage=source.language,
            audience=source.audience.value,
            cancerTypeTags=list(source.cancer_types),
            keywords=list(source.tags),
            lastReviewed=reviewed,
            reviewFrequency=None
            if source.review_frequency is None
            else source.review_frequency.value,
            documentStatus=None if source.status is None else source.status.value,
            version=source.version,
            notes=source.notes,
            extra=dict(source.model_dump(mode="json")["extra"]) or None,
            text=source.text,
        )
    )
    return node


def _jsonld(view: ExportView) -> str:
    kb, header = view.kb, view.header()
    dataset: dict[str, Any] = {
        "id": _urn(DATASET_PREFIX, kb.fingerprint),
        "type": "schema:Dataset",
        "name": "immunokb",
        **_set(version=header["content_version"]),
        "immunokbVersion": header["immunokb_version"],
        "fingerprint": header["fingerprint"],
    }
    if header["license_filter"] is not None:
        dataset["licenseFilter"] = header["license_filter"]
    graph: list[dict[str, Any]] = [dataset]
    graph += [_source_node(s) for s in kb.sources]
    for _, tag, model in GROUPS:
        graph += [_entity_node(kb, e) for e in view.group(model, tag)]
    return _dumps({"@context": jsonld_context()["@context"], "@graph": graph})


# --------------------------------------------------------------------------- tables


def _module(name: str, feature: str, extra: str) -> Any:  # noqa: ANN401 - optional module
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise MissingDependencyError(feature, package=name, extra=extra) from error


def _frame(view: ExportView, table: str, *, feature: str, extra: str) -> Any:  # noqa: ANN401
    """The table as a DataFrame, less the day-dependent ``stale`` column of sources."""
    _module("pandas", feature, extra)
    from ._frames import kb_frame  # noqa: PLC0415

    frame = kb_frame(view.kb, table)
    if table == "sources":
        frame = frame.drop(columns=["stale"])
    return frame


def _csv(view: ExportView, table: str) -> str:
    frame = _frame(view, table, feature="CSV export", extra="pandas")
    identity = (view.original.content_version, view.original.fingerprint, view.license_filter())
    for column, value in zip(IDENTITY_COLUMNS, identity, strict=True):
        frame[column] = value
    text: str = frame.to_csv(index=False, lineterminator="\n")
    return text


def _metadata(view: ExportView, table: str) -> dict[bytes, bytes]:
    header = view.header()
    values = {
        "immunokb.version": header["immunokb_version"],
        "immunokb.content_version": header["content_version"] or "",
        "immunokb.fingerprint": header["fingerprint"],
        "immunokb.table": table,
        "immunokb.license_filter": json.dumps(header["license_filter"], ensure_ascii=False),
    }
    return {k.encode(): v.encode() for k, v in values.items()}


def _parquet(view: ExportView, table: str) -> bytes:
    feature = "Parquet export"
    pa = _module("pyarrow", feature, "parquet")
    pq = _module("pyarrow.parquet", feature, "parquet")
    frame = _frame(view, table, feature=feature, extra="parquet")
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = {**(arrow.schema.metadata or {}), **_metadata(view, table)}
    arrow = arrow.replace_schema_metadata(metadata)
    sink = pa.BufferOutputStream()
    pq.write_table(arrow, sink)
    data: bytes = sink.getvalue().to_pybytes()
    return data


# --------------------------------------------------------------------------- entry points


def prepare(
    kb: KnowledgeBase,
    format: str,
    *,
    licenses: Iterable[License | str] | None,
    table: str | None,
) -> ExportView:
    """Check the arguments of an export and apply the licence filter.

    Raises:
        QueryError: A format, table or licence is unknown, or they do not go together.
    """
    _check(format, table, licenses)
    return ExportView(kb, licenses)


def render(view: ExportView, format: str, table: str | None) -> str | bytes:
    """The export of ``view`` in ``format`` (one ``table`` for csv and parquet)."""
    if format == "json":
        return _json(view)
    if format == "jsonl":
        return _jsonl(view)
    if format == "schema":
        return _dumps(export_schema())
    if format == "jsonld":
        return _jsonld(view)
    if table is None:
        raise QueryError(
            f"format {format!r} exports one table at a time: pass table= one of "
            f"{', '.join(KINDS)}, or write every table to a directory with export_to()"
        )
    if format == "csv":
        return _csv(view, table)
    return _parquet(view, table)


def _write(path: Path, data: str | bytes) -> None:
    """Write the file whole or not at all: a temporary file beside it, then a rename."""
    import secrets  # noqa: PLC0415

    payload = data.encode("utf-8") if isinstance(data, str) else data
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, "xb") as file:  # created with the umask's permissions
            file.write(payload)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write(
    view: ExportView, path: str | os.PathLike[str], format: str, table: str | None
) -> tuple[Path, ...]:
    """Write the export to ``path``: one file, or each table into the directory ``path``."""
    target = Path(path)
    if format in TABLE_FORMATS and table is None:
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for kind in KINDS:
            file = target / f"{kind}{SUFFIXES[format]}"
            _write(file, render(view, format, kind))
            written.append(file)
        return tuple(written)
    _write(target, render(view, format, table))
    return (target,)


def export(
    kb: KnowledgeBase,
    format: str = "json",
    *,
    licenses: Iterable[License | str] | None = None,
    table: str | None = None,
) -> str | bytes:
    """The knowledge base in one export format (see ``KnowledgeBase.export``)."""
    return render(prepare(kb, format, licenses=licenses, table=table), format, table)


def export_to(
    kb: KnowledgeBase,
    path: str | os.PathLike[str],
    format: str = "json",
    *,
    licenses: Iterable[License | str] | None = None,
    table: str | None = None,
) -> tuple[Path, ...]:
    """Write an export to a file, or each table to a directory (see ``KnowledgeBase.export_to``)."""
    return write(prepare(kb, format, licenses=licenses, table=table), path, format, table)
