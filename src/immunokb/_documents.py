"""Reading documents: bytes -> frontmatter mapping + body, with line numbers.

This is the only module that imports PyYAML and python-frontmatter; it is
imported on first load, never by ``import immunokb``.

A document is UTF-8 text (a byte-order mark is accepted; CRLF and lone CR line
endings read as LF) that starts with a YAML frontmatter block between two
``---`` lines, followed by a Markdown body. The YAML is read with the safe
loader, so no Python object is ever constructed from a tag; its node tree is kept
so that any problem can be reported with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from ._errors import DocumentError
from ._load import MAX_DOCUMENT_BYTES

__all__ = ["MAX_DOCUMENT_BYTES", "ParsedDocument", "parse_document"]


_MAX_NODES = 20_000
_MAX_DEPTH = 32

# python-frontmatter's YAML handler defines the delimiters; we split ourselves so
# that we know on which line the frontmatter starts.
_HANDLER = YAMLHandler()
_DELIMITER = re.compile(r"^" + re.escape(_HANDLER.START_DELIMITER) + r"-*[ \t]*$", re.MULTILINE)

Loc = tuple[str | int, ...]


try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]  # same API, slower


class _Loader(_SafeLoader):
    """YAML's safe loader without implicit timestamps: an unquoted date stays text.

    PyYAML (YAML 1.1) would turn ``2025-12-30`` into a date, and fail on
    ``2025-13-45`` before we could say which field is wrong. Keeping dates as
    text lets the schema parse and report them like any other value.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class ParsedDocument:
    """A document split into its frontmatter mapping and its body."""

    path: str
    meta: dict[str, Any]
    body: str
    node: yaml.Node | None
    first_line: int

    def line_of(self, loc: Loc) -> int | None:
        """The 1-based line of the frontmatter value at ``loc`` (best effort)."""
        node = self.node
        if node is None:
            return None
        line = node.start_mark.line
        for part in loc:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == part:
                        child, line = value, key.start_mark.line
                        break
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                child = node.value[part]
                line = child.start_mark.line
            if child is None:
                break
            node = child
            if isinstance(child, yaml.ScalarNode):
                line = child.start_mark.line
        return self.first_line + line

    def error(self, reason: str, loc: Loc = (), *, field: str | None = None) -> DocumentError:
        """A DocumentError for this document at ``loc`` (a path into the frontmatter)."""
        return DocumentError(
            reason,
            path=self.path,
            line=self.line_of(loc) if loc else None,
            field=field if field is not None else (format_loc(loc) or None),
        )


def format_loc(loc: Loc) -> str:
    """``("aliases", 1, "cite", 0, "quote")`` -> ``aliases[1].cite[0].quote``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _decode(path: str, data: bytes) -> str:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentError(
            f"document is {len(data)} bytes; the limit is {MAX_DOCUMENT_BYTES} bytes", path=path
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DocumentError(
            f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} cannot be decoded",
            path=path,
            line=line,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _check_depth(path: str, first_line: int, block: str) -> None:
    """Refuse deep nesting while reading YAML events, before any node is built.

    PyYAML builds its node tree recursively (in C with libyaml), so a few hundred
    thousand nested brackets would overflow the stack; the event stream is flat.
    """
    depth = 0
    for event in yaml.parse(block, Loader=_Loader):
        if isinstance(event, _OPEN):
            depth += 1
            if depth > _MAX_DEPTH:
                mark = event.start_mark
                raise DocumentError(
                    f"frontmatter is nested deeper than {_MAX_DEPTH} levels",
                    path=path,
                    line=None if mark is None else first_line + mark.line,
                )
        elif isinstance(event, _CLOSE):
            depth -= 1


_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = frozenset(
    _CORE + name for name in ("str", "int", "float", "bool", "null", "seq", "map", "merge")
)
"""Plain data only: no sets, binary, timestamps, ordered maps or language-specific tags."""
_SCALAR_FORMS: dict[str, list[re.Pattern[str]]] = {}
for _resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.values():
    for _tag, _form in _resolvers:
        if _tag in {_CORE + "bool", _CORE + "int", _CORE + "float", _CORE + "null"}:
            _SCALAR_FORMS.setdefault(_tag, []).append(_form)
"""How YAML writes each typed scalar: a value tagged ``!!int`` must look like one."""
_MAX_NUMBER_CHARS = 32
"""Longest number accepted, in characters (a 64-bit integer has at most 20 digits)."""


def _check_node(path: str, first_line: int, node: yaml.Node) -> None:
    """Refuse a tag that is not plain data, and numbers too long to be meant."""
    line = first_line + node.start_mark.line
    if node.tag not in _ALLOWED_TAGS:
        tag = "!!" + node.tag.removeprefix(_CORE) if node.tag.startswith(_CORE) else node.tag
        raise DocumentError(
            f"YAML tag {tag} not allowed: a value is text, a number, true/false, null, "
            "a list or a mapping",
            path=path,
            line=line,
        )
    forms = _SCALAR_FORMS.get(node.tag)
    if forms is not None and not any(form.match(node.value) for form in forms):
        raise DocumentError(
            f"{node.value!r} is not a valid !!{node.tag.removeprefix(_CORE)}",
            path=path,
            line=line,
        )
    if node.tag in {_CORE + "int", _CORE + "float"} and len(node.value) > _MAX_NUMBER_CHARS:
        raise DocumentError(
            f"a number of {len(node.value)} characters is not allowed (at most "
            f"{_MAX_NUMBER_CHARS}); quote it if it is text",
            path=path,
            line=line,
        )


def _check_budget(path: str, first_line: int, root: yaml.Node) -> None:
    """Refuse alias bombs, deep nesting and non-data tags before anything is constructed."""
    seen = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        _check_node(path, first_line, node)
        seen += 1
        if seen > _MAX_NODES:
            raise DocumentError(
                f"frontmatter expands to more than {_MAX_NODES} values (YAML alias expansion?)",
                path=path,
                line=first_line + node.start_mark.line,
            )
        if depth > _MAX_DEPTH:
            raise DocumentError(
                f"frontmatter is nested deeper than {_MAX_DEPTH} levels",
                path=path,
                line=first_line + node.start_mark.line,
            )
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)


def parse_document(path: str, data: bytes) -> ParsedDocument:
    """Parse one document; raise :class:`DocumentError` naming ``path`` and the line."""
    text = _decode(path, data)
    if not text.strip():
        raise DocumentError("document is empty", path=path)
    opening = _DELIMITER.match(text)
    if opening is None:
        raise DocumentError(
            "no YAML frontmatter: the document must start with a '---' line", path=path, line=1
        )
    closing = _DELIMITER.search(text, opening.end())
    if closing is None:
        raise DocumentError("frontmatter is not closed by a '---' line", path=path, line=1)
    block = text[opening.end() + 1 : closing.start()]
    first_line = 2
    try:
        _check_depth(path, first_line, block)
        node = yaml.compose(block, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = f"malformed YAML: {exc.problem or exc.context}"
        if exc.context and exc.context_mark is not None and exc.problem:
            reason += f" ({exc.context} that starts on line {first_line + exc.context_mark.line})"
        raise DocumentError(
            reason, path=path, line=None if mark is None else first_line + mark.line
        ) from None
    except yaml.YAMLError as exc:
        raise DocumentError(f"malformed YAML: {exc}", path=path) from None
    meta: Any = {}
    if node is not None:
        _check_budget(path, first_line, node)
        try:
            meta = yaml.constructor.SafeConstructor().construct_document(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise DocumentError(
                f"YAML value not allowed: {exc.problem or exc.context}",
                path=path,
                line=None if mark is None else first_line + mark.line,
            ) from None
        except Exception as exc:  # PyYAML's constructors raise what they meet
            raise DocumentError(f"YAML value not allowed: {exc}", path=path) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise DocumentError(
            f"frontmatter must be a mapping of fields, not a {type(meta).__name__}",
            path=path,
            line=first_line,
        )
    for key in meta:
        if not isinstance(key, str):
            raise DocumentError(f"field name {key!r} is not text", path=path, line=first_line)
    body = text[closing.end() :].strip()
    return ParsedDocument(path=path, meta=meta, body=body, node=node, first_line=first_line)
