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
_BLANK = " \t\n"
_FLOW_INDICATORS = ",[]{}"
_ANCHOR_NAME = re.compile(r"[A-Za-z0-9_-]*")


def _deep_flow(block: str, limit: int = _MAX_DEPTH) -> int | None:
    """Offset of the first flow collection opened more than ``limit`` levels deep, or None.

    Our own scan of the YAML text, so that the refusal of deep nesting does not
    depend on the YAML library: a YAML scanner reads ahead through a run of
    brackets (each one may begin a key), and libyaml stops at a depth limit of its
    own, with its own message, before a single event reaches :func:`_check_depth`.
    It runs only when the block holds more brackets than the limit.
    """
    if block.count("[") + block.count("{") <= limit:
        return None
    return _FlowScan(block).first_deeper_than(limit)


class _FlowScan:
    """Where YAML opens flow collections in a text, found without a YAML library.

    It follows YAML's rules for what decides whether a ``[`` or ``{`` opens a
    collection or is text: quoted scalars, comments, anchors, aliases and tags,
    block scalars with their indentation, and plain scalars with their
    continuation lines, which depend on the indentation of the enclosing block
    collections. It reads no values and reports no errors: text that YAML would
    refuse is scanned on, so that a refusal never depends on which error comes
    first. Linear in the length of the text.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line_start = 0  # offset where the current line begins
        self.depth = 0  # flow level
        self.indent = -1  # column of the innermost block collection
        self.indents: list[int] = []
        self.allow_key = True  # whether the next token may begin a key
        self.key_column = -1  # column of the token that may be a block mapping's key

    def first_deeper_than(self, limit: int) -> int | None:
        """Offset of the first ``[`` or ``{`` that opens level ``limit + 1``, or None."""
        text, n = self.text, len(self.text)
        while self._next_token():
            pos = self.pos
            column = pos - self.line_start
            block = not self.depth
            if block:
                while self.indent > column:
                    self.indent = self.indents.pop()
            ch = text[pos]
            blank_after = pos + 1 >= n or text[pos + 1] in _BLANK
            if ch in "[{":
                self.depth += 1
                if self.depth > limit:
                    return pos
                self._maybe_key(column, block)
                self.allow_key = True
                self.pos += 1
            elif ch in "]}":
                self.depth = max(self.depth - 1, 0)
                self.allow_key = False
                self.pos += 1
            elif ch == ",":
                self.allow_key = True
                self.pos += 1
            elif ch == "-" and blank_after:  # a block sequence entry
                if block:
                    self._add_indent(column)
                self.allow_key = True
                self.pos += 1
            elif ch in "?:" and (blank_after or not block):
                if block:
                    self._add_indent(
                        self.key_column if ch == ":" and self.key_column >= 0 else column
                    )
                self.key_column = -1
                self.allow_key = block
                self.pos += 1
            elif ch == "%" and column == 0 and block:  # a directive
                self.pos = self._line_end(pos)
            elif column == 0 and self._separator_at(pos):  # "---" or "...": a new document
                self.indent, self.indents = -1, []
                self.key_column = -1
                self.allow_key = False
                self.pos += 3
            elif ch in "|>" and block:
                self._block_scalar()
                self.key_column = -1
                self.allow_key = True
            else:
                self._maybe_key(column, block)
                if ch in "&*":  # an anchor or an alias: ASCII letters, digits, - and _
                    name = _ANCHOR_NAME.match(text, pos + 1)
                    self.pos = pos + 1 if name is None else name.end()
                elif ch == "!":  # a tag (its characters may include brackets) ends at a blank
                    while self.pos < n and text[self.pos] not in _BLANK:
                        self.pos += 1
                elif ch in "'\"":
                    self._quoted()
                else:
                    self._plain()
                self.allow_key = False
        return None

    def _maybe_key(self, column: int, block: bool) -> None:
        if self.allow_key and block:
            self.key_column = column

    def _add_indent(self, column: int) -> None:
        if self.indent < column:
            self.indents.append(self.indent)
            self.indent = column

    def _line_end(self, pos: int) -> int:
        end = self.text.find("\n", pos)
        return len(self.text) if end < 0 else end

    def _next_token(self) -> bool:
        """Skip spaces, line breaks and comments; False at the end of the text."""
        text, n = self.text, len(self.text)
        while self.pos < n:
            ch = text[self.pos]
            if ch == " ":
                self.pos += 1
            elif ch == "#":
                self.pos = self._line_end(self.pos)
            elif ch == "\n":
                self.pos += 1
                self.line_start = self.pos
                if not self.depth:
                    self.allow_key = True
            else:
                return True
        return False

    def _moved_to(self, pos: int) -> None:
        """Go to ``pos``, keeping track of the line it is on."""
        last_break = self.text.rfind("\n", self.pos, pos)
        if last_break >= 0:
            self.line_start = last_break + 1
        self.pos = pos

    def _quoted(self) -> None:
        text, n = self.text, len(self.text)
        quote, pos = text[self.pos], self.pos + 1
        while pos < n:
            ch = text[pos]
            if ch == "\\" and quote == '"':
                pos += 2
            elif ch == quote and not (quote == "'" and text.startswith("'", pos + 1)):
                pos += 1
                break
            else:
                pos += 2 if ch == quote else 1  # '' is a quote mark inside '...'
        self._moved_to(min(pos, n))

    def _separator_at(self, pos: int) -> bool:
        text = self.text
        return text.startswith(("---", "..."), pos) and (
            pos + 3 >= len(text) or text[pos + 3] in _BLANK
        )

    def _plain(self) -> None:
        """Move past a plain scalar: chunks of text, with the line breaks between them."""
        text, n = self.text, len(self.text)
        min_column = self.indent + 1
        stops = ",?[]{}" if self.depth else ""
        after_colon = _BLANK + (_FLOW_INDICATORS if self.depth else "")
        pos = self.pos
        while True:
            start = pos
            while pos < n:
                ch = text[pos]
                if ch in _BLANK or ch in stops:
                    break
                if ch == ":" and (pos + 1 >= n or text[pos + 1] in after_colon):
                    break
                pos += 1
            if pos == start:
                break
            spaces = pos
            while spaces < n and text[spaces] == " ":
                spaces += 1
            if spaces < n and text[spaces] == "\n":
                # Line breaks: the scalar goes on if the next text is indented enough.
                nxt, line = spaces, spaces
                while nxt < n and text[nxt] in " \n":
                    if text[nxt] == "\n":
                        line = nxt + 1
                        if self._separator_at(line):
                            break
                    nxt += 1
                if (
                    nxt >= n
                    or self._separator_at(line)
                    or text[nxt] == "#"
                    or (not self.depth and nxt - line < min_column)
                ):
                    break
                self._moved_to(nxt)
                pos = nxt
            elif spaces > pos and spaces < n and text[spaces] != "#":
                pos = spaces
            else:
                break
        self._moved_to(pos)

    def _block_scalar(self) -> None:
        """Move past a literal or folded block scalar: its header and its indented lines."""
        text, n = self.text, len(self.text)
        header_end = self._line_end(self.pos)
        digits = [c for c in text[self.pos + 1 : min(self.pos + 3, header_end)] if c in "123456789"]
        min_indent = max(self.indent + 1, 1)
        pos = header_end
        if digits:
            indent = min_indent + int(digits[0]) - 1
        else:  # as deep as the first line with text (or the deepest blank line before it)
            deepest, scan, line = 0, pos, pos
            while scan < n and text[scan] in " \n":
                if text[scan] == "\n":
                    line = scan + 1
                scan += 1
                deepest = max(deepest, scan - line)
            indent = max(min_indent, deepest)
        while pos < n:  # pos is at a line break
            line = pos + 1
            scan = line
            while scan < n and text[scan] == " " and scan - line < indent:
                scan += 1
            if scan < n and text[scan] != "\n" and scan - line < indent:
                break  # a line indented less than the scalar: the scalar has ended
            pos = self._line_end(scan)
        self._moved_to(pos)


def _check_depth(path: str, first_line: int, block: str) -> None:
    """Refuse deep nesting before any node is built, whichever YAML library reads it.

    PyYAML builds its node tree recursively (in C with libyaml), so a few hundred
    thousand nested brackets would overflow the stack. Deep flow collections are
    found by our own scan (:func:`_deep_flow`); every other nesting (block
    collections, or flow collections inside them) by counting the events the
    parser streams, which are flat.
    """
    deep = _deep_flow(block)
    if deep is not None:
        raise DocumentError(
            f"frontmatter is nested deeper than {_MAX_DEPTH} levels",
            path=path,
            line=first_line + block.count("\n", 0, deep),
        )
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


_SHAPES: dict[type[yaml.Node], str] = {
    yaml.ScalarNode: "single value",
    yaml.SequenceNode: "list",
    yaml.MappingNode: "mapping",
}
_TAG_SHAPES = {
    _CORE + "seq": "list",
    _CORE + "map": "mapping",
    **{_CORE + name: "single value" for name in ("str", "int", "float", "bool", "null", "merge")},
}
"""Which kind of node each allowed tag may stand on (``!!int`` on a list is refused)."""


def _tag_text(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


def _check_node(path: str, first_line: int, node: yaml.Node) -> None:
    """Refuse a tag that is not plain data, and numbers too long to be meant."""
    line = first_line + node.start_mark.line
    if node.tag not in _ALLOWED_TAGS:
        raise DocumentError(
            f"YAML tag {_tag_text(node.tag)} not allowed: a value is text, a number, "
            "true/false, null, a list or a mapping",
            path=path,
            line=line,
        )
    shape = _SHAPES[type(node)]
    if _TAG_SHAPES.get(node.tag, shape) != shape:
        raise DocumentError(
            f"YAML tag {_tag_text(node.tag)} does not fit a {shape}", path=path, line=line
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
