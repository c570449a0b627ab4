"""The Python examples on a docs page run, and print what the page says they print.

A ``python`` block immediately followed by a ``text`` block is run (all blocks of a
page share one namespace, in order, from the repository root) and its output must
equal the text block. A ``python`` block followed by anything else only has to run.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import warnings
from pathlib import Path

import pytest

import immunokb

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["your-documents.md", "exports.md"]
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def _blocks(page: str) -> list[tuple[str, str]]:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    return [(match.group(1), match.group(2)) for match in _BLOCK.finditer(text)]


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_print_what_the_page_shows(page: str, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    blocks = _blocks(page)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    checked = 0
    for index, (language, code) in enumerate(blocks):
        if language != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            # The pages load documents with unknown fields on purpose.
            warnings.simplefilter("ignore", immunokb.DocumentWarning)
            exec(compile(code, f"{page}[{index}]", "exec"), namespace)  # noqa: S102
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if following is not None and following[0] == "text":
            assert out.getvalue() == following[1], f"block {index} of {page}"
            checked += 1
    assert checked >= 2  # the page's examples with output were found and compared


def test_example_corpus_is_where_the_page_says() -> None:
    corpus = ROOT / "examples" / "hospital-docs"
    listed = {
        str(path.relative_to(corpus)).replace(os.sep, "/")
        for path in corpus.rglob("*")
        if path.is_file()
    }
    assert listed == {
        "04_hospital/day-unit-leaflet.md",
        "04_hospital/merkblatt-tagesklinik.md",
        "05_trials/Study List.md",
        "README.txt",
    }
