"""The whole-word test the builder uses to check that a quote says what it claims."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from immunokb._build import _says
from immunokb._provenance import normalize_quote


def _reference(said: str, words: str) -> bool:
    """The definition: a case-insensitive regular expression bounded by non-word characters."""
    pattern = r"(?<!\w)" + re.escape(normalize_quote(words)) + r"(?!\w)"
    return re.search(pattern, said, re.IGNORECASE) is not None


_ASCII = st.text(alphabet="abAB _-1.'", max_size=14)
# Letters whose case folding is not plain lower-casing (dotted and dotless i, long
# s, the Kelvin sign, sharp s) take the regular-expression path.
_ANY = st.text(alphabet="abAB _-1.\u00e9\u00c9\u0130\u0131\u017f\u212a\u00df", max_size=14)


@settings(max_examples=2000)
@given(said=_ASCII, words=_ASCII)
def test_the_ascii_shortcut_agrees_with_the_regular_expression(said: str, words: str) -> None:
    assert _says(said, words) == _reference(said, words)


@settings(max_examples=500)
@given(said=_ANY, words=_ANY)
def test_other_text_agrees_too(said: str, words: str) -> None:
    assert _says(said, words) == _reference(said, words)


def test_examples() -> None:
    assert _says("Sipuleucel-T is approved.", "sipuleucel-t")
    assert not _says("Sipuleucel-Tx is approved.", "sipuleucel-t")
    assert not _says("pembrolizumab", "pembro")
    assert _says("given by IV (intravenous) infusion", "intravenous")
