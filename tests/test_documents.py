"""The document reader: encodings, line endings, hostile YAML."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import immunokb
from immunokb import _documents
from immunokb._documents import MAX_DOCUMENT_BYTES, _deep_flow, parse_document

GOOD = "---\ntitle: A\ntags:\n  - x\n---\n\nBody text.\n"


def test_reads_frontmatter_and_strips_body() -> None:
    doc = parse_document("a.md", GOOD.encode())
    assert doc.meta == {"title": "A", "tags": ["x"]}
    assert doc.body == "Body text."
    assert doc.line_of(("tags", 0)) == 4


def test_bom_and_crlf_read_like_plain_lf() -> None:
    plain = parse_document("a.md", GOOD.encode())
    windows = parse_document("a.md", b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    assert (windows.meta, windows.body) == (plain.meta, plain.body)


def test_devanagari_round_trips_exactly() -> None:
    text = "---\ntitle: प्रतिरक्षा चिकित्सा\n---\nकैंसर का इलाज।\n"
    doc = parse_document("hi.md", text.encode())
    assert doc.meta["title"] == "प्रतिरक्षा चिकित्सा"
    assert doc.body == "कैंसर का इलाज।"


@pytest.mark.parametrize(
    ("data", "message", "line"),
    [
        (b"", "document is empty", None),
        (b"just text\n", "no YAML frontmatter", 1),
        (b"---\ntitle: a\n", "not closed", 1),
        (b"---\ntitle: [a\n---\n", "malformed YAML", 3),
        (b"---\n- a\n- b\n---\n", "must be a mapping", 2),
        (b"---\ntitle: caf\xe9\n---\n", "not UTF-8", 2),
        (b"---\n1: x\n---\n", "is not text", 2),
        (b"---\nx: !!python/object/apply:os.system ['echo hacked']\n---\n", "not allowed", 2),
    ],
)
def test_bad_documents_raise_document_error(data: bytes, message: str, line: int | None) -> None:
    with pytest.raises(immunokb.DocumentError, match=message) as info:
        parse_document("bad.md", data)
    assert info.value.path == "bad.md"
    assert info.value.line == line


def test_alias_bomb_is_refused_before_expansion() -> None:
    lines = ["---", 'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    lines += ["---", ""]
    with pytest.raises(immunokb.DocumentError, match="alias expansion"):
        parse_document("bomb.md", "\n".join(lines).encode())


def test_deep_nesting_is_refused() -> None:
    data = "---\nx: " + "[" * 200 + "]" * 200 + "\n---\n"
    with pytest.raises(immunokb.DocumentError, match="nested deeper"):
        parse_document("deep.md", data.encode())


def test_oversize_document_is_refused() -> None:
    data = b"---\ntitle: big\n---\n" + b"x" * MAX_DOCUMENT_BYTES
    with pytest.raises(immunokb.DocumentError, match="the limit is"):
        parse_document("big.md", data)


# ----------------------------------------------------------------- nesting, whatever reads the YAML

# Fragments of YAML-like text that matter to where a flow collection opens: brackets,
# indicators, quotes, comments, anchors and tags, block scalars and indentation.
_FRAGMENTS = st.sampled_from(
    [
        "[", "]", "{", "}", ",", ": ", ":", "- ", "? ", "-", "?", "'", '"', "''", "\\",
        "#", " #", "\n", "\n  ", "\n    ", "\n- ", "\n  - ", " ", "a", "b: ", "|", ">",
        "|\n  ", "|-\n", ">2\n", "&x ", "*x", "!t ", "!!str ", "%Y", "---", "...",
    ]
)  # fmt: skip
_LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if yaml.__with_libyaml__ else [])


def _yaml_first_deeper(text: str, limit: int, loader: type) -> int | None:
    """Where the YAML scanner opens the first flow collection deeper than ``limit``."""
    depth = 0
    for token in yaml.scan(text, Loader=loader):
        if isinstance(token, (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken)):
            depth += 1
            if depth > limit:
                return int(token.start_mark.index)
        elif isinstance(token, (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)):
            depth -= 1
            if depth < 0:  # the libraries disagree on an unmatched closing bracket
                raise yaml.YAMLError("unbalanced")
    return None


@settings(max_examples=3000)
@given(st.lists(_FRAGMENTS, max_size=60).map("".join), st.integers(0, 4))
def test_our_flow_scan_finds_what_yaml_finds(text: str, limit: int) -> None:
    # Where YAML itself opens a collection too deep, our scan finds it there or
    # before; on YAML that parses, it finds exactly what YAML finds, so a valid
    # document is never refused for brackets that are text.
    for loader in _LOADERS:
        try:
            theirs = _yaml_first_deeper(text, limit, loader)
        except yaml.YAMLError:
            continue
        ours = _deep_flow(text, limit)
        if theirs is not None:
            assert ours is not None
            assert ours <= theirs
        try:
            yaml.compose(text, Loader=loader)
        except yaml.YAMLError:
            continue
        assert ours == theirs


def test_brackets_that_are_text_are_not_nesting() -> None:
    run = "[" * 40 + "{" * 40
    text = (
        "---\n"
        f"quoted: '{run}'\n"
        f'double: "{run}"\n'
        f"plain: a {run}\n"
        f"continued: a\n  {run}\n"
        f"# {run}\n"
        f"literal: |\n  {run}\n  {run}\n"
        f"folded: >-\n    {run}\n"
        f"tagged: !!str x{run}\n"
        "---\n"
    )
    meta = parse_document("text.md", text.encode()).meta
    assert meta["quoted"] == meta["double"] == run
    assert meta["plain"] == meta["continued"] == f"a {run}"
    assert meta["literal"] == f"{run}\n{run}\n"
    assert meta["folded"] == run
    assert meta["tagged"] == f"x{run}"


@pytest.mark.parametrize(
    ("frontmatter", "line"),
    [
        pytest.param("x: " + "[ " * 5000, 2, id="spaced"),
        pytest.param("x:\n  - a\n  - " + "[" * 40, 4, id="in-a-block-sequence"),
        pytest.param("x: " + "[\n" * 40, 2 + 32, id="one-per-line"),
        pytest.param("x: " + "[{a: " * 20, 2, id="mixed"),
        pytest.param("x: '[[[['\ny: " + "{" * 33 + "\n", 3, id="after-a-quoted-run"),
        pytest.param("x: |\n  [[[[\n" + "y: " + "[" * 33, 4, id="after-a-block-scalar"),
    ],
)
def test_deep_flow_nesting_is_refused_at_its_line(frontmatter: str, line: int) -> None:
    with pytest.raises(immunokb.DocumentError) as info:
        parse_document("deep.md", f"---\n{frontmatter}\n---\n".encode())
    assert info.value.reason == "frontmatter is nested deeper than 32 levels"
    assert info.value.line == line


def test_the_refusals_hold_without_libyaml() -> None:
    # The hostile-YAML tests again, in a process where PyYAML has no libyaml.
    root = Path(__file__).resolve().parent
    env = {**os.environ, "IMMUNOKB_TEST_WITHOUT_LIBYAML": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"]
    selected = [str(root / "test_documents.py"), str(root / "test_bad_input.py")]
    result = subprocess.run(
        [*command, *selected, "-k", "not without_libyaml"],
        capture_output=True,
        text=True,
        env=env,
        cwd=root.parent,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


@pytest.mark.skipif(
    os.environ.get("IMMUNOKB_TEST_WITHOUT_LIBYAML") != "1", reason="run without libyaml only"
)
def test_pure_python_yaml_is_in_use() -> None:
    assert not yaml.__with_libyaml__
    assert issubclass(_documents._Loader, yaml.loader.SafeLoader)
