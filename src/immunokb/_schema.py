"""JSON Schema of every public model."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from ._models import (
    CancerType,
    Citation,
    Conflict,
    Hit,
    Indication,
    Reference,
    SideEffect,
    SideEffectLink,
    SideEffectRelation,
    Source,
    Statement,
    Therapy,
    Vaccine,
)

__all__ = ["MODELS", "json_schema"]

MODELS = (
    Source,
    Therapy,
    Vaccine,
    SideEffect,
    CancerType,
    Citation,
    Statement,
    Indication,
    SideEffectRelation,
    SideEffectLink,
    Conflict,
    Hit,
    Reference,
)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of every public model, under ``$defs`` by model name.

    Example:
        >>> schema = json_schema()
        >>> sorted(schema["$defs"])[:3]
        ['Audience', 'CancerType', 'Citation']
    """
    _, top = models_json_schema([(model, "validation") for model in MODELS], title="immunokb")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **top}
