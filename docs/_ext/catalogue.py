"""The content catalogue and the data-model diagrams, generated from the knowledge base.

When the documentation is built (Sphinx's ``builder-inited`` event, before any page
is read), this extension loads the bundled knowledge base with :func:`immunokb.load`
and writes MyST Markdown pages into ``docs/catalogue/`` (git-ignored):

- ``index.md``: counts, the content version and fingerprint, and every entry by kind;
- one listing page per kind (``therapies.md``, ``vaccines.md``, ``side-effects.md``,
  ``cancer-types.md``, ``sources.md``) and ``conflicts.md``;
- one page per therapy, vaccine, side effect, cancer type and source, under the
  folder of its kind, showing every fact with its evidence: each citation's verbatim
  quote (after its lead-in, if any) with its source and offsets, or the label
  "curated (not quoted)" with the curator's rationale;
- ``stored-model.svg`` and ``query-results.svg``: class diagrams drawn from the
  pydantic models' fields and laid out as SVG by ``docs/_ext/classdiagram.py``,
  which ``docs/data-model.md`` puts inline in its page (no script draws them in the
  reader's browser, so they show offline).

A file is rewritten only when its content changed (so Sphinx re-reads only the pages
that did), and files left over from an earlier build are removed. The generator
needs only immunokb and ``classdiagram.py`` (in this folder, which must be on
``sys.path``): :func:`render_pages` and :func:`write_pages` run without Sphinx (the
tests call them directly), and Sphinx is imported only by :func:`setup`'s handler.

Every piece of text taken from the knowledge base goes through :func:`escape`, so a
quote containing ``*``, ``_``, ``[``, ``|``, backticks, ``{`` or ``<`` reads exactly
as the source wrote it instead of turning into markup.
"""

from __future__ import annotations

import datetime as dt
import inspect
import os
import posixpath
import shutil
import string
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classdiagram import Box, Diagram, Field, Link, render_svg

import immunokb
from immunokb import (
    CancerType,
    Citation,
    Claim,
    Conflict,
    Dispute,
    Entity,
    Indication,
    KnowledgeBase,
    Scope,
    SideEffect,
    Source,
    Statement,
    StatementField,
    Status,
    StatusClaim,
    Therapy,
    Vaccine,
)

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sphinx.application import Sphinx

__all__ = [
    "CURATED_LABEL",
    "DIAGRAMS",
    "FOLDER",
    "QUERY_RESULT_MODELS",
    "SAFETY_NOTE",
    "STORED_MODELS",
    "build_date",
    "class_diagram",
    "diagram_svg",
    "escape",
    "page_of",
    "render_pages",
    "setup",
    "write_pages",
]

FOLDER = "catalogue"
"""The generated folder, relative to the documentation's source folder."""

CURATED_LABEL = "curated (not quoted)"
"""How a curator's addition is labelled (the same words as the HTML display's)."""

SAFETY_NOTE = (
    "Information with provenance, not medical advice: this page records what the "
    "bundled sources say, in their own words. Talk to a qualified health professional "
    "about any treatment."
)
"""The one-line note every generated page carries."""

# The folder (and listing page) of each kind of page.
_KIND_FOLDERS = {
    "therapy": "therapies",
    "vaccine": "vaccines",
    "side_effect": "side-effects",
    "cancer_type": "cancer-types",
    "source": "sources",
}
_KIND_TITLES = {
    "therapies": "Therapies",
    "vaccines": "Vaccines",
    "side-effects": "Side effects",
    "cancer-types": "Cancer types",
    "sources": "Sources",
}
_FIELD_TITLES = {
    StatementField.NAME: "Name",
    StatementField.ALIAS: "Alias",
    StatementField.BROADER: "Broader entry",
    StatementField.ROUTE: "Route",
    StatementField.PLATFORM: "Platform",
    StatementField.PURPOSE: "Purpose",
    StatementField.CANCER_TYPE_TAG: "House tag",
}
# ".mmd": the Mermaid diagrams of earlier versions, removed from a checkout's folder.
_GENERATED_SUFFIXES = (".md", ".svg", ".mmd")
_RANGE = "\N{EN DASH}"  # between two offsets

# --------------------------------------------------------------------------- escaping

_ASCII_PUNCTUATION = frozenset(string.punctuation)


def escape(text: str) -> str:
    """``text`` as MyST Markdown inline content that renders as exactly that text.

    Runs of whitespace (line breaks included) become one space and the ends are
    trimmed, so the result is one line that can go in a paragraph, a list item, a
    heading, a link's text or a table cell. Every ASCII punctuation character is
    backslash-escaped: CommonMark allows that for all of them, and it switches off
    emphasis (``*``, ``_``), links and footnotes (``[``), raw HTML and autolinks
    (``<``), entities (``&``), code (backticks), table cells (``|``), MyST roles and
    substitutions (``{``), math (``$``), comments (``%``), targets (``(name)=``),
    block syntax at the start of a line (``#``, ``>``, ``-``, ``+``, ``:``, ``1.``)
    and hard line breaks (a trailing backslash).
    """
    collapsed = " ".join(text.split())
    return "".join("\\" + char if char in _ASCII_PUNCTUATION else char for char in collapsed)


def _code(value: str) -> str:
    """An identifier or vocabulary value as inline code (they never contain a backtick)."""
    if "`" in value or "\n" in value:
        raise ValueError(f"not an identifier: {value!r}")
    return f"`{value}`"


# --------------------------------------------------------------------------- paths and links


def page_of(item: Entity | Source) -> str:
    """The generated page of an entity or a source, relative to the catalogue folder."""
    return f"{_KIND_FOLDERS[_kind(item)]}/{item.id}.md"


def _kind(item: Entity | Source) -> str:
    """``therapy``, ``vaccine``, ``side_effect``, ``cancer_type`` or ``source``."""
    for model, kind in (
        (Source, "source"),
        (Vaccine, "vaccine"),
        (Therapy, "therapy"),
        (SideEffect, "side_effect"),
        (CancerType, "cancer_type"),
    ):
        if isinstance(item, model):
            return kind
    raise TypeError(f"no catalogue page for a {type(item).__name__}")


def _relative(from_page: str, to_page: str) -> str:
    """The link from one generated page to another (both relative to the catalogue)."""
    return posixpath.relpath(to_page, posixpath.dirname(from_page) or ".")


def _url(url: str) -> str:
    """An external address as a link destination (angle brackets keep parentheses safe)."""
    return "<" + url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20") + ">"


class _Pages:
    """The knowledge base's lookups that every page needs, computed once."""

    def __init__(self, kb: KnowledgeBase, today: dt.date) -> None:
        self.kb = kb
        self.today = today
        self.entities: dict[str, Entity] = {e.id: e for e in kb.entities}
        self.sources: dict[str, Source] = {s.id: s for s in kb.sources}
        self.conflicts: list[Conflict] = list(kb.conflicts())

    def link(self, from_page: str, target: Entity | Source) -> str:
        """A link from ``from_page`` to the page of ``target``, named by its name or title."""
        return f"[{escape(_title(target))}]({_relative(from_page, page_of(target))})"

    def link_id(self, from_page: str, entity_id: str) -> str:
        """A link to the page of the entity with this id."""
        return self.link(from_page, self.entities[entity_id])

    def source_link(self, from_page: str, source_id: str) -> str:
        """A link to the page of the source with this id."""
        return self.link(from_page, self.sources[source_id])

    def source_label(self, from_page: str, source_id: str | None, tier: int | None) -> str:
        """Who makes a claim: the source's link and tier, or "a curator"."""
        if source_id is None:
            return "a curator"
        tier_text = "tier not stated" if tier is None else f"tier {tier}"
        return f"{self.source_link(from_page, source_id)} ({tier_text})"


def _title(item: Entity | Source) -> str:
    return item.title if isinstance(item, Source) else item.name


# --------------------------------------------------------------------------- evidence


def _citation(pages: _Pages, page: str, citation: Citation) -> str:
    """One citation on one line: the quote (after its lead-in), its source and offsets."""
    quote = escape(citation.quote)
    if citation.lead_in is not None:
        quote = f"{escape(citation.lead_in)} … {quote}"
    offsets = f"characters {citation.start}{_RANGE}{citation.end}"
    if citation.lead_in_start is not None:
        offsets += f", lead-in {citation.lead_in_start}{_RANGE}{citation.lead_in_end}"
    return f"“{quote}” — {pages.source_link(page, citation.source_id)}, {offsets}"


def _curated(rationale: str) -> str:
    return f"*{CURATED_LABEL}*; the curator's rationale: {escape(rationale)}"


def _evidence(
    pages: _Pages,
    page: str,
    citations: Sequence[Citation],
    curated: str | None,
    depth: int,
) -> list[str]:
    """Nested list items: each quote, or the curated label and rationale."""
    indent = "  " * depth
    if curated is not None:
        return [f"{indent}- {_curated(curated)}"]
    return [f"{indent}- {_citation(pages, page, c)}" for c in citations]


def _dispute(pages: _Pages, page: str, dispute: Dispute, depth: int) -> list[str]:
    indent = "  " * depth
    who = pages.source_label(page, dispute.source_id, dispute.tier)
    lines = [
        f"{indent}- Disputed by {who}. What it says, in the curator's words (not a quote): "
        f"{escape(dispute.claim)}"
    ]
    return lines + _evidence(pages, page, dispute.citations, None, depth + 1)


def _claim(pages: _Pages, page: str, claim: StatusClaim | Indication, depth: int) -> list[str]:
    """A status or indication claim: who claims what, its qualifiers, evidence, disputes."""
    indent = "  " * depth
    text = f"{indent}- {_code(claim.status.value)}, claimed by "
    text += pages.source_label(page, claim.source_id, claim.tier)
    if claim.regulator is not None:
        text += f"; regulator named: {escape(claim.regulator)}"
    if claim.phase is not None:
        text += f"; trial phase: {_code(claim.phase.value)}"
    lines = [text]
    for qualifier in getattr(claim, "qualifiers", ()):
        lines.append(
            f"{indent}  - only for ({escape(qualifier.kind.value)}): “{escape(qualifier.text)}”"
        )
        lines += _evidence(pages, page, qualifier.citations, None, depth + 2)
    lines += _evidence(pages, page, claim.citations, claim.curated, depth + 1)
    for dispute in claim.disputed_by:
        lines += _dispute(pages, page, dispute, depth + 1)
    return lines


def _conflict_side(pages: _Pages, page: str, side: Claim, depth: int) -> list[str]:
    indent = "  " * depth
    who = pages.source_label(page, side.source_id, side.tier)
    if side.disputes:
        against = escape(side.against or "")
        text = (
            f"{indent}- {who}, against {against}. What it says, in the curator's words "
            f"(not a quote): {escape(side.value)}"
        )
    else:
        text = f"{indent}- {who} claims {_code(side.value)}"
    return [text, *_evidence(pages, page, side.citations, side.curated, depth + 1)]


def _conflict(pages: _Pages, page: str, conflict: Conflict, *, with_entity: bool) -> list[str]:
    what = "status"
    if conflict.subject is not None:
        what = f"status for {pages.link_id(page, conflict.subject)}"
    head = f"- {pages.link_id(page, conflict.entity_id)}: " if with_entity else "- "
    weighed = (
        ""
        if conflict.adopted is Status.DISPUTED
        else " (weighed by tier: a promotional source's word is its claim, not fact)"
    )
    lines = [
        f"{head}{what} is {_code(conflict.adopted.value)}{weighed}; the sides, most trusted first:"
    ]
    for side in conflict.claims:
        lines += _conflict_side(pages, page, side, 1)
    return lines


def _statements(pages: _Pages, page: str, statements: Iterable[Statement]) -> list[str]:
    lines: list[str] = []
    for statement in statements:
        value = statement.value
        if statement.field is StatementField.BROADER and value in pages.entities:
            shown = pages.link_id(page, value)
        elif statement.field in {
            StatementField.ROUTE,
            StatementField.PLATFORM,
            StatementField.PURPOSE,
        }:
            shown = _code(value)
        else:
            shown = f"“{escape(value)}”"
        if statement.promotional:
            said = ", ".join(sorted({c.source_id for c in statement.citations}))
            shown += f" (according to {escape(said)} only, a promotional source: its claim)"
        lines.append(f"- {_FIELD_TITLES.get(statement.field, statement.field.value)}: {shown}")
        lines += _evidence(pages, page, statement.citations, statement.curated, 1)
    return lines


# --------------------------------------------------------------------------- pages


def _header(title: str) -> list[str]:
    return [
        "% Generated from the knowledge base by docs/_ext/catalogue.py: do not edit.",
        "",
        f"# {title}",
        "",
        f"*{SAFETY_NOTE}*",
        "",
    ]


def _facts(rows: Iterable[tuple[str, str]]) -> list[str]:
    """A definition list of (label, already-formatted value) pairs."""
    lines: list[str] = []
    for label, value in rows:
        lines += [label, f": {value}", ""]
    return lines


def _join_or(items: Sequence[str], empty: str = "none") -> str:
    return ", ".join(items) if items else empty


def _entity_page(pages: _Pages, entity: Entity) -> str:
    kb = pages.kb
    page = page_of(entity)
    kind = _kind(entity)
    narrower = kb.narrower(entity.id)
    rows = [
        ("Kind", kind.replace("_", " ")),
        ("Id", _code(entity.id)),
        ("Also known as", _join_or([f"“{escape(a)}”" for a in entity.aliases])),
        ("Broader", _join_or([pages.link_id(page, b) for b in entity.broader])),
        ("Narrower", _join_or([pages.link(page, n) for n in narrower])),
    ]
    if isinstance(entity, CancerType):
        tags = [_code(t) for t in entity.cancer_type_tags]
        rows.append(("House tags (`cancerTypes`, not names)", _join_or(tags)))
    if isinstance(entity, Therapy):
        scope = {
            Scope.PRODUCT: "a named product",
            Scope.CLASS: "a class of treatment (approvals belong to its products)",
        }[entity.scope]
        rows.append(("Scope", scope))
        rows.append(("Status", f"{_code(entity.status.value)} (adopted from the claims below)"))
        rows.append(("Routes", _join_or([_code(r.value) for r in entity.routes], "not stated")))
    if isinstance(entity, Vaccine):
        platform = entity.platform.value if entity.platform is not None else None
        rows.append(("Platform", _code(platform) if platform else "not stated"))
        rows.append(("Purpose", _code(entity.purpose.value)))
    lines = _header(escape(entity.name))
    lines += _facts(rows)
    lines += [
        "## Summary",
        "",
        "The curator's summary of the quoted passages below (a summary, not a quote):",
        "",
        escape(entity.summary),
        "",
        "## Defining quotes",
        "",
        *_evidence(pages, page, entity.citations, None, 0),
        "",
        "## Names and other stated fields",
        "",
        "Each value, with the evidence for it.",
        "",
        *_statements(pages, page, entity.statements),
        "",
    ]
    if isinstance(entity, Therapy):
        lines += _therapy_sections(pages, page, entity)
    if isinstance(entity, SideEffect):
        lines += _side_effect_sections(pages, page, entity)
    if isinstance(entity, CancerType):
        lines += _cancer_type_sections(pages, page, entity)
    return "\n".join(lines).rstrip("\n") + "\n"


def _therapy_sections(pages: _Pages, page: str, therapy: Therapy) -> list[str]:
    kb = pages.kb
    lines = [
        "## Status",
        "",
        f"Adopted status: {_code(therapy.status.value)}, derived from the claims below "
        f"([how a status is adopted]({_relative(page, '../provenance.md')})).",
        "",
    ]
    for claim in therapy.status_claims:
        lines += _claim(pages, page, claim, 0)
    if not therapy.status_claims:
        lines.append("No source makes a claim about its status.")
    lines += ["", "## Cancer types", ""]
    if not therapy.cancer_type_ids:
        lines.append("No cancer type is recorded for it.")
    for cancer_type_id in therapy.cancer_type_ids:
        status = therapy.indication_status(cancer_type_id)
        lines.append(f"- {pages.link_id(page, cancer_type_id)}: adopted {_code(status.value)}")
        for indication in therapy.indications_for(cancer_type_id):
            lines += _claim(pages, page, indication, 1)
    lines += ["", "## Side effects", ""]
    links = kb.side_effects_of(therapy.id)
    if not links:
        lines.append("No side effect is recorded for it or for a broader class.")
    for link in links:
        text = f"- {pages.link(page, link.side_effect)}"
        if link.via is not None:
            path = " → ".join(pages.link_id(page, step) for step in link.path)
            text += f": inherited from {pages.link_id(page, link.via)} (path: {path})"
        else:
            text += ": stated for this therapy"
        lines.append(text)
        lines += _evidence(pages, page, link.citations, link.curated, 1)
    lines += _conflict_section(
        pages, page, [c for c in pages.conflicts if c.entity_id == therapy.id]
    )
    return lines


def _side_effect_sections(pages: _Pages, page: str, effect: SideEffect) -> list[str]:
    links = pages.kb.therapies_with_side_effect(effect.id)
    lines = ["## Therapies with this side effect", ""]
    if not links:
        lines.append("No therapy is recorded with it.")
        return [*lines, ""]
    lines += [
        "Grouped by the therapy (or class of therapies) a source states it for; the "
        "narrower therapies of a class inherit it.",
        "",
    ]
    groups: dict[tuple[str, str], list[str]] = {}
    evidence: dict[tuple[str, str], tuple[tuple[Citation, ...], str | None]] = {}
    for link in links:
        key = (link.via or link.therapy_id, link.side_effect.id)
        groups.setdefault(key, [])
        if link.via is not None:
            groups[key].append(link.therapy_id)
        evidence[key] = (link.citations, link.curated)
    for (origin, effect_id), inheriting in groups.items():
        text = f"- Stated for {pages.link_id(page, origin)}"
        if effect_id != effect.id:
            text += f" as {pages.link_id(page, effect_id)}, which includes it"
        lines.append(text)
        citations, curated = evidence[(origin, effect_id)]
        lines += _evidence(pages, page, citations, curated, 1)
        if inheriting:
            names = ", ".join(pages.link_id(page, t) for t in dict.fromkeys(inheriting))
            lines.append(f"  - Inherited by: {names}")
    return [*lines, ""]


def _cancer_type_sections(pages: _Pages, page: str, cancer_type: CancerType) -> list[str]:
    kb = pages.kb
    covered = [cancer_type.id, *(n.id for n in kb.narrower(cancer_type.id, transitive=True))]
    lines = ["## Therapies used for or tested in it", ""]
    therapies = kb.therapies_for(cancer_type.id)
    if not therapies:
        lines.append("No therapy is recorded for it.")
    for therapy in therapies:
        lines.append(f"- {pages.link(page, therapy)}")
        for cancer_type_id in covered:
            if cancer_type_id not in therapy.cancer_type_ids:
                continue
            status = therapy.indication_status(cancer_type_id)
            where = "" if cancer_type_id == cancer_type.id else " (a narrower type)"
            link = pages.link_id(page, cancer_type_id)
            lines.append(f"  - for {link}{where}: adopted {_code(status.value)}")
            for claim in therapy.indications_for(cancer_type_id):
                lines += _claim(pages, page, claim, 2)
    conflicts = [c for c in pages.conflicts if c.subject == cancer_type.id]
    return [*lines, *_conflict_section(pages, page, conflicts)]


def _conflict_section(pages: _Pages, page: str, conflicts: Sequence[Conflict]) -> list[str]:
    lines = ["", "## Open disagreements", ""]
    if not conflicts:
        return [*lines, "The sources do not disagree here.", ""]
    lines += [
        "Where the claims disagree, both sides are shown (all of them: "
        f"[conflicts]({_relative(page, 'conflicts.md')})).",
        "",
    ]
    for conflict in conflicts:
        lines += _conflict(pages, page, conflict, with_entity=True)
    return [*lines, ""]


def _source_page(pages: _Pages, source: Source) -> str:
    page = page_of(source)
    kb = pages.kb
    stale = "yes" if source.is_stale(on=pages.today) else "no"
    tier = "not stated"
    if source.tier is not None and source.source_type is not None:
        tier = f"{source.tier} ({_code(source.source_type)}; a lower tier is more authoritative)"
    url = f"[{escape(source.url)}]({_url(source.url)})" if source.url else "not stated"
    frequency = source.review_frequency.value if source.review_frequency else None
    due = source.review_due
    rows = [
        ("Id", _code(source.id)),
        ("Title", escape(source.title)),
        ("Publisher", escape(source.publisher) if source.publisher else "not stated"),
        ("Address", url),
        ("Licence", _code(source.license.value)),
        ("Audience", _code(source.audience.value)),
        ("Tier", tier),
        ("Last reviewed", escape(source.last_reviewed_display or "not stated")),
        ("Review frequency", _code(frequency) if frequency else "not stated"),
        ("Review due by", due.isoformat() if due else "no review date, so never current"),
        (f"Stale as of {pages.today.isoformat()} (the build date)", stale),
    ]
    if source.citation:
        rows.append(("Citation", escape(source.citation)))
    lines = _header(escape(source.title))
    lines += _facts(rows)
    if source.notes:
        lines += ["## Curator's notes", "", escape(source.notes), ""]
    lines += ["## Cited by", ""]
    cited = 0
    for entity in kb.entities:
        supports = [r.supports for r in kb.references(entity) if r.source_id == source.id]
        if supports:
            cited += 1
            what = "; ".join(escape(s) for s in dict.fromkeys(supports))
            lines.append(f"- {pages.link(page, entity)}: {what}")
    if not cited:
        lines.append("No entity cites it.")
    conflicts = [
        c for c in pages.conflicts if any(side.source_id == source.id for side in c.claims)
    ]
    lines += ["", "## Disagreements it takes part in", ""]
    for conflict in conflicts:
        subject = f" for {pages.link_id(page, conflict.subject)}" if conflict.subject else ""
        lines.append(f"- {pages.link_id(page, conflict.entity_id)}: status{subject}")
    if not conflicts:
        lines.append("None.")
    return "\n".join(lines).rstrip("\n") + "\n"


def _listing_page(pages: _Pages, folder: str, items: Sequence[Entity | Source]) -> str:
    page = f"{folder}.md"
    lines = _header(_KIND_TITLES[folder])
    if folder == "therapies":
        lines += ["Therapies other than vaccines; vaccines are listed on their own page.", ""]
        head = ["Name", "Status", "Routes", "Broader"]
    elif folder == "vaccines":
        head = ["Name", "Status", "Platform", "Purpose"]
    elif folder == "sources":
        head = ["Title", "Publisher", "Tier", "Licence", "Last reviewed", "Stale"]
    else:
        head = ["Name", "Also known as", "Broader"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for item in items:
        cells = [pages.link(page, item)]
        if isinstance(item, Source):
            cells += [
                escape(item.publisher) if item.publisher else "not stated",
                "not stated" if item.tier is None else str(item.tier),
                _code(item.license.value),
                escape(item.last_reviewed_display or "not stated"),
                "yes" if item.is_stale(on=pages.today) else "no",
            ]
        elif isinstance(item, Vaccine):
            platform = item.platform.value if item.platform else None
            cells += [
                _code(item.status.value),
                _code(platform) if platform else "not stated",
                _code(item.purpose.value),
            ]
        elif isinstance(item, Therapy):
            cells += [
                _code(item.status.value),
                ", ".join(_code(r.value) for r in item.routes) or "not stated",
                ", ".join(pages.link_id(page, b) for b in item.broader) or "none",
            ]
        else:
            cells += [
                ", ".join(escape(a) for a in item.aliases) or "none",
                ", ".join(pages.link_id(page, b) for b in item.broader) or "none",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    if folder == "sources":
        lines += ["", f"Stale: overdue for review on {pages.today.isoformat()}, the build date."]
    lines += ["", "```{toctree}", ":hidden:", ""]
    lines += [page_of(item).removesuffix(".md") for item in items]
    lines += ["```", ""]
    return "\n".join(lines)


def _conflicts_page(pages: _Pages) -> str:
    page = "conflicts.md"
    lines = _header("Conflicts")
    lines += [
        "Where the sources' claims about a therapy's status, or its status for one cancer "
        "type, disagree, immunokb shows the status as `disputed` and lists every side here, "
        "with its source, tier and quotes (see "
        "{meth}`KnowledgeBase.conflicts() <immunokb.KnowledgeBase.conflicts>`).",
        "",
    ]
    for conflict in pages.conflicts:
        lines += _conflict(pages, page, conflict, with_entity=True)
    if not pages.conflicts:
        lines.append("The sources do not disagree anywhere.")
    return "\n".join(lines) + "\n"


def _index_page(pages: _Pages, listing: Mapping[str, Sequence[Entity | Source]]) -> str:
    kb = pages.kb
    lines = _header("Catalogue")
    lines += [
        "Every entry of the bundled knowledge base, generated from it when this "
        "documentation was built: each fact with the verbatim quote that supports it "
        f"and its source, or the label *{CURATED_LABEL}* with the curator's rationale. "
        "See [the data model](../data-model.md) for what each part means.",
        "",
    ]
    lines += _facts(
        [
            ("Content version", _code(kb.content_version or "none")),
            ("Fingerprint", _code(kb.fingerprint)),
            ("Built on", pages.today.isoformat()),
            ("Open disagreements", f"[{len(pages.conflicts)}](conflicts.md)"),
        ]
    )
    lines += ["| Kind | Entries |", "|---|---|"]
    for folder, items in listing.items():
        lines.append(f"| [{_KIND_TITLES[folder]}]({folder}.md) | {len(items)} |")
    lines += [
        "",
        f"The {len(kb.therapies)} therapies in `kb.therapies` include the "
        f"{len(kb.vaccines)} vaccines, listed here on their own.",
        "",
    ]
    for folder, items in listing.items():
        lines += [f"## {_KIND_TITLES[folder]}", ""]
        lines.append(", ".join(pages.link("index.md", item) for item in items) + ".")
        lines.append("")
    lines += ["```{toctree}", ":hidden:", "", *listing, "conflicts", "```", ""]
    return "\n".join(lines)


def render_pages(kb: KnowledgeBase, *, today: dt.date) -> dict[str, str]:
    """Every generated file, as a mapping of path (relative to the catalogue) to content.

    ``today`` is the build date, against which the sources' staleness is judged.
    """
    pages = _Pages(kb, today)
    listing: dict[str, list[Entity | Source]] = {
        "therapies": [t for t in kb.therapies if not isinstance(t, Vaccine)],
        "vaccines": list(kb.vaccines),
        "side-effects": list(kb.side_effects),
        "cancer-types": list(kb.cancer_types),
        "sources": list(kb.sources),
    }
    out = {"index.md": _index_page(pages, listing), "conflicts.md": _conflicts_page(pages)}
    for folder, items in listing.items():
        out[f"{folder}.md"] = _listing_page(pages, folder, items)
        for item in items:
            if isinstance(item, Source):
                out[page_of(item)] = _source_page(pages, item)
            else:
                out[page_of(item)] = _entity_page(pages, item)
    for name, (models, what) in DIAGRAMS.items():
        out[name] = diagram_svg(models, name.removesuffix(".svg"), what)
    return out


def write_pages(pages: Mapping[str, str], folder: Path) -> tuple[list[str], list[str]]:
    """Write the generated files into ``folder``; return (written, removed) paths.

    A file whose content is unchanged is not touched, so Sphinx does not re-read it.
    Generated files (``.md``, ``.svg``, and earlier versions' ``.mmd``) in ``folder``
    that ``pages`` no longer holds are removed, and so are folders left empty.
    """
    written: list[str] = []
    for relative, content in sorted(pages.items()):
        path = folder / relative
        if path.is_file() and path.read_text(encoding="utf-8") == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(relative)
    removed: list[str] = []
    if folder.is_dir():
        for path in sorted(folder.rglob("*"), reverse=True):
            relative = path.relative_to(folder).as_posix()
            if path.is_file() and path.suffix in _GENERATED_SUFFIXES and relative not in pages:
                path.unlink()
                removed.append(relative)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return written, removed


# --------------------------------------------------------------------------- data-model diagrams

STORED_MODELS = (
    "Entity",
    "Therapy",
    "Vaccine",
    "SideEffect",
    "CancerType",
    "Statement",
    "StatusClaim",
    "Indication",
    "Qualifier",
    "Dispute",
    "SideEffectRelation",
    "Citation",
    "Source",
)
"""The models the knowledge base is made of, in the first diagram."""

QUERY_RESULT_MODELS = ("SideEffectLink", "SideEffectPart", "Conflict", "Claim", "Hit", "Reference")
"""The models the queries return, in the second diagram."""

DIAGRAMS = {
    "stored-model.svg": (STORED_MODELS, "the stored model"),
    "query-results.svg": (QUERY_RESULT_MODELS, "what the queries return"),
}
"""Each diagram's file (in the catalogue folder; also copied into the HTML site), its
models and what it shows."""

# Fields that hold the id of another record: drawn as a dashed arrow to its model.
# Every field named `*_id` must be listed (checked when drawing), so a new one cannot
# be left out silently.
_ID_REFERENCES = {
    ("Entity", "broader"): "Entity",
    ("Citation", "source_id"): "Source",
    ("StatusClaim", "source_id"): "Source",
    ("Indication", "source_id"): "Source",
    ("Indication", "cancer_type_id"): "CancerType",
    ("Dispute", "source_id"): "Source",
    ("SideEffectRelation", "side_effect_id"): "SideEffect",
    ("SideEffectLink", "therapy_id"): "Therapy",
    ("SideEffectLink", "via"): "Therapy",
    ("SideEffectLink", "path"): "Therapy",
    ("Conflict", "entity_id"): "Therapy",
    ("Conflict", "subject"): "CancerType",
    ("Claim", "source_id"): "Source",
    ("Hit", "source_id"): "Source",
    ("Reference", "source_id"): "Source",
}


def _model_class(name: str) -> type[BaseModel]:
    model = getattr(immunokb, name)
    if not hasattr(model, "model_fields"):
        raise TypeError(f"immunokb.{name} is not a pydantic model")
    return typing.cast("type[BaseModel]", model)


def _type_text(tp: object) -> str:
    """A short rendering of a field's annotation (``tuple[Citation, ...]``, ``str | None``)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _type_text(args[0])
    if tp is type(None):
        return "None"
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_text(a) for a in args)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return f"tuple[{_type_text(args[0])}, ...]"
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[" + ", ".join(_type_text(a) for a in args) + "]"
    return str(getattr(tp, "__name__", tp))


def _model_targets(tp: object, known: Iterable[str]) -> list[str]:
    """The diagrams' models named in an annotation (in a tuple, a union...)."""
    names = set(known)
    found: list[str] = []
    stack = [tp]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and current.__name__ in names:
            found.append(current.__name__)
        stack.extend(typing.get_args(current))
    targets = sorted(set(found))
    if len(targets) > 1 and all(issubclass(_model_class(t), Entity) for t in targets):
        targets = ["Entity"]  # a union of the entity kinds: one line to their base class
    return targets


def _shown_fields(name: str, drawn: Sequence[str]) -> list[str]:
    """The fields a class box shows: those not already shown on a drawn base class."""
    model = _model_class(name)
    base_fields: set[str] = set()
    for base in model.__mro__[1:]:
        if base.__name__ in drawn and base.__module__ == model.__module__:
            base_fields = set(_model_class(base.__name__).model_fields)
            break
    own = set(inspect.get_annotations(model))
    return [f for f in model.model_fields if f not in base_fields or f in own]


def class_diagram(names: Sequence[str]) -> Diagram:
    """The class diagram of the named public models, drawn from their fields.

    Each box lists the fields its model adds to its drawn base class, as
    ``name: type``. A field holding other models is a *holds* link to each of them,
    a field holding another record's id (see ``_ID_REFERENCES``) a *refers* link,
    and a drawn base class an *inherits* link. A model that a link leads to but
    that is not among ``names`` is a box without fields (drawn on the other diagram).
    """
    known = set(STORED_MODELS) | set(QUERY_RESULT_MODELS)
    boxes: list[Box] = []
    links: list[Link] = []
    for name in names:
        model = _model_class(name)
        for base in model.__mro__[1:]:
            if base.__name__ in names and base.__module__ == model.__module__:
                links.append(Link("inherits", name, base.__name__))
                break
        fields: list[Field] = []
        for field in _shown_fields(name, names):
            info = model.model_fields[field]
            fields.append(Field(field, _type_text(info.annotation)))
            targets = _model_targets(info.annotation, known)
            reference = _ID_REFERENCES.get((name, field))
            if reference is not None:
                links.append(Link("refers", name, reference, field))
            elif field.endswith("_id"):
                raise ValueError(f"{name}.{field} holds an id: add it to _ID_REFERENCES")
            links += [Link("holds", name, target, field) for target in targets]
        boxes.append(Box(name, tuple(fields)))
    for name, field in _ID_REFERENCES:
        if name in names and field not in _shown_fields(name, names):
            raise ValueError(f"_ID_REFERENCES names {name}.{field}, which is not a shown field")
    elsewhere = dict.fromkeys(link.target for link in links if link.target not in names)
    boxes += [Box(name, elsewhere=True) for name in elsewhere]
    return Diagram(tuple(boxes), tuple(links))


def diagram_svg(names: Sequence[str], ident: str, what: str) -> str:
    """:func:`class_diagram` of ``names`` drawn as an inline ``<svg>`` element."""
    label = f"Class diagram of {what}: " + ", ".join(names) + "."
    return render_svg(class_diagram(names), label=label, ident=ident)


# --------------------------------------------------------------------------- Sphinx


def build_date() -> dt.date:
    """The build date: ``SOURCE_DATE_EPOCH`` (UTC) if set, for reproducible builds; else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date()
    return dt.date.today()


def _generate(app: Sphinx) -> None:
    from sphinx.util import logging  # noqa: PLC0415 - Sphinx only when run by Sphinx

    logger = logging.getLogger(__name__)
    pages = render_pages(immunokb.load(), today=build_date())
    written, removed = write_pages(pages, Path(app.srcdir) / FOLDER)
    logger.info(
        "catalogue: %d files generated, %d written, %d removed",
        len(pages),
        len(written),
        len(removed),
    )


def _publish_diagrams(app: Sphinx, exception: BaseException | None) -> None:
    """Copy the diagrams into the HTML site, beside the catalogue, to open at full size."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    for name in DIAGRAMS:
        shutil.copyfile(Path(app.srcdir) / FOLDER / name, target / name)


def setup(app: Sphinx) -> dict[str, Any]:
    """Generate the catalogue when the builder starts, before any page is read."""
    app.connect("builder-inited", _generate)
    app.connect("build-finished", _publish_diagrams)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
