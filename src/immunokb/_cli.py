"""The ``immunokb`` command line: a thin layer over :class:`KnowledgeBase`.

Exit status: 0 on success, 1 when something is not found or a document is
invalid (the message, and any suggestions, on stderr), 2 on a usage error.
With ``--json`` every command prints one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from ._errors import DocumentError, NotFoundError
from ._kb import KnowledgeBase
from ._load import load
from ._models import (
    Citation,
    Conflict,
    Entity,
    Indication,
    SideEffectLink,
    Source,
    StatusClaim,
    Therapy,
    Vaccine,
)

__all__ = ["main"]

_LIST_KINDS = ("therapies", "vaccines", "side-effects", "cancer-types", "sources")


def _parser() -> argparse.ArgumentParser:
    # --json is accepted before or after the command; SUPPRESS keeps a subcommand's
    # default from overwriting a --json given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON instead of text"
    )
    parser = argparse.ArgumentParser(
        prog="immunokb", description="A typed, cited knowledge base of cancer immunotherapy."
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    get = commands.add_parser("get", parents=[common], help="show an entity and its evidence")
    get.add_argument("name", help="id, name or alias")
    effects = commands.add_parser(
        "side-effects", parents=[common], help="side effects of a therapy, with citations"
    )
    effects.add_argument("therapy", help="id, name or alias of a therapy")
    therapies = commands.add_parser(
        "therapies-for", parents=[common], help="therapies used for or tested in a cancer type"
    )
    therapies.add_argument("cancer_type", help="id, name or alias of a cancer type")
    search = commands.add_parser("search", parents=[common], help="ranked search")
    search.add_argument("text", help="words to search for")
    search.add_argument("--limit", type=int, default=10, help="most hits to show (default 10)")
    listing = commands.add_parser("list", parents=[common], help="list entities or sources")
    listing.add_argument("kind", choices=_LIST_KINDS)
    sources = commands.add_parser("sources", parents=[common], help="list sources")
    sources.add_argument("--stale", action="store_true", help="only sources overdue for review")
    sources.add_argument(
        "--on",
        type=dt.date.fromisoformat,
        default=None,
        help="day to judge staleness on (YYYY-MM-DD)",
    )
    commands.add_parser("conflicts", parents=[common], help="claims on which sources disagree")
    return parser


def _quote(kb: KnowledgeBase, citation: Citation) -> str:
    source = kb.source(citation.source_id)
    lead = f"{citation.lead_in} … " if citation.lead_in else ""
    return f'"{lead}{citation.quote}" ({source.title}; {source.id})'


def _evidence_lines(
    kb: KnowledgeBase, citations: Sequence[Citation], curated: str | None, indent: int = 6
) -> list[str]:
    pad = " " * indent
    if curated is not None:
        return [f"{pad}curated (not quoted): {curated}"]
    return [f"{pad}{_quote(kb, c)}" for c in citations]


def _tier(tier: int | None) -> str:
    return "tier unknown" if tier is None else f"tier {tier}"


def _claim_lines(kb: KnowledgeBase, claim: StatusClaim | Indication, indent: int) -> list[str]:
    pad = " " * indent
    who = "curated" if claim.source_id is None else f"{claim.source_id}, {_tier(claim.tier)}"
    extra = [q for q in (claim.regulator, claim.phase.value if claim.phase else None) if q]
    head = f"{pad}{claim.status.value}" + (f" ({'; '.join(extra)})" if extra else "")
    lines = [f"{head}  claimed by {who}"]
    lines += _evidence_lines(kb, claim.citations, claim.curated, indent + 4)
    for dispute in claim.disputed_by:
        lines.append(
            f"{pad}    disputed by {dispute.source_id}, {_tier(dispute.tier)}: {dispute.claim}"
        )
        lines += _evidence_lines(kb, dispute.citations, None, indent + 8)
    return lines


def _show_entity(kb: KnowledgeBase, entity: Entity) -> list[str]:
    kind = getattr(entity, "kind", "entity")
    lines = [f"{entity.name}  [{kind}: {entity.id}]"]
    if entity.aliases:
        lines.append("  also called: " + ", ".join(entity.aliases))
    if entity.broader:
        lines.append("  broader: " + ", ".join(entity.broader))
    narrower = kb.narrower(entity.id)
    if narrower:
        lines.append("  narrower: " + ", ".join(e.id for e in narrower))
    if isinstance(entity, Therapy):
        lines.append(f"  status: {entity.status.value}")
        if entity.routes:
            lines.append("  routes: " + ", ".join(r.value for r in entity.routes))
    if isinstance(entity, Vaccine):
        platform = "not stated" if entity.platform is None else entity.platform.value
        lines.append(f"  purpose: {entity.purpose.value}; platform: {platform}")
    if entity.summary:
        lines += ["", "  " + entity.summary.strip().replace("\n", "\n  "), ""]
    lines.append("  evidence:")
    for statement in entity.statements:
        lines.append(f"    {statement.field.value}: {statement.value}")
        lines += _evidence_lines(kb, statement.citations, statement.curated)
    if isinstance(entity, Therapy):
        if entity.status_claims:
            lines.append(f"    status: {entity.status.value}, from these claims:")
            for claim in entity.status_claims:
                lines += _claim_lines(kb, claim, 6)
        for cancer_type_id in entity.cancer_type_ids:
            status = entity.indication_status(cancer_type_id)
            lines.append(f"    indication: {cancer_type_id} ({status.value})")
            for indication in entity.indications_for(cancer_type_id):
                lines += _claim_lines(kb, indication, 6)
        for relation in entity.side_effects:
            lines.append(f"    side effect: {relation.side_effect_id}")
            lines += _evidence_lines(kb, relation.citations, relation.curated)
    lines.append("  sources:")
    lines += [f"      {_quote(kb, c)}" for c in entity.citations]
    return lines


def _side_effect_lines(
    kb: KnowledgeBase, therapy: Entity
) -> tuple[list[SideEffectLink], list[str]]:
    links = kb.side_effects_of(therapy.id)
    lines = [f"Side effects of {therapy.name} ({therapy.id}):"]
    for link in links:
        via = f"  (inherited from {link.via})" if link.via else ""
        lines.append(f"  {link.side_effect.name}{via}")
        lines += _evidence_lines(kb, link.citations, link.curated)
        parts = kb.narrower(link.side_effect.id, transitive=True)
        if parts:
            lines.append("      which include: " + "; ".join(p.name for p in parts))
    if not links:
        lines.append("  none recorded in the bundled sources")
    return links, lines


def _therapies_for(kb: KnowledgeBase, text: str) -> tuple[list[dict[str, Any]], list[str]]:
    therapies = kb.therapies_for(text)  # raises NotFoundError naming what was typed
    cancer = kb.get(text)
    wanted = [cancer.id] + [c.id for c in kb.narrower(cancer.id, transitive=True)]
    rows: list[dict[str, Any]] = []
    lines = [f"Therapies used for or tested in {cancer.name} ({cancer.id}):"]
    for therapy in therapies:
        for cancer_type_id in wanted:
            claims = therapy.indications_for(cancer_type_id)
            if not claims:
                continue
            status = therapy.indication_status(cancer_type_id)
            rows.append(
                {
                    "therapy_id": therapy.id,
                    "name": therapy.name,
                    "kind": therapy.kind,
                    "therapy_status": therapy.status.value,
                    "cancer_type_id": cancer_type_id,
                    "status": status.value,
                    "claims": [c.model_dump(mode="json") for c in claims],
                }
            )
            lines.append(f"  {therapy.name}  [{therapy.id}]  {status.value} for {cancer_type_id}")
            for claim in claims:
                lines += _claim_lines(kb, claim, 6)
    if not rows:
        lines.append("  none recorded in the bundled sources")
    return rows, lines


def _conflict_lines(kb: KnowledgeBase, conflict: Conflict) -> list[str]:
    what = conflict.field.value + (f" for {conflict.subject}" if conflict.subject else "")
    lines = [f"{conflict.entity_id}: {what} is {conflict.adopted.value}"]
    for claim in conflict.claims:
        who = "curated" if claim.source_id is None else f"{claim.source_id}, {_tier(claim.tier)}"
        label = f"against {claim.against}" if claim.disputes else "claims"
        lines.append(f"  {who}, {label}: {claim.value}")
        lines += _evidence_lines(kb, claim.citations, claim.curated)
    return lines


def _dump(value: object) -> object:
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def _source_row(source: Source) -> str:
    reviewed = source.last_reviewed_display or "no review date"
    return f"{source.id}  {_tier(source.tier)}  {source.license.value}  {reviewed}  {source.title}"


def _run(args: argparse.Namespace) -> tuple[Any, list[str]]:
    kb = load()
    if args.command == "get":
        entity = kb.get(args.name)
        return entity, _show_entity(kb, entity)
    if args.command == "side-effects":
        return _side_effect_lines(kb, kb.get(args.therapy))
    if args.command == "therapies-for":
        return _therapies_for(kb, args.cancer_type)
    if args.command == "search":
        hits = kb.search(args.text, limit=args.limit)
        lines = []
        for hit in hits:
            what = hit.entity.name if hit.entity is not None else f"passage in {hit.source_id}"
            lines += [f"{hit.score:8.3f}  {what}", f"          {hit.snippet}"]
        return hits, lines or ["no matches"]
    if args.command == "list":
        collections: dict[str, Sequence[Entity | Source]] = {
            "therapies": kb.therapies,
            "vaccines": kb.vaccines,
            "side-effects": kb.side_effects,
            "cancer-types": kb.cancer_types,
            "sources": kb.sources,
        }
        collection = collections[args.kind]
        rows = [
            _source_row(item) if isinstance(item, Source) else f"{item.id}  {item.name}"
            for item in collection
        ]
        return list(collection), rows
    if args.command == "sources":
        chosen = kb.stale_sources(on=args.on) if args.stale else list(kb.sources)
        return chosen, [_source_row(s) for s in chosen]
    conflicts = kb.conflicts()
    lines = [line for conflict in conflicts for line in _conflict_lines(kb, conflict)]
    return conflicts, lines or ["no conflicts"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.version:
        from importlib.metadata import version  # noqa: PLC0415

        print(f"immunokb {version('immunokb')}")
        return 0
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("immunokb: error: a command is required", file=sys.stderr)
        return 2
    try:
        result, lines = _run(args)
    except NotFoundError as exc:
        print(f"immunokb: {exc}", file=sys.stderr)
        return 1
    except DocumentError as exc:
        print(f"immunokb: invalid document: {exc}", file=sys.stderr)
        return 1
    text = (
        json.dumps(_dump(result), ensure_ascii=False, indent=2) if args.json else "\n".join(lines)
    )
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (e.g. `| head`) closed the pipe: stop quietly, and keep Python
        # from reporting the failed flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0
