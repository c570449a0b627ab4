"""Flat records and pandas DataFrames of query results and of the knowledge base.

:func:`records` and :func:`kb_records` turn models into flat rows of JSON-like
values (``str``, ``int``, ``float``, ``bool`` or ``None``; a tuple of ids becomes
one string joined with ``"; "``), and :func:`frame` and :func:`kb_frame` make a
``pandas.DataFrame`` of them. pandas is optional
(immunokb's ``pandas`` extra) and is imported only when a frame is built,
never when this module is imported.

A curated fact (a curator's addition, not a quote) is never given a quote: its
``curated`` column holds the curator's rationale and its quote columns are empty.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ._errors import MissingDependencyError, QueryError
from ._evidence import evidence
from ._models import (
    CancerType,
    Citation,
    Conflict,
    Entity,
    Hit,
    SideEffectLink,
    Source,
    Therapy,
    Vaccine,
)

if TYPE_CHECKING:
    from ._kb import KnowledgeBase

__all__ = ["KINDS", "frame", "kb_frame", "kb_records", "records"]

Value = str | int | float | bool | None
"""A JSON-like value: what a record's cells hold."""

Row = dict[str, Value]

KINDS: tuple[str, ...] = (
    "therapies",
    "vaccines",
    "side-effects",
    "cancer-types",
    "sources",
    "indications",
    "citations",
)
"""The kinds of record :func:`kb_records` and :func:`kb_frame` accept."""

_SEP = "; "
"""Joins a tuple of ids (aliases, broader ids, routes...) into one cell."""

_QUOTE_SEP = " | "
"""Joins several quotes into one cell (quotes may themselves contain ``;``)."""

ENTITY_COLUMNS = (
    "id",
    "name",
    "kind",
    "scope",
    "status",
    "routes",
    "cancer_type_ids",
    "platform",
    "purpose",
    "aliases",
    "cancer_type_tags",
    "broader",
    "summary",
    "n_citations",
    "source_ids",
)
SOURCE_COLUMNS = (
    "id",
    "title",
    "publisher",
    "url",
    "license",
    "audience",
    "tier",
    "last_reviewed",
    "last_reviewed_precision",
    "review_due",
    "stale",
)
HIT_COLUMNS = ("score", "entity_id", "source_id", "section", "snippet", "quote")
LINK_COLUMNS = (
    "therapy_id",
    "side_effect_id",
    "side_effect",
    "via",
    "path",
    "source_ids",
    "curated",
)
CONFLICT_COLUMNS = (
    "entity_id",
    "field",
    "subject",
    "adopted",
    "value",
    "source_id",
    "tier",
    "disputes",
    "against",
    "quotes",
    "curated",
)
CITATION_COLUMNS = ("source_id", "quote", "lead_in", "start", "end")
INDICATION_COLUMNS = (
    "therapy_id",
    "cancer_type_id",
    "status",
    "adopted_status",
    "source_id",
    "tier",
    "regulator",
    "phase",
    "quotes",
    "qualifiers",
    "disputed_by",
    "curated",
)
EVIDENCE_COLUMNS = (
    "entity_id",
    "field",
    "value",
    "status",
    "source_id",
    "quote",
    "lead_in",
    "start",
    "end",
    "curated",
)


# --------------------------------------------------------------------------- values


def _value(value: object) -> Value:
    """A JSON-like cell: enums by value, dates in ISO form, tuples joined with ``; ``."""
    if isinstance(value, Enum):  # before str: the vocabularies are str enums
        return _value(value.value)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (tuple, list)) and all(
        isinstance(v, (str, int, float, Enum)) for v in value
    ):
        return _SEP.join(str(_value(v)) for v in value) if value else None
    return json.dumps(value, ensure_ascii=False, default=str)


def _join(values: Iterable[object]) -> str | None:
    """Values joined with ``; ``, or None when there are none."""
    parts = [str(_value(v)) for v in values]
    return _SEP.join(parts) if parts else None


def _source_ids(citations: Iterable[Citation]) -> str | None:
    """The distinct source ids of some citations, in order."""
    return _join(dict.fromkeys(c.source_id for c in citations))


def _quotes(citations: Sequence[Citation]) -> str | None:
    return _QUOTE_SEP.join(c.quote for c in citations) if citations else None


# --------------------------------------------------------------------------- one item


def _entity_row(entity: Entity) -> Row:
    row: Row = {
        "id": entity.id,
        "name": entity.name,
        "kind": _value(getattr(entity, "kind", type(entity).__name__)),
    }
    if isinstance(entity, Therapy):
        row["scope"] = _value(entity.scope)
        row["status"] = _value(entity.status)
        row["routes"] = _join(entity.routes)
        row["cancer_type_ids"] = _join(entity.cancer_type_ids)
    if isinstance(entity, Vaccine):
        row["platform"] = _value(entity.platform)
        row["purpose"] = _value(entity.purpose)
    row["aliases"] = _join(entity.aliases)
    if isinstance(entity, CancerType):
        row["cancer_type_tags"] = _join(entity.cancer_type_tags)
    row["broader"] = _join(entity.broader)
    row["summary"] = entity.summary
    row["n_citations"] = len(entity.citations)
    row["source_ids"] = _source_ids(entity.citations)
    return row


def _source_row(source: Source) -> Row:
    return {
        "id": source.id,
        "title": source.title,
        "publisher": source.publisher,
        "url": source.url,
        "license": _value(source.license),
        "audience": _value(source.audience),
        "tier": source.tier,
        "last_reviewed": _value(source.last_reviewed),
        "last_reviewed_precision": _value(source.last_reviewed_precision),
        "review_due": _value(source.review_due),
        "stale": source.is_stale(),
    }


def _hit_row(hit: Hit) -> Row:
    return {
        "score": float(hit.score),
        "entity_id": None if hit.entity is None else hit.entity.id,
        "source_id": hit.source_id,
        "section": hit.section,
        "snippet": hit.snippet,
        "quote": None if hit.citation is None else hit.citation.quote,
    }


def _link_row(link: SideEffectLink) -> Row:
    row: Row = {
        "therapy_id": link.therapy_id,
        "side_effect_id": link.side_effect.id,
        "side_effect": link.side_effect.name,
        "via": link.via,
    }
    path = getattr(link, "path", None)
    if path is not None:
        row["path"] = _join(path)
    row["source_ids"] = _source_ids(link.citations)
    row["curated"] = link.curated
    row["includes"] = _join(p.side_effect.id for p in getattr(link, "includes", ()))
    return row


def _conflict_rows(conflict: Conflict) -> list[Row]:
    return [
        {
            "entity_id": conflict.entity_id,
            "field": _value(conflict.field),
            "subject": conflict.subject,
            "adopted": _value(conflict.adopted),
            "value": claim.value,
            "source_id": claim.source_id,
            "tier": claim.tier,
            "disputes": claim.disputes,
            "against": claim.against,
            "quotes": _quotes(claim.citations),
            "curated": claim.curated,
        }
        for claim in conflict.claims
    ]


def _citation_row(citation: Citation) -> Row:
    return {
        "source_id": citation.source_id,
        "quote": citation.quote,
        "lead_in": citation.lead_in,
        "start": citation.start,
        "end": citation.end,
    }


def _model_row(model: BaseModel) -> Row:
    """Any other model: its top-level fields, nested values as JSON text."""
    return {name: _value(value) for name, value in model.model_dump(mode="json").items()}


def _rows(item: object) -> tuple[tuple[str, ...], list[Row]]:
    """The item's rows, and the columns of its type in their order."""
    if isinstance(item, Entity):
        return ENTITY_COLUMNS, [_entity_row(item)]
    if isinstance(item, Source):
        return SOURCE_COLUMNS, [_source_row(item)]
    if isinstance(item, Hit):
        return HIT_COLUMNS, [_hit_row(item)]
    if isinstance(item, SideEffectLink):
        return LINK_COLUMNS, [_link_row(item)]
    if isinstance(item, Conflict):
        return CONFLICT_COLUMNS, _conflict_rows(item)
    if isinstance(item, Citation):
        return CITATION_COLUMNS, [_citation_row(item)]
    if isinstance(item, BaseModel):
        row = _model_row(item)
        return tuple(row), [row]
    return ("value",), [{"value": _value(item)}]


def _table(items: Iterable[object]) -> tuple[list[str], list[Row]]:
    """Rows for the items, and the union of their columns in a stable order.

    The order is that of each type's columns, types in the order they first
    appear; a column no row of a type has (``status`` for a side effect) is left
    out, and every row gets every column (``None`` where it does not apply).
    """
    schemas: dict[tuple[str, ...], None] = {}
    rows: list[Row] = []
    for item in items:
        schema, found = _rows(item)
        schemas.setdefault(schema)
        rows += found
    present = {name for row in rows for name in row}
    columns = dict.fromkeys(name for schema in schemas for name in schema if name in present)
    return list(columns), _fill(rows, list(columns))


def _fill(rows: list[Row], columns: Sequence[str]) -> list[Row]:
    return [{name: row.get(name) for name in columns} for row in rows]


def records(items: Iterable[object]) -> list[dict[str, Value]]:
    """Flat rows for a list of results, one row per item (one per claim for a conflict).

    The columns depend on the type of item:

    - entities: ``id, name, kind, aliases, broader, summary, n_citations,
      source_ids``; therapies and vaccines add ``scope, status, routes,
      cancer_type_ids``; vaccines add ``platform, purpose``; cancer types add
      ``tags`` (their house ``cancerTypes`` tags);
    - sources: ``id, title, publisher, url, license, audience, tier,
      last_reviewed, last_reviewed_precision, review_due, stale`` (``stale`` as
      of today);
    - search hits: ``score, entity_id, source_id, section, snippet, quote``;
    - side-effect links: ``therapy_id, side_effect_id, side_effect, via, path,
      source_ids, curated, includes`` (``path`` only where the link has one;
      ``includes``: the ids of the symptoms the link's sources list under it);
    - conflicts, one row per claim: ``entity_id, field, subject, adopted, value,
      source_id, tier, disputes, against, quotes, curated``;
    - citations: ``source_id, quote, lead_in, start, end``;
    - any other model: its fields, nested values as JSON text.

    A list of mixed types has the union of their columns, in one fixed order,
    and every row has every column (``None`` where it does not apply).

    Args:
        items: The results (a list, a ``ResultList`` or any iterable).

    Returns:
        The rows: dicts of ``str``, ``int``, ``float``, ``bool`` or ``None``.
    """
    return _table(items)[1]


# --------------------------------------------------------------------------- the whole KB


def _indication_rows(kb: KnowledgeBase) -> list[Row]:
    rows: list[Row] = []
    for therapy in kb.therapies:
        adopted = {ct: therapy.indication_status(ct) for ct in therapy.cancer_type_ids}
        rows.extend(
            {
                "therapy_id": therapy.id,
                "cancer_type_id": claim.cancer_type_id,
                "status": _value(claim.status),
                "adopted_status": _value(adopted[claim.cancer_type_id]),
                "source_id": claim.source_id,
                "tier": claim.tier,
                "regulator": claim.regulator,
                "phase": _value(claim.phase),
                "quotes": _quotes(claim.citations),
                "qualifiers": _QUOTE_SEP.join(f"{q.kind.value}: {q.text}" for q in claim.qualifiers)
                or None,
                "disputed_by": _join(d.source_id for d in claim.disputed_by),
                "curated": claim.curated,
            }
            for claim in therapy.indications
        )
    return rows


def _citation_rows(kb: KnowledgeBase) -> list[Row]:
    """One row per piece of evidence of every entity, in the order of ``evidence()``."""
    return [
        {
            "entity_id": entity.id,
            "field": piece.field,
            "value": piece.value,
            "status": piece.status,
            **(_citation_row(piece.citation) if piece.citation else _NO_QUOTE),
            "curated": piece.curated,
        }
        for entity in kb.entities
        for piece in evidence(entity)
    ]


_NO_QUOTE: Row = {"source_id": None, "quote": None, "lead_in": None, "start": None, "end": None}


def _kb_table(kb: KnowledgeBase, kind: str) -> tuple[list[str], list[Row]]:
    """The columns and rows of one kind of record of the knowledge base."""
    collections: dict[str, Callable[[], Sequence[object]]] = {
        "therapies": lambda: kb.therapies,
        "vaccines": lambda: kb.vaccines,
        "side-effects": lambda: kb.side_effects,
        "cancer-types": lambda: kb.cancer_types,
        "sources": lambda: kb.sources,
    }
    if kind in collections:
        columns, rows = _table(collections[kind]())
        if not rows:
            columns = list(SOURCE_COLUMNS if kind == "sources" else ENTITY_COLUMNS)
        return columns, _fill(rows, columns)
    if kind == "indications":
        return list(INDICATION_COLUMNS), _indication_rows(kb)
    if kind == "citations":
        return list(EVIDENCE_COLUMNS), _citation_rows(kb)
    raise QueryError(f"kind={kind!r} is not one of: {', '.join(KINDS)}")


def kb_records(kb: KnowledgeBase, kind: str) -> list[dict[str, Value]]:
    """Flat rows of one kind of record of the whole knowledge base.

    Args:
        kb: The knowledge base.
        kind: One of :data:`KINDS`:

            - ``therapies`` (vaccines included), ``vaccines``, ``side-effects``,
              ``cancer-types``, ``sources``: one row per item, columns as in
              :func:`records`;
            - ``indications``: one row per indication claim of every therapy:
              ``therapy_id, cancer_type_id, status`` (the claim's),
              ``adopted_status`` (adopted from every claim for that cancer type),
              ``source_id, tier, regulator, phase, quotes`` (joined with
              ``" | "``), ``qualifiers`` (``kind: text``, joined with ``" | "``),
              ``disputed_by`` (the disputing sources' ids), ``curated``;
            - ``citations``: one row per piece of evidence of every entity:
              ``entity_id, field, value, status, source_id, quote, lead_in, start,
              end, curated``. ``field`` is ``summary`` (the entity's own
              citations; ``value`` is empty), a statement's field (``name``,
              ``alias``, ``broader``, ``route``, ``platform``, ``purpose``),
              ``status``, ``indication`` (``value`` is the cancer type id),
              ``qualifier`` (``value`` is the qualifying words of an indication),
              ``side_effect`` (``value`` is its id) or ``dispute`` (``value`` is
              the curator's account of what the disputing source says; ``status``
              the status it speaks against). A curated fact has one row with
              ``curated`` set and no source or quote.

    Returns:
        The rows, every row with every column.

    Raises:
        QueryError: ``kind`` is not one of :data:`KINDS` (a ``ValueError``).
    """
    return _kb_table(kb, kind)[1]


# --------------------------------------------------------------------------- pandas


def _pandas() -> Any:  # noqa: ANN401 - pandas is optional, so no type to name
    try:
        # Imported by name on first use: the optional dependency needs no stubs to type-check.
        return importlib.import_module("pandas")
    except ImportError as error:
        raise MissingDependencyError("to_dataframe()", package="pandas", extra="pandas") from error


def _dtype(values: Sequence[Value]) -> str | None:
    """A nullable pandas dtype for a column of ints or bools; None to let pandas infer."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if all(isinstance(v, bool) for v in present):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "Int64"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "float64"
    return None


def _build(columns: Sequence[str], rows: Sequence[Row]) -> Any:  # noqa: ANN401
    pd = _pandas()
    if not rows:
        return pd.DataFrame(columns=list(columns))
    data: dict[str, Any] = {}
    for name in columns:
        values = [row.get(name) for row in rows]
        dtype = _dtype(values)
        data[name] = pd.array(values, dtype=dtype) if dtype is not None else values
    return pd.DataFrame(data, columns=list(columns))


def frame(items: Iterable[object]) -> Any:  # noqa: ANN401 - pandas is optional
    """A ``pandas.DataFrame`` of results, one row per item (see :func:`records`).

    Integer columns are nullable ``Int64``, true/false columns ``boolean``;
    an empty list gives an empty DataFrame.

    Args:
        items: The results (a list, a ``ResultList`` or any iterable).

    Returns:
        The ``pandas.DataFrame``.

    Raises:
        MissingDependencyError: pandas is not installed (the ``pandas`` extra).
    """
    columns, rows = _table(items)
    return _build(columns, rows)


def kb_frame(kb: KnowledgeBase, kind: str) -> Any:  # noqa: ANN401 - pandas is optional
    """A ``pandas.DataFrame`` of one kind of record of the knowledge base.

    Args:
        kb: The knowledge base.
        kind: One of :data:`KINDS` (see :func:`kb_records` for the columns).

    Returns:
        The ``pandas.DataFrame``, with its columns even when it has no row.

    Raises:
        QueryError: ``kind`` is not one of :data:`KINDS` (a ``ValueError``).
        MissingDependencyError: pandas is not installed (the ``pandas`` extra).
    """
    columns, rows = _kb_table(kb, kind)
    return _build(columns, rows)
