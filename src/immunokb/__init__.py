"""immunokb: a typed, cited knowledge base of cancer immunotherapy.

``import immunokb`` reads no file and imports none of its modules: each public
name is imported from its module on first use (``immunokb.load``,
``from immunokb import Therapy``), so that a program that imports immunokb
without using it, or before it needs it, does not pay for pydantic models it has
not touched. :func:`load` builds the knowledge base on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._errors import (
        DocumentError,
        DocumentWarning,
        ImmunoKBError,
        MissingDependencyError,
        NotFoundError,
        QueryError,
    )
    from ._export import export_schema, jsonld_context
    from ._kb import KnowledgeBase
    from ._load import MAX_DOCUMENT_BYTES, load, validate
    from ._models import (
        PRODUCT_ONLY_STATUSES,
        PROMOTIONAL_TIER,
        Audience,
        CancerType,
        Citation,
        Claim,
        Conflict,
        DatePrecision,
        Dispute,
        DocumentStatus,
        Entity,
        FrozenMapping,
        Hit,
        Indication,
        License,
        Phase,
        Qualifier,
        QualifierKind,
        Reference,
        ReviewFrequency,
        Route,
        Scope,
        SideEffect,
        SideEffectLink,
        SideEffectPart,
        SideEffectRelation,
        Source,
        Statement,
        StatementField,
        Status,
        StatusClaim,
        Therapy,
        Vaccine,
        VaccinePlatform,
        VaccinePurpose,
        adopted_status,
    )
    from ._normalize import normalize
    from ._results import ResultList
    from ._schema import json_schema
    from ._validate import ValidationReport

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "PRODUCT_ONLY_STATUSES",
    "PROMOTIONAL_TIER",
    "Audience",
    "CancerType",
    "Citation",
    "Claim",
    "Conflict",
    "DatePrecision",
    "Dispute",
    "DocumentError",
    "DocumentStatus",
    "DocumentWarning",
    "Entity",
    "FrozenMapping",
    "Hit",
    "ImmunoKBError",
    "Indication",
    "KnowledgeBase",
    "License",
    "MissingDependencyError",
    "NotFoundError",
    "Phase",
    "Qualifier",
    "QualifierKind",
    "QueryError",
    "Reference",
    "ResultList",
    "ReviewFrequency",
    "Route",
    "Scope",
    "SideEffect",
    "SideEffectLink",
    "SideEffectPart",
    "SideEffectRelation",
    "Source",
    "Statement",
    "StatementField",
    "Status",
    "StatusClaim",
    "Therapy",
    "Vaccine",
    "VaccinePlatform",
    "VaccinePurpose",
    "ValidationReport",
    "__version__",
    "adopted_status",
    "export_schema",
    "json_schema",
    "jsonld_context",
    "load",
    "normalize",
    "validate",
]

# Where each public name lives: imported from there on first access.
_HOMES = {
    "DocumentError": "_errors",
    "DocumentWarning": "_errors",
    "ImmunoKBError": "_errors",
    "MissingDependencyError": "_errors",
    "NotFoundError": "_errors",
    "QueryError": "_errors",
    "export_schema": "_export",
    "jsonld_context": "_export",
    "KnowledgeBase": "_kb",
    "MAX_DOCUMENT_BYTES": "_load",
    "load": "_load",
    "validate": "_load",
    "normalize": "_normalize",
    "ResultList": "_results",
    "json_schema": "_schema",
    "ValidationReport": "_validate",
}


def __getattr__(name: str) -> Any:  # noqa: ANN401 - a class, a function or a constant
    if name in __all__ and name != "__version__":
        from importlib import import_module  # noqa: PLC0415

        value = getattr(import_module(f".{_HOMES.get(name, '_models')}", __name__), name)
        globals()[name] = value  # the next access is a plain attribute look-up
        return value
    # The version is read from the installed metadata on first access, so that
    # importing the package reads no file.
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415

        return version("immunokb")
    raise AttributeError(f"module 'immunokb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})
