"""Suggestions on a miss ("did you mean"): the Suggester answers what the plain procedure does.

``reference`` below is the procedure ``KnowledgeBase._suggest`` followed before the
Suggester (score every one of the 240 best trigram candidates with difflib), kept
here word for word, with its constants as parameters so that small label sets can
exercise the cut to the best candidates and to the longest key.
"""

from __future__ import annotations

import difflib
import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import immunokb
from immunokb import normalize
from immunokb._fuzzy import GramIndex, Suggester, _common_subsequence, _masks


def reference(
    labels: Mapping[str, str],
    key: str,
    *,
    name: Callable[[str], str],
    keep: Callable[[str], bool] | None = None,
    limit: int = 5,
    candidates: int = 240,
    cutoff: float = 0.6,
    floor: float = 0.8,
    max_key: int = 200,
) -> tuple[str, ...]:
    """The suggestions as ``KnowledgeBase._suggest`` computed them before the Suggester."""
    key = key[:max_key]
    if not key:
        return ()
    best: dict[str, float] = {}
    for label in GramIndex(labels, 3).candidates(key, limit=candidates):
        entity_id = labels[label]
        if keep is not None and not keep(entity_id):
            continue
        ratio = difflib.SequenceMatcher(None, key, label).ratio()
        if key in label or label in key:
            ratio = max(ratio, floor)
        best[entity_id] = max(ratio, best.get(entity_id, 0.0))
    scored = sorted((-round(r, 6), name(i)) for i, r in best.items() if r >= cutoff)
    return tuple(entity_name for _, entity_name in scored[:limit])


# ---------------------------------------------------------------- random label sets

# A small alphabet makes near-duplicates, shared trigrams and tied scores common;
# Devanagari (with vowel signs) and Greek check code points of other scripts, and
# ^ and $ are the characters the trigrams are padded with.
ALPHABET = "aeilnort -" + "कमरािे" + "αβ" + "^$"
words = st.text(alphabet=ALPHABET, min_size=0, max_size=12)


@st.composite
def edited(draw: st.DrawFn, word: str) -> str:
    """``word`` after a few random edits (swap, drop, insert, substitute) or a cut."""
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(word)))
        char = draw(st.sampled_from(ALPHABET))
        word = draw(
            st.sampled_from(
                [
                    word[:at] + word[at + 1 : at + 2] + word[at : at + 1] + word[at + 2 :],
                    word[:at] + word[at + 1 :],
                    word[:at] + char + word[at:],
                    word[:at] + char + word[at + 1 :],
                    word[at:],
                    word[:at],
                ]
            )
        )
    return word


@st.composite
def label_sets(draw: st.DrawFn) -> dict[str, str]:
    """Labels -> entity ids: families of near-duplicates, several labels per entity."""
    roots = draw(st.lists(words.filter(bool), min_size=1, max_size=6))
    labels = [root for root in roots for _ in range(draw(st.integers(0, 6)))]
    labels = [draw(edited(label)) for label in labels] + roots
    if draw(st.booleans()):  # long labels: difflib junks popular characters from 200 on
        labels += [root * (200 // len(root) + draw(st.integers(0, 3))) for root in roots[:2]]
    entities = draw(st.integers(1, 12))
    order = draw(st.permutations(labels))
    return {label: f"e{draw(st.integers(0, entities - 1))}" for label in order}


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, str], str, dict[str, Any]]:
    labels = draw(label_sets())
    choices = [draw(edited(label)) for label in list(labels)[:5]]
    key = draw(
        st.one_of(
            st.sampled_from(choices),
            st.sampled_from(list(labels)).map(lambda label: label[1:-1]),  # contained
            st.sampled_from(list(labels)).map(lambda label: f"x{label}x"),  # contains
            words,
            st.sampled_from(choices).map(lambda key: key * 40),  # longer than max_key
            st.just(""),
        )
    )
    ids = sorted(set(labels.values()))
    # Names repeat on purpose: ties on the rounded score then also tie on the name.
    names = {i: draw(st.sampled_from(["alpha", "beta", "gamma", i])) for i in ids}
    kinds = {i: draw(st.integers(0, 2)) for i in ids}
    wanted = draw(st.sampled_from([None, {0}, {1, 2}]))
    options: dict[str, Any] = {
        "name": names.__getitem__,
        "keep": None if wanted is None else (lambda i: kinds[i] in wanted),
        "limit": draw(st.sampled_from([5, 5, 1, 2, 8])),
    }
    return labels, key, options


@st.composite
def constants(draw: st.DrawFn) -> dict[str, Any]:
    """The procedure's constants: as the knowledge base has them, or small to bite."""
    if draw(st.booleans()):
        return {}
    return {
        "candidates": draw(st.sampled_from([1, 2, 3, 5, 10, 240])),
        "cutoff": draw(st.sampled_from([0.6, 0.0, 0.3, 0.9])),
        "floor": draw(st.sampled_from([0.8, 0.5, 0.95])),
        "max_key": draw(st.sampled_from([200, 1, 4, 9])),
    }


@settings(max_examples=600)
@given(cases(), constants())
def test_suggest_equals_the_reference(
    case: tuple[dict[str, str], str, dict[str, Any]], setup: dict[str, Any]
) -> None:
    labels, key, options = case
    suggester = Suggester(labels, **setup)
    assert suggester.suggest(key, **options) == reference(labels, key, **options, **setup)


def test_scores_equal_to_six_places_tie_and_break_by_name() -> None:
    # Scores differ only past the sixth decimal on long labels: 2 * 150 / (200 + 1299)
    # and 2 * 151 / (200 + 1309) both round to 0.200133. Every character is distinct,
    # so difflib matches exactly the shared prefix of the key.
    key = "".join(chr(0x4E00 + i) for i in range(200))
    filler = "".join(chr(0x5200 + i) for i in range(1200))
    labels = {key[:150] + filler[:1149]: "higher", key[:151] + filler[:1158]: "lower"}
    ratios = [difflib.SequenceMatcher(None, key, label).ratio() for label in labels]
    assert ratios[0] > ratios[1]
    assert round(ratios[0], 6) == round(ratios[1], 6)
    names = {"higher": "zeta", "lower": "alpha"}
    found = Suggester(labels, cutoff=0.1).suggest(key, name=names.__getitem__)
    assert found == ("alpha", "zeta")
    assert found == reference(labels, key, name=names.__getitem__, cutoff=0.1)


def test_a_score_of_zero_passes_a_cutoff_of_zero() -> None:
    # The key shares the trigram "aaa" with the long label, but difflib junks the
    # label's popular "a" and the two start differently: it matches nothing.
    labels = {"c" + "a" * 250: "long", "baaad": "short"}
    assert difflib.SequenceMatcher(None, "baaa", "c" + "a" * 250).ratio() == 0.0
    found = Suggester(labels, cutoff=0.0).suggest("baaa", name=str)
    assert found == reference(labels, "baaa", name=str, cutoff=0.0) == ("short", "long")


@given(label_sets(), words)
def test_an_empty_key_or_limit_suggests_nothing(labels: dict[str, str], key: str) -> None:
    suggester = Suggester(labels)
    assert suggester.suggest("", name=str) == ()
    assert suggester.suggest(key, name=str, limit=0) == ()


@given(st.text(alphabet=ALPHABET, max_size=40), st.text(alphabet=ALPHABET, max_size=40))
def test_the_common_subsequence_is_the_textbook_one(a: str, b: str) -> None:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = (
                table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
            )
    assert _common_subsequence(_masks(a), len(a), b) == table[len(a)][len(b)]


# ---------------------------------------------------------------- many labels

SYMPTOMS = ["aching", "sudden", "mild", "chronic", "sharp", "dull"]
PLACES = ["ankle", "calf", "eye", "hand", "nose", "hip", "rib", "chin", "muscle"]
PROBLEMS = ["weakness", "numbness", "redness", "soreness", "swelling", "stiffness"]
STEMS = ["fla", "fle", "nel", "gri", "ter", "leu", "ce", "ma", "li", "ba", "zu", "ti"]
SUFFIXES = ["mab", "leucel", "limab", "zumab", "tinib"]


def seeded(seed: int) -> random.Random:
    """A reproducible generator of test data (no secrets here)."""
    return random.Random(seed)  # noqa: S311


def many_labels(seed: int) -> dict[str, str]:
    """A few thousand labels of a generated corpus's kind: long near-duplicate families."""
    rng = seeded(seed)
    labels: dict[str, str] = {}
    for number in range(1500):
        entity = f"e{number:04d}"
        if number % 2:
            name = (
                f"{rng.choice(SYMPTOMS)} {rng.choice(PLACES)} {rng.choice(PROBLEMS)} "
                f"type {rng.randrange(2000)}"
            )
        else:
            stems = "".join(rng.choice(STEMS) for _ in range(rng.randrange(1, 4)))
            name = stems + rng.choice(SUFFIXES)
        for label in (entity, name, name.replace(" type ", " ")):
            labels.setdefault(label, entity)
    return labels


def one_typo(rng: random.Random, text: str) -> str:
    """``text`` with one letter swapped with the next, dropped, doubled or changed."""
    at = rng.randrange(max(1, len(text) - 1))
    char = rng.choice("abcdefghijklmnopqrstuvwxyz")
    return rng.choice(
        [
            text[:at] + text[at + 1 : at + 2] + text[at : at + 1] + text[at + 2 :],
            text[:at] + text[at + 1 :],
            text[:at] + char + text[at:],
            text[:at] + char + text[at + 1 :],
        ]
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_suggest_equals_the_reference_among_thousands_of_labels(seed: int) -> None:
    labels = many_labels(seed)
    suggester = Suggester(labels)
    rng = seeded(seed)
    names = {i: f"name of {i}" for i in labels.values()}
    keys = [one_typo(rng, label) for label in rng.sample(sorted(labels), 150)]
    keys += [label[: rng.randrange(1, 8)] for label in rng.sample(sorted(labels), 30)]
    for number, key in enumerate(keys):
        keep = None if number % 3 else (lambda i: int(i[1:]) % 4 != 0)
        found = suggester.suggest(key, name=names.__getitem__, keep=keep)
        assert found == reference(labels, key, name=names.__getitem__, keep=keep), key


def test_one_suggester_serves_many_threads() -> None:
    labels = many_labels(3)
    suggester = Suggester(labels)
    rng = seeded(3)
    keys = [one_typo(rng, label) for label in rng.sample(sorted(labels), 40)]
    expected = [suggester.suggest(key, name=str) for key in keys]
    start = threading.Barrier(4)

    def run(_: int) -> list[tuple[str, ...]]:
        start.wait()
        return [suggester.suggest(key, name=str) for key in keys * 3]

    with ThreadPoolExecutor(4) as pool:
        for found in pool.map(run, range(4)):
            assert found == expected * 3


# ---------------------------------------------------------------- the bundled KB


def typos_of_every_label(kb: immunokb.KnowledgeBase) -> list[str]:
    """A swap, a drop, an insertion and a substitution in every name and alias."""
    rng = seeded(6)
    out = []
    for entity in kb.entities:
        for label in (entity.name, *entity.aliases):
            if len(label) < 2:
                continue
            at = rng.randrange(len(label) - 1)
            char = rng.choice("aeiouxyz")
            out += [
                label[:at] + label[at + 1] + label[at] + label[at + 2 :],
                label[:at] + label[at + 1 :],
                label[:at] + char + label[at:],
                label[:at] + char + label[at + 1 :],
            ]
    return out


def labels_of(kb: immunokb.KnowledgeBase) -> dict[str, str]:
    """Normalised label -> entity id, in the knowledge base's order (ids, names, aliases)."""
    labels: dict[str, str] = {}
    for entity in kb.entities:
        for label in (entity.id, entity.name, *entity.aliases):
            labels.setdefault(normalize(label), entity.id)
    return labels


def test_bundled_misses_suggest_what_the_reference_does(kb: immunokb.KnowledgeBase) -> None:
    labels = labels_of(kb)
    typos = [t for t in typos_of_every_label(kb) if normalize(t) not in labels]
    assert len(typos) >= 200

    def name(entity_id: str) -> str:
        return kb.get(entity_id).name

    for typo in typos:
        with pytest.raises(immunokb.NotFoundError) as info:
            kb.get(typo)
        assert info.value.suggestions == reference(labels, normalize(typo), name=name), typo


@pytest.mark.parametrize(
    ("kind", "ask"),
    [
        (
            immunokb.CancerType,
            lambda kb, text: kb.find_therapies(cancer_type=text),
        ),
        (immunokb.Therapy, lambda kb, text: kb.find_side_effects(therapy=text)),
    ],
)
def test_bundled_typed_misses_suggest_that_kind_only(
    kb: immunokb.KnowledgeBase, kind: type[immunokb.Entity], ask: Callable[..., object]
) -> None:
    labels = labels_of(kb)
    typos = [t for t in typos_of_every_label(kb) if normalize(t) not in labels][::3]

    def name(entity_id: str) -> str:
        return kb.get(entity_id).name

    def keep(entity_id: str) -> bool:
        return isinstance(kb.get(entity_id), kind)

    for typo in typos:
        with pytest.raises(immunokb.NotFoundError) as info:
            ask(kb, typo)
        expected = reference(labels, normalize(typo), name=name, keep=keep)
        assert info.value.suggestions == expected, typo
