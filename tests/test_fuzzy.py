"""The approximate matching behind suggestions and typo-tolerant search."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from immunokb._fuzzy import GramIndex, grams, within_one_edit

# Latin, Devanagari (with vowel signs) and Greek letters, so that the properties are
# checked on code points of more than one script.
LETTERS = "abcdeilmnort" + "कखगमनरसािीुे" + "αβγδ"
words = st.text(alphabet=LETTERS, min_size=0, max_size=9)


def osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance, the textbook dynamic programme."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(words, words)
def test_within_one_edit_agrees_with_the_distance(a: str, b: str) -> None:
    assert within_one_edit(a, b) == (osa_distance(a, b) <= 1)


@st.composite
def one_edit(draw: st.DrawFn) -> tuple[str, str]:
    word = draw(st.text(alphabet=LETTERS, min_size=2, max_size=9))
    i = draw(st.integers(0, len(word) - 1))
    char = draw(st.sampled_from(LETTERS))
    edits = [
        word[:i] + word[i + 1 :],
        word[:i] + char + word[i:],
        word[:i] + char + word[i + 1 :],
        word[:i] + word[i + 1 : i + 2] + word[i : i + 1] + word[i + 2 :],
    ]
    return word, draw(st.sampled_from(edits))


@given(one_edit())
def test_every_single_edit_is_within_one_edit(pair: tuple[str, str]) -> None:
    word, edited = pair
    assert within_one_edit(word, edited)
    assert within_one_edit(edited, word)


@given(st.lists(words, max_size=30), words)
def test_near_finds_exactly_the_words_one_edit_away(vocabulary: list[str], word: str) -> None:
    index = GramIndex(vocabulary, 2)
    expected = {w for w in vocabulary if osa_distance(w, word) <= 1}
    assert set(index.near(word)) == expected


@given(st.lists(words, max_size=30), words)
def test_candidates_are_ranked_by_shared_grams_with_a_stable_tie_break(
    vocabulary: list[str], query: str
) -> None:
    index = GramIndex(vocabulary, 3)
    found = index.candidates(query)
    shared = [len(grams(item, 3) & grams(query, 3)) for item in found]
    assert shared == sorted(shared, reverse=True)
    assert all(count >= 1 for count in shared)
    order = list(dict.fromkeys(vocabulary))
    pairs = list(zip(found, shared, strict=True))
    for (a, ca), (b, cb) in itertools.pairwise(pairs):
        if ca == cb:
            assert order.index(a) < order.index(b)
    assert index.candidates(query, limit=2) == found[:2]


def test_index_size_and_membership() -> None:
    index = GramIndex(["tumor", "tumour", "tumor"], 2)
    assert len(index) == 2
    assert "tumour" in index
    assert "humour" not in index
