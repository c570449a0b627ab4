"""The document reader: encodings, line endings, hostile YAML."""

from __future__ import annotations

import pytest

import immunokb
from immunokb._documents import MAX_DOCUMENT_BYTES, parse_document

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
