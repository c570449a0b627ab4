"""HTML for Jupyter: every model, and every list of results, as a self-contained fragment.

:func:`to_html` is what ``_repr_html_`` calls on every model and on a
:class:`~immunokb._results.ResultList`. The fragment has no JavaScript and loads
nothing: its only styling is a small ``<style>`` block scoped to the
``immunokb`` class of the wrapping ``<div>``.

Two rules hold throughout:

- every piece of text from the data (names, quotes, summaries, ids, urls) goes
  through :func:`html.escape`, so a quote containing ``<``, ``&`` or quotes is
  shown as written and never interpreted as markup;
- a quote is shown in a ``<q>`` element, and only a quote is: a curator's
  addition (``curated``) is labelled "curated (not quoted)" and shown as plain
  text, so a curated fact never looks quoted.

The output is deterministic: the same object always gives the same HTML.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from enum import Enum

from pydantic import BaseModel

from ._models import (
    CancerType,
    Citation,
    Claim,
    Conflict,
    Dispute,
    Entity,
    Hit,
    Indication,
    SideEffectLink,
    Source,
    Statement,
    StatusClaim,
    Therapy,
    Vaccine,
)

__all__ = ["to_html"]

CURATED_LABEL = "curated (not quoted)"
"""How a curator's addition is labelled wherever it is shown."""

_ACCOUNT = "curator's account"
_SUMMARY_NOTE = "curator's summary of the quotes below:"

_ROW_CHARS = 160
"""Longest quote, summary or snippet shown in one row of a list (longer ones are clipped)."""

_STYLE = (
    "<style>"
    ".immunokb{line-height:1.4}"
    ".immunokb table{border-collapse:collapse;margin:.3em 0 .6em 0}"
    ".immunokb th,.immunokb td{border:1px solid rgba(127,127,127,.35);padding:2px 6px;"
    "text-align:left;vertical-align:top}"
    ".immunokb thead th,.immunokb tbody th.ikb-group{background:rgba(127,127,127,.12)}"
    ".immunokb caption{caption-side:top;text-align:left;font-weight:bold;padding:2px 0}"
    ".immunokb .ikb-title{font-size:1.1em;margin:.2em 0}"
    ".immunokb .ikb-section{font-weight:bold;margin:.6em 0 .1em 0}"
    ".immunokb .ikb-meta{opacity:.7;font-size:.9em}"
    ".immunokb .ikb-lead-in{opacity:.75;font-style:italic}"
    ".immunokb .ikb-curated{border:1px dashed rgba(176,137,0,.9);background:rgba(255,193,7,.18);"
    "border-radius:3px;padding:0 4px;font-size:.85em;white-space:nowrap}"
    ".immunokb .ikb-status{border:1px solid rgba(127,127,127,.5);border-radius:3px;padding:0 4px;"
    "font-size:.9em;white-space:nowrap}"
    ".immunokb .ikb-status-approved{background:rgba(40,167,69,.18)}"
    ".immunokb .ikb-status-in_use{background:rgba(40,167,69,.10)}"
    ".immunokb .ikb-status-investigational{background:rgba(0,123,255,.15)}"
    ".immunokb .ikb-status-disputed,.immunokb .ikb-status-unverified,"
    ".immunokb .ikb-status-failed{background:rgba(220,53,69,.15)}"
    ".immunokb .ikb-stale{color:#b02a37}"
    ".immunokb mark{background:rgba(255,214,0,.55);color:inherit;padding:0 1px}"
    "</style>"
)

_BOLD = re.compile(r"(?<!\S)\*\*(\S+?)\*\*(?!\S)")
"""A word the search marked as matched: ``**word**`` standing alone between spaces."""


# --------------------------------------------------------------------------- entry point


def to_html(obj: object) -> str:
    """Render a model, or a list of results, as a self-contained HTML fragment.

    Args:
        obj: A therapy, vaccine, side effect or cancer type; a source; a search
            hit; a side-effect link; a conflict; a citation; any other model of
            the package (shown as a table of its fields); or a list (or tuple) of
            any of these, possibly empty and possibly of mixed types.

    Returns:
        An HTML fragment: a ``<div class="immunokb">`` holding a scoped
        ``<style>`` block and the rendering. No JavaScript, nothing external.
    """
    body = _list(obj) if isinstance(obj, (list, tuple)) else _one(obj)
    return f'<div class="immunokb">{_STYLE}{body}</div>'


def _one(obj: object) -> str:
    if isinstance(obj, Therapy):
        return _therapy(obj)
    if isinstance(obj, Entity):
        return _entity(obj)
    if isinstance(obj, Source):
        return _source(obj)
    if isinstance(obj, Hit):
        return _hit(obj)
    if isinstance(obj, SideEffectLink):
        return _link(obj)
    if isinstance(obj, Conflict):
        return _conflict(obj)
    if isinstance(obj, Citation):
        return _citation(obj)
    if isinstance(obj, (StatusClaim, Indication)):
        kind = "indication" if isinstance(obj, Indication) else "status claim"
        return _title(_text(obj.status), kind) + _claims_table([obj])
    if isinstance(obj, Statement):
        return _title(obj.value, f"statement about {_text(obj.field)}") + _evidence(
            obj.citations, obj.curated
        )
    if isinstance(obj, BaseModel):
        return _model(obj)
    return f"<pre>{_e(repr(obj))}</pre>"


# --------------------------------------------------------------------------- small pieces


def _text(value: object) -> str:
    """Plain text for a value: an enum's value, '' for None, else ``str``."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _e(value: object) -> str:
    """The value as escaped HTML text."""
    return html.escape(_text(value), quote=True)


def _clip(text: str, limit: int = _ROW_CHARS) -> str:
    """The text, cut at ``limit`` characters with an ellipsis if it is longer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _code(value: object) -> str:
    return f"<code>{_e(value)}</code>"


def _meta(text: str) -> str:
    """A muted note; ``text`` is escaped."""
    return f'<span class="ikb-meta">{_e(text)}</span>'


def _none(text: str = "none") -> str:
    return _meta(text)


def _title(name: object, *meta: object) -> str:
    details = " · ".join(_text(m) for m in meta if _text(m))
    suffix = f" {_meta(details)}" if details else ""
    return f'<div class="ikb-title"><strong>{_e(name)}</strong>{suffix}</div>'


def _section(name: str) -> str:
    return f'<div class="ikb-section">{_e(name)}</div>'


def _status(value: object) -> str:
    text = _text(value)
    css = re.sub(r"[^a-z0-9_-]", "", text.lower())
    return f'<span class="ikb-status ikb-status-{css}">{_e(text)}</span>'


def _codes(values: Iterable[object], sep: str = ", ") -> str:
    return sep.join(_code(v) for v in values) or _none()


def _curated(rationale: object) -> str:
    """The curated label, then the curator's rationale as plain (unquoted) text."""
    return f'<span class="ikb-curated">{CURATED_LABEL}</span> {_e(rationale)}'


def _quote(citation: Citation, limit: int | None = None) -> str:
    """A quote in ``<q>``, after its lead-in (``lead_in …``) when it has one."""
    quote = citation.quote if limit is None else _clip(citation.quote, limit)
    lead = ""
    if citation.lead_in:
        lead_in = citation.lead_in if limit is None else _clip(citation.lead_in, limit // 2)
        lead = f'<span class="ikb-lead-in">{_e(lead_in)} …</span> '
    return f"{lead}<q>{_e(quote)}</q>"


def _quotes(citations: Sequence[Citation], *, with_source: bool = True) -> str:
    if not citations:
        return _none("no quote")
    if with_source:
        return "<br>".join(f"{_code(c.source_id)}: {_quote(c)}" for c in citations)
    return "<br>".join(_quote(c) for c in citations)


def _evidence_cell(
    citations: Sequence[Citation], curated: object, *, with_source: bool = True
) -> str:
    """Evidence in a table cell: the quotes, or the curated label and rationale."""
    if curated is not None:
        return _curated(curated)
    return _quotes(citations, with_source=with_source)


def _first_evidence(citations: Sequence[Citation], curated: object) -> str:
    """Evidence in a list row: the first quote, clipped, or the curated label."""
    if curated is not None:
        return _curated(_clip(_text(curated)))
    if not citations:
        return ""
    first = citations[0]
    more = f" {_meta(f'(+{len(citations) - 1} more)')}" if len(citations) > 1 else ""
    return f"{_code(first.source_id)}: {_quote(first, _ROW_CHARS)}{more}"


def _citations_table(citations: Sequence[Citation], caption: str = "Citations") -> str:
    if not citations:
        return _section(caption) + f"<p>{_none('no citations')}</p>"
    rows = "".join(f"<tr><td>{_code(c.source_id)}</td><td>{_quote(c)}</td></tr>" for c in citations)
    return (
        f"{_section(caption)}<table><thead><tr><th>source</th><th>quote</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _evidence(citations: Sequence[Citation], curated: object) -> str:
    """Evidence as a block: a citations table, or the curated label and rationale."""
    if curated is not None:
        return f"{_section('Evidence')}<p>{_curated(curated)}</p>"
    return _citations_table(citations)


def _fields(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column table; the names are escaped here, the values are HTML already."""
    body = "".join(f"<tr><th>{_e(name)}</th><td>{value}</td></tr>" for name, value in rows)
    return f"<table><tbody>{body}</tbody></table>"


# --------------------------------------------------------------------------- entities


def _kind(entity: Entity) -> str:
    return _text(getattr(entity, "kind", type(entity).__name__))


def _aliases(entity: Entity) -> str:
    if not entity.aliases:
        return _none()
    out = []
    for alias in entity.aliases:
        statements = entity.statements_for("alias", alias)
        mark = ""
        if statements and all(s.is_curated for s in statements):
            mark = f' <span class="ikb-curated">{CURATED_LABEL}</span>'
        out.append(f"{_e(alias)}{mark}")
    return "; ".join(out)


def _entity_rows(entity: Entity) -> list[tuple[str, str]]:
    rows = [
        ("id", _code(entity.id)),
        ("kind", _e(_kind(entity))),
        ("aliases", _aliases(entity)),
    ]
    if isinstance(entity, CancerType):
        rows.append(("house tags", _codes(entity.cancer_type_tags)))
    rows.append(("broader", _codes(entity.broader)))
    return rows


def _entity_tail(entity: Entity) -> str:
    """Summary, citations and the evidence for each field, shared by every entity."""
    summary = (
        f"{_section('Summary')}<p>{_meta(_SUMMARY_NOTE)} "
        f"{_e(entity.summary) or _none('no summary')}</p>"
    )
    statements = "".join(
        f"<tr><td>{_e(s.field)}</td><td>{_e(s.value)}"
        + (f" {_meta('according to a promotional source only')}" if s.promotional else "")
        + "</td>"
        f"<td>{_evidence_cell(s.citations, s.curated)}</td></tr>"
        for s in entity.statements
    )
    evidence = (
        f"{_section('Evidence for each field')}<table><thead><tr><th>field</th><th>value</th>"
        f"<th>evidence</th></tr></thead><tbody>{statements}</tbody></table>"
        if statements
        else ""
    )
    return summary + _citations_table(entity.citations) + evidence


def _entity(entity: Entity) -> str:
    head = _title(entity.name, _kind(entity), entity.id)
    return head + _fields(_entity_rows(entity)) + _entity_tail(entity)


def _disputes(disputes: Sequence[Dispute]) -> str:
    if not disputes:
        return ""
    out = []
    for d in disputes:
        tier = "unknown" if d.tier is None else d.tier
        out.append(
            f"{_code(d.source_id)} {_meta(f'(tier {tier}); {_ACCOUNT}:')} {_e(d.claim)}"
            f"<br>{_quotes(d.citations, with_source=False)}"
        )
    return "<br>".join(out)


_CLAIM_HEAD = (
    "<thead><tr><th>status</th><th>source</th><th>tier</th><th>regulator</th><th>phase</th>"
    "<th>evidence</th><th>disputed by</th></tr></thead>"
)


def _claim_row(claim: StatusClaim | Indication) -> str:
    if claim.curated is not None:
        source = f'<span class="ikb-curated">{CURATED_LABEL}</span>'
        tier = _none("—")
        evidence = f"{_meta('rationale:')} {_e(claim.curated)}"
    else:
        source = _code(claim.source_id)
        tier = _none("unknown") if claim.tier is None else _e(claim.tier)
        evidence = _quotes(claim.citations, with_source=False)
    qualifiers = getattr(claim, "qualifiers", ())
    if qualifiers:
        said = "; ".join(f"{_e(q.kind)} “{_e(q.text)}”" for q in qualifiers)
        evidence = f"{_meta('for:')} {said}<br>{evidence}"
    return (
        f"<tr><td>{_status(claim.status)}</td><td>{source}</td><td>{tier}</td>"
        f"<td>{_e(claim.regulator) or _none('—')}</td><td>{_e(claim.phase) or _none('—')}</td>"
        f"<td>{evidence}</td><td>{_disputes(claim.disputed_by) or _none('—')}</td></tr>"
    )


def _claims_table(claims: Sequence[StatusClaim | Indication]) -> str:
    if not claims:
        return f"<p>{_none('no claims')}</p>"
    rows = "".join(_claim_row(c) for c in claims)
    return f"<table>{_CLAIM_HEAD}<tbody>{rows}</tbody></table>"


def _indications(therapy: Therapy) -> str:
    if not therapy.indications:
        return f"{_section('Indications')}<p>{_none('no indications stated')}</p>"
    groups = []
    for cancer_type_id in therapy.cancer_type_ids:
        header = (
            f'<tr><th class="ikb-group" colspan="7">{_code(cancer_type_id)} '
            f"{_meta('adopted:')} {_status(therapy.indication_status(cancer_type_id))}</th></tr>"
        )
        rows = "".join(_claim_row(c) for c in therapy.indications_for(cancer_type_id))
        groups.append(f"<tbody>{header}{rows}</tbody>")
    return f"{_section('Indications, by cancer type')}<table>{_CLAIM_HEAD}{''.join(groups)}</table>"


def _therapy(therapy: Therapy) -> str:
    rows = _entity_rows(therapy)
    rows.append(("scope", _e(therapy.scope)))
    rows.append(("status", _status(therapy.status)))
    rows.append(("routes", _e("; ".join(_text(r) for r in therapy.routes)) or _none("not stated")))
    if isinstance(therapy, Vaccine):
        rows.append(("platform", _e(therapy.platform) or _none("not stated")))
        rows.append(("purpose", _e(therapy.purpose)))
    parts = [
        _title(therapy.name, _kind(therapy), therapy.id),
        _fields(rows),
        _section("Status claims (most trusted first)"),
        _claims_table(therapy.status_claims),
        _indications(therapy),
    ]
    if therapy.side_effects:
        effects = "".join(
            f"<tr><td>{_code(s.side_effect_id)}</td><td>{_evidence_cell(s.citations, s.curated)}"
            "</td></tr>"
            for s in therapy.side_effects
        )
        parts.append(
            f"{_section('Side effects stated for it')}<table><thead><tr><th>side effect</th>"
            f"<th>evidence</th></tr></thead><tbody>{effects}</tbody></table>"
        )
    parts.append(_entity_tail(therapy))
    return "".join(parts)


# --------------------------------------------------------------------------- other models


def _link_html(url: str | None) -> str:
    if url is None:
        return _none("not stated")
    if not url.lower().startswith(("http://", "https://")):
        return _e(url)  # never a link to anything but the web
    return f'<a href="{_e(url)}" rel="noopener noreferrer" target="_blank">{_e(url)}</a>'


def _review(source: Source) -> tuple[str, str]:
    reviewed = _e(source.last_reviewed_display) or _none("no review date")
    if source.review_due is None:
        stale = '<span class="ikb-stale">stale: no review date</span>'
    elif source.is_stale():
        stale = f'<span class="ikb-stale">stale: review was due {_e(source.review_due)}</span>'
    else:
        stale = f"current (review due {_e(source.review_due)})"
    return reviewed, stale


def _source(source: Source) -> str:
    reviewed, stale = _review(source)
    rows = [
        ("id", _code(source.id)),
        ("title", _e(source.title)),
        ("publisher", _e(source.publisher) or _none("not stated")),
        ("url", _link_html(source.url)),
        ("license", _e(source.license)),
        ("audience", _e(source.audience)),
        ("tier", _none("unknown") if source.tier is None else _e(source.tier)),
        ("source type", _e(source.source_type) or _none("not stated")),
        ("last reviewed", reviewed),
        ("stale today", stale),
    ]
    return _title(source.title, "source", source.id) + _fields(rows)


def _snippet(snippet: str) -> str:
    """The snippet escaped, with each ``**word**`` the search matched in ``<mark>``."""
    return _BOLD.sub(r"<mark>\1</mark>", _e(snippet))


def _hit_what(hit: Hit) -> str:
    if hit.entity is not None:
        return f"{_e(hit.entity.name)} {_meta(_kind(hit.entity))} {_code(hit.entity.id)}"
    return f"passage in {_code(hit.source_id)}"


def _hit(hit: Hit) -> str:
    rows = [("score", _e(f"{hit.score:.3f}")), ("match", _hit_what(hit))]
    if hit.source_id is not None:
        rows.append(("source", _code(hit.source_id)))
    if hit.section:
        rows.append(("section", _e(hit.section)))
    rows.append(("snippet", _snippet(hit.snippet)))
    if hit.citation is not None:
        rows.append(("passage", f"{_code(hit.citation.source_id)}: {_quote(hit.citation)}"))
    return _title("search hit", f"score {hit.score:.3f}") + _fields(rows)


def _path(link: SideEffectLink) -> tuple[str, ...]:
    path = getattr(link, "path", None)
    return tuple(str(p) for p in path) if path else ()


def _link(link: SideEffectLink) -> str:
    effect = link.side_effect
    rows = [
        ("side effect", f"{_e(effect.name)} {_code(effect.id)}"),
        ("therapy", _code(link.therapy_id)),
        ("via", _none("stated for the therapy itself") if link.via is None else _code(link.via)),
    ]
    path = _path(link)
    if path:
        rows.append(("path", _codes(path, " → ")))
    includes = getattr(link, "includes", ())
    if includes:
        sources = _codes(sorted({c.source_id for p in includes for c in p.citations}))
        names = "; ".join(_e(p.side_effect.name) for p in includes)
        rows.append(("which include", f"{names} {_meta('according to')} {sources}"))
    head = _title(effect.name, f"side effect of {link.therapy_id}")
    return head + _fields(rows) + _evidence(link.citations, link.curated)


def _claim_value(claim: Claim) -> str:
    if claim.disputes:
        against = _e(claim.against) or _none("unknown")
        return f"{_meta(f'disputes ({_ACCOUNT}):')} {_e(claim.value)} {_meta('against')} {against}"
    return _status(claim.value)


def _conflict(conflict: Conflict) -> str:
    rows = [
        ("entity", _code(conflict.entity_id)),
        ("field", _e(conflict.field)),
        ("subject", _none("—") if conflict.subject is None else _code(conflict.subject)),
        ("adopted", _status(conflict.adopted)),
    ]
    claims = []
    for claim in conflict.claims:
        if claim.curated is not None:
            source = f'<span class="ikb-curated">{CURATED_LABEL}</span>'
        else:
            source = _code(claim.source_id)
        tier = _none("unknown") if claim.tier is None else _e(claim.tier)
        evidence = (
            f"{_meta('rationale:')} {_e(claim.curated)}"
            if claim.curated is not None
            else _quotes(claim.citations, with_source=False)
        )
        claims.append(
            f"<tr><td>{_claim_value(claim)}</td><td>{source}</td><td>{tier}</td>"
            f"<td>{evidence}</td></tr>"
        )
    subject = f" · {_text(conflict.subject)}" if conflict.subject else ""
    return (
        _title(f"conflict: {conflict.entity_id}", f"{_text(conflict.field)}{subject}")
        + _fields(rows)
        + _section("Claims (most trusted first)")
        + "<table><thead><tr><th>claim</th><th>source</th><th>tier</th><th>evidence</th></tr>"
        + f"</thead><tbody>{''.join(claims)}</tbody></table>"
    )


def _citation(citation: Citation) -> str:
    rows = [
        ("source", _code(citation.source_id)),
        ("quote", _quote(citation)),
        ("offsets", _e(f"{citation.start}-{citation.end}")),
    ]
    return _title("citation", citation.source_id) + _fields(rows)


def _json(value: object) -> str:
    if value is None:
        return _none("—")
    if isinstance(value, str):
        return _e(value)
    if isinstance(value, (bool, int, float)):
        return _e(json.dumps(value))
    return f"<code>{_e(json.dumps(value, ensure_ascii=False))}</code>"


def _model_value(name: str, value: object) -> str:
    """A field of a generic model: quotes quoted, curated marks labelled, web urls linked."""
    if value is None:
        return _none("—")
    if name == "curated":
        return _curated(value)
    if name == "quote" and isinstance(value, str):
        return f"<q>{_e(value)}</q>"
    if name == "url" and isinstance(value, str):
        return _link_html(value)
    return _json(value)


def _model(model: BaseModel) -> str:
    """Any other model: its fields in a two-column table, its evidence labelled."""
    evidenced = hasattr(model, "citations")
    data = model.model_dump(mode="json")
    rows = [
        (name, _model_value(name, value))
        for name, value in data.items()
        if not (evidenced and name in ("citations", "curated"))
    ]
    out = _title(type(model).__name__) + _fields(rows)
    if evidenced:
        out += _evidence(getattr(model, "citations", ()), getattr(model, "curated", None))
    return out


# --------------------------------------------------------------------------- lists


def _row_cells(item: object) -> tuple[str, str, str, str]:
    """(type, item, detail, evidence) cells for one row of a list, as HTML."""
    if isinstance(item, Entity):
        detail = ""
        if isinstance(item, Therapy):
            detail = _status(item.status)
            if isinstance(item, Vaccine):
                detail += f" {_meta(_text(item.purpose))}"
        elif item.broader:
            detail = f"{_meta('broader:')} {_codes(item.broader)}"
        what = f"<strong>{_e(item.name)}</strong><br>{_code(item.id)}"
        return _e(_kind(item)), what, detail, _first_evidence(item.citations, None)
    if isinstance(item, Hit):
        what = _hit_what(item)
        if item.section:
            what += f"<br>{_meta('section:')} {_e(_clip(item.section, 80))}"
        return "hit", what, _e(f"{item.score:.3f}"), _snippet(_clip(item.snippet, 2 * _ROW_CHARS))
    if isinstance(item, Source):
        reviewed, stale = _review(item)
        tier = "unknown" if item.tier is None else item.tier
        detail = f"{_meta(f'tier {tier}; reviewed')} {reviewed}<br>{stale}"
        what = f"<strong>{_e(item.title)}</strong><br>{_code(item.id)}"
        return "source", what, detail, _link_html(item.url)
    if isinstance(item, SideEffectLink):
        what = f"<strong>{_e(item.side_effect.name)}</strong><br>{_code(item.side_effect.id)}"
        detail = f"{_meta('of')} {_code(item.therapy_id)}"
        if item.via is not None:
            detail += f" {_meta('via')} {_code(item.via)}"
        path = _path(item)
        if path:
            detail += f"<br>{_meta('path:')} {_codes(path, ' → ')}"
        includes = getattr(item, "includes", ())
        if includes:
            names = "; ".join(_e(p.side_effect.name) for p in includes)
            detail += f"<br>{_meta('which include:')} {names}"
        return "side effect", what, detail, _first_evidence(item.citations, item.curated)
    if isinstance(item, Conflict):
        what = f"{_code(item.entity_id)} {_e(item.field)}"
        if item.subject is not None:
            what += f" {_code(item.subject)}"
        claims = "<br>".join(
            f"{_e(_clip(c.value, 80))} "
            + (
                f'<span class="ikb-curated">{CURATED_LABEL}</span>'
                if c.curated is not None
                else f"({_code(c.source_id)})"
            )
            for c in item.claims
        )
        return "conflict", what, f"{_meta('adopted:')} {_status(item.adopted)}", claims
    if isinstance(item, Citation):
        return "citation", _code(item.source_id), "", _quote(item, _ROW_CHARS)
    if isinstance(item, BaseModel):
        return _model_cells(item)
    return _e(type(item).__name__), _e(_clip(repr(item))), "", ""


def _model_cells(item: BaseModel) -> tuple[str, str, str, str]:
    """A row for any other model: its id or what it supports, its source, its evidence."""
    what = ""
    for name in ("id", "supports", "value", "claim"):
        value = getattr(item, name, None)
        if isinstance(value, str):
            what = _code(value) if name == "id" else _e(_clip(value, 80))
            break
    source_id = getattr(item, "source_id", None)
    detail = _code(source_id) if isinstance(source_id, str) else ""
    curated = getattr(item, "curated", None)
    quote = getattr(item, "quote", None)
    if hasattr(item, "citations"):
        evidence = _first_evidence(getattr(item, "citations", ()), curated)
    elif curated is not None:
        evidence = _curated(_clip(_text(curated)))
    elif isinstance(quote, str):
        evidence = f"<q>{_e(_clip(quote))}</q>"
    else:
        evidence = ""
    return _e(type(item).__name__), what, detail, evidence


def _list(items: Sequence[object]) -> str:
    if not items:
        return '<p class="ikb-meta">no results</p>'
    rows = []
    for number, item in enumerate(items, 1):
        kind, what, detail, evidence = _row_cells(item)
        rows.append(
            f"<tr><td>{number}</td><td>{kind}</td><td>{what}</td><td>{detail}</td>"
            f"<td>{evidence}</td></tr>"
        )
    count = f"{len(items)} result{'' if len(items) == 1 else 's'}"
    return (
        f"<table><caption>{count}</caption><thead><tr><th>#</th><th>type</th><th>item</th>"
        f"<th>detail</th><th>evidence</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
