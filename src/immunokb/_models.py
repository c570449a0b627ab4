"""The typed, frozen models of the knowledge base and their vocabularies.

Every model is a frozen pydantic v2 model with a closed schema (``extra="forbid"``)
and a description on every field. Collections are tuples. Vocabularies are ``str``
enums with lower-case values, so they compare equal to their plain string values.

Provenance is part of the data: every statement an entity makes (its name, each
alias, each broader link, its routes, platform and purpose) is a
:class:`Statement`, and every relation (:class:`Indication`,
:class:`SideEffectRelation`) carries its own evidence. A status is never simply
asserted: each source's claim is a :class:`StatusClaim` (or, per cancer type, an
:class:`Indication`) attributed to that source and its trust tier, and the status
a therapy shows is derived from the claims by :func:`adopted_status`. Evidence is either one or
more verified :class:`Citation` objects, or an explicit curator's mark
(``curated``, a one-line rationale) and never both, so a curated statement is
never presented as quoted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PlainSerializer,
    StringConstraints,
    model_validator,
)

__all__ = [
    "DEFAULT_REVIEW_MONTHS",
    "PRODUCT_ONLY_STATUSES",
    "PROMOTIONAL_TIER",
    "REVIEW_MONTHS",
    "Audience",
    "CancerType",
    "Citation",
    "Claim",
    "Conflict",
    "DatePrecision",
    "Dispute",
    "DocumentStatus",
    "Entity",
    "FrozenMapping",
    "Hit",
    "Indication",
    "License",
    "Phase",
    "Qualifier",
    "QualifierKind",
    "Reference",
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
    "adopted_status",
    "weigh_statement",
]

_SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_TEXT_PATTERN = r"\S"
_URL_PATTERN = r"^https?://[^\s/$.?#][^\s]*$"
_SOURCE_TYPE_PATTERN = r"^[0-9]{2}_[a-z0-9_]+$"
_LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"

PATTERN_FORMS: dict[str, str] = {
    _SLUG_PATTERN: "lower-case letters and digits joined by single hyphens, like 'tumor-lysis'",
    _TEXT_PATTERN: "text with at least one character that is not a space",
    _URL_PATTERN: "a web address beginning with http:// or https://",
    _SOURCE_TYPE_PATTERN: "two digits, an underscore and a lower-case name, like '02_nci_core'",
    _LANGUAGE_PATTERN: "a language tag like 'en' or 'es-419'",
}
"""What each pattern of the models asks for, in words (for error messages)."""

Slug = Annotated[
    str,
    StringConstraints(pattern=_SLUG_PATTERN, min_length=1, max_length=120),
]
"""A stable identifier: lower-case ASCII letters and digits joined by single hyphens."""

Text = Annotated[str, StringConstraints(min_length=1, pattern=_TEXT_PATTERN)]
"""A string with at least one non-whitespace character."""


class FrozenMapping(Mapping[str, Any]):
    """A read-only, hashable mapping: how a model holds free-form data such as ``Source.extra``.

    Nested lists read as tuples and nested mappings as ``FrozenMapping``, so nothing
    inside can be changed. ``dict(m)`` gives an ordinary dict; models serialise it as
    a JSON object.
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        """Copy ``data`` (recursively frozen)."""
        self._data: dict[str, Any] = {k: _freeze(v) for k, v in (data or {}).items()}
        self._hash: int | None = None

    def __getitem__(self, key: str) -> Any:  # noqa: ANN401 - free-form YAML values
        """The value of ``key``."""
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        """The keys, in the order the document gives them."""
        return iter(self._data)

    def __len__(self) -> int:
        """The number of keys."""
        return len(self._data)

    def __hash__(self) -> int:
        """Hash of the items (order-insensitive, like equality)."""
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        """Like a dict's."""
        return repr(self._data)

    def __reduce__(self) -> tuple[type[FrozenMapping], tuple[dict[str, Any]]]:
        """Pickle the items only: a cached hash is not valid in another process."""
        return (FrozenMapping, (self._data,))


def _freeze(value: Any) -> Any:  # noqa: ANN401 - free-form YAML values
    if isinstance(value, FrozenMapping):
        return value
    if isinstance(value, Mapping):
        return FrozenMapping(value)
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:  # noqa: ANN401 - free-form YAML values
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


ExtraFields = Annotated[
    Mapping[str, JsonValue],
    AfterValidator(FrozenMapping),
    PlainSerializer(_thaw, return_type=dict[str, JsonValue]),
]
"""Free-form frontmatter: a :class:`FrozenMapping` in Python, a JSON object when serialised."""


# --------------------------------------------------------------------------- vocabularies


class _Vocabulary(str, Enum):
    """Base of immunokb's vocabularies: a ``str`` whose value is its spelling in documents.

    A member pickles as its class called with its value, on every Python the package
    supports: CPython before 3.11.5 (3.11.2 is Debian 12's) pickled a mixed-in enum
    by name through ``getattr``, which gave the same knowledge base different bytes
    by patch release, and a reference the cache's allow-list rightly refuses.
    """

    def __reduce_ex__(self, protocol: object) -> tuple[type[_Vocabulary], tuple[str]]:
        return type(self), (self.value,)


class Status(_Vocabulary):
    """Development or regulatory status of a therapy, or of one of its indications.

    ``in_use`` records a source saying a therapy *is used* to treat something without
    saying it is approved. ``disputed``, ``unverified`` and ``unknown`` are never
    claimed by a source: they are what a therapy's (or an indication's) status
    becomes when the claims about it disagree, when an approval rests on promotional
    sources alone, or when nothing is claimed; see :func:`adopted_status`.
    """

    APPROVED = "approved"
    IN_USE = "in_use"
    INVESTIGATIONAL = "investigational"
    DISCONTINUED = "discontinued"
    FAILED = "failed"
    DISPUTED = "disputed"
    UNVERIFIED = "unverified"
    UNKNOWN = "unknown"


class Phase(_Vocabulary):
    """Clinical-trial phase, as a source states it (``Phase I/II`` is ``phase_1_2``)."""

    PHASE_1 = "phase_1"
    PHASE_1_2 = "phase_1_2"
    PHASE_2 = "phase_2"
    PHASE_2_3 = "phase_2_3"
    PHASE_3 = "phase_3"
    PHASE_4 = "phase_4"


class Route(_Vocabulary):
    """Route of administration."""

    INTRAVENOUS = "intravenous"
    ORAL = "oral"
    TOPICAL = "topical"
    INTRAVESICAL = "intravesical"
    INTRATUMORAL = "intratumoral"
    SUBCUTANEOUS = "subcutaneous"
    INTRADERMAL = "intradermal"
    INTRAMUSCULAR = "intramuscular"


class License(_Vocabulary):
    """Licence of a source document, in the house corpus convention's spelling."""

    PUBLIC_DOMAIN = "public_domain"
    CC0 = "cc0"
    CC_BY = "cc_by"
    CC_BY_SA = "cc_by_sa"
    CC_BY_NC = "cc_by_nc"
    CC_BY_NC_SA = "cc_by_nc_sa"
    CC_BY_ND = "cc_by_nd"
    CC_BY_NC_ND = "cc_by_nc_nd"
    OPEN_ACCESS = "open_access"
    PROPRIETARY = "proprietary"
    UNKNOWN = "unknown"


class Audience(_Vocabulary):
    """Audience level a source document is written for."""

    PATIENT = "patient"
    GENERAL = "general"
    TECHNICAL = "technical"
    PROFESSIONAL = "professional"
    UNKNOWN = "unknown"


class ReviewFrequency(_Vocabulary):
    """How often a source document is meant to be reviewed."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"
    AS_NEEDED = "as_needed"


class DocumentStatus(_Vocabulary):
    """Editorial status of a source document in its corpus."""

    ACTIVE = "active"
    DRAFT = "draft"
    ARCHIVED = "archived"
    DEPRECATED = "deprecated"


class DatePrecision(_Vocabulary):
    """How much of a date the document actually states."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class QualifierKind(_Vocabulary):
    """What a qualifier of an indication narrows: who, at what stage or setting, with what."""

    POPULATION = "population"
    STAGE = "stage"
    COMBINATION = "combination"


class Scope(_Vocabulary):
    """Whether a therapy is one named product or a class of treatment.

    A ``product`` is one medicine or vaccine with its own name (T-VEC,
    sipuleucel-T). A ``class`` is an approach or a group of products (oncolytic
    virus therapy, treatment vaccines, checkpoint inhibitors). Approvals, failed
    trials and discontinuations happen to products: a class's claims may say it is
    used (``in_use``) or tested (``investigational``), never ``approved``,
    ``failed`` or ``discontinued``, so a sentence about one product can never set
    the status of its class.
    """

    PRODUCT = "product"
    CLASS = "class"


PRODUCT_ONLY_STATUSES = frozenset({Status.APPROVED, Status.FAILED, Status.DISCONTINUED})
"""Statuses only a product's claims may state (see :class:`Scope`)."""


class VaccinePurpose(_Vocabulary):
    """Whether a vaccine treats an existing cancer or prevents disease."""

    TREATMENT = "treatment"
    PREVENTION = "prevention"


class VaccinePlatform(_Vocabulary):
    """How a vaccine is made."""

    TUMOR_CELL = "tumor_cell"
    TUMOR_ANTIGEN = "tumor_antigen"
    DENDRITIC_CELL = "dendritic_cell"
    PEPTIDE = "peptide"
    MRNA = "mrna"
    MRNA_DENDRITIC_CELL = "mrna_dendritic_cell"
    OTHER = "other"


class StatementField(_Vocabulary):
    """The entity field a :class:`Statement` gives evidence for."""

    NAME = "name"
    ALIAS = "alias"
    BROADER = "broader"
    STATUS = "status"
    ROUTE = "route"
    PLATFORM = "platform"
    PURPOSE = "purpose"
    INDICATION = "indication"
    CANCER_TYPE_TAG = "cancer_type_tag"


REVIEW_MONTHS: dict[ReviewFrequency, int] = {
    ReviewFrequency.MONTHLY: 1,
    ReviewFrequency.QUARTERLY: 3,
    ReviewFrequency.ANNUAL: 12,
}
"""Months between reviews for each frequency that names a period."""

DEFAULT_REVIEW_MONTHS = 12
"""Months after which a source is stale when it names no period (no frequency, or ``as_needed``)."""


# --------------------------------------------------------------------------- base


class _Frozen(BaseModel):
    # defer_build: a model's validator is built on its first validation, not at import,
    # so `import immunokb` is about 30 ms faster (measured with -X importtime); a model
    # that is never validated in a process never pays for it.
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, defer_build=True)

    def _repr_html_(self) -> str:
        """HTML for Jupyter: the record as a table, with its citations."""
        from ._display import to_html  # noqa: PLC0415 - display code loads on first use

        return to_html(self)


class Citation(_Frozen):
    """A verbatim quote from a source document's body, with its verified location.

    ``Source.text[start:end]`` is the quote as it stands in the source; it equals
    :attr:`quote` once whitespace runs and typographic quote marks are normalised.
    A quote taken from a list item may carry the list's lead-in sentence, and a quote
    from a section may carry the section's heading (``lead_in``), located the same
    way, so that the quote is read in the context that makes it a claim.
    """

    source_id: Slug = Field(description="Id of the Source the quote is taken from.")
    quote: Text = Field(description="The quoted words, verbatim from the source's body.")
    start: int = Field(ge=0, description="Offset of the quote's first character in Source.text.")
    end: int = Field(
        ge=1, description="Offset just past the quote's last character in Source.text."
    )
    lead_in: Text | None = Field(
        default=None,
        description=(
            "Context for the quote, verbatim: the sentence introducing the list the quote is an "
            "item of, or the heading of the section it stands in; null if none."
        ),
    )
    lead_in_start: int | None = Field(
        default=None, ge=0, description="Offset of the lead-in in Source.text, or null."
    )
    lead_in_end: int | None = Field(
        default=None, ge=1, description="Offset just past the lead-in in Source.text, or null."
    )

    @model_validator(mode="after")
    def _check_offsets(self) -> Citation:
        if self.end <= self.start:
            raise ValueError("end must be greater than start")
        trio = (self.lead_in, self.lead_in_start, self.lead_in_end)
        if any(v is None for v in trio) and any(v is not None for v in trio):
            raise ValueError(
                "lead_in, lead_in_start and lead_in_end are set together or not at all"
            )
        if self.lead_in_start is not None and self.lead_in_end is not None:
            if self.lead_in_end <= self.lead_in_start:
                raise ValueError("lead_in_end must be greater than lead_in_start")
            if self.lead_in_end > self.start:
                raise ValueError("the lead-in must come before the quote")
        return self


class _Evidenced(_Frozen):
    citations: tuple[Citation, ...] = Field(
        default=(),
        description="Verified quotes that support this statement; empty only when curated.",
    )
    curated: Text | None = Field(
        default=None,
        description=(
            "Set when a curator added this statement without a quote: the one-line rationale. "
            "A curated statement has no citations and is never presented as quoted."
        ),
    )

    @model_validator(mode="after")
    def _check_evidence(self) -> _Evidenced:
        if self.curated is None and not self.citations:
            raise ValueError("a statement needs at least one citation or a curated rationale")
        if self.curated is not None and self.citations:
            raise ValueError("a curated statement carries no citations (it is not quoted)")
        return self

    @property
    def is_curated(self) -> bool:
        """True when the statement is a curator's addition rather than a quote."""
        return self.curated is not None


class Statement(_Evidenced):
    """One claim an entity makes about one of its fields, with its evidence.

    ``promotional`` is true when every quote comes from a promotional source (tier
    ``PROMOTIONAL_TIER``, 7, or above): the value is then that source's claim, and
    every surface shows it "according to" the source, never as a plain fact.
    """

    field: StatementField = Field(description="The entity field the claim is about.")
    value: Text = Field(description="The claimed value (an alias, an id, an enum value...).")
    promotional: bool = Field(
        default=False,
        description="True when only promotional sources (tier 7 or above) state it: "
        "shown as their claim, 'according to' them.",
    )

    @model_validator(mode="after")
    def _check_promotional(self) -> Statement:
        if self.promotional and not self.citations:
            raise ValueError("a curated statement is not a promotional source's claim")
        return self


def weigh_statement(statement: Statement, tiers: Mapping[str, int | None]) -> Statement:
    """The statement marked ``promotional`` when only promotional sources quote it.

    ``tiers`` maps source ids to their tiers (``None``: unknown kind, not promotional).
    """
    promotional = bool(statement.citations) and all(
        (tier := tiers.get(c.source_id)) is not None and tier >= PROMOTIONAL_TIER
        for c in statement.citations
    )
    if promotional == statement.promotional:
        return statement
    return statement.model_copy(update={"promotional": promotional})


class Dispute(_Frozen):
    """Evidence from another source that speaks against a claim.

    Used where a source does not state a rival value outright but says something a
    reader must weigh against the claim (for example, that only one product of a
    kind is approved). ``claim`` is the curator's one-line account of what the
    disputing source says; the quotes are in ``citations``.
    """

    claim: Text = Field(
        description="What the disputing source says, in the curator's words (not a quote)."
    )
    source_id: Slug = Field(description="Id of the disputing source.")
    tier: int | None = Field(
        default=None, ge=0, description="Trust tier of the disputing source (lower is stronger)."
    )
    citations: tuple[Citation, ...] = Field(
        min_length=1, description="The disputing source's verified quotes."
    )

    @model_validator(mode="after")
    def _check_source(self) -> Dispute:
        if any(c.source_id != self.source_id for c in self.citations):
            raise ValueError("every citation of a dispute comes from its source_id")
        return self


_CONCLUSIONS = frozenset({Status.DISPUTED, Status.UNVERIFIED, Status.UNKNOWN})


class _Claim(_Evidenced):
    """One source's claim about a status, with its attribution and qualifiers."""

    status: Status = Field(description="The status the source claims.")
    source_id: Slug | None = Field(
        default=None, description="Id of the source making the claim; null when curated."
    )
    tier: int | None = Field(
        default=None,
        ge=0,
        description="Trust tier of that source (its sourceType number; lower is stronger).",
    )
    phase: Phase | None = Field(default=None, description="Trial phase, if the source states it.")
    regulator: Text | None = Field(
        default=None,
        description="Regulator named with the claim (e.g. 'FDA', 'NMPA'), verbatim, if stated.",
    )
    disputed_by: tuple[Dispute, ...] = Field(
        default=(), description="Evidence from other sources that speaks against this claim."
    )

    @model_validator(mode="after")
    def _check_attribution(self) -> _Claim:
        if self.status in _CONCLUSIONS:
            raise ValueError(f"{self.status.value!r} is a conclusion, not a claim a source makes")
        if self.curated is not None:
            if self.source_id is not None or self.tier is not None:
                raise ValueError("a curated claim has no source_id or tier")
            if self.regulator is not None or self.phase is not None:
                raise ValueError("regulator and phase are read from quotes, not curated")
        else:
            if self.source_id is None:
                raise ValueError("a quoted claim names its source_id")
            if any(c.source_id != self.source_id for c in self.citations):
                raise ValueError("a claim is one source's claim: every citation from source_id")
        if any(d.source_id == self.source_id for d in self.disputed_by):
            raise ValueError("a claim cannot be disputed by its own source")
        return self

    @property
    def trust_key(self) -> tuple[int, int]:
        """Sort key, most trusted first: by tier, then quoted before curated."""
        return (100 if self.tier is None else self.tier, 1 if self.is_curated else 0)


class StatusClaim(_Claim):
    """One source's claim about a therapy's development or regulatory status."""


class Qualifier(_Frozen):
    """Who or when an indication is for, in the source's own words.

    ``text`` is copied verbatim from one of the qualifier's quotes ("that has spread
    to other parts of the body", "metastatic", "combine an oncolytic virus and
    checkpoint inhibitor"): the loader checks that a quote contains it. A qualifier
    travels with its indication wherever the indication is shown.
    """

    kind: QualifierKind = Field(
        description="'population' (who), 'stage' (stage or setting) or 'combination'."
    )
    text: Text = Field(description="The qualifying words, verbatim from a quote.")
    citations: tuple[Citation, ...] = Field(
        min_length=1, description="The quotes that state it, from the indication's source."
    )


class Indication(_Claim):
    """One source's claim that a therapy is used for or tested in a cancer type."""

    cancer_type_id: Slug = Field(description="Id of the CancerType.")
    qualifiers: tuple[Qualifier, ...] = Field(
        default=(),
        description="Who and when the claim is about (population, stage or setting, "
        "combination), each quoted; none when the source does not narrow it.",
    )

    @model_validator(mode="after")
    def _check_qualifiers(self) -> Indication:
        for qualifier in self.qualifiers:
            if any(c.source_id != self.source_id for c in qualifier.citations):
                raise ValueError("a qualifier quotes the indication's own source")
        return self


_COMPATIBLE = frozenset({Status.APPROVED, Status.IN_USE})

PROMOTIONAL_TIER = 7
"""Sources of this tier or above promote what they describe (``07_commercial_service``)."""


def _promotional(tier: int | None) -> bool:
    return tier is not None and tier >= PROMOTIONAL_TIER


def adopted_status(claims: Iterable[StatusClaim | Indication]) -> Status:
    """The status a set of claims supports, weighed by tier, without a convenient answer.

    - no claim: ``unknown``;
    - claims of promotional sources (tier ``PROMOTIONAL_TIER``, 7, or above: a
      company's own page) are never adopted as fact: when every claim is one,
      ``unverified`` (read the claims, attributed, for what they say); otherwise
      they do not count, and only the other claims decide;
    - a counted claim disputed by a source that is not promotional: ``disputed``;
    - counted claims that disagree (approved versus investigational, failed versus
      approved...): ``disputed``; only ``approved`` beside ``in_use`` agree (an
      approved therapy is in use), and then the most trusted claim's status counts
      (lowest tier, quoted before curated; ``in_use`` on a tie);
    - otherwise the status they agree on, except that an ``approved`` that no
      curator's mark and no source of a known tier supports (only sources of
      unknown kind) becomes ``unverified``.

    Every claim stays on the model, attributed, promotional ones included, and
    every disagreement is listed by ``kb.conflicts()``.
    """
    ordered = sorted(claims, key=lambda c: c.trust_key)
    if not ordered:
        return Status.UNKNOWN
    counted = [c for c in ordered if c.is_curated or not _promotional(c.tier)]
    if not counted:
        return Status.UNVERIFIED
    if any(not _promotional(d.tier) for c in counted for d in c.disputed_by):
        return Status.DISPUTED
    values = {c.status for c in counted}
    if len(values) > 1 and not values <= _COMPATIBLE:
        return Status.DISPUTED
    best = counted[0].trust_key
    top = {c.status for c in counted if c.trust_key == best}
    # Equally trusted 'approved' and 'in_use': take the weaker, whatever the order.
    adopted = Status.IN_USE if len(top) > 1 else counted[0].status
    if adopted is Status.APPROVED and not any(
        c.is_curated or c.tier is not None for c in counted if c.status is Status.APPROVED
    ):
        return Status.UNVERIFIED
    return adopted


class SideEffectRelation(_Evidenced):
    """A side effect a source attributes to a therapy (as stored on the therapy)."""

    side_effect_id: Slug = Field(description="Id of the SideEffect.")


# --------------------------------------------------------------------------- entities


class Entity(_Frozen):
    """Fields shared by therapies, vaccines, side effects and cancer types."""

    id: Slug = Field(description="Stable identifier, unique across all entities.")
    name: Text = Field(description="Preferred name.")
    aliases: tuple[Text, ...] = Field(
        default=(), description="Other names; each has a Statement with its evidence."
    )
    summary: str = Field(
        description="Curator's prose summary of the passages quoted in `citations`."
    )
    citations: tuple[Citation, ...] = Field(
        min_length=1, description="Verified quotes that define the entity and support its summary."
    )
    broader: tuple[Slug, ...] = Field(
        default=(), description="Ids of the direct broader entities of the same kind."
    )
    statements: tuple[Statement, ...] = Field(
        description="Evidence for each field value: name, aliases, broader links and more."
    )

    def _stated_values(self) -> set[tuple[StatementField, str]]:
        values = {(StatementField.NAME, self.name)}
        values.update((StatementField.ALIAS, a) for a in self.aliases)
        values.update((StatementField.BROADER, b) for b in self.broader)
        return values

    @model_validator(mode="after")
    def _check_statements(self) -> Entity:
        if len(set(self.aliases)) != len(self.aliases):
            raise ValueError("aliases contain a duplicate")
        if self.id in self.broader:
            raise ValueError("an entity cannot be broader than itself")
        expected = self._stated_values()
        present = {(s.field, s.value) for s in self.statements}
        missing = expected - present
        if missing:
            field, value = sorted(missing)[0]
            raise ValueError(f"no statement gives evidence for {field.value} {value!r}")
        stray = present - expected
        if stray:
            field, value = sorted(stray)[0]
            raise ValueError(f"statement for {field.value} {value!r} does not match the entity")
        return self

    def statements_for(
        self, field: StatementField | str, value: str | None = None
    ) -> tuple[Statement, ...]:
        """The statements about ``field`` (and, if given, that exact ``value``)."""
        f = StatementField(field)
        return tuple(
            s for s in self.statements if s.field is f and (value is None or s.value == value)
        )


class Therapy(Entity):
    """A cancer immunotherapy: a class of treatment or a named product."""

    kind: Literal["therapy", "vaccine"] = Field(
        default="therapy", description="Entity kind tag: 'therapy' (or 'vaccine' on a Vaccine)."
    )
    scope: Scope = Field(
        description="'product' (one named medicine or vaccine) or 'class' (an approach or a "
        "group of products); a class is never approved, failed or discontinued."
    )
    status: Status = Field(
        default=Status.UNKNOWN,
        description=(
            "Status adopted from `status_claims` by `adopted_status`: 'unknown' with no claim, "
            "'disputed' when claims disagree or one is disputed by another source."
        ),
    )
    status_claims: tuple[StatusClaim, ...] = Field(
        default=(),
        description="Every source's claim about the status, most trusted source first.",
    )
    routes: tuple[Route, ...] = Field(default=(), description="Routes of administration stated.")
    indications: tuple[Indication, ...] = Field(
        default=(), description="Cancer types it is used for or tested in, each with evidence."
    )
    side_effects: tuple[SideEffectRelation, ...] = Field(
        default=(), description="Side effects sources attribute directly to this therapy."
    )

    @model_validator(mode="after")
    def _check_kind(self) -> Therapy:
        if type(self) is Therapy and self.kind != "therapy":
            raise ValueError("a Therapy has kind 'therapy'; use Vaccine for vaccines")
        if len(set(self.routes)) != len(self.routes):
            raise ValueError("routes contain a duplicate")
        if list(self.status_claims) != sorted(self.status_claims, key=lambda c: c.trust_key):
            raise ValueError("status_claims are ordered most trusted first")
        if self.scope is Scope.CLASS:
            for claim in (*self.status_claims, *self.indications):
                if claim.status in PRODUCT_ONLY_STATUSES:
                    raise ValueError(
                        f"a class of treatment is not {claim.status.value!r}: only a product "
                        "is approved, fails or is discontinued"
                    )
        adopted = adopted_status(self.status_claims)
        if self.status is not adopted:
            raise ValueError(
                f"status {self.status.value!r} does not follow from its claims "
                f"(they support {adopted.value!r})"
            )
        return self

    def _stated_values(self) -> set[tuple[StatementField, str]]:
        values = super()._stated_values()
        values.update((StatementField.ROUTE, r.value) for r in self.routes)
        return values

    @property
    def cancer_type_ids(self) -> tuple[str, ...]:
        """Ids of the cancer types in its indications, in order, without repeats."""
        return tuple(dict.fromkeys(i.cancer_type_id for i in self.indications))

    def indications_for(self, cancer_type_id: str) -> tuple[Indication, ...]:
        """Every source's indication claim for one cancer type, most trusted first."""
        found = [i for i in self.indications if i.cancer_type_id == cancer_type_id]
        return tuple(sorted(found, key=lambda i: i.trust_key))

    def indication_status(self, cancer_type_id: str) -> Status:
        """The status adopted from the indication claims for one cancer type."""
        return adopted_status(self.indications_for(cancer_type_id))


class Vaccine(Therapy):
    """A cancer vaccine (a kind of therapy), for treatment or for prevention."""

    kind: Literal["vaccine"] = Field(default="vaccine", description="Entity kind tag: 'vaccine'.")
    platform: VaccinePlatform | None = Field(
        default=None, description="How the vaccine is made, or null if unstated."
    )
    purpose: VaccinePurpose = Field(description="Treatment of existing cancer, or prevention.")

    def _stated_values(self) -> set[tuple[StatementField, str]]:
        values = super()._stated_values()
        if self.platform is not None:
            values.add((StatementField.PLATFORM, self.platform.value))
        values.add((StatementField.PURPOSE, self.purpose.value))
        return values


class SideEffect(Entity):
    """An adverse effect attributed to a therapy; symptoms of a syndrome are narrower than it."""

    kind: Literal["side_effect"] = Field(
        default="side_effect", description="Entity kind tag: 'side_effect'."
    )


class CancerType(Entity):
    """A type of cancer; a subtype is narrower than its type.

    ``cancer_type_tags`` are the values of the house ``cancerTypes`` field that stand
    for this cancer type ("kidney" for kidney cancer). They are a vocabulary of
    document tags, not names: :meth:`KnowledgeBase.get` never resolves them, so
    "kidney", an organ in a sentence, is not read as a cancer. Resolve a tag with
    :meth:`KnowledgeBase.cancer_type_for_tag`.
    """

    kind: Literal["cancer_type"] = Field(
        default="cancer_type", description="Entity kind tag: 'cancer_type'."
    )
    cancer_type_tags: tuple[Text, ...] = Field(
        default=(),
        description="House `cancerTypes` tag values that stand for this cancer type; "
        "not names (lookup by name never resolves them); each has a Statement.",
    )

    def _stated_values(self) -> set[tuple[StatementField, str]]:
        values = super()._stated_values()
        values.update((StatementField.CANCER_TYPE_TAG, t) for t in self.cancer_type_tags)
        return values

    @model_validator(mode="after")
    def _check_tags(self) -> CancerType:
        if len(set(self.cancer_type_tags)) != len(self.cancer_type_tags):
            raise ValueError("cancer_type_tags contain a duplicate")
        return self


AnyEntity = Vaccine | Therapy | SideEffect | CancerType


# --------------------------------------------------------------------------- sources


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    import calendar  # noqa: PLC0415 - a few milliseconds of import, needed only here

    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Source(_Frozen):
    """A source document: its metadata (house frontmatter) and its bundled body."""

    id: Slug = Field(description="Stable identifier: the document's file name without extension.")
    title: Text = Field(description="Title of the document.")
    url: Annotated[str, StringConstraints(pattern=_URL_PATTERN)] | None = Field(
        default=None, description="Address of the original, if the document states one."
    )
    publisher: Text | None = Field(
        default=None, description="Who publishes it (house field `source`), if stated."
    )
    source_type: Annotated[str, StringConstraints(pattern=_SOURCE_TYPE_PATTERN)] | None = Field(
        default=None,
        description="Source tier `NN_name` (house `sourceType`); a lower NN is more authoritative.",
    )
    citation: Text | None = Field(default=None, description="Short citation string, if given.")
    license: License = Field(
        default=License.UNKNOWN, description="Licence of the document; 'unknown' if not stated."
    )
    language: Annotated[str, StringConstraints(pattern=_LANGUAGE_PATTERN)] | None = Field(
        default=None, description="BCP 47 language tag of the body, e.g. 'en'."
    )
    audience: Audience = Field(
        default=Audience.UNKNOWN, description="Audience level (house field `audienceLevel`)."
    )
    cancer_types: tuple[Text, ...] = Field(
        default=(),
        description="The document's cancer-type tags (house `cancerTypes`); not CancerType ids.",
    )
    tags: tuple[Text, ...] = Field(default=(), description="The document's own topic tags.")
    last_reviewed: dt.date | None = Field(
        default=None,
        description=(
            "Date of the last review, if stated. With month or year precision this is the first "
            "day of that month or year; see `last_reviewed_precision`."
        ),
    )
    last_reviewed_precision: DatePrecision | None = Field(
        default=None,
        description="How much of `last_reviewed` the document states, or null.",
    )
    review_frequency: ReviewFrequency | None = Field(
        default=None, description="Intended review frequency, if stated."
    )
    status: DocumentStatus | None = Field(
        default=None, description="Editorial status in its corpus, if stated."
    )
    version: Text | None = Field(default=None, description="Document version in its corpus.")
    notes: str | None = Field(
        default=None,
        repr=False,
        description="Curator's notes: where values come from, what was removed.",
    )
    extra: ExtraFields = Field(
        default_factory=FrozenMapping,
        repr=False,
        description=(
            "Frontmatter fields immunokb does not know, kept as the document gives them "
            "(read-only); each is also reported as a DocumentWarning when loaded."
        ),
    )
    text: str = Field(
        repr=False, description="The document body (Markdown) that citations point into."
    )
    path: str = Field(description="Where the document was loaded from.")

    @model_validator(mode="after")
    def _check_precision(self) -> Source:
        if (self.last_reviewed is None) != (self.last_reviewed_precision is None):
            raise ValueError("last_reviewed and last_reviewed_precision are set together")
        return self

    @property
    def tier(self) -> int | None:
        """The numeric tier from ``source_type`` (``02_nci_core`` -> 2), or None."""
        return None if self.source_type is None else int(self.source_type[:2])

    @property
    def last_reviewed_display(self) -> str | None:
        """The review date as precisely as the document states it (``2021-09``)."""
        if self.last_reviewed is None:
            return None
        iso = self.last_reviewed.isoformat()
        return {DatePrecision.DAY: iso, DatePrecision.MONTH: iso[:7], DatePrecision.YEAR: iso[:4]}[
            self.last_reviewed_precision or DatePrecision.DAY
        ]

    @property
    def review_due(self) -> dt.date | None:
        """The last day the source counts as current, or None if it states no review date.

        The period is the review frequency's (monthly 1, quarterly 3, annual 12 months),
        or ``DEFAULT_REVIEW_MONTHS`` (12) when the source names none (no frequency or
        ``as_needed``). A review date stated only to the month or year counts from the
        first day of that month or year: the earliest day it can be, so a source is
        never reported current for longer than it may be.
        """
        if self.last_reviewed is None:
            return None
        months = DEFAULT_REVIEW_MONTHS
        if self.review_frequency is not None:
            months = REVIEW_MONTHS.get(self.review_frequency, DEFAULT_REVIEW_MONTHS)
        return _add_months(self.last_reviewed, months)

    def is_stale(self, *, on: dt.date | None = None) -> bool:
        """Whether the source is overdue for review on the given day (default: today).

        A source with no review date is always stale: nothing shows it is current.
        """
        due = self.review_due
        day = dt.date.today() if on is None else on
        return due is None or day > due


# --------------------------------------------------------------------------- query results


class SideEffectPart(_Evidenced):
    """A symptom that a side effect includes, as stated by a source of the link it is on.

    Its citations are the quotes of that source that put the symptom under the side
    effect (the NCI's list item "fever" under "Cancer treatment vaccines can cause
    flu-like symptoms, which include:").
    """

    side_effect: SideEffect = Field(description="The narrower side effect (a symptom).")


class SideEffectLink(_Evidenced):
    """A side effect of a therapy, as returned by ``KnowledgeBase.side_effects_of``.

    ``includes`` lists the symptoms the side effect includes *according to the
    sources of this link*: a symptom list travels only with the source that states
    it. The oncology practice's "can sometimes feel similar to getting the flu" links
    immunotherapy to flu-like symptoms without the NCI's list of them, which the NCI
    states for cancer treatment vaccines only.
    """

    therapy_id: Slug = Field(description="Id of the therapy the side effect was asked for.")
    side_effect: SideEffect = Field(description="The side effect.")
    via: Slug | None = Field(
        default=None,
        description="Id of the broader therapy the link is inherited from, or null if direct.",
    )
    path: tuple[Slug, ...] = Field(
        default=(),
        description=(
            "The inheritance path: ids from the therapy asked for up to the therapy the side "
            "effect is stated for, each the direct narrower of the next (just the therapy's "
            "own id when direct)."
        ),
    )
    includes: tuple[SideEffectPart, ...] = Field(
        default=(),
        description=(
            "The symptoms the side effect includes according to a source of this link, in "
            "the source's order, each with that source's quotes; a symptom only another "
            "source lists is not here."
        ),
    )


class Claim(_Evidenced):
    """One side of a :class:`Conflict`: what one source says, with its quotes and tier."""

    value: Text = Field(
        description=(
            "The claimed value (a Status value), or for a dispute the curator's account of "
            "what the disputing source says."
        )
    )
    source_id: Slug | None = Field(
        default=None, description="Id of the source making the claim; null when curated."
    )
    tier: int | None = Field(
        default=None, description="Trust tier of the source (lower is stronger), if known."
    )
    disputes: bool = Field(
        default=False,
        description="True when this side is evidence against another claim, not a status claim.",
    )
    against: Text | None = Field(
        default=None,
        description=(
            "For a dispute: the value of the claim it speaks against, and that claim's source, "
            "as 'value (source-id)'; else null."
        ),
    )


class Conflict(_Frozen):
    """Claims about one entity's field that do not agree, each attributed and tiered."""

    entity_id: Slug = Field(description="Id of the entity the claims are about.")
    field: StatementField = Field(description="'status', or 'indication' for one cancer type.")
    subject: Slug | None = Field(
        default=None, description="For an indication: the id of the cancer type; else null."
    )
    adopted: Status = Field(description="The status the model shows for the field.")
    claims: tuple[Claim, ...] = Field(
        min_length=2, description="The competing claims, most trusted source first."
    )


class Hit(_Frozen):
    """One search result: an entity or a source passage, with a snippet."""

    entity: AnyEntity | None = Field(
        default=None, description="The matching entity, or null when the hit is a passage."
    )
    source_id: Slug | None = Field(
        default=None, description="Id of the source the snippet comes from, if any."
    )
    score: float = Field(description="Relevance; higher is better.")
    snippet: str = Field(description="Text around the match.")
    section: str | None = Field(
        default=None, description="For a passage: the heading of its section in the source, if any."
    )
    citation: Citation | None = Field(
        default=None,
        description=(
            "The verbatim text the snippet is cut from: for a passage, the whole passage; for "
            "an entity, the piece of its evidence containing the most matched words."
        ),
    )
    matched: tuple[str, ...] = Field(
        default=(),
        description=(
            "The indexed words that matched, in query order; a word matched despite a typo "
            "appears as it is spelled in the index."
        ),
    )


class Reference(_Frozen):
    """One piece of evidence ready to show a reader: the quote and where it comes from.

    Returned by ``KnowledgeBase.references``; ``KnowledgeBase.cite`` renders these as
    text. A curated fact gives a reference with ``curated`` set and no source.
    """

    supports: Text = Field(
        description="What the evidence supports, e.g. 'name', 'alias Provenge', 'status approved'."
    )
    source_id: Slug | None = Field(default=None, description="Id of the source; null if curated.")
    title: Text | None = Field(default=None, description="Title of the source.")
    publisher: Text | None = Field(default=None, description="Publisher of the source, if stated.")
    url: str | None = Field(default=None, description="Address of the source, if stated.")
    license: License | None = Field(default=None, description="Licence of the source.")
    tier: int | None = Field(default=None, description="Trust tier of the source, if known.")
    last_reviewed: str | None = Field(
        default=None, description="Review date as precisely as the source states it, if any."
    )
    stale: bool | None = Field(
        default=None, description="Whether the source was overdue for review on the day asked."
    )
    quote: str | None = Field(default=None, description="The verbatim quote; null if curated.")
    lead_in: str | None = Field(
        default=None, description="The list lead-in or section heading the quote sits under."
    )
    start: int | None = Field(default=None, description="Offset of the quote in the source text.")
    end: int | None = Field(default=None, description="End offset of the quote.")
    curated: str | None = Field(
        default=None, description="For a curated fact: the curator's rationale; else null."
    )
