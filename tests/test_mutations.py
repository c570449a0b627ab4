"""Any mutation of a valid document either loads or raises DocumentError, and nothing else.

Each test takes a small valid corpus from ``doc_strategies.corpora()``, damages one
of its documents (its bytes, or its frontmatter's structure before it is written)
and builds the corpus again. The build must either succeed (and the knowledge base
must work: its fingerprint is computed) or raise exactly ``immunokb.DocumentError``
whose every problem names one of the documents and, if it gives one, a line inside
it. Any other exception fails the test with its own traceback.

There is no per-example timeout in hypothesis, so inputs are kept small; the elapsed
time of each build is checked against a generous bound only as a sanity check.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import time
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import immunokb
from doc_strategies import Corpus, Doc, corpora
from docwriter import dump_yaml, encode, render
from immunokb._build import build

SANITY_SECONDS = 10.0
"""No example here should take anywhere near this long; it is not a performance test."""

small_corpora = corpora(max_sources=2, max_entities=3)


def check_outcome(documents: list[tuple[str, bytes]]) -> str:
    """Build; return 'loaded' or 'refused'. Only DocumentError may escape the build."""
    paths = {path for path, _ in documents}
    lines = {path: data.count(b"\n") + data.count(b"\r") + 1 for path, data in documents}
    started = time.perf_counter()
    error: immunokb.DocumentError | None = None
    try:
        kb = build(documents)
    except immunokb.DocumentError as exc:
        error = exc
    else:
        assert len(kb.fingerprint) == 64
        assert all(w.path in paths for w in kb.warnings)
    assert time.perf_counter() - started < SANITY_SECONDS
    if error is not None:
        assert type(error) is immunokb.DocumentError
        assert error.problems, "a DocumentError carries its problems"
        assert (error.path, error.line, error.field, error.reason) == (
            error.problems[0].path,
            error.problems[0].line,
            error.problems[0].field,
            error.problems[0].reason,
        )
        for problem in error.problems:
            assert type(problem) is immunokb.DocumentError
            assert problem.path in paths
            assert problem.reason
            if problem.line is not None:
                assert 1 <= problem.line <= lines[problem.path], (problem, lines[problem.path])
            assert str(problem).startswith(problem.path)
    outcome = "loaded" if error is None else "refused"
    event(outcome)
    return outcome


def _replace(corpus: Corpus, index: int, data: bytes) -> list[tuple[str, bytes]]:
    documents = corpus.documents()
    documents[index] = (documents[index][0], data)
    return documents


def _pick(draw: st.DrawFn, corpus: Corpus) -> tuple[int, Doc]:
    index = draw(st.integers(0, len(corpus.docs) - 1))
    return index, corpus.docs[index]


# --------------------------------------------------------------------------- byte mutations


@st.composite
def byte_mutations(draw: st.DrawFn) -> list[tuple[str, bytes]]:
    """A corpus with one document's bytes flipped, cut, inserted, deleted or repeated."""
    corpus = draw(small_corpora)
    index, doc = _pick(draw, corpus)
    data = bytearray(
        encode(doc.text, newline=draw(st.sampled_from(["\n", "\r\n"])), bom=draw(st.booleans()))
    )
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "repeat"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            at = min(at, len(data) - 1)
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 32))]
    return _replace(corpus, index, bytes(data))


@settings(max_examples=150)
@given(byte_mutations())
def test_byte_mutations_load_or_raise_document_error(documents) -> None:
    check_outcome(documents)


@settings(max_examples=60)
@given(small_corpora, st.data())
def test_truncation_at_any_offset(corpus: Corpus, data: st.DataObject) -> None:
    index, doc = _pick(data.draw, corpus)
    encoded = encode(doc.text, newline="\r\n", bom=True)
    frontmatter = "---\n" + dump_yaml(doc.meta, **doc.style) + "---"
    closed = len(encode(frontmatter, newline="\r\n", bom=True))
    cut = data.draw(st.integers(0, len(encoded)))
    outcome = check_outcome(_replace(corpus, index, encoded[:cut]))
    if cut < closed:  # the frontmatter is not closed
        assert outcome == "refused"
    if cut == len(encoded):  # nothing cut
        assert outcome == "loaded"


# --------------------------------------------------------------------------- structure


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a frontmatter mapping (not the root)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        items: list[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return found
    for key, item in items:
        found.append((*prefix, key))
        found += _paths(item, (*prefix, key))
    return found


def _parent(meta: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = meta
    for part in path[:-1]:
        node = node[part]
    return node


SWAPS: list[Any] = [
    True,
    False,
    None,
    0,
    -7,
    2**70,
    3.25,
    float("inf"),
    float("nan"),
    dt.date(2024, 2, 29),
    dt.datetime(2024, 1, 1, 12, 30),
    [],
    ["x"],
    [1, [2, [3, [4]]]],
    {},
    {"a": 1},
    {"value": "x"},
    {"value": "x", "curated": "y", "cite": []},
    {"source": "a", "quote": "b"},
    "",
    " ",
    "text",
    "yes",
    "2021",
    "2025-13-45",
    "Phase III",
    "approved",
    "x" * 300,
]
"""Values of every YAML type, to put where another type belongs."""

SNIPPETS = [
    "!!python/object/apply:os.getcwd []",
    "!!python/name:builtins.len",
    "!!python/object:builtins.object {}",
    "!!python/tuple [a, b]",
    "!!python/bytes aGk=",
    "!!binary aGVsbG8=",
    "!!binary /w==",
    "!!set {a, b}",
    "!!omap [{a: 1}, {b: 2}]",
    "!!pairs [[a, 1]]",
    "!!timestamp 2020-01-01",
    "!!timestamp 2020-01-01T10:00:00Z",
    "!!timestamp 2020-13-45",
    "!!float .nan",
    "!!float x",
    "!!int 0x1F",
    "!!int 12abc",
    "!!str 12",
    "!!bool yes",
    "!!null ''",
    "!!map [a]",
    "!!seq {a: 1}",
    "!custom x",
    "!<tag:example.com,2000:x> y",
    "&anchor value",
    "*undefined",
    "&rec [*rec]",
    "&rec2 {k: *rec2}",
    "{a: 1, a: 2}",
    "{<<: {a: 1}, b: 2}",
    "{<<: [1, 2]}",
    "{? [a, b] : c}",
    "{? {a: b} : c}",
    "[a, [b, [c, [d]]]]",
    "2024-02-30",
    "1:20:30",
    "0o17",
    "0b101",
    "-.inf",
    "~",
    "No",
    "'unterminated",
    '"bad \\q escape"',
    "[unclosed",
    "{unclosed",
    "@reserved",
    "`backtick",
    "%directive",
    "| literal",
    "\t tab",
]
"""Raw YAML written in place of a value: tags, anchors and aliases, merges, bad syntax."""

LINES = [
    "<<: {kind: therapy}",
    "<<: [{id: x}, {title: y}]",
    "kind: therapy",
    "kind: [therapy]",
    "id: dup",
    "title: !!binary aGk=",
    "? [complex, key]\n: value",
    "? {a: b}\n: value",
    "1: one",
    "null: nothing",
    "true: yes",
    "2024-01-01: date key",
    "&top zqxa: 1",
    "zqxb: *top",
    "%YAML 1.1",
    "--- !!map",
    "...",
    "  - misplaced",
    "\ttabbed: x",
    "zqxc: &loop [*loop]",
]
"""Raw frontmatter lines: merge keys, duplicated and non-text keys, directives, markers."""

_PLACEHOLDER = "zzplaceholderzz{}"


def _with_raw(meta: dict[str, Any], raw: dict[tuple[Any, ...], str], doc: Doc) -> str:
    """``meta`` with the values at the given paths written as raw YAML text.

    Deeper paths are replaced first: a value inside another that is replaced too
    disappears with it.
    """
    meta = copy.deepcopy(meta)
    for number, path in sorted(enumerate(raw), key=lambda item: -len(item[1])):
        _parent(meta, path)[path[-1]] = _PLACEHOLDER.format(number)
    text = render(meta, doc.body, **doc.style)
    for number, snippet in enumerate(raw.values()):
        text = text.replace(_PLACEHOLDER.format(number), snippet, 1)
    return text


@st.composite
def structural_mutations(draw: st.DrawFn) -> list[tuple[str, bytes]]:
    """A corpus with one document's frontmatter damaged in its structure."""
    corpus = draw(small_corpora)
    index, doc = _pick(draw, corpus)
    meta = copy.deepcopy(doc.meta)
    paths = _paths(meta)
    kind = draw(st.sampled_from(["delete", "swap", "snippet", "alias", "line", "duplicate", "tab"]))
    if kind in {"delete", "swap", "snippet", "alias"} and len(paths) < 2:
        kind = "line"
    if kind == "delete":
        path = draw(st.sampled_from(paths))
        del _parent(meta, path)[path[-1]]
        text = render(meta, doc.body, **doc.style)
    elif kind == "swap":
        path = draw(st.sampled_from(paths))
        _parent(meta, path)[path[-1]] = copy.deepcopy(draw(st.sampled_from(SWAPS)))
        text = render(meta, doc.body, **doc.style)
    elif kind == "snippet":
        chosen = draw(st.lists(st.sampled_from(paths), min_size=1, max_size=2, unique=True))
        text = _with_raw(meta, {p: draw(st.sampled_from(SNIPPETS)) for p in chosen}, doc)
    elif kind == "alias":  # one value anchored, another (before or after it) an alias of it
        first, second = draw(st.lists(st.sampled_from(paths), min_size=2, max_size=2, unique=True))
        value = _parent(meta, first)[first[-1]]
        flow = dump_yaml({"v": value}, flow=True, width=10**6).strip()[4:-1]
        text = _with_raw(meta, {first: f"&shared {flow}", second: "*shared"}, doc)
    else:
        lines = dump_yaml(meta, **doc.style).splitlines()
        at = draw(st.integers(0, len(lines)))
        if kind == "line":
            new = draw(st.sampled_from(LINES))
        elif kind == "duplicate":  # repeat one top-level field, with all its lines
            starts = [i for i, line in enumerate(lines) if re.match(r"[^\s-]", line)]
            if not starts:
                starts = [0]
                lines = lines or ["zqxempty: 1"]
            start = draw(st.sampled_from(starts))
            end = next((i for i in starts if i > start), len(lines))
            new = "\n".join(lines[start:end])
            at = draw(st.sampled_from([*starts, len(lines)]))
        else:
            new = "\t" + (lines[at - 1] if at else "x: y")
        lines.insert(at, new)
        text = "---\n" + "\n".join(lines) + "\n---\n" + doc.body + "\n"
    return _replace(corpus, index, encode(text))


@settings(max_examples=200)
@given(structural_mutations())
def test_structural_mutations_load_or_raise_document_error(documents) -> None:
    check_outcome(documents)


@settings(max_examples=60)
@given(small_corpora, st.data())
def test_deleting_a_required_field_is_refused(corpus: Corpus, data: st.DataObject) -> None:
    index, doc = _pick(data.draw, corpus)
    if "kind" in doc.meta:  # without its kind, an entity document reads as an untitled source
        required = ["kind", "id", "name", "cite"]
        if doc.meta["kind"] == "vaccine":
            required.append("purpose")
    elif "title" in doc.meta:
        required = ["title"]
    else:
        required = []  # a source titled by its first heading has no required field
    if not required:
        return
    meta = dict(doc.meta)
    del meta[data.draw(st.sampled_from(required))]
    outcome = check_outcome(_replace(corpus, index, encode(render(meta, doc.body))))
    if "kind" in doc.meta or not re.match(r"#[ \t]", doc.body):
        assert outcome == "refused"
    else:  # a source that lost its title is titled by the heading its body starts with
        assert outcome == "loaded"


@settings(max_examples=60)
@given(small_corpora, st.data())
def test_a_python_tag_anywhere_is_refused(corpus: Corpus, data: st.DataObject) -> None:
    """The safe loader never builds a Python object: the document is refused instead."""
    index, doc = _pick(data.draw, corpus)
    paths = _paths(doc.meta)
    if not paths:
        return
    path = data.draw(st.sampled_from(paths))
    tag = data.draw(st.sampled_from([s for s in SNIPPETS if s.startswith("!!python")]))
    documents = _replace(corpus, index, encode(_with_raw(doc.meta, {path: tag}, doc)))
    assert check_outcome(documents) == "refused"


# --------------------------------------------------------------------------- found bugs


@pytest.mark.parametrize("value", ["0x" + "f" * 4000, "1" + ":0" * 2500])
def test_a_huge_integer_in_an_unknown_field_is_refused(value: str) -> None:
    # Found by fuzzing: it loaded, and kb.fingerprint then raised ValueError.
    data = f"---\ntitle: T\nzqxbig: {value}\n---\nText.\n".encode()
    with pytest.raises(immunokb.DocumentError, match=r"a number of \d+ characters") as info:
        build([("sources/a.md", data)])
    assert info.value.line == 3


def test_a_yaml_set_is_refused() -> None:
    # Found by fuzzing: `tags: !!set {...}` loaded in an order that followed string
    # hashing, so the same document gave another fingerprint in another process.
    data = b"---\ntitle: T\ntags: !!set {bb, a, c, dd, e}\n---\nx\n"
    with pytest.raises(immunokb.DocumentError, match=r"YAML tag !!set not allowed") as info:
        build([("sources/a.md", data)])
    assert info.value.line == 3
