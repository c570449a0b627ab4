"""The ``immunokb`` command line: a thin layer over :class:`KnowledgeBase`.

Every query command loads a knowledge base with :func:`immunokb.load` (the bundled
one, or with ``--path`` the user's documents merged with it, or alone with
``--no-bundled``) and asks it one question; ``validate`` checks documents with
:func:`immunokb.validate` instead. Text goes to stdout; with ``--json`` one JSON
document does, in the same envelope for every command (see docs/cli.md)::

    {"command", "arguments", "content_version", "count", "results"}   on success
    {"command", "error": {"type", "message", "suggestions"}}          on an error

``validate`` prints the success envelope with its report as the one result, also
when the report has errors. ``export`` writes the export itself to stdout, or to
``--output``; with ``--output``, ``--json`` prints the envelope with one result per
file written. Exit status: 0 on success (an empty result, or a report
with warnings only, too), 1 when something is not found, a document is invalid,
``validate`` found an error, or an export cannot be written or needs an extra that
is not installed, 2 on a usage error or a filter value a query refuses.
Error messages, with any suggestions, always go to stderr; so do the warnings of a
load and the progress line of ``validate`` on a terminal.
"""

from __future__ import annotations

import argparse
import codecs
import datetime as dt
import io
import json
import os
import re
import shlex
import shutil
import sys
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NoReturn, TextIO, TypeAlias, TypedDict

from pydantic import BaseModel

from ._errors import (
    DocumentError,
    DocumentWarning,
    MissingDependencyError,
    NotFoundError,
    QueryError,
)
from ._export import FORMATS, SUFFIXES, TABLE_FORMATS, ExportView, prepare, render, write
from ._frames import KINDS
from ._kb import KnowledgeBase
from ._load import DOCUMENT_SUFFIXES, bundled_content_version, load, validate
from ._models import (
    AnyEntity,
    Audience,
    CancerType,
    Citation,
    Conflict,
    Hit,
    Indication,
    License,
    Route,
    Scope,
    SideEffectLink,
    Source,
    Status,
    StatusClaim,
    Therapy,
    Vaccine,
    VaccinePlatform,
    VaccinePurpose,
)
from ._validate import ValidationReport

__all__ = ["main"]

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"
"""A value as :func:`json.dumps` writes it."""

_PROG = "immunokb"
_GLOBAL_DESTS = frozenset(
    {
        "json",
        "color",
        "version",
        "command",
        "path",
        "path_after",
        "no_bundled",
        "extra_field",
        "extra_field_after",
    }
)
_VALIDATE = "validate"
_EXPORT = "export"
_PROGRESS_MIN_STEPS = 200
"""``validate`` shows its progress line only when it has more steps than this."""

_THERAPIES = "therapies"
_VACCINES = "vaccines"
_SIDE_EFFECTS = "side-effects"
_CANCER_TYPES = "cancer-types"
_SOURCES = "sources"
_LIST_KINDS = (_THERAPIES, _VACCINES, _SIDE_EFFECTS, _CANCER_TYPES, _SOURCES)
_TREATMENTS = frozenset({_THERAPIES, _VACCINES})
_ENTITY_KINDS = frozenset({_THERAPIES, _VACCINES, _SIDE_EFFECTS, _CANCER_TYPES})

_FILTERS: dict[str, tuple[str, frozenset[str]]] = {
    "cancer_type": ("--cancer-type", _TREATMENTS),
    "status": ("--status", _TREATMENTS),
    "route": ("--route", _TREATMENTS),
    "category": ("--category", _TREATMENTS),
    "platform": ("--platform", frozenset({_VACCINES})),
    "purpose": ("--purpose", frozenset({_VACCINES})),
    "therapy": ("--therapy", frozenset({_SIDE_EFFECTS, _CANCER_TYPES})),
    "source": ("--source", _ENTITY_KINDS),
    "license": ("--license", frozenset({_SOURCES})),
    "tier": ("--tier", frozenset(_LIST_KINDS)),
    "audience": ("--audience", frozenset(_LIST_KINDS)),
    "stale": ("--stale", frozenset({_SOURCES})),
    "on": ("--on", frozenset({_SOURCES})),
}
"""Each filter of ``list``: its flag and the kinds it applies to, in JSON key order."""

_MIN_CELL = 8
_GAP = "  "
_MARK = re.compile(r"\*\*(.+?)\*\*")


# --------------------------------------------------------------------------- errors


class _UsageError(Exception):
    """A command line that does not parse, or asks for something meaningless (status 2)."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class _MissingError(Exception):
    """A therapy has no such side effect or indication (reported like a lookup miss)."""

    def __init__(self, message: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = tuple(suggestions)


class _WriteError(Exception):
    """An export could not be written where asked (status 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises :class:`_UsageError` instead of exiting."""

    def error(self, message: str) -> NoReturn:
        """Raise the usage error for ``main`` to report."""
        raise _UsageError(self, message)


# --------------------------------------------------------------------------- parser


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return value


def _one_of(values: Sequence[str]) -> Callable[[str], str]:
    """An argument type: the text if it is one of ``values``, else a usage error in our words.

    Used instead of argparse's ``choices``, so that the message is the one the
    Python API gives for a value outside a vocabulary, with a suggestion.
    """

    def check(text: str) -> str:
        if text in values:
            return text
        import difflib  # noqa: PLC0415 - only on a usage error

        close = difflib.get_close_matches(text, values, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise argparse.ArgumentTypeError(f"{text!r} is not one of: {', '.join(values)}{hint}")

    return check


def _values(
    vocabulary: Iterable[Status | Route | Audience | License | VaccinePlatform | VaccinePurpose],
) -> list[str]:
    return [member.value for member in vocabulary]


def _add_on(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--on",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day to judge staleness on (default: today)",
    )


def _add_list_filters(listing: argparse.ArgumentParser) -> None:
    treatments = listing.add_argument_group("filters for therapies and vaccines")
    treatments.add_argument(
        "--cancer-type",
        metavar="NAME",
        help="used for or tested in this cancer type or a narrower one",
    )
    treatments.add_argument(
        "--status",
        action="append",
        type=_one_of(_values(Status)),
        metavar="STATUS",
        help="adopted status, one of: " + ", ".join(_values(Status)),
    )
    treatments.add_argument(
        "--route",
        action="append",
        type=_one_of(_values(Route)),
        metavar="ROUTE",
        help="route of administration, one of: " + ", ".join(_values(Route)),
    )
    treatments.add_argument(
        "--category", metavar="NAME", help="a narrower member, at any depth, of this therapy class"
    )
    vaccines = listing.add_argument_group("filters for vaccines only")
    vaccines.add_argument(
        "--platform",
        action="append",
        type=_one_of(_values(VaccinePlatform)),
        metavar="PLATFORM",
        help="how the vaccine is made, one of: " + ", ".join(_values(VaccinePlatform)),
    )
    vaccines.add_argument(
        "--purpose",
        type=_one_of(_values(VaccinePurpose)),
        metavar="PURPOSE",
        help="what the vaccine is for, one of: " + ", ".join(_values(VaccinePurpose)),
    )
    related = listing.add_argument_group("filters for side-effects and cancer-types")
    related.add_argument(
        "--therapy",
        metavar="NAME",
        help="side effects of this therapy (own or inherited); cancer types of its indications",
    )
    evidence = listing.add_argument_group(
        "evidence filters",
        "--source applies to every kind but sources; --tier and --audience to every kind. "
        "For entities they ask for evidence quoted from a source that matches all of them.",
    )
    evidence.add_argument(
        "--source", action="append", metavar="SOURCE_ID", help="evidence quoted from this source"
    )
    evidence.add_argument(
        "--tier", action="append", type=int, metavar="N", help="a source of this trust tier"
    )
    evidence.add_argument(
        "--audience",
        action="append",
        type=_one_of(_values(Audience)),
        metavar="AUDIENCE",
        help="a source written for this audience, one of: " + ", ".join(_values(Audience)),
    )
    sources = listing.add_argument_group("filters for sources only")
    sources.add_argument(
        "--license",
        action="append",
        type=_one_of(_values(License)),
        metavar="LICENSE",
        help="the source's licence, one of: " + ", ".join(_values(License)),
    )
    staleness = sources.add_mutually_exclusive_group()
    staleness.add_argument(
        "--stale",
        action="store_const",
        const=True,
        default=None,
        help="only sources overdue for review",
    )
    staleness.add_argument(
        "--current",
        dest="stale",
        action="store_const",
        const=False,
        help="only sources not overdue for review",
    )
    sources.add_argument(
        "--on",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day to judge staleness on, for the filter and the stale column (default: today)",
    )


def _add_export(exporting: argparse.ArgumentParser) -> None:
    exporting.add_argument(
        "--format",
        type=_one_of(FORMATS),
        default="json",
        metavar="FORMAT",
        help="one of: " + ", ".join(FORMATS) + " (default: json)",
    )
    exporting.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        help="write to this file (for csv and parquet without --table: into this directory, "
        "one file per table) instead of stdout",
    )
    exporting.add_argument(
        "--table",
        type=_one_of(KINDS),
        metavar="KIND",
        help="for csv and parquet: the one table to write, one of: " + ", ".join(KINDS),
    )
    exporting.add_argument(
        "--licence",
        "--license",
        dest="licenses",
        action="append",
        type=_one_of(_values(License)),
        metavar="LICENCE",
        help="keep only sources under this licence, and only what they support (repeatable), "
        "one of: " + ", ".join(_values(License)),
    )


def _check_export(args: argparse.Namespace, exporting: argparse.ArgumentParser) -> None:
    """Refuse an export that cannot be written as asked (a usage error)."""
    fmt: str = args.format
    output: str | None = args.output
    table: str | None = args.table
    if table is not None and fmt not in TABLE_FORMATS:
        raise _UsageError(exporting, f"--table applies to --format csv and parquet, not {fmt}")
    if fmt == "schema" and args.licenses:
        raise _UsageError(exporting, "--licence does not apply to --format schema")
    if output is None:
        if args.json:
            raise _UsageError(
                exporting,
                "--json reports the files written with --output; "
                "without --output the export itself goes to stdout",
            )
        if fmt in TABLE_FORMATS and table is None:
            raise _UsageError(
                exporting,
                f"--format {fmt} writes one table to stdout: give --table KIND, "
                "or --output DIR to write every table",
            )
        if fmt == "parquet" and _stdout_is_tty():
            raise _UsageError(
                exporting,
                "Parquet is binary and stdout is a terminal: give --output PATH, "
                "or redirect stdout to a file",
            )


_PATH_HELP = (
    "also read your own documents from this file or directory (repeatable); "
    "validated and merged with the bundled ones"
)
_NO_BUNDLED_HELP = "leave out the bundled documents: read only your own"
_EXTRA_FIELD_HELP = (
    "a frontmatter field of your own in source documents (repeatable): kept in "
    "Source.extra without a warning"
)


def _parser() -> tuple[_Parser, dict[str, _Parser]]:
    """The argument parser, and each command's subparser by name."""
    # The global options are accepted before or after the command; SUPPRESS keeps a
    # subcommand's default from overwriting a value given before it. A --path after
    # the command goes to its own dest, since the subcommand's list would replace
    # (not extend) the one given before it.
    common = _Parser(add_help=False)
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON instead of text"
    )
    common.add_argument(
        "--color",
        type=_one_of(("auto", "always", "never")),
        default=argparse.SUPPRESS,
        metavar="WHEN",
        help="colour the text output: auto (default), always or never",
    )
    common.add_argument(
        "--path",
        dest="path_after",
        action="append",
        default=argparse.SUPPRESS,
        metavar="PATH",
        help=_PATH_HELP,
    )
    common.add_argument(
        "--no-bundled", action="store_true", default=argparse.SUPPRESS, help=_NO_BUNDLED_HELP
    )
    common.add_argument(
        "--extra-field",
        dest="extra_field_after",
        action="append",
        default=argparse.SUPPRESS,
        metavar="NAME",
        help=_EXTRA_FIELD_HELP,
    )
    parser = _Parser(
        prog=_PROG, description="A typed, cited knowledge base of cancer immunotherapy."
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--color",
        type=_one_of(("auto", "always", "never")),
        default="auto",
        metavar="WHEN",
        help="colour the text output: auto (only on a terminal, without NO_COLOR; default), "
        "always or never",
    )
    parser.add_argument("--path", action="append", default=[], metavar="PATH", help=_PATH_HELP)
    parser.add_argument("--no-bundled", action="store_true", help=_NO_BUNDLED_HELP)
    parser.add_argument(
        "--extra-field", action="append", default=[], metavar="NAME", help=_EXTRA_FIELD_HELP
    )
    parser.add_argument(
        "--version",
        action="store_true",
        help="print the version, the content version and the fingerprint of the data, and exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub: dict[str, _Parser] = {}

    def add(
        name: str, help_text: str, usage: str | None = None, epilog: str | None = None
    ) -> _Parser:
        made: _Parser = commands.add_parser(
            name,
            parents=[common],
            help=help_text,
            description=help_text,
            usage=usage,
            epilog=epilog,
        )
        sub[name] = made
        return made

    add("get", "show an entity and all its evidence").add_argument(
        "name", metavar="NAME", help="id, name or alias"
    )
    search = add("search", "ranked search over entities and source passages")
    search.add_argument("text", metavar="TEXT", help="words to search for")
    search.add_argument(
        "--limit", type=_positive, default=10, help="most hits to show (default 10)"
    )
    listing = add(
        "list",
        "list therapies, vaccines, side effects, cancer types or sources, filtered",
        usage=f"{_PROG} list [-h] [--json] [--color WHEN] [--path PATH] "
        "[--no-bundled] KIND [filters]",
        epilog="Every filter given must match; a repeated filter matches any of its values. "
        "A filter that does not apply to KIND is a usage error.",
    )
    listing.add_argument(
        "kind", type=_one_of(_LIST_KINDS), metavar="KIND", help=", ".join(_LIST_KINDS)
    )
    _add_list_filters(listing)
    add(
        "side-effects", "side effects of a therapy, own and inherited, with citations"
    ).add_argument("therapy", metavar="THERAPY", help="id, name or alias of a therapy")
    add("therapies-for", "therapies used for or tested in a cancer type").add_argument(
        "cancer_type", metavar="CANCER_TYPE", help="id, name or alias of a cancer type"
    )
    add("therapies-with", "therapies that have a side effect, own or inherited").add_argument(
        "side_effect", metavar="SIDE_EFFECT", help="id, name or alias of a side effect"
    )
    sources = add("sources", "list the sources")
    sources.add_argument("--stale", action="store_true", help="only sources overdue for review")
    _add_on(sources)
    add("conflicts", "claims on which sources disagree")
    cite = add("cite", "human-readable citations of an entity, a side effect or an indication")
    cite.add_argument(
        "name",
        metavar="NAME",
        help="id, name or alias of an entity (of a therapy with --side-effect or --cancer-type)",
    )
    which = cite.add_mutually_exclusive_group()
    which.add_argument("--side-effect", metavar="NAME", help="cite this side effect of the therapy")
    which.add_argument(
        "--cancer-type",
        metavar="NAME",
        help="cite the therapy's indication claims for this cancer type (or a narrower one)",
    )
    _add_on(cite)
    _add_export(
        add(
            _EXPORT,
            "write the knowledge base as JSON, JSON Lines, JSON Schema, JSON-LD, CSV or Parquet",
            usage=f"{_PROG} export [-h] [--format FORMAT] [--output PATH] [--table KIND] "
            "[--licence LICENCE] [--json] [--path PATH] [--no-bundled]",
            epilog="Without --output the export goes to stdout (csv and parquet need --table; "
            "Parquet is never written to a terminal). With --output and no --table, csv and "
            "parquet write one file per table into the directory PATH. --json prints a report "
            "of the files written, so it needs --output.",
        )
    )
    checking = add(
        _VALIDATE,
        "check your documents and report every error and warning",
        epilog="Prints one line per problem, file:line: field: error: message (or warning:), "
        "sorted by file and line, then a summary. Exit status 1 when there is an error, "
        "0 otherwise (warnings alone included).",
    )
    checking.add_argument(
        "paths", nargs="+", metavar="PATH", help="a document, or a directory of documents"
    )
    return parser, sub


def _check_filters(args: argparse.Namespace, listing: argparse.ArgumentParser) -> None:
    """Refuse a ``list`` filter that does not apply to the kind asked for."""
    kind: str = args.kind
    for dest, (flag, kinds) in _FILTERS.items():
        value: object = getattr(args, dest)
        if value is None or kind in kinds:
            continue
        given = "--current" if dest == "stale" and value is False else flag
        applies = ", ".join(k for k in _LIST_KINDS if k in kinds)
        raise _UsageError(listing, f"{given} does not apply to {kind}; it applies to: {applies}")


def _arguments(args: argparse.Namespace) -> dict[str, JSONValue]:
    """The command's own parsed arguments as JSON values.

    In the parser's order; for ``list``, the kind and then the filters that apply
    to it, in the order of ``_FILTERS``.
    """
    values = {k: v for k, v in vars(args).items() if k not in _GLOBAL_DESTS}
    if args.command == "list":
        kind: str = args.kind
        keys = ["kind"] + [dest for dest, (_, kinds) in _FILTERS.items() if kind in kinds]
        values = {key: values[key] for key in keys}
    return {key: _plain(value) for key, value in values.items()}


def _plain(value: object) -> JSONValue:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


# --------------------------------------------------------------------------- terminal


@dataclass(frozen=True)
class _Style:
    """ANSI styling of the text output; every method returns its text unchanged when off."""

    enabled: bool

    def _sgr(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and text else text

    def bold(self, text: str) -> str:
        """Text in bold."""
        return self._sgr("1", text)

    def dim(self, text: str) -> str:
        """Text dimmed (secondary information)."""
        return self._sgr("2", text)

    def curated(self, text: str) -> str:
        """A curator's mark, in yellow, so that it never passes for a quote."""
        return self._sgr("33", text)

    def status(self, value: str) -> str:
        """A status value in a colour of its own (green approved, red failed...)."""
        codes = {
            Status.APPROVED.value: "32",
            Status.IN_USE.value: "32",
            Status.INVESTIGATIONAL.value: "36",
            Status.DISCONTINUED.value: "31",
            Status.FAILED.value: "31",
            Status.DISPUTED.value: "35",
            Status.UNVERIFIED.value: "33",
            Status.UNKNOWN.value: "2",
        }
        code = codes.get(value)
        return self._sgr(code, value) if code else value

    def marks(self, snippet: str) -> str:
        """A search snippet: ``**word**`` marks become bold yellow words when styling is on."""
        if not self.enabled:
            return snippet
        return _MARK.sub(lambda m: self._sgr("1;33", m.group(1)), snippet)

    def severity(self, word: str) -> str:
        """``error`` in bold red, ``warning`` in yellow."""
        return self._sgr("1;31" if word == "error" else "33", word)


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _stdout_is_tty() -> bool:
    """Whether stdout is a terminal (a function, so that tests can pretend it is)."""
    return _is_tty(sys.stdout)


def _stderr_is_tty() -> bool:
    """Whether stderr is a terminal, to draw the progress line on."""
    return _is_tty(sys.stderr)


class _Progress:
    """A progress line on stderr, ``checking documents  done/total``, redrawn in place.

    Drawn only when stderr is a terminal whose ``TERM`` is not ``dumb``, and only
    for more than :data:`_PROGRESS_MIN_STEPS` steps; :meth:`clear` blanks it.
    """

    def __init__(self) -> None:
        self.enabled = _stderr_is_tty() and os.environ.get("TERM", "") != "dumb"
        self.drawn = 0

    def __call__(self, done: int, total: int) -> None:
        """Redraw the line for ``done`` of ``total`` steps."""
        if not self.enabled or total <= _PROGRESS_MIN_STEPS:
            return
        text = f"checking documents  {done:>{len(str(total))}}/{total}"
        sys.stderr.write("\r" + text)
        sys.stderr.flush()
        self.drawn = max(self.drawn, len(text))

    def clear(self) -> None:
        """Blank the line, if one was drawn, and put the cursor back at its start."""
        if self.drawn:
            sys.stderr.write("\r" + " " * self.drawn + "\r")
            sys.stderr.flush()
            self.drawn = 0


def _use_color(choice: str) -> bool:
    """Whether to colour: ``always``, ``never``, or for ``auto`` the no-color.org rules."""
    if choice != "auto":
        return choice == "always"
    return (
        _stdout_is_tty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM", "") != "dumb"
    )


def _use_utf8(stream: TextIO) -> None:
    """Switch a real text stream to UTF-8 when the locale chose another encoding."""
    if isinstance(stream, io.TextIOWrapper):
        try:
            name = codecs.lookup(stream.encoding).name
        except LookupError:
            name = ""
        if name != "utf-8":
            stream.reconfigure(encoding="utf-8")


def _width(text: str) -> int:
    """Columns a string takes on a terminal: wide East Asian characters take two."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def _truncate(text: str, width: int) -> str:
    """The text cut to ``width`` columns, ending in "…" when cut."""
    if _width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        size = _width(ch)
        if used + size > width - 1:
            break
        out.append(ch)
        used += size
    return "".join(out) + "…"


@dataclass(frozen=True)
class _Column:
    """A table column: its header, whether to cut it only as a last resort, its colour."""

    header: str
    keep: bool = False
    paint: Callable[[_Style, str], str] | None = None


def _table(
    columns: Sequence[_Column], rows: Sequence[Sequence[str]], style: _Style, limit: int | None
) -> list[str]:
    """Aligned rows under a header; cells cut with "…" so a row fits ``limit`` columns.

    With ``limit`` None nothing is cut. Otherwise the columns not marked ``keep``
    are cut first, the widest first, down to eight columns (or the header's width);
    if the row is still too wide, the ``keep`` columns are cut the same way. A row
    that still does not fit is left to wrap.
    """
    widths = [
        max([_width(c.header)] + [_width(row[i]) for row in rows]) for i, c in enumerate(columns)
    ]
    if limit is not None:
        excess = sum(widths) + len(_GAP) * (len(widths) - 1) - limit
        for last_resort in (False, True):
            floors = [
                min(w, max(_MIN_CELL, _width(c.header))) if last_resort or not c.keep else w
                for c, w in zip(columns, widths, strict=True)
            ]
            while excess > 0:
                shrinkable = [i for i, w in enumerate(widths) if w > floors[i]]
                if not shrinkable:
                    break
                widest = max(shrinkable, key=lambda i: widths[i])
                widths[widest] -= 1
                excess -= 1

    def line(cells: Sequence[str], header: bool) -> str:
        parts = []
        for number, (column, cell, width) in enumerate(zip(columns, cells, widths, strict=True)):
            shown = _truncate(cell, width)
            pad = "" if number == len(columns) - 1 else " " * (width - _width(shown))
            if header:
                shown = style.bold(shown)
            elif column.paint is not None:
                shown = column.paint(style, shown)
            parts.append(shown + pad)
        return _GAP.join(parts).rstrip()

    return [line([c.header for c in columns], header=True)] + [line(r, header=False) for r in rows]


# --------------------------------------------------------------------------- text


@dataclass(frozen=True)
class _Context:
    """What every command needs: the knowledge base, the styling, the table width limit.

    ``origin`` names the documents the knowledge base was built from, for messages.
    """

    kb: KnowledgeBase
    style: _Style
    limit: int | None
    origin: str = "the bundled sources"


@dataclass(frozen=True)
class _Outcome:
    """A command's answer: its results as JSON values and as lines of text."""

    results: list[JSONValue]
    lines: list[str]


def _dump(items: Iterable[BaseModel]) -> list[JSONValue]:
    return [item.model_dump(mode="json") for item in items]


def _quote(kb: KnowledgeBase, citation: Citation) -> str:
    source = kb.source(citation.source_id)
    lead = f"{citation.lead_in} … " if citation.lead_in else ""
    return f'"{lead}{citation.quote}" ({source.title}; {source.id})'


def _evidence_lines(
    ctx: _Context, citations: Sequence[Citation], curated: str | None, indent: int = 6
) -> list[str]:
    pad = " " * indent
    if curated is not None:
        return [f"{pad}{ctx.style.curated('curated (not quoted)')}: {curated}"]
    return [f"{pad}{_quote(ctx.kb, c)}" for c in citations]


def _tier(tier: int | None) -> str:
    return "tier unknown" if tier is None else f"tier {tier}"


def _claim_lines(ctx: _Context, claim: StatusClaim | Indication, indent: int) -> list[str]:
    pad = " " * indent
    who = "curated" if claim.source_id is None else f"{claim.source_id}, {_tier(claim.tier)}"
    extra = [q for q in (claim.regulator, claim.phase.value if claim.phase else None) if q]
    head = f"{pad}{ctx.style.status(claim.status.value)}" + (
        f" ({'; '.join(extra)})" if extra else ""
    )
    lines = [f"{head}  claimed by {who}"]
    if isinstance(claim, Indication) and claim.qualifiers:
        lines.append(
            f"{pad}    for: " + "; ".join(f"{q.kind.value} “{q.text}”" for q in claim.qualifiers)
        )
    lines += _evidence_lines(ctx, claim.citations, claim.curated, indent + 4)
    for dispute in claim.disputed_by:
        lines.append(
            f"{pad}    disputed by {dispute.source_id}, {_tier(dispute.tier)}: {dispute.claim}"
        )
        lines += _evidence_lines(ctx, dispute.citations, None, indent + 8)
    return lines


_SCOPE_TEXT = {
    Scope.PRODUCT: "product (one named medicine or vaccine)",
    Scope.CLASS: "class (an approach or group of products; approvals belong to products)",
}


def _entity_lines(ctx: _Context, entity: AnyEntity) -> list[str]:
    kb, style = ctx.kb, ctx.style
    lines = [f"{style.bold(entity.name)}  [{entity.kind}: {entity.id}]"]
    if entity.aliases:
        lines.append("  also called: " + ", ".join(entity.aliases))
    if isinstance(entity, CancerType) and entity.cancer_type_tags:
        lines.append("  house tags (cancerTypes, not names): " + ", ".join(entity.cancer_type_tags))
    if entity.broader:
        lines.append("  broader: " + ", ".join(entity.broader))
    narrower = kb.narrower(entity.id)
    if narrower:
        lines.append("  narrower: " + ", ".join(e.id for e in narrower))
    if isinstance(entity, Therapy):
        lines.append(f"  scope: {_SCOPE_TEXT[entity.scope]}")
        lines.append(f"  status: {style.status(entity.status.value)}")
        if entity.routes:
            lines.append("  routes: " + ", ".join(r.value for r in entity.routes))
    if isinstance(entity, Vaccine):
        platform = "not stated" if entity.platform is None else entity.platform.value
        lines.append(f"  purpose: {entity.purpose.value}; platform: {platform}")
    if entity.summary:
        lines += ["", "  " + entity.summary.strip().replace("\n", "\n  "), ""]
    lines.append("  evidence:")
    for statement in entity.statements:
        according = ""
        if statement.promotional:
            said = ", ".join(sorted({c.source_id for c in statement.citations}))
            according = f"  (according to {said} only, a promotional source: its claim)"
        lines.append(f"    {statement.field.value}: {statement.value}{according}")
        lines += _evidence_lines(ctx, statement.citations, statement.curated)
    if isinstance(entity, Therapy):
        if entity.status_claims:
            lines.append(f"    status: {style.status(entity.status.value)}, from these claims:")
            for claim in entity.status_claims:
                lines += _claim_lines(ctx, claim, 6)
        for cancer_type_id in entity.cancer_type_ids:
            status = entity.indication_status(cancer_type_id)
            lines.append(f"    indication: {cancer_type_id} ({style.status(status.value)})")
            for indication in entity.indications_for(cancer_type_id):
                lines += _claim_lines(ctx, indication, 6)
        for relation in entity.side_effects:
            lines.append(f"    side effect: {relation.side_effect_id}")
            lines += _evidence_lines(ctx, relation.citations, relation.curated)
    lines.append("  sources:")
    lines += [f"      {_quote(kb, c)}" for c in entity.citations]
    return lines


def _link_lines(head: str, link: SideEffectLink) -> list[str]:
    """``head``, marked ``(inherited from <class>)`` and followed by the path when inherited."""
    if not link.via:
        return [head]
    path = " → ".join(link.path) if link.path else f"{link.therapy_id} → {link.via}"
    return [f"{head}  (inherited from {link.via})", f"      path: {path}"]


def _source_table(ctx: _Context, sources: Sequence[Source], on: dt.date | None) -> list[str]:
    if not sources:
        return ["no matches"]
    columns = (
        _Column("id", keep=True),
        _Column("tier", keep=True),
        _Column("licence"),
        _Column("last reviewed", keep=True),
        _Column("stale" if on is None else f"stale on {on.isoformat()}", keep=True),
        _Column("title"),
    )
    rows = [
        (
            s.id,
            "unknown" if s.tier is None else str(s.tier),
            s.license.value,
            s.last_reviewed_display or "no review date",
            "yes" if s.is_stale(on=on) else "no",
            s.title,
        )
        for s in sources
    ]
    return _table(columns, rows, ctx.style, ctx.limit)


def _entity_table(ctx: _Context, kind: str, entities: Sequence[AnyEntity]) -> list[str]:
    if not entities:
        return ["no matches"]
    rows: list[tuple[str, ...]]
    if kind not in _TREATMENTS:
        rows = [(e.id, e.name, ", ".join(e.broader) or "-") for e in entities]
        return _table(
            (_Column("id", keep=True), _Column("name"), _Column("broader")),
            rows,
            ctx.style,
            ctx.limit,
        )
    columns: tuple[_Column, ...] = (
        _Column("id", keep=True),
        _Column("name"),
        _Column("kind", keep=True),
        _Column("status", keep=True, paint=lambda style, text: style.status(text)),
        _Column("routes"),
    )
    if kind == _VACCINES:
        columns += (_Column("platform"), _Column("purpose", keep=True))
    rows = []
    for entity in (e for e in entities if isinstance(e, Therapy)):
        row: tuple[str, ...] = (
            entity.id,
            entity.name,
            entity.kind,
            entity.status.value,
            ", ".join(r.value for r in entity.routes) or "-",
        )
        if kind == _VACCINES and isinstance(entity, Vaccine):
            platform = "not stated" if entity.platform is None else entity.platform.value
            row += (platform, entity.purpose.value)
        rows.append(row)
    return _table(columns, rows, ctx.style, ctx.limit)


def _conflict_lines(ctx: _Context, conflict: Conflict) -> list[str]:
    what = conflict.field.value + (f" for {conflict.subject}" if conflict.subject else "")
    lines = [
        f"{ctx.style.bold(conflict.entity_id)}: {what} is "
        f"{ctx.style.status(conflict.adopted.value)}"
    ]
    for claim in conflict.claims:
        who = "curated" if claim.source_id is None else f"{claim.source_id}, {_tier(claim.tier)}"
        label = f"against {claim.against}" if claim.disputes else "claims"
        lines.append(f"  {who}, {label}: {claim.value}")
        lines += _evidence_lines(ctx, claim.citations, claim.curated)
    return lines


def _hit_lines(ctx: _Context, hit: Hit) -> list[str]:
    style = ctx.style
    if hit.entity is not None:
        what = f"{style.bold(hit.entity.name)}  [{hit.entity.kind}: {hit.entity.id}]"
    else:
        what = style.bold(f"passage in {hit.source_id}")
        if hit.section:
            what += f"  (section: {hit.section})"
    lines = [f"{style.dim(f'{hit.score:8.3f}')}  {what}", f"          {style.marks(hit.snippet)}"]
    if hit.citation is not None:
        lines.append("          " + style.dim(f"source: {hit.citation.source_id}"))
    return lines


# --------------------------------------------------------------------------- commands


def _get(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    name: str = args.name
    entity = ctx.kb.get(name)
    return _Outcome(_dump([entity]), _entity_lines(ctx, entity))


def _search(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    text: str = args.text
    limit: int = args.limit
    hits = ctx.kb.search(text, limit=limit)
    lines = [line for hit in hits for line in _hit_lines(ctx, hit)]
    return _Outcome(_dump(hits), lines or ["no matches"])


class _TreatmentFilters(TypedDict):
    """The filters find_therapies and find_vaccines share, as the CLI passes them."""

    cancer_type: str | None
    status: list[str] | None
    route: list[str] | None
    category: str | None
    source: list[str] | None
    tier: list[int] | None
    audience: list[str] | None


def _list(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    kb = ctx.kb
    kind: str = args.kind
    source: list[str] | None = args.source
    tier: list[int] | None = args.tier
    audience: list[str] | None = args.audience
    if kind == _SOURCES:
        licence: list[str] | None = args.license
        stale: bool | None = args.stale
        on: dt.date | None = args.on
        sources = kb.find_sources(license=licence, tier=tier, audience=audience, stale=stale, on=on)
        return _Outcome(_dump(sources), _source_table(ctx, sources, on))
    found: Sequence[AnyEntity]
    if kind in _TREATMENTS:
        cancer_type: str | None = args.cancer_type
        status: list[str] | None = args.status
        route: list[str] | None = args.route
        category: str | None = args.category
        common: _TreatmentFilters = {
            "cancer_type": cancer_type,
            "status": status,
            "route": route,
            "category": category,
            "source": source,
            "tier": tier,
            "audience": audience,
        }
        if kind == _THERAPIES:
            found = kb.find_therapies(**common)
        else:
            platform: list[str] | None = args.platform
            purpose: str | None = args.purpose
            found = kb.find_vaccines(platform=platform, purpose=purpose, **common)
    else:
        therapy: str | None = args.therapy
        find = kb.find_side_effects if kind == _SIDE_EFFECTS else kb.find_cancer_types
        found = find(therapy=therapy, source=source, tier=tier, audience=audience)
    return _Outcome(_dump(found), _entity_table(ctx, kind, found))


def _side_effects(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    kb = ctx.kb
    name: str = args.therapy
    links = kb.side_effects_of(name)  # refuses a name that is not a therapy
    therapy = kb.get(name)
    lines = [ctx.style.bold(f"Side effects of {therapy.name} ({therapy.id}):")]
    for link in links:
        lines += _link_lines(f"  {link.side_effect.name}", link)
        lines += _evidence_lines(ctx, link.citations, link.curated)
        if link.includes:
            stating = sorted({c.source_id for p in link.includes for c in p.citations})
            names = "; ".join(p.side_effect.name for p in link.includes)
            lines.append(f"      which include, according to {', '.join(stating)}: {names}")
    if not links:
        lines.append(f"  none recorded in {ctx.origin}")
    return _Outcome(_dump(links), lines)


def _therapies_for(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    kb = ctx.kb
    text: str = args.cancer_type
    therapies = kb.therapies_for(text)  # raises NotFoundError naming what was typed
    cancer = kb.get(text)
    wanted = [cancer.id] + [c.id for c in kb.narrower(cancer.id, transitive=True)]
    rows: list[JSONValue] = []
    lines = [ctx.style.bold(f"Therapies used for or tested in {cancer.name} ({cancer.id}):")]
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
                    "claims": _dump(claims),
                }
            )
            lines.append(
                f"  {therapy.name}  [{therapy.id}]  "
                f"{ctx.style.status(status.value)} for {cancer_type_id}"
            )
            for claim in claims:
                lines += _claim_lines(ctx, claim, 6)
    if not rows:
        lines.append(f"  none recorded in {ctx.origin}")
    return _Outcome(rows, lines)


def _therapies_with(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    kb = ctx.kb
    text: str = args.side_effect
    links = kb.therapies_with_side_effect(text)  # refuses a name that is not a side effect
    effect = kb.get(text)
    lines = [ctx.style.bold(f"Therapies with {effect.name} ({effect.id}):")]
    broader = [e.name for e in kb.ancestors(effect.id)]
    if broader:
        lines.append(f"  ({effect.name} is part of: {'; '.join(broader)})")
    stated: dict[tuple[str, str], SideEffectLink] = {}
    for link in links:
        therapy = kb.get(link.therapy_id)
        lines += _link_lines(f"  {therapy.name}  [{therapy.id}]  {link.side_effect.name}", link)
        stated.setdefault((link.via or link.therapy_id, link.side_effect.id), link)
    if not links:
        lines.append(f"  none recorded in {ctx.origin}")
    else:
        lines.append("  evidence:")
        for (origin, _), link in stated.items():
            lines.append(f"    {link.side_effect.name}, stated for {origin}")
            lines += _evidence_lines(ctx, link.citations, link.curated, indent=8)
    return _Outcome(_dump(links), lines)


def _sources(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    stale: bool = args.stale
    on: dt.date | None = args.on
    chosen = ctx.kb.find_sources(stale=True if stale else None, on=on)
    return _Outcome(_dump(chosen), _source_table(ctx, chosen, on))


def _conflicts(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    del args  # the command takes no arguments
    conflicts = ctx.kb.conflicts()
    lines = [line for conflict in conflicts for line in _conflict_lines(ctx, conflict)]
    return _Outcome(_dump(conflicts), lines or ["no conflicts"])


def _therapy_for_cite(kb: KnowledgeBase, name: str, option: str) -> Therapy:
    entity = kb.get(name)
    if not isinstance(entity, Therapy):
        raise _MissingError(
            f"{entity.name} ({entity.id}) is a {entity.kind.replace('_', ' ')}, "
            f"not a therapy; {option} needs a therapy or vaccine"
        )
    return entity


def _cite(ctx: _Context, args: argparse.Namespace) -> _Outcome:
    kb = ctx.kb
    name: str = args.name
    side_effect: str | None = args.side_effect
    cancer_type: str | None = args.cancer_type
    on: dt.date | None = args.on
    blocks: list[str] = []
    references: list[JSONValue] = []
    if side_effect is not None:
        therapy = _therapy_for_cite(kb, name, "--side-effect")
        effect = kb.get(side_effect)
        wanted = {effect.id} | {e.id for e in kb.ancestors(effect.id)}
        every = kb.side_effects_of(therapy.id)
        links = [link for link in every if link.side_effect.id in wanted]
        if not links:
            own = list(dict.fromkeys(link.side_effect.name for link in every))
            raise _MissingError(
                f"{therapy.name} ({therapy.id}) has no recorded side effect {effect.name!r}"
                + (f"; its side effects: {', '.join(own)}" if own else ""),
                own,
            )
        for link in links:
            blocks.append(kb.cite(link, on=on))
            references += _dump(kb.references(link, on=on))
    elif cancer_type is not None:
        therapy = _therapy_for_cite(kb, name, "--cancer-type")
        cancer = kb.get(cancer_type)
        wanted_ids = [cancer.id] + [c.id for c in kb.narrower(cancer.id, transitive=True)]
        claims = [claim for cid in wanted_ids for claim in therapy.indications_for(cid)]
        if not claims:
            own = [kb.get(cid).name for cid in therapy.cancer_type_ids]
            raise _MissingError(
                f"{therapy.name} ({therapy.id}) has no indication for {cancer.name!r}"
                + (f"; its cancer types: {', '.join(own)}" if own else ""),
                own,
            )
        for claim in claims:
            who = claim.source_id or "curated"
            heading = (
                f"{therapy.name} ({therapy.id}): indication {claim.cancer_type_id} "
                f"{claim.status.value}, claimed by {who}"
            )
            # The therapy's name is not on the claim, so the heading is the CLI's own.
            _, _, body = kb.cite(claim, on=on).partition("\n")
            blocks.append(f"{heading}\n{body}")
            references += _dump(kb.references(claim, on=on))
    else:
        blocks.append(kb.cite(name, on=on))
        references += _dump(kb.references(name, on=on))
    lines = [line for block in blocks for line in (*block.split("\n"), "")][:-1]
    if lines:
        lines[0] = ctx.style.bold(lines[0])
    return _Outcome(references, lines)


_HANDLERS: dict[str, Callable[[_Context, argparse.Namespace], _Outcome]] = {
    "get": _get,
    "search": _search,
    "list": _list,
    "side-effects": _side_effects,
    "therapies-for": _therapies_for,
    "therapies-with": _therapies_with,
    "sources": _sources,
    "conflicts": _conflicts,
    "cite": _cite,
}


# --------------------------------------------------------------------------- main


def _emit(text: str) -> bool:
    """Print ``text`` on stdout; False when the reader closed the pipe first."""
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (e.g. `| head`) closed the pipe: stop quietly, and keep Python
        # from reporting the failed flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return False
    return True


def _to_json(document: dict[str, JSONValue]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)


def _fail(
    command: str | None,
    kind: str,
    message: str,
    suggestions: Sequence[str],
    *,
    as_json: bool,
    status: int,
    prefix: str = _PROG,
    problems: Sequence[DocumentError] = (),
) -> int:
    """Report an error: the message on stderr, and the error document on stdout for JSON.

    ``problems`` (for an invalid document) go to stderr first, one line each, and
    into the error document's ``problems``.
    """
    for line in _problem_lines(problems, _Style(enabled=False)):
        print(line, file=sys.stderr)
    print(f"{prefix}: {message}", file=sys.stderr)
    if as_json:
        error: dict[str, JSONValue] = {
            "type": kind,
            "message": message,
            "suggestions": list(suggestions),
        }
        if problems:
            error["problems"] = [_plain(p.as_dict()) for p in problems]
        if not _emit(_to_json({"command": command, "error": error})):
            return 1
    return status


def _prescan(argv: Sequence[str]) -> tuple[str | None, bool]:
    """The command and whether ``--json`` was asked for, before parsing (for usage errors)."""
    options = list(argv[: argv.index("--")] if "--" in argv else argv)
    command = next(
        (
            a
            for i, a in enumerate(options)
            if (a in _HANDLERS or a in (_VALIDATE, _EXPORT))
            and (i == 0 or options[i - 1] != "--path")
        ),
        None,
    )
    return command, "--json" in options


# --------------------------------------------------------------------------- documents


def _problem_lines(problems: Iterable[DocumentError | DocumentWarning], style: _Style) -> list[str]:
    """``file:line: field: error: message`` (or ``warning:``) per problem, sorted."""
    return [
        f"{p.location}: {style.severity(p.severity)}: {p.reason}"
        for p in sorted(problems, key=lambda p: p.sort_key())
    ]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _validate_hint(paths: Sequence[str], bundled: bool, extra_fields: Sequence[str] = ()) -> str:
    """The command that checks these documents, for the user to copy."""
    declared = [word for name in extra_fields for word in ("--extra-field", name)]
    words = [_PROG, _VALIDATE, *([] if bundled else ["--no-bundled"]), *declared, *paths]
    return " ".join(shlex.quote(word) for word in words)


def _summary(report: ValidationReport) -> str:
    """``12 documents: 3 errors, 2 warnings; 1 file skipped (not *.md or *.markdown)``."""
    text = (
        f"{_plural(report.documents, 'document')}: {_plural(len(report.errors), 'error')}, "
        f"{_plural(len(report.warnings), 'warning')}"
    )
    if report.skipped:
        names = " or ".join(f"*{suffix}" for suffix in DOCUMENT_SUFFIXES)
        text += f"; {_plural(len(report.skipped), 'file')} skipped (not {names})"
    return text


def _run_validate(
    paths: list[str],
    *,
    bundled: bool,
    as_json: bool,
    color: str,
    extra_fields: Sequence[str] = (),
) -> int:
    """``immunokb validate``: every problem on stdout, then the summary (or the JSON report)."""
    progress = _Progress()
    try:
        report = validate(paths, bundled=bundled, progress=progress, extra_fields=extra_fields)
    finally:
        progress.clear()
    status = 0 if report.ok else 1
    if as_json:
        result: dict[str, JSONValue] = {k: _plain(v) for k, v in report.as_dict().items()}
        document: dict[str, JSONValue] = {
            "command": _VALIDATE,
            "arguments": {"paths": list(paths), "bundled": bundled},
            "content_version": bundled_content_version() if bundled else None,
            "count": 1,
            "results": [result],
        }
        text = _to_json(document)
    else:
        style = _Style(enabled=_use_color(color))
        text = "\n".join([*_problem_lines(report.problems, style), _summary(report)])
    return status if _emit(text) else 1


def _filter_note(view: ExportView) -> None:
    """On stderr: what the licence filter kept, so that a filtered export is never mistaken."""
    filtered = view.filtered
    if filtered is None:
        return
    kept, total = len(filtered.kb.entities), len(view.original.entities)
    changed = len(filtered.entities_changed)
    licences = ", ".join(license.value for license in filtered.licenses)
    print(
        f"{_PROG}: licence filter ({licences}): kept {len(filtered.kb.sources)} of "
        f"{len(view.original.sources)} sources and {kept} of {total} entities, {changed} of "
        f"them with less; what was withheld is listed under license_filter in the header "
        f"(json, jsonl, jsonld) or the Parquet metadata",
        file=sys.stderr,
    )


def _write_stdout(data: str | bytes) -> bool:
    """Write an export to stdout as it is; False when the reader closed the pipe first."""
    try:
        if isinstance(data, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return False
    return True


def _run_export(kb: KnowledgeBase, args: argparse.Namespace, *, as_json: bool) -> int:
    """``immunokb export``: the export on stdout, or written to ``--output`` with a report."""
    fmt: str = args.format
    table: str | None = args.table
    output: str | None = args.output
    view = prepare(kb, fmt, licenses=args.licenses, table=table)
    if output is None:
        data = render(view, fmt, table)
        _filter_note(view)
        return 0 if _write_stdout(data) else 1
    try:
        written = write(view, output, fmt, table)
    except OSError as exc:
        raise _WriteError(f"cannot write {output}: {exc.strerror or exc}") from exc
    _filter_note(view)
    files: list[JSONValue] = [
        {
            "path": str(path),
            "format": fmt,
            "table": table or (path.name[: -len(SUFFIXES[fmt])] if fmt in TABLE_FORMATS else None),
            "bytes": path.stat().st_size,
        }
        for path in written
    ]
    if as_json:
        document: dict[str, JSONValue] = {
            "command": _EXPORT,
            "arguments": _arguments(args),
            "content_version": kb.content_version,
            "count": len(files),
            "results": files,
        }
        text = _to_json(document)
    else:
        text = "\n".join(f"wrote {path}" for path in written)
    return 0 if _emit(text) else 1


def _load(paths: list[str], *, bundled: bool, extra_fields: Sequence[str] = ()) -> KnowledgeBase:
    """The knowledge base to query; a load's warnings go to stderr, not :mod:`warnings`.

    The first warning is printed in full, then how many more there are and the
    ``validate`` command that lists them all.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DocumentWarning)
        kb = load(paths or None, bundled=bundled, extra_fields=extra_fields)
    if kb.warnings:
        first, *more = sorted(kb.warnings, key=lambda p: p.sort_key())
        print(_problem_lines([first], _Style(enabled=False))[0], file=sys.stderr)
        if more:
            print(
                f"{_PROG}: {_plural(len(more), 'more warning')}; list them all with: "
                + _validate_hint(paths, bundled, extra_fields),
                file=sys.stderr,
            )
    return kb


def _invalid(
    command: str,
    exc: DocumentError,
    paths: list[str],
    *,
    bundled: bool,
    extra_fields: Sequence[str],
    as_json: bool,
) -> int:
    """Report a load that failed on invalid documents: every problem, then the summary."""
    message = f"invalid documents: {_plural(len(exc.problems), 'error')}; nothing was loaded"
    if paths:
        message += f" (check them with: {_validate_hint(paths, bundled, extra_fields)})"
    return _fail(
        command,
        "invalid_document",
        message,
        (),
        as_json=as_json,
        status=1,
        problems=sorted(exc.problems, key=lambda p: p.sort_key()),
    )


_VERSION = "version"
"""The name ``--version`` goes by in the JSON envelope."""


def _run_version(
    paths: list[str], *, bundled: bool, extra_fields: Sequence[str], as_json: bool
) -> int:
    """``immunokb --version``: the package version and what identifies the data.

    The data is the knowledge base the other commands would query with the same
    ``--path``/``--no-bundled`` options: its content version (the bundled content's;
    none without it) and its fingerprint (none when there are no documents at all).
    """
    from importlib.metadata import version  # noqa: PLC0415

    package = version("immunokb")
    fingerprint: str | None = None
    content_version: str | None = None
    if bundled or paths:
        try:
            kb = _load(paths, bundled=bundled, extra_fields=extra_fields)
        except DocumentError as exc:
            return _invalid(
                _VERSION, exc, paths, bundled=bundled, extra_fields=extra_fields, as_json=as_json
            )
        fingerprint, content_version = kb.fingerprint, kb.version
    if as_json:
        result: dict[str, JSONValue] = {
            "version": package,
            "content_version": content_version,
            "fingerprint": fingerprint,
        }
        document: dict[str, JSONValue] = {
            "command": _VERSION,
            "arguments": {"paths": list(paths), "bundled": bundled},
            "content_version": content_version,
            "count": 1,
            "results": [result],
        }
        return 0 if _emit(_to_json(document)) else 1
    lines = [
        f"{_PROG} {package}",
        "content version: " + (content_version or "none (the bundled documents are left out)"),
        f"fingerprint: {fingerprint or 'none (no documents)'}",
    ]
    return 0 if _emit("\n".join(lines)) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status.

    Args:
        argv: The arguments after the program name (default: ``sys.argv[1:]``).

    Returns:
        0 on success (an empty result, or a ``validate`` report without errors,
        too); 1 when a name is not found, a therapy has no such side effect or
        indication, a document is invalid (``validate`` found an error), an export
        cannot be written or needs an optional extra that is not installed, or the
        reader closed the pipe; 2 on a usage error or a filter value a query refuses.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):
        _use_utf8(stream)
    parser, sub = _parser()
    try:
        args = parser.parse_args(arguments)
        if args.command is None and not args.version:
            parser.error("a command is required")
        if args.command == "list":
            _check_filters(args, sub["list"])
        if args.command == _EXPORT:
            _check_export(args, sub[_EXPORT])
        given_paths = [*args.path, *getattr(args, "path_after", [])]
        extra_fields = [*args.extra_field, *getattr(args, "extra_field_after", [])]
        if args.no_bundled and not given_paths and args.command not in (None, _VALIDATE):
            parser.error(
                "--no-bundled needs --path: without the bundled documents "
                "and your own there is nothing to query"
            )
    except _UsageError as exc:
        exc.parser.print_usage(sys.stderr)
        named, wants_json = _prescan(arguments)
        return _fail(
            named,
            "usage_error",
            exc.message,
            (),
            as_json=wants_json,
            status=2,
            prefix=f"{exc.parser.prog}: error",
        )
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    if args.version:
        return _run_version(
            given_paths, bundled=not args.no_bundled, extra_fields=extra_fields, as_json=args.json
        )
    command: str = args.command
    as_json: bool = args.json
    paths: list[str] = given_paths
    bundled = not args.no_bundled
    if command == _VALIDATE:
        checked: list[str] = args.paths
        return _run_validate(
            list(dict.fromkeys([*checked, *paths])),
            bundled=bundled,
            as_json=as_json,
            color=args.color,
            extra_fields=extra_fields,
        )
    if not paths:
        origin = "the bundled sources"
    else:
        origin = "the bundled sources or yours" if bundled else "your sources"
    try:
        kb = _load(paths, bundled=bundled, extra_fields=extra_fields)
        if command == _EXPORT:
            return _run_export(kb, args, as_json=as_json)
        ctx = _Context(
            kb=kb,
            style=_Style(enabled=not as_json and _use_color(args.color)),
            limit=shutil.get_terminal_size().columns if _stdout_is_tty() else None,
            origin=origin,
        )
        outcome = _HANDLERS[command](ctx, args)
    except NotFoundError as exc:
        return _fail(command, "not_found", str(exc), exc.suggestions, as_json=as_json, status=1)
    except _MissingError as exc:
        return _fail(command, "not_found", exc.message, exc.suggestions, as_json=as_json, status=1)
    except QueryError as exc:
        return _fail(command, "query_error", str(exc), (), as_json=as_json, status=2)
    except MissingDependencyError as exc:
        return _fail(command, "missing_dependency", str(exc), (), as_json=as_json, status=1)
    except _WriteError as exc:
        return _fail(command, "write_error", exc.message, (), as_json=as_json, status=1)
    except DocumentError as exc:
        return _invalid(
            command, exc, paths, bundled=bundled, extra_fields=extra_fields, as_json=as_json
        )
    if as_json:
        document: dict[str, JSONValue] = {
            "command": command,
            "arguments": _arguments(args),
            "content_version": kb.content_version,
            "count": len(outcome.results),
            "results": outcome.results,
        }
        text = _to_json(document)
    else:
        text = "\n".join(outcome.lines)
    return 0 if _emit(text) else 1
