"""normalize() takes shortcuts for speed; they must not change a single key."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from immunokb import normalize

_DROP = str.maketrans("", "", "®™©℠")


def reference(text: str) -> str:
    """The rules written out once, character by character, with no shortcut."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_DROP))
    out: list[str] = []
    base = ""
    for char in decomposed:
        if unicodedata.category(char).startswith("M"):
            code = ord(base) if base else 0
            latin = code < 0x250 or 0x1E00 <= code <= 0x1EFF
            if base and not latin:
                out.append(char)
            continue
        base = char
        out.append(char.casefold() if char.isalnum() else " ")
    return " ".join("".join(out).split())


MIXED = st.text(
    alphabet=st.sampled_from(
        list("aZ09 -_.,\t\n®™©")
        + list("éÉñßİﬁ½²")
        + list("कािं्")
        + list("免疫")
        + ["\u0301", "\u3000"]
    ),
    max_size=40,
)


@given(st.one_of(st.text(max_size=60), MIXED))
def test_normalize_equals_the_character_by_character_rules(text: str) -> None:
    assert normalize(text) == reference(text)
