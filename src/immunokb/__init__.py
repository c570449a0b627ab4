"""immunokb: a typed, cited knowledge base of cancer immunotherapy.

``import immunokb`` reads no file; :func:`load` builds the knowledge base from the
bundled documents on first use.
"""

from __future__ import annotations

from ._errors import (
    DocumentError,
    DocumentWarning,
    ImmunoKBError,
    MissingDependencyError,
    NotFoundError,
    QueryError,
)
from ._kb import KnowledgeBase
from ._load import MAX_DOCUMENT_BYTES, load, validate
from ._models import (
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
    Reference,
    ReviewFrequency,
    Route,
    SideEffect,
    SideEffectLink,
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
    "QueryError",
    "Reference",
    "ResultList",
    "ReviewFrequency",
    "Route",
    "SideEffect",
    "SideEffectLink",
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
    "json_schema",
    "load",
    "normalize",
    "validate",
]


def __getattr__(name: str) -> str:
    # The version is read from the installed metadata on first access, so that
    # importing the package reads no file.
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415

        return version("immunokb")
    raise AttributeError(f"module 'immunokb' has no attribute {name!r}")
