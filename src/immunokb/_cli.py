"""The ``immunokb`` command line: a thin layer over :class:`KnowledgeBase`.

Exit status: 0 on success, 1 when something is not found or a document is
invalid (the message, and any suggestions, on stderr), 2 on a usage error.
With ``--json`` every command prints one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import Any

from ._errors import DocumentError, NotFoundError
from ._kb import KnowledgeBase
from ._load import load
from ._models import Citation, Entity, Source, Therapy, Vaccine

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
    kb: KnowledgeBase, citations: Sequence[Citation], curated: str | None
) -> list[str]:
    if curated is not None:
        return [f"      curated (not quoted): {curated}"]
    return [f"      {_quote(kb, c)}" for c in citations]


def _show_entity(kb: KnowledgeBase, entity: Entity) -> list[str]:
    kind = getattr(entity, "kind", "entity")
    lines = [f"{entity.name}  [{kind}: {entity.id}]"]
    if entity.aliases:
        lines.append("  also called: " + ", ".join(entity.aliases))
    if entity.broader:
        lines.append("  broader: " + ", ".join(entity.broader))
    if isinstance(entity, Therapy):
        lines.append(f"  status: {entity.status.value}")
        if entity.routes:
            lines.append("  routes: " + ", ".join(r.value for r in entity.routes))
    if isinstance(entity, Vaccine):
        platform = "not stated" if entity.platform is None else entity.platform.value
        lines.append(f"  purpose: {entity.purpose.value}; platform: {platform}")
    if entity.summary:
        lines += ["", "  " + entity.summary.replace("\n", "\n  "), ""]
    lines.append("  evidence:")
    for statement in entity.statements:
        lines.append(f"    {statement.field.value}: {statement.value}")
        lines += _evidence_lines(kb, statement.citations, statement.curated)
    if isinstance(entity, Therapy):
        for indication in entity.indications:
            lines.append(f"    indication: {indication.cancer_type_id} ({indication.status.value})")
            lines += _evidence_lines(kb, indication.citations, indication.curated)
    lines.append("  sources:")
    lines += [f"      {_quote(kb, c)}" for c in entity.citations]
    return lines


def _dump(value: object) -> object:
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def _source_row(source: Source) -> str:
    reviewed = source.last_reviewed_display or "no review date"
    return f"{source.id}  tier {source.tier}  {source.license.value}  {reviewed}  {source.title}"


def _run(args: argparse.Namespace) -> tuple[Any, list[str]]:
    kb = load()
    if args.command == "get":
        entity = kb.get(args.name)
        return entity, _show_entity(kb, entity)
    if args.command == "side-effects":
        therapy = kb.get(args.therapy)
        links = kb.side_effects_of(args.therapy)
        lines = [f"Side effects of {therapy.name} ({therapy.id}):"]
        for link in links:
            via = f"  (inherited from {link.via})" if link.via else ""
            lines.append(f"  {link.side_effect.name}{via}")
            lines += _evidence_lines(kb, link.citations, link.curated)
        if not links:
            lines.append("  none recorded in the bundled sources")
        return links, lines
    if args.command == "therapies-for":
        found = kb.therapies_for(args.cancer_type)
        return found, [f"{t.name}  [{t.id}]  {t.status.value}" for t in found]
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
    lines = []
    for conflict in conflicts:
        lines.append(f"{conflict.entity_id}: {conflict.field.value}")
        for claim in conflict.claims:
            lines.append(f"  {claim.value}")
            lines += _evidence_lines(kb, claim.citations, claim.curated)
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
    if args.json:
        print(json.dumps(_dump(result), ensure_ascii=False, indent=2))
    else:
        print("\n".join(lines))
    return 0
