"""Documents -> an immutable KnowledgeBase, all or nothing.

The build runs in passes: parse every document; validate source documents
(house frontmatter) into :class:`Source`; validate entity documents (our own
closed schema), verifying every quote against its source body and recording its
offsets; then resolve cross-references (ids, aliases, broader links, relation
targets, cycles). Every problem found is collected; if there is any, the first is
raised as a :class:`DocumentError` whose ``problems`` holds them all, and no
knowledge base exists.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Sequence
from enum import Enum
from types import UnionType
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from pydantic_core import ErrorDetails

from ._documents import Loc, ParsedDocument, format_loc, parse_document
from ._errors import DocumentError, DocumentWarning
from ._kb import KnowledgeBase
from ._load import DOCUMENT_SUFFIXES, Progress, RawDocument
from ._models import (
    PATTERN_FORMS,
    PRODUCT_ONLY_STATUSES,
    AnyEntity,
    CancerType,
    Citation,
    DatePrecision,
    Dispute,
    Indication,
    Phase,
    Qualifier,
    QualifierKind,
    Route,
    SideEffect,
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
    weigh_statement,
)
from ._normalize import normalize
from ._provenance import SourceText, normalize_quote

__all__ = ["HOUSE_FIELDS", "build", "check"]

HOUSE_FIELDS: dict[str, str] = {
    "title": "title",
    "url": "url",
    "source": "publisher",
    "sourceType": "source_type",
    "citation": "citation",
    "license": "license",
    "language": "language",
    "audienceLevel": "audience",
    "cancerTypes": "cancer_types",
    "tags": "tags",
    "lastReviewed": "last_reviewed",
    "reviewFrequency": "review_frequency",
    "status": "status",
    "version": "version",
    "notes": "notes",
}
"""House frontmatter key -> Source field. ``notes`` is immunokb's addition."""

_MODEL_TO_HOUSE = {v: k for k, v in HOUSE_FIELDS.items()}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_M = TypeVar("_M", bound=BaseModel)


# --------------------------------------------------------------------------- document schema


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only spaces")
    return value


_Words = Annotated[str, AfterValidator(_not_blank)]
"""Text with at least one character that is not a space."""


class _CiteDoc(_Doc):
    source: _Words = Field(description="Id of the source document.")
    quote: _Words = Field(description="Verbatim words from the source body.")
    lead_in: _Words | None = Field(
        default=None, description="The list's lead-in sentence, or the section's heading."
    )


class _ClaimDoc(_Doc):
    cite: tuple[_CiteDoc, ...] = ()
    curated: str | None = None


class _StatementDoc(_ClaimDoc):
    value: _Words


class _DisputeDoc(_Doc):
    claim: _Words
    cite: tuple[_CiteDoc, ...] = Field(min_length=1)


class _StatusClaimDoc(_ClaimDoc):
    phase: Phase | None = None
    regulator: _Words | None = None
    disputed_by: tuple[_DisputeDoc, ...] = ()


ClaimedStatus = Literal["approved", "in_use", "investigational", "discontinued", "failed"]
"""The statuses a source can claim ('disputed' and 'unknown' are conclusions, not claims)."""


class _StatusDoc(_StatusClaimDoc):
    value: ClaimedStatus


class _QualifierDoc(_Doc):
    kind: Literal["population", "stage", "combination"]
    text: _Words
    cite: tuple[_CiteDoc, ...] = Field(min_length=1)


class _IndicationDoc(_StatusClaimDoc):
    cancer_type: _Words
    status: ClaimedStatus
    qualifiers: tuple[_QualifierDoc, ...] = ()


class _SideEffectDoc(_ClaimDoc):
    side_effect: _Words


class _EntityDoc(_Doc):
    kind: Literal["therapy", "vaccine", "side_effect", "cancer_type"]
    id: str
    scope: Literal["product", "class"] | None = None
    name: _StatementDoc
    aliases: tuple[_StatementDoc, ...] = ()
    broader: tuple[_StatementDoc, ...] = ()
    cancer_type_tags: tuple[_StatementDoc, ...] = ()
    cite: tuple[_CiteDoc, ...] = Field(min_length=1)
    status: tuple[_StatusDoc, ...] = ()
    routes: tuple[_StatementDoc, ...] = ()
    indications: tuple[_IndicationDoc, ...] = ()
    side_effects: tuple[_SideEffectDoc, ...] = ()
    platform: _StatementDoc | None = None
    purpose: _StatementDoc | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        """``status`` is one claim (a mapping) or a list of claims."""
        if value is None:
            return ()
        if isinstance(value, str):
            raise ValueError(
                "a status is a claim with evidence: put `value:` and `cite:` (or `curated:`) "
                f"under `status:` instead of the bare word {value!r}"
            )
        return [value] if isinstance(value, dict) else value


_DOCUMENT_WORDS = frozenset().union(
    *(
        m.model_fields
        for m in (
            _EntityDoc,
            _CiteDoc,
            _StatusDoc,
            _IndicationDoc,
            _QualifierDoc,
            _SideEffectDoc,
            _DisputeDoc,
        )
    )
)
_STATEMENT_FIELDS: tuple[tuple[StatementField, str, type[Enum] | None], ...] = (
    (StatementField.NAME, "name", None),
    (StatementField.ALIAS, "aliases", None),
    (StatementField.BROADER, "broader", None),
    (StatementField.CANCER_TYPE_TAG, "cancer_type_tags", None),
    (StatementField.ROUTE, "routes", Route),
    (StatementField.PLATFORM, "platform", VaccinePlatform),
    (StatementField.PURPOSE, "purpose", VaccinePurpose),
)
"""Document keys that hold statements, the field each gives evidence for, its vocabulary."""
_LABELS = frozenset({StatementField.NAME, StatementField.ALIAS, StatementField.CANCER_TYPE_TAG})
"""Statements whose quotes must contain the value as whole words."""
_THERAPY_ONLY = frozenset({"scope", "status", "routes", "indications", "side_effects"})
_VACCINE_ONLY = frozenset({"platform", "purpose"})
_CANCER_TYPE_ONLY = frozenset({"cancer_type_tags"})
_FAMILY = {
    "therapy": "therapy",
    "vaccine": "therapy",
    "side_effect": "side_effect",
    "cancer_type": "cancer_type",
}


# --------------------------------------------------------------------------- helpers


class _Problems:
    def __init__(self) -> None:
        self.items: list[DocumentError] = []
        self.warnings: list[DocumentWarning] = []

    def add(self, error: DocumentError) -> None:
        self.items.append(error)

    def warn(self, warning: DocumentWarning) -> None:
        self.warnings.append(warning)

    def raise_if_any(self) -> None:
        if self.items:
            # The raised error repeats the first problem and carries them all; the
            # entries of .problems stay single problems.
            first = self.items[0]
            error = DocumentError(first.reason, path=first.path, line=first.line, field=first.field)
            error.problems = tuple(self.items)
            raise error


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


# What a value was in the YAML (a source's lists are tuples by the time they are checked).
_YAML_TYPES: dict[type, str] = {
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "text",
    list: "a list",
    tuple: "a list",
    dict: "a mapping",
    type(None): "nothing (null)",
}
# What a field of that kind expects, by pydantic's error type.
_EXPECTED: dict[str, str] = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
    "date_type": "a date like 2025-12-30",
    "date_parsing": "a date like 2025-12-30",
    "date_from_datetime_parsing": "a date like 2025-12-30",
    "date_from_datetime_inexact": "a date like 2025-12-30, without a time of day",
}
_MODELS_BY_NAME: dict[str, type[BaseModel]] = {
    model.__name__: model
    for model in (
        *(Citation, Dispute, Indication, Statement, StatusClaim),
        *(Therapy, Vaccine, SideEffect, CancerType, Source),
    )
}
"""The models an entity is built with, by the name a ValidationError gives them."""
_CONCLUSIONS = frozenset({"disputed", "unverified", "unknown"})
"""Statuses immunokb derives from the claims, which no document may claim."""
_BOOLEAN_HINT = " (YAML read an unquoted yes/no/true/false as a boolean: quote the value)"
_NUMBER_HINT = " (YAML read an unquoted number: quote the value, as in '1.0')"
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}


def _annotation_at(model: type[BaseModel], loc: Loc) -> object:
    """The type a model expects at ``loc`` (a path of field names and list indexes), or None."""
    annotation: object = model
    for part in loc:
        annotation = _bare(annotation)
        if isinstance(part, str):
            fields = (
                annotation.model_fields
                if isinstance(annotation, type) and issubclass(annotation, BaseModel)
                else {}
            )
            if part not in fields:
                return None
            annotation = fields[part].annotation
        elif get_origin(annotation) in (tuple, list):
            annotation = get_args(annotation)[0]
        else:
            return None
    return _bare(annotation)


def _bare(annotation: object) -> object:
    """``annotation`` without ``Annotated`` metadata and without ``| None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _vocabulary(model: type[BaseModel], loc: Loc) -> list[str]:
    """The values allowed at ``loc`` if it holds an enum or a literal, else ``[]``."""
    annotation = _annotation_at(model, loc)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(member.value) for member in annotation]
    if get_origin(annotation) is Literal:
        return [str(value) for value in get_args(annotation)]
    return []


def _describe(err: ErrorDetails, model: type[BaseModel]) -> str:
    """Why a value was refused, in immunokb's words (never pydantic's, which change).

    Every error type the document schemas can produce has a sentence of its own
    here; an error type not foreseen is reported as ``invalid value`` with its type
    name, so that it shows up in the tests rather than passing a library's wording
    through.
    """
    kind, value = err["type"], err.get("input")
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    got = _YAML_TYPES.get(type(value), type(value).__name__)
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "invalid_key":
        return f"a field name must be text, not {got} {value!r}"
    if kind in {"value_error", "assertion_error"}:
        return str(ctx.get("error", "invalid value"))
    if kind in {"enum", "literal_error"}:
        allowed = _vocabulary(model, tuple(err["loc"]))
        listed = ", ".join(allowed) if allowed else "the values this field allows"
        if isinstance(value, str):
            reason = f"{value!r} is not one of: {listed}" + _did_you_mean(value, allowed)
            if value in _CONCLUSIONS and value not in allowed:
                reason += f"; {value!r} is a conclusion drawn from the claims, not a claim"
            return reason
        return f"expected one of: {listed}; got {got}" + (
            _BOOLEAN_HINT if isinstance(value, bool) else ""
        )
    if kind in _EXPECTED:
        reason = f"expected {_EXPECTED[kind]}, got {got}"
        if isinstance(value, str) and kind not in {"string_type"}:
            reason = f"expected {_EXPECTED[kind]}, got {value!r}"
        if isinstance(value, bool) and kind != "bool_type":
            reason += _BOOLEAN_HINT
        elif isinstance(value, (int, float)) and kind == "string_type":
            reason += _NUMBER_HINT
        return reason
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        form = PATTERN_FORMS.get(pattern, f"text matching {pattern}")
        return f"{value!r} is not {form}"
    unit = "characters" if kind.startswith("string_") else "items"
    if kind in {"string_too_short", "too_short"}:
        if ctx.get("min_length") == 1:
            return "must not be empty"
        return f"needs at least {ctx.get('min_length')} {unit}"
    if kind in {"string_too_long", "too_long"}:
        return f"allows at most {ctx.get('max_length')} {unit}"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"must be {words} {ctx.get(key)}, got {value!r}"
    return f"invalid value ({kind})"


def _validation_errors(
    doc: ParsedDocument,
    exc: ValidationError,
    model: type[BaseModel],
    rename: dict[str, str] | None = None,
) -> list[DocumentError]:
    out = []
    single_status = isinstance(doc.meta.get("status"), dict)
    errors = exc.errors()
    inner = {tuple(err["loc"])[:-1] for err in errors if err["loc"]}
    for err in errors:
        loc: Loc = tuple(err["loc"])
        if err["type"] == "too_short" and any(other[: len(loc)] == loc for other in inner):
            continue  # "at least 1 item" only repeats that an item inside is invalid
        if rename and loc and isinstance(loc[0], str):
            loc = (rename.get(loc[0], loc[0]), *loc[1:])
        if rename is None and single_status and loc[:2] == ("status", 0):
            loc = ("status", *loc[2:])  # one claim written as a mapping, not a list
        reason = _describe(err, model)
        if err["type"] == "extra_forbidden" and loc and isinstance(loc[-1], str):
            reason += _did_you_mean(loc[-1], _DOCUMENT_WORDS if rename is None else HOUSE_FIELDS)
        out.append(doc.error(reason, loc))
    return out


def _stem(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in (".markdown", ".md"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


# --------------------------------------------------------------------------- sources


_MONTHS = (
    *("January", "February", "March", "April", "May", "June", "July"),
    *("August", "September", "October", "November", "December"),
)


def _calendar_problem(year: int, month: int | None, day: int | None) -> str | None:
    """Why year-month-day is not a day of the calendar, in our words; None if it is one."""
    if year < dt.MINYEAR:
        return f"there is no year {year}"
    if month is None:
        return None
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    if day is None:
        return None
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    if not 1 <= day <= days:
        return f"{_MONTHS[month - 1]} {year} has {days} days"
    return None


def _review_date(value: object) -> tuple[dt.date, DatePrecision] | str:
    if isinstance(value, bool):
        return "expected a date like 2025-12-30, 2021-09 or 2021, got a boolean"
    if isinstance(value, dt.datetime):
        return "expected a date, got a timestamp with a time of day"
    if isinstance(value, dt.date):
        return value, DatePrecision.DAY
    if isinstance(value, int) and 1000 <= value <= 9999:  # YAML reads an unquoted 2021 as a number
        return dt.date(value, 1, 1), DatePrecision.YEAR
    if not isinstance(value, str):
        got = _YAML_TYPES.get(type(value), type(value).__name__)
        return f"expected a date like 2025-12-30, 2021-09 or 2021, got {got} {value!r}"
    text = value.strip()
    if re.match(r"\d{4}-\d{2}-\d{2}[T ]\d", text):
        return "expected a date, got a timestamp with a time of day"
    parts = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
    if parts is not None:
        year = int(parts[1])
        month, day = (None if part is None else int(part) for part in parts.groups()[1:])
        problem = _calendar_problem(year, month, day)
        if problem is not None:
            return f"invalid date {text!r}: {problem}"
        if day is not None and month is not None:
            return dt.date(year, month, day), DatePrecision.DAY
        if month is not None:
            return dt.date(year, month, 1), DatePrecision.MONTH
        return dt.date(year, 1, 1), DatePrecision.YEAR
    return f"expected a date like 2025-12-30, 2021-09 or 2021, got {text!r}"


_TIER_FOLDER = re.compile(r"^[0-9]{2}_[a-z0-9_]+$")
_NOT_ID = re.compile(r"[^a-z0-9]+")


def _title_heading(body: str) -> str | None:
    """The text of the body's first line if it is a level-1 ATX heading (``# Title``).

    A closing run of ``#`` is dropped, as Markdown does. Written without a regex:
    a backtracking pattern would take quadratic time on a long run of spaces.
    """
    line = body.split("\n", 1)[0]
    if not line.startswith(("# ", "#\t")):
        return None
    text = line[2:].strip(" \t")
    unclosed = text.rstrip("#")
    if unclosed != text and (not unclosed or unclosed[-1] in " \t"):
        text = unclosed.rstrip(" \t")
    return text or None


def _fold(key: str) -> str:
    return re.sub(r"[\s_.-]+", "", key).lower()


# What a mistyped field may have meant: the house keys, and our model's own names
# for them (someone writing `audience:` or `last_reviewed:` meant the house field).
# The model's names count only when written out (case and separators aside), never
# as prefixes or fuzzy matches: `published` (a common front-matter key) is not a
# typo of `publisher`.
_HOUSE_FOLDED = {_fold(house): house for house in HOUSE_FIELDS}
_MEANT = {_fold(name): house for name, house in _MODEL_TO_HOUSE.items()} | _HOUSE_FOLDED


def _near_miss(key: str) -> str | None:
    """The house field ``key`` is a near miss of (``lastReviwed``, ``licence``), or None.

    A near miss is a key equal to a known field (a house key or the model's name for
    it) once case and ``_``/``-``/spaces are ignored, one that begins a house key
    (five letters or more), or one within a small edit of a house key (difflib ratio
    0.84 or more). Any other unknown key is the author's own field, kept in
    ``Source.extra``.
    """
    folded = _fold(key)
    if folded in _MEANT:
        return _MEANT[folded]
    if len(folded) >= 5:
        for known, house in _HOUSE_FOLDED.items():
            if known.startswith(folded):
                return house
    close = difflib.get_close_matches(folded, list(_HOUSE_FOLDED), n=1, cutoff=0.84)
    return _HOUSE_FOLDED[close[0]] if close else None


def _json_like(value: object) -> bool:
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, list):
        return all(_json_like(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_like(v) for k, v in value.items())
    return False


def source_id_of(path: str) -> str:
    """A source's id from its file name: lower-cased, runs of other characters -> ``-``.

    ``NCI Vaccines.md`` -> ``nci-vaccines``; an id that is already a slug is unchanged.
    """
    return _NOT_ID.sub("-", _stem(path).lower()).strip("-")


_ENTITY_ONLY = frozenset({"cite", "aliases", "broader", "indications", "side_effects"})
"""Fields only an entity document has: in a document without ``kind``, a forgotten kind."""


def _entity_field_error(key: str) -> str | None:
    """Why ``key`` cannot be a source document's own field, or None if it can."""
    if key in _ENTITY_ONLY:
        return (
            "a field of entity documents, but this document has no `kind:`, so it is "
            "read as a source document; add `kind:` (therapy, vaccine, side_effect or "
            "cancer_type)"
        )
    if difflib.SequenceMatcher(None, _fold(key), "kind").ratio() >= 0.75:
        return "unknown field; did you mean 'kind'? (an entity document needs `kind:`)"
    return None


def _build_source(
    doc: ParsedDocument,
    folders: tuple[str, ...],
    problems: _Problems,
    extra_fields: frozenset[str] = frozenset(),
) -> tuple[str | None, Source | None]:
    """The source's id (None if the file name gives none) and the Source (None if invalid).

    The id is returned even when the metadata is invalid, so that quotes from the
    body can still be checked and no citation reports a missing source falsely.
    """
    source_id = source_id_of(doc.path)
    if not source_id:
        problems.add(
            DocumentError(
                f"file name {_stem(doc.path)!r} has no ASCII letters or digits to make a "
                "source id from; rename the file",
                path=doc.path,
            )
        )
        return None, None
    data: dict[str, Any] = {"id": source_id, "text": doc.body, "path": doc.path}
    extra: dict[str, Any] = {}
    ok = True
    for key, value in doc.meta.items():
        field = HOUSE_FIELDS.get(key)
        if field is None:
            declared = key in extra_fields
            meant = None if declared else _near_miss(key)
            entity_error = None if declared else _entity_field_error(key)
            if entity_error is not None:
                problems.add(doc.error(entity_error, (key,)))
                ok = False
            elif meant is not None:
                problems.add(doc.error(f"unknown field; did you mean {meant!r}?", (key,)))
                ok = False
            elif not _json_like(value):
                problems.add(
                    doc.error(
                        "unknown field whose value cannot be kept: only text, numbers, "
                        "true/false, null, lists and mappings with text keys",
                        (key,),
                    )
                )
                ok = False
            elif declared:
                extra[key] = value
            else:
                extra[key] = value
                problems.warn(
                    DocumentWarning(
                        "unknown field, kept in Source.extra",
                        path=doc.path,
                        line=doc.line_of((key,)),
                        field=key,
                    )
                )
            continue
        if field == "last_reviewed":
            if value is None:
                continue
            parsed = _review_date(value)
            if isinstance(parsed, str):
                problems.add(doc.error(parsed, (key,)))
                ok = False
                continue
            data["last_reviewed"], data["last_reviewed_precision"] = parsed
        elif value is None and field in {"license", "audience", "cancer_types", "tags"}:
            continue  # not stated: the model's default ('unknown', or no tags)
        else:
            data[field] = tuple(value) if isinstance(value, list) else value
    if extra:
        data["extra"] = extra
    tier = next((name for name in reversed(folders) if _TIER_FOLDER.match(name)), None)
    if tier is not None:
        stated = data.get("source_type")
        if stated is None:
            data["source_type"] = tier
        elif stated != tier:
            problems.warn(
                DocumentWarning(
                    f"sourceType {stated!r} differs from the tier folder {tier!r} it is in; "
                    "the frontmatter's value is used",
                    path=doc.path,
                    line=doc.line_of(("sourceType",)),
                    field="sourceType",
                )
            )
    if data.get("title") is None:
        heading = _title_heading(doc.body)
        if heading is None or "title" in doc.meta:
            problems.add(
                doc.error(
                    "required field is missing: give `title:`, or begin the body with a "
                    "'# ' heading",
                    ("title",),
                    field="title",
                )
            )
            return source_id, None
        data["title"] = heading
    try:
        source = Source.model_validate(data)
    except ValidationError as exc:
        for error in _validation_errors(doc, exc, Source, _MODEL_TO_HOUSE):
            problems.add(error)
        return source_id, None
    return source_id, (source if ok else None)


# --------------------------------------------------------------------------- entities


class _EntityBuilder:
    def __init__(
        self,
        texts: dict[str, SourceText],
        tiers: dict[str, int | None],
        problems: _Problems,
        unreadable: frozenset[str] = frozenset(),
    ) -> None:
        self.texts = texts
        self.tiers = tiers
        self.problems = problems
        self.unreadable = unreadable
        """Ids that documents which could not be read may have had."""
        self.blocked = False
        """The entity being built cites a source that could not be read."""

    def citation(self, doc: ParsedDocument, cite: _CiteDoc, loc: Loc) -> Citation | None:
        text = self.texts.get(cite.source)
        if text is None and cite.source in self.unreadable:
            # The source's own error is reported; its quotes wait until it reads.
            self.blocked = True
            return None
        if text is None:
            self.problems.add(
                doc.error(
                    f"no source with id {cite.source!r}" + _did_you_mean(cite.source, self.texts),
                    (*loc, "source"),
                )
            )
            return None
        if cite.lead_in is None:
            found = text.find(cite.quote)
            if found is None:
                self.problems.add(doc.error(_quote_miss(text, cite), (*loc, "quote")))
                return None
            return Citation(source_id=cite.source, quote=cite.quote, start=found[0], end=found[1])
        result = text.find_in_context(cite.lead_in, cite.quote)
        if isinstance(result, str):
            field = "lead_in" if result.startswith("lead_in") else "quote"
            self.problems.add(doc.error(f"{result} (source {cite.source!r})", (*loc, field)))
            return None
        (lead_start, lead_end), (start, end) = result
        return Citation(
            source_id=cite.source,
            quote=cite.quote,
            start=start,
            end=end,
            lead_in=cite.lead_in,
            lead_in_start=lead_start,
            lead_in_end=lead_end,
        )

    def evidence(self, doc: ParsedDocument, claim: _ClaimDoc, loc: Loc) -> dict[str, Any] | None:
        if claim.curated is not None and claim.cite:
            self.problems.add(
                doc.error("a statement is either quoted (cite) or curated, not both", loc)
            )
            return None
        if claim.curated is None and not claim.cite:
            self.problems.add(
                doc.error("a statement needs a cite list or a curated rationale", loc)
            )
            return None
        if claim.curated is not None:
            if not claim.curated.strip():
                self.problems.add(doc.error("curated rationale is empty", (*loc, "curated")))
                return None
            return {"curated": claim.curated.strip(), "citations": ()}
        citations = [self.citation(doc, c, (*loc, "cite", i)) for i, c in enumerate(claim.cite)]
        if any(c is None for c in citations):
            return None
        return {"citations": tuple(citations), "curated": None}

    def statement(
        self, doc: ParsedDocument, field: StatementField, claim: _StatementDoc, loc: Loc
    ) -> Statement | None:
        evidence = self.evidence(doc, claim, loc)
        if evidence is None:
            return None
        if field in _LABELS and evidence["citations"]:
            for index, cite in enumerate(evidence["citations"]):
                if not _says(normalize_quote(f"{cite.lead_in or ''} {cite.quote}"), claim.value):
                    self.problems.add(
                        doc.error(
                            f"the quote does not contain the {field.value} {claim.value!r}",
                            (*loc, "cite", index, "quote"),
                        )
                    )
                    return None
        return Statement(field=field, value=claim.value, **evidence)

    def _check_scope(self, doc: ParsedDocument, spec: _EntityDoc) -> None:
        """A therapy says whether it is a product or a class; a class claims no approval."""
        if spec.scope is None:
            self.problems.add(
                doc.error(
                    "required field is missing: say whether this is one named product "
                    "(`scope: product`) or a class of treatment (`scope: class`)",
                    ("scope",),
                )
            )
            return
        if spec.scope != "class":
            return
        listed = isinstance(doc.meta.get("status"), list)
        claims: list[tuple[str, Loc]] = [
            (c.value, ("status", i, "value") if listed else ("status", "value"))
            for i, c in enumerate(spec.status)
        ]
        claims += [(c.status, ("indications", i, "status")) for i, c in enumerate(spec.indications)]
        for value, loc in claims:
            if Status(value) in PRODUCT_ONLY_STATUSES:
                self.problems.add(
                    doc.error(
                        f"a class of treatment is not {value!r}: only a product is approved, "
                        "fails or is discontinued. Put the claim on the product the sentence is "
                        "about, or claim what it says of the class ('in_use', "
                        "'investigational')",
                        loc,
                    )
                )

    def claim(
        self, doc: ParsedDocument, claim: _StatusClaimDoc, status: Status, loc: Loc
    ) -> dict[str, Any] | None:
        """Evidence and attribution of one status or indication claim."""
        if claim.curated is not None and (claim.regulator or claim.phase):
            self.problems.add(
                doc.error(
                    "regulator and phase must be read from quotes; a curated claim cannot "
                    "carry them",
                    loc,
                )
            )
            return None
        evidence = self.evidence(doc, claim, loc)
        if evidence is None:
            return None
        citations: tuple[Citation, ...] = evidence["citations"]
        sources = sorted({c.source_id for c in citations})
        if len(sources) > 1:
            self.problems.add(
                doc.error(
                    "a status claim is one source's claim, but this one cites "
                    f"{', '.join(sources)}; give each source its own entry",
                    (*loc, "cite"),
                )
            )
            return None
        said = " ".join(normalize_quote(f"{c.lead_in or ''} {c.quote}") for c in citations)
        regulator = claim.regulator
        if regulator is not None and citations and not _says(said, regulator):
            self.problems.add(
                doc.error(
                    f"the quotes do not name the regulator {regulator!r}", (*loc, "regulator")
                )
            )
            return None
        if claim.phase is not None and citations and not _PHASE_WORDS[claim.phase].search(said):
            self.problems.add(
                doc.error(
                    f"the quotes do not state {claim.phase.value!r} (e.g. 'Phase III' or "
                    "'Phase 3' for phase_3)",
                    (*loc, "phase"),
                )
            )
            return None
        source_id = sources[0] if sources else None
        disputes = []
        for index, dispute in enumerate(claim.disputed_by):
            where: Loc = (*loc, "disputed_by", index)
            found = [self.citation(doc, c, (*where, "cite", i)) for i, c in enumerate(dispute.cite)]
            quoted = [c for c in found if c is not None]
            if len(quoted) < len(found):
                return None
            others = {c.source_id for c in quoted}
            if len(others) > 1 or source_id in others:
                self.problems.add(
                    doc.error(
                        "a dispute quotes one source, other than the claim's own",
                        (*where, "cite"),
                    )
                )
                return None
            other = quoted[0].source_id
            disputes.append(
                Dispute(
                    claim=dispute.claim.strip(),
                    source_id=other,
                    tier=self.tiers.get(other),
                    citations=tuple(quoted),
                )
            )
        return {
            **evidence,
            "status": status,
            "source_id": source_id,
            "tier": None if source_id is None else self.tiers.get(source_id),
            "phase": claim.phase,
            "regulator": claim.regulator,
            "disputed_by": tuple(disputes),
        }

    def qualifiers(
        self,
        doc: ParsedDocument,
        indication: _IndicationDoc,
        claim: dict[str, Any] | None,
        loc: Loc,
    ) -> tuple[Qualifier, ...] | None:
        """An indication's qualifiers: verbatim words of the indication's own source."""
        out: list[Qualifier] = []
        for index, qualifier in enumerate(indication.qualifiers):
            where: Loc = (*loc, "qualifiers", index)
            found = [
                self.citation(doc, c, (*where, "cite", i)) for i, c in enumerate(qualifier.cite)
            ]
            quoted = [c for c in found if c is not None]
            if len(quoted) < len(found) or claim is None:
                return None
            own = claim["source_id"]
            if any(c.source_id != own for c in quoted):
                self.problems.add(
                    doc.error(
                        "a qualifier quotes the indication's own source"
                        + ("" if own is None else f" ({own})")
                        + ", as the claim it narrows does",
                        (*where, "cite"),
                    )
                )
                return None
            text = normalize_quote(qualifier.text)
            if not any(text in normalize_quote(c.quote) for c in quoted):
                self.problems.add(
                    doc.error(
                        f"the quotes do not contain the qualifier {qualifier.text!r} word for word",
                        (*where, "text"),
                    )
                )
                return None
            out.append(
                Qualifier(
                    kind=QualifierKind(qualifier.kind),
                    text=qualifier.text.strip(),
                    citations=tuple(quoted),
                )
            )
        return tuple(out)

    def entity(self, doc: ParsedDocument) -> AnyEntity | None:
        try:
            spec = _EntityDoc.model_validate(doc.meta)
        except ValidationError as exc:
            for error in _validation_errors(doc, exc, _EntityDoc):
                self.problems.add(error)
            return None
        count = len(self.problems.items)
        self.blocked = False
        given = spec.model_fields_set
        for field in sorted(given):
            if (
                (field in _THERAPY_ONLY and _FAMILY[spec.kind] != "therapy")
                or (field in _VACCINE_ONLY and spec.kind != "vaccine")
                or (field in _CANCER_TYPE_ONLY and spec.kind != "cancer_type")
            ):
                self.problems.add(doc.error(f"field not allowed on a {spec.kind}", (field,)))
        if spec.kind == "vaccine" and spec.purpose is None:
            self.problems.add(doc.error("required field is missing", ("purpose",)))
        if _FAMILY[spec.kind] == "therapy":
            self._check_scope(doc, spec)

        statements: list[Statement | None] = []
        for field, key, vocabulary in _STATEMENT_FIELDS:
            claims, listed = _claims(spec, key)
            for index, claim in enumerate(claims):
                loc: Loc = (key, index) if listed else (key,)
                allowed = [] if vocabulary is None else [member.value for member in vocabulary]
                if allowed and claim.value not in allowed:
                    self.problems.add(
                        doc.error(
                            f"{claim.value!r} is not one of: {', '.join(allowed)}"
                            + _did_you_mean(claim.value, allowed),
                            (*loc, "value"),
                        )
                    )
                statements.append(self.statement(doc, field, claim, loc))
        citations = [self.citation(doc, c, ("cite", i)) for i, c in enumerate(spec.cite)]
        relations: dict[str, list[dict[str, Any] | None]] = {
            "indications": [],
            "side_effects": [],
            "status_claims": [],
        }
        listed = isinstance(doc.meta.get("status"), list)
        for index, status_doc in enumerate(spec.status):
            loc = ("status", index) if listed else ("status",)
            relations["status_claims"].append(
                self.claim(doc, status_doc, Status(status_doc.value), loc)
            )
        for index, indication in enumerate(spec.indications):
            loc = ("indications", index)
            claim = self.claim(doc, indication, Status(indication.status), loc)
            qualifiers = self.qualifiers(doc, indication, claim, loc)
            relations["indications"].append(
                None
                if claim is None or qualifiers is None
                else {"cancer_type_id": indication.cancer_type, **claim, "qualifiers": qualifiers}
            )
        for index, effect in enumerate(spec.side_effects):
            evidence = self.evidence(doc, effect, ("side_effects", index))
            relations["side_effects"].append(
                None if evidence is None else {"side_effect_id": effect.side_effect, **evidence}
            )
        if len(self.problems.items) > count or self.blocked:
            return None

        data: dict[str, Any] = {
            "id": spec.id,
            "name": spec.name.value,
            "aliases": tuple(a.value for a in spec.aliases),
            "broader": tuple(b.value for b in spec.broader),
            "summary": doc.body,
            "citations": tuple(citations),
            "statements": tuple(
                weigh_statement(_with_stating_citations(s, citations), self.tiers)
                for s in statements
                if s is not None
            ),
        }
        model: type[AnyEntity]
        if _FAMILY[spec.kind] == "therapy":
            status_claims = sorted(
                (StatusClaim(**c) for c in relations["status_claims"] if c is not None),
                key=lambda c: c.trust_key,
            )
            data["scope"] = spec.scope
            data["status"] = adopted_status(status_claims)
            data["status_claims"] = tuple(status_claims)
            data["routes"] = tuple(r.value for r in spec.routes)
            data["indications"] = tuple(
                Indication(**c) for c in relations["indications"] if c is not None
            )
            data["side_effects"] = tuple(relations["side_effects"])
            model = Therapy
            if spec.kind == "vaccine":
                data["platform"] = None if spec.platform is None else spec.platform.value
                data["purpose"] = None if spec.purpose is None else spec.purpose.value
                model = Vaccine
        elif spec.kind == "side_effect":
            model = SideEffect
        else:
            data["cancer_type_tags"] = tuple(t.value for t in spec.cancer_type_tags)
            model = CancerType
        return _validate(model, data, doc, self.problems)


def _with_stating_citations(statement: Statement, citations: list[Citation | None]) -> Statement:
    """A quoted name or alias, with every defining citation whose quote states it too.

    Any source that names the entity in a quote the entity cites carries the name:
    a licence filter that keeps only that source keeps the name (and the entity)
    with it. Curated statements and other fields are returned unchanged.
    """
    if statement.field not in {StatementField.NAME, StatementField.ALIAS}:
        return statement
    if not statement.citations:
        return statement
    have = {(c.source_id, c.start, c.end) for c in statement.citations}
    extra = [
        c
        for c in citations
        if c is not None
        and (c.source_id, c.start, c.end) not in have
        and _says(normalize_quote(c.quote), statement.value)
    ]
    if not extra:
        return statement
    return statement.model_copy(update={"citations": (*statement.citations, *extra)})


def _claims(spec: _EntityDoc, key: str) -> tuple[tuple[Any, ...], bool]:
    """The statements given for ``key`` in document order, and whether they were a list."""
    raw = getattr(spec, key)
    if raw is None:
        return (), False
    if isinstance(raw, tuple):
        return raw, True
    return (raw,), False


def _says(said: str, words: str) -> bool:
    """Whether normalised quote text contains ``words`` as whole words (case aside)."""
    needle = normalize_quote(words)
    if said.isascii() and needle.isascii():
        # The same test without compiling a pattern per name (thousands of names
        # overflow re's cache): on ASCII, ignoring case is comparing lower case.
        haystack, needle = said.lower(), needle.lower()
        at = haystack.find(needle)
        while at >= 0:
            end = at + len(needle)
            before = at == 0 or not _is_word(haystack[at - 1])
            after = end >= len(haystack) or not _is_word(haystack[end])
            if before and after:
                return True
            at = haystack.find(needle, at + 1)
        return False
    pattern = r"(?<!\w)" + re.escape(needle) + r"(?!\w)"
    return re.search(pattern, said, re.IGNORECASE) is not None


def _is_word(char: str) -> bool:
    """Whether ``char`` is a word character (a letter, digit or underscore, in any script)."""
    return char.isalnum() or char == "_"


def _phase_pattern(*numbers: str) -> re.Pattern[str]:
    roman = {"1": "i", "2": "ii", "3": "iii", "4": "iv"}
    forms = ["/".join(numbers), "/".join(roman[n] for n in numbers)]
    return re.compile(
        r"\bphase\s+(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w/])", re.IGNORECASE
    )


_PHASE_WORDS: dict[Phase, re.Pattern[str]] = {
    Phase.PHASE_1: _phase_pattern("1"),
    Phase.PHASE_1_2: _phase_pattern("1", "2"),
    Phase.PHASE_2: _phase_pattern("2"),
    Phase.PHASE_2_3: _phase_pattern("2", "3"),
    Phase.PHASE_3: _phase_pattern("3"),
    Phase.PHASE_4: _phase_pattern("4"),
}
"""How each phase may be written in a quote: 'Phase III', 'phase 3', 'Phase I/II'..."""


def _validate(
    model: type[_M], data: dict[str, Any], doc: ParsedDocument, problems: _Problems
) -> _M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc: Loc = tuple(err["loc"])
            field = format_loc(loc) or None
            problems.add(doc.error(_describe(err, model), loc[:1], field=field))
        return None


def _quote_miss(text: SourceText, cite: _CiteDoc) -> str:
    quote = normalize_quote(cite.quote)
    low, high = 0, len(quote)
    while low < high:  # longest prefix of the quote that the source contains
        middle = (low + high + 1) // 2
        if text.find(quote[:middle]) is not None:
            low = middle
        else:
            high = middle - 1
    hint = ""
    if low >= 12:
        hint = f"; it matches up to {quote[:low][-40:]!r} and differs from there"
    return f"quote not found in source {cite.source!r}{hint}"


# --------------------------------------------------------------------------- cross-references


def _unique_labels(
    labels: Iterable[tuple[ParsedDocument, str, str, Loc]],
    problems: _Problems,
    *,
    what: str,
    rule: str,
) -> None:
    """Each label, normalised, belongs to one entity; report the later documents' clashes."""
    owners: dict[str, tuple[str, str]] = {}
    for doc, entity_id, label, loc in labels:
        key = normalize(label)
        if not key:
            problems.add(doc.error(f"{label!r} has no letters or digits to look it up by", loc))
            continue
        owner = owners.get(key)
        if owner is not None and owner[0] != entity_id:
            problems.add(
                doc.error(f"{label!r} is already {what} of {owner[0]!r} ({owner[1]}); {rule}", loc)
            )
        else:
            owners[key] = (entity_id, doc.path)


def _check_references(
    entities: list[tuple[AnyEntity, ParsedDocument]], problems: _Problems, failed: set[str]
) -> None:
    """Ids, names, reference targets and cycles across documents.

    ``failed`` holds the ids of entity documents that had problems of their own:
    a reference to one is not reported again as dangling.
    """
    by_id: dict[str, tuple[AnyEntity, ParsedDocument]] = {}
    for entity, doc in entities:
        if entity.id in by_id:
            other = by_id[entity.id][1].path
            problems.add(doc.error(f"duplicate id {entity.id!r}: also defined in {other}", ("id",)))
            continue
        by_id[entity.id] = (entity, doc)

    _unique_labels(
        (
            (doc, entity.id, label, loc)
            for entity, doc in by_id.values()
            for label, loc in [
                (entity.id, ("id",)),
                (entity.name, ("name", "value")),
                *((a, ("aliases", i, "value")) for i, a in enumerate(entity.aliases)),
            ]
        ),
        problems,
        what="a name",
        rule="a name or alias may belong to one entity only",
    )
    _unique_labels(
        (
            (doc, entity.id, tag, ("cancer_type_tags", i, "value"))
            for entity, doc in by_id.values()
            for i, tag in enumerate(getattr(entity, "cancer_type_tags", ()))
        ),
        problems,
        what="a tag",
        rule="a cancerTypes tag may stand for one cancer type only",
    )

    def target(doc: ParsedDocument, ref: str, family: str, loc: Loc) -> None:
        found = by_id.get(ref)
        if found is None and ref in failed:
            return
        if found is None:
            problems.add(
                doc.error(f"dangling reference: no entity {ref!r}" + _did_you_mean(ref, by_id), loc)
            )
        elif _FAMILY[found[0].kind] != family:
            problems.add(doc.error(f"{ref!r} is a {found[0].kind}, not a {family}", loc))

    for entity, doc in by_id.values():
        for index, ref in enumerate(entity.broader):
            target(doc, ref, _FAMILY[entity.kind], ("broader", index, "value"))
        if isinstance(entity, Therapy):
            for index, indication in enumerate(entity.indications):
                target(
                    doc,
                    indication.cancer_type_id,
                    "cancer_type",
                    ("indications", index, "cancer_type"),
                )
            for index, relation in enumerate(entity.side_effects):
                target(
                    doc,
                    relation.side_effect_id,
                    "side_effect",
                    ("side_effects", index, "side_effect"),
                )

    # Broader links form a directed graph that must have no cycle.
    state: dict[str, int] = {}
    for start in sorted(by_id):
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, index = stack.pop()
            broader = [b for b in by_id[node][0].broader if b in by_id]
            if index == 0:
                state[node] = 1
                path.append(node)
            if index < len(broader):
                stack.append((node, index + 1))
                nxt = broader[index]
                if state.get(nxt) == 1:
                    cycle = [*path[path.index(nxt) :], nxt]
                    doc = by_id[node][1]
                    position = list(by_id[node][0].broader).index(nxt)
                    problems.add(
                        doc.error(
                            "broader links form a cycle: " + " -> ".join(cycle),
                            ("broader", position, "value"),
                        )
                    )
                elif not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                path.pop()


# --------------------------------------------------------------------------- entry point

_ID_LINE = re.compile(rb"^id:[ \t]*[\"']?([a-z0-9]+(?:-[a-z0-9]+)*)[\"']?[ \t]*\r?$", re.MULTILINE)


def _ids_of_unreadable(document: RawDocument) -> set[str]:
    """Ids a document that could not be parsed may have had (best effort).

    Its file name (a source's id) and any ``id:`` line at the start of a line (an
    entity's): a citation of such a source or a reference to such an entity is not
    reported as missing, since the document's own error already is.
    """
    ids = {match.decode("ascii") for match in _ID_LINE.findall(document.data)}
    source_id = source_id_of(document.path)
    if source_id:
        ids.add(source_id)
    return ids


def _assemble(
    documents: Iterable[RawDocument | tuple[str, bytes]],
    problems: _Problems,
    progress: Progress | None = None,
    extra_fields: frozenset[str] = frozenset(),
) -> tuple[list[Source], list[AnyEntity], int]:
    """Every check of every document; problems collect in ``problems``.

    Errors already in ``problems`` (from finding the files) that name a document
    which was not read count as unreadable documents, like those that do not parse.
    """
    raw = [d if isinstance(d, RawDocument) else RawDocument(*d) for d in documents]
    total = 2 * len(raw)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None and (done == total or done % 50 == 0):
            progress(done, total)

    parsed: list[tuple[ParsedDocument, tuple[str, ...]]] = []
    unreadable = {
        source_id_of(error.path)
        for error in problems.items
        if error.path.lower().endswith(DOCUMENT_SUFFIXES)
    } - {""}
    for document in raw:
        try:
            parsed.append((parse_document(document.path, document.data), document.folders))
        except DocumentError as exc:
            problems.add(exc)
            unreadable |= _ids_of_unreadable(document)
            step()  # it will not be checked further
        step()

    sources: dict[str, Source] = {}
    source_paths: dict[str, str] = {}
    texts: dict[str, SourceText] = {}
    entity_docs = []
    for doc, folders in parsed:
        if "kind" in doc.meta:
            entity_docs.append(doc)
            continue
        source_id, source = _build_source(doc, folders, problems, extra_fields)
        step()
        if source_id is None:
            continue
        if source_id in source_paths:
            problems.add(
                DocumentError(
                    f"duplicate source id {source_id!r}: also defined in {source_paths[source_id]}",
                    path=doc.path,
                )
            )
            continue
        source_paths[source_id] = doc.path
        texts[source_id] = SourceText(doc.body)
        if source is not None:
            sources[source_id] = source

    tiers = {source_id: source.tier for source_id, source in sources.items()}
    builder = _EntityBuilder(texts, tiers, problems, frozenset(unreadable - texts.keys()))
    entities: list[tuple[AnyEntity, ParsedDocument]] = []
    failed: set[str] = set(unreadable)
    for doc in entity_docs:
        try:
            entity = builder.entity(doc)
        except ValidationError as exc:  # a model refused what the document schema let by
            for err in exc.errors():
                where = format_loc(tuple(err["loc"]))
                reason = _describe(err, _MODELS_BY_NAME.get(exc.title, BaseModel))
                problems.add(doc.error(f"invalid value in {exc.title}.{where}: {reason}"))
            entity = None
        step()
        if entity is not None:
            entities.append((entity, doc))
        elif isinstance(doc.meta.get("id"), str):
            failed.add(doc.meta["id"])
    _check_references(entities, problems, failed)
    return list(sources.values()), [entity for entity, _ in entities], len(raw)


def check(
    documents: Iterable[RawDocument | tuple[str, bytes]],
    *,
    errors: Sequence[DocumentError] = (),
    warnings: Sequence[DocumentWarning] = (),
    progress: Progress | None = None,
    extra_fields: Iterable[str] = (),
) -> tuple[list[DocumentError], list[DocumentWarning], int]:
    """Every error and warning in the documents, and how many documents were read."""
    problems = _Problems()
    problems.items.extend(errors)
    problems.warnings.extend(warnings)
    _, _, count = _assemble(documents, problems, progress, frozenset(extra_fields))
    return problems.items, problems.warnings, count


def build(
    documents: Iterable[RawDocument | tuple[str, bytes]],
    *,
    content_version: str | None = None,
    errors: Sequence[DocumentError] = (),
    warnings: Sequence[DocumentWarning] = (),
    extra_fields: Iterable[str] = (),
) -> KnowledgeBase:
    """Build a knowledge base from documents, or raise DocumentError (all problems)."""
    problems = _Problems()
    problems.items.extend(errors)
    problems.warnings.extend(warnings)
    sources, entities, _ = _assemble(documents, problems, extra_fields=frozenset(extra_fields))
    problems.raise_if_any()
    return KnowledgeBase(
        sources=tuple(sources),
        entities=tuple(entities),
        content_version=content_version,
        warnings=tuple(problems.warnings),
    )
