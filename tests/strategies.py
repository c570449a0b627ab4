"""Hand-written hypothesis strategies for immunokb's models (pydantic has no plugin)."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

import immunokb

SF = immunokb.StatementField

slugs = st.from_regex(r"\A[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}\Z")
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda s: s.strip() != "")


@st.composite
def citations(draw: st.DrawFn, source_id: str | None = None) -> immunokb.Citation:
    """A valid citation; from ``source_id`` when given, else from a random source."""
    with_lead = draw(st.booleans())
    base = draw(st.integers(0, 10_000))
    lead = None
    if with_lead:
        lead_len = draw(st.integers(1, 200))
        lead = (base, base + lead_len)
        base += lead_len + draw(st.integers(0, 50))
    start = base
    end = start + draw(st.integers(1, 500))
    return immunokb.Citation(
        source_id=draw(slugs) if source_id is None else source_id,
        quote=draw(texts),
        start=start,
        end=end,
        lead_in=draw(texts) if lead else None,
        lead_in_start=lead[0] if lead else None,
        lead_in_end=lead[1] if lead else None,
    )


def _evidence(draw: st.DrawFn) -> dict[str, object]:
    if draw(st.booleans()):
        return {
            "citations": tuple(draw(st.lists(citations(), min_size=1, max_size=2))),
            "curated": None,
        }
    return {"citations": (), "curated": draw(texts)}


def _statement(draw: st.DrawFn, field: immunokb.StatementField, value: str) -> immunokb.Statement:
    return immunokb.Statement(field=field, value=value, **_evidence(draw))


@st.composite
def entity_fields(draw: st.DrawFn) -> dict[str, object]:
    entity_id = draw(slugs)
    name = draw(texts)
    aliases = tuple(draw(st.lists(texts, max_size=3, unique=True)))
    broader = tuple(draw(st.lists(slugs.filter(lambda s: s != entity_id), max_size=2, unique=True)))
    statements = [_statement(draw, SF.NAME, name)]
    statements += [_statement(draw, SF.ALIAS, a) for a in aliases]
    statements += [_statement(draw, SF.BROADER, b) for b in broader]
    return {
        "id": entity_id,
        "name": name,
        "aliases": aliases,
        "summary": draw(st.text(max_size=80)),
        "citations": tuple(draw(st.lists(citations(), min_size=1, max_size=2))),
        "broader": broader,
        "statements": tuple(statements),
    }


CONCLUSIONS = frozenset(
    {immunokb.Status.DISPUTED, immunokb.Status.UNVERIFIED, immunokb.Status.UNKNOWN}
)
"""Statuses only ever concluded from claims, never claimed by a source."""
claimable = st.sampled_from([s for s in immunokb.Status if s not in CONCLUSIONS])
"""Every status a source may claim."""
tiers = st.none() | st.sampled_from([0, 1, 2, 3, immunokb.PROMOTIONAL_TIER, 8])
"""Few values, so that equal tiers (ties in trust) and promotional sources are common."""


@st.composite
def disputes(draw: st.DrawFn, other_than: str | None = None) -> immunokb.Dispute:
    """Evidence from one source (never ``other_than``) against a claim."""
    source_id = draw(slugs.filter(lambda s: s != other_than))
    return immunokb.Dispute(
        claim=draw(texts),
        source_id=source_id,
        tier=draw(tiers),
        citations=tuple(draw(st.lists(citations(source_id), min_size=1, max_size=2))),
    )


def _claim_fields(
    draw: st.DrawFn, status: st.SearchStrategy[immunokb.Status], disputed: bool
) -> dict[str, object]:
    """Fields of one valid claim: quoted from one source (with its tier), or curated."""
    fields: dict[str, object] = {"status": draw(status)}
    if draw(st.booleans()):
        source_id = draw(slugs)
        fields.update(
            source_id=source_id,
            tier=draw(tiers),
            citations=tuple(draw(st.lists(citations(source_id), min_size=1, max_size=2))),
        )
    else:
        source_id = None
        fields["curated"] = draw(texts)
    if source_id is not None:  # regulator and phase are read from quotes, never curated
        fields.update(
            phase=draw(st.none() | st.sampled_from(immunokb.Phase)),
            regulator=draw(st.none() | st.sampled_from(["FDA", "EMA", "NMPA"])),
        )
    if disputed:
        fields["disputed_by"] = tuple(draw(st.lists(disputes(source_id), max_size=2)))
    return fields


@st.composite
def status_claims(
    draw: st.DrawFn,
    status: st.SearchStrategy[immunokb.Status] = claimable,
    disputed: bool = True,
) -> immunokb.StatusClaim:
    return immunokb.StatusClaim(**_claim_fields(draw, status, disputed))


@st.composite
def indications(
    draw: st.DrawFn, cancer_type_ids: st.SearchStrategy[str] = slugs
) -> immunokb.Indication:
    return immunokb.Indication(
        cancer_type_id=draw(cancer_type_ids), **_claim_fields(draw, claimable, True)
    )


def claim_lists(
    status: st.SearchStrategy[immunokb.Status] = claimable,
    *,
    disputed: bool = True,
    min_size: int = 0,
) -> st.SearchStrategy[list[immunokb.StatusClaim]]:
    """Lists of status claims in no particular order (disputes only if ``disputed``)."""
    return st.lists(status_claims(status, disputed), min_size=min_size, max_size=5)


def by_trust(claims: list[immunokb.StatusClaim]) -> tuple[immunokb.StatusClaim, ...]:
    return tuple(sorted(claims, key=lambda c: c.trust_key))


@st.composite
def therapy_fields(draw: st.DrawFn) -> dict[str, object]:
    fields = draw(entity_fields())
    claims = by_trust(draw(claim_lists(disputed=draw(st.booleans()))))
    routes = tuple(draw(st.lists(st.sampled_from(immunokb.Route), max_size=3, unique=True)))
    statements = list(fields["statements"])
    statements += [_statement(draw, SF.ROUTE, r.value) for r in routes]
    cancer_type_ids = st.sampled_from(draw(st.lists(slugs, min_size=1, max_size=2)))
    effects = tuple(
        immunokb.SideEffectRelation(side_effect_id=draw(slugs), **_evidence(draw))
        for _ in range(draw(st.integers(0, 2)))
    )
    drawn = tuple(draw(st.lists(indications(cancer_type_ids), max_size=3)))
    product_only = immunokb.PRODUCT_ONLY_STATUSES
    may_be_class = not any(c.status in product_only for c in (*claims, *drawn))
    fields.update(
        scope=draw(st.sampled_from(immunokb.Scope)) if may_be_class else immunokb.Scope.PRODUCT,
        status=immunokb.adopted_status(claims),
        status_claims=claims,
        routes=routes,
        statements=tuple(statements),
        indications=drawn,
        side_effects=effects,
    )
    return fields


@st.composite
def therapies(draw: st.DrawFn) -> immunokb.Therapy:
    return immunokb.Therapy(**draw(therapy_fields()))


@st.composite
def vaccines(draw: st.DrawFn) -> immunokb.Vaccine:
    fields = draw(therapy_fields())
    platform = draw(st.none() | st.sampled_from(immunokb.VaccinePlatform))
    purpose = draw(st.sampled_from(immunokb.VaccinePurpose))
    statements = list(fields.pop("statements"))
    if platform is not None:
        statements.append(_statement(draw, SF.PLATFORM, platform.value))
    statements.append(_statement(draw, SF.PURPOSE, purpose.value))
    return immunokb.Vaccine(
        **fields, statements=tuple(statements), platform=platform, purpose=purpose
    )


@st.composite
def side_effects(draw: st.DrawFn) -> immunokb.SideEffect:
    return immunokb.SideEffect(**draw(entity_fields()))


@st.composite
def cancer_types(draw: st.DrawFn) -> immunokb.CancerType:
    return immunokb.CancerType(**draw(entity_fields()))


review_dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31))


@st.composite
def sources(draw: st.DrawFn) -> immunokb.Source:
    reviewed = draw(st.none() | review_dates)
    precision = draw(st.sampled_from(immunokb.DatePrecision)) if reviewed else None
    if precision is immunokb.DatePrecision.MONTH and reviewed:
        reviewed = reviewed.replace(day=1)
    if precision is immunokb.DatePrecision.YEAR and reviewed:
        reviewed = reviewed.replace(month=1, day=1)
    return immunokb.Source(
        id=draw(slugs),
        title=draw(texts),
        url=draw(
            st.none() | st.sampled_from(["https://example.org/a", "http://example.org/b?c=1"])
        ),
        publisher=draw(st.none() | texts),
        source_type=draw(st.none() | st.from_regex(r"\A[0-9]{2}_[a-z]{1,10}\Z")),
        license=draw(st.sampled_from(immunokb.License)),
        language=draw(st.none() | st.sampled_from(["en", "hi", "es", "pt-BR"])),
        audience=draw(st.sampled_from(immunokb.Audience)),
        cancer_types=tuple(draw(st.lists(texts, max_size=3))),
        tags=tuple(draw(st.lists(texts, max_size=3))),
        last_reviewed=reviewed,
        last_reviewed_precision=precision,
        review_frequency=draw(st.none() | st.sampled_from(immunokb.ReviewFrequency)),
        status=draw(st.none() | st.sampled_from(immunokb.DocumentStatus)),
        version=draw(st.none() | texts),
        notes=draw(st.none() | st.text(max_size=40)),
        text=draw(st.text(max_size=200)),
        path=draw(texts),
    )


@st.composite
def conflicts(draw: st.DrawFn) -> immunokb.Conflict:
    sides = [
        immunokb.Claim(
            value=draw(texts),
            source_id=claim.source_id,
            tier=claim.tier,
            citations=claim.citations,
            curated=claim.curated,
            disputes=disputes,
            against=draw(texts) if disputes else None,
        )
        for claim in draw(claim_lists(disputed=False, min_size=2))
        for disputes in [draw(st.booleans())]
    ]
    return immunokb.Conflict(
        entity_id=draw(slugs),
        field=draw(st.sampled_from([SF.STATUS, SF.INDICATION])),
        subject=draw(st.none() | slugs),
        adopted=immunokb.Status.DISPUTED,
        claims=tuple(sides),
    )


any_model = st.one_of(
    therapies(),
    vaccines(),
    side_effects(),
    cancer_types(),
    sources(),
    citations(),
    status_claims(),
    indications(),
    disputes(),
    conflicts(),
)
