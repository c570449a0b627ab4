"""SearchIndex: the fast ranking gives exactly what the straightforward one gave, built or loaded.

``ReferenceIndex`` below is the ranking as it was before the index was made fast
(term-at-a-time BM25 over Python dicts, every matching document scored). Every test
here compares hits in full: entity or passage, score, snippet, section, citation and
matched words, in order.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import os
import random
import re
import struct
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import immunokb
from immunokb import _search
from immunokb._fuzzy import GramIndex
from immunokb._provenance import HEADING, THEMATIC_BREAK
from immunokb._search import (
    EXACT_NAME,
    FORMAT_VERSION,
    MAX_TERMS,
    NAME_WORD,
    TYPO_WEIGHT,
    SearchIndex,
    _own_quotes,
    _word_tokens,
    passages,
    snippet,
    tokens,
)

# Seeded pseudo-random choices make the fixed corpora and query lists below.
# ruff: noqa: S311

# --------------------------------------------------------------------------- reference

_K1, _B = 1.2, 0.75
DIGITS = 6  # the rounding of scores (six decimals); tests change it to make ties common


@dataclass(frozen=True)
class _RefPassage:
    source_id: str
    start: int
    end: int
    text: str
    section: str | None


@dataclass(frozen=True)
class _RefDocument:
    entity: immunokb.Entity | None
    passage: _RefPassage | None
    names: frozenset[str]
    name_words: frozenset[str]
    length: int
    tie: tuple[int, str, int]


_BLOCK = re.compile(r"[^\n](?:.|\n(?!\s*\n))*")


def reference_passages(source: immunokb.Source) -> Iterator[_RefPassage]:
    open_sections: list[tuple[int, str]] = []
    for match in _BLOCK.finditer(source.text):
        text = match.group(0).strip()
        heading = None if "\n" in text else HEADING.match(text)
        if heading is not None:
            level = len(heading.group(1))
            while open_sections and open_sections[-1][0] >= level:
                open_sections.pop()
            open_sections.append((level, text[heading.end() :].strip()))
            continue
        if THEMATIC_BREAK.match(text):
            if open_sections:
                open_sections.pop()
            continue
        if text and not re.fullmatch(r"[#*\-\s|]*", text):
            start = match.start() + (len(match.group(0)) - len(match.group(0).lstrip()))
            section = open_sections[-1][1] if open_sections else None
            yield _RefPassage(source.id, start, start + len(text), text, section or None)


def _saturate(count: int, relative_length: float) -> float:
    return count * (_K1 + 1) / (count + _K1 * (1 - _B + _B * relative_length))


class ReferenceIndex:
    """The search index as it was: same constructor, ``search`` and ``expand``."""

    def __init__(
        self, entities: Sequence[immunokb.Entity], sources: Sequence[immunokb.Source]
    ) -> None:
        docs: list[_RefDocument] = []
        counted: dict[str, list[tuple[int, int]]] = {}
        empty: frozenset[str] = frozenset()

        def add(doc: _RefDocument, counts: Counter[str]) -> None:
            number = len(docs)
            docs.append(doc)
            for term, count in counts.items():
                counted.setdefault(term, []).append((number, count))

        for entity in entities:
            labels = [entity.name, *entity.aliases]
            names = frozenset(" ".join(tokens(label)) for label in labels)
            counts = Counter(tokens(entity.summary))
            for label in labels:
                counts.update(tokens(label))
            words = frozenset(word for name in names for word in name.split())
            add(_RefDocument(entity, None, names, words, counts.total(), (0, entity.id, 0)), counts)
        for source in sources:
            for passage in reference_passages(source):
                counts = Counter(tokens(f"{passage.section or ''} {passage.text}"))
                if counts:
                    tie = (1, passage.source_id, passage.start)
                    add(_RefDocument(None, passage, empty, empty, counts.total(), tie), counts)
        self._docs = tuple(docs)
        total = max(len(docs), 1)
        average = sum(d.length for d in docs) / total if docs else 1.0
        self._postings = {
            term: tuple(
                (number, _saturate(count, docs[number].length / average)) for number, count in found
            )
            for term, found in counted.items()
        }
        self._idf = {
            term: math.log(1 + (total - len(found) + 0.5) / (len(found) + 0.5))
            for term, found in counted.items()
        }
        self._vocabulary = GramIndex(sorted(self._postings), 2)

    def __len__(self) -> int:
        return len(self._docs)

    def expand(self, word: str) -> dict[str, float]:
        if word in self._postings:
            return {word: 1.0}
        if len(word) < 4:
            return {}
        return dict.fromkeys(self._vocabulary.near(word), TYPO_WEIGHT)

    def search(self, text: str, limit: int) -> list[immunokb.Hit]:
        if limit < 1:
            return []
        words = list(dict.fromkeys(tokens(text)))[:MAX_TERMS]
        if not words:
            return []
        expansions = [self.expand(word) for word in words]
        scores: dict[int, float] = {}
        matched: dict[int, set[str]] = {}
        for expansion in expansions:
            best: dict[int, float] = {}
            for term, weight in expansion.items():
                factor = weight * self._idf[term]
                for number, saturated in self._postings[term]:
                    value = factor * saturated
                    if value > best.get(number, 0.0):
                        best[number] = value
                    matched.setdefault(number, set()).add(term)
            for number, value in best.items():
                scores[number] = scores.get(number, 0.0) + value
        readings = [
            max(e, key=lambda t: (e[t], -len(t), t)) if e else w
            for w, e in zip(words, expansions, strict=True)
        ]
        phrase = " ".join(readings)
        typo = any(e and w not in e for w, e in zip(words, expansions, strict=True))
        for number in scores:
            doc = self._docs[number]
            if doc.entity is None:
                continue
            if phrase in doc.names:
                scores[number] += EXACT_NAME * (TYPO_WEIGHT if typo else 1.0)
            for expansion in expansions:
                weight = max((w for t, w in expansion.items() if t in doc.name_words), default=0.0)
                scores[number] += NAME_WORD * weight
        docs = self._docs
        ranked = heapq.nsmallest(
            limit, ((-round(score, DIGITS), docs[n].tie, n) for n, score in scores.items())
        )
        return [self._hit(docs[n], -negative, matched[n], words) for negative, _, n in ranked]

    def _hit(
        self, doc: _RefDocument, score: float, matched: set[str], words: list[str]
    ) -> immunokb.Hit:
        order = {term: i for i, term in enumerate(words)}
        terms = tuple(sorted(matched, key=lambda t: (order.get(t, len(order)), t)))
        if doc.entity is not None:
            quotes = _own_quotes(doc.entity)
            _, _, citation = max(
                (len(matched.intersection(_word_tokens(c.quote))), -i, c)
                for i, c in enumerate(quotes)
            )
            return immunokb.Hit(
                entity=doc.entity,
                source_id=citation.source_id,
                score=score,
                snippet=snippet(citation.quote, matched),
                citation=citation,
                matched=terms,
            )
        passage = doc.passage
        assert passage is not None
        return immunokb.Hit(
            entity=None,
            source_id=passage.source_id,
            score=score,
            snippet=snippet(passage.text, matched),
            section=passage.section,
            citation=immunokb.Citation(
                source_id=passage.source_id,
                quote=passage.text,
                start=passage.start,
                end=passage.end,
            ),
            matched=terms,
        )


# --------------------------------------------------------------------------- helpers


def loaded(index: SearchIndex, entities, sources, data: bytes | None = None) -> SearchIndex:
    by_id = {e.id: e for e in entities}
    return SearchIndex.loads(
        index.dumps() if data is None else data,
        entity=by_id.__getitem__,
        sources={s.id: s for s in sources},
    )


def same_results(
    entities: Sequence[immunokb.Entity],
    sources: Sequence[immunokb.Source],
    queries: Sequence[str],
    limits: Sequence[int],
    digits: Sequence[int] = (6, 1, 17),
) -> None:
    """Built, loaded, and built with every set split to the end: all as the reference.

    Besides six decimals, scores are also rounded to one (ties everywhere: the order
    of documents that round alike, and pruning near the threshold, must be right) and
    to seventeen (no rounding at all: every float must be added in the same order).
    """
    reference = ReferenceIndex(entities, sources)
    built = SearchIndex(entities, sources)
    read = loaded(built, entities, sources)
    assert len(built) == len(read) == len(reference)
    for query in queries:
        for word in dict.fromkeys(tokens(query)):
            assert built.expand(word) == reference.expand(word), word
        for rounding in digits:
            with (
                mock.patch.object(_search, "_DIGITS", rounding),
                mock.patch(f"{__name__}.DIGITS", rounding),
            ):
                for limit in limits:
                    expected = reference.search(query, limit)
                    assert built.search(query, limit) == expected, (query, limit, rounding)
                    assert read.search(query, limit) == expected, (query, limit, rounding)
                    # Small sets are normally scored outright; split them all the way
                    # down too, so that every branch of the pruning runs on small corpora.
                    with mock.patch.object(_search, "_SMALL", 0):
                        assert built.search(query, limit) == expected, (query, limit, rounding)


# --------------------------------------------------------------------------- random corpora

# Few words, so that documents share them; some one edit apart (typos find them),
# short ones (never corrected), other scripts, and marks that normalise away.
POOL = [
    "tumor",
    "tumour",
    "tumors",
    "cancer",
    "cancers",
    "cell",
    "cells",
    "immune",
    "immunity",
    "vaccine",
    "vaccines",
    "melanoma",
    "therapy",
    "dose",
    "fever",
    "lysis",
    "t",
    "cd8",
    "of",
    "the",
    "T-VEC",
    "Imlygic®",
    "Immunité",
    "टीका",
    "कोशिकाओं",
    "免疫療法",
    "がん",
]
words = st.sampled_from(POOL)
prose = st.lists(words, max_size=12).map(" ".join)
labels = st.lists(words, min_size=1, max_size=3).map(" ".join).filter(lambda s: s.strip())
SOURCE_IDS = [f"s{i}" for i in range(6)]
ENTITY_IDS = ["a", "b-1", "c", "d-2", "e", "f", "g", "h-3", "i", "j"]


@st.composite
def blocks(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["para", "para", "para", "heading", "break", "list", "junk"]))
    if kind == "heading":
        return "#" * draw(st.integers(1, 3)) + " " + draw(prose)
    if kind == "break":
        return draw(st.sampled_from(["---", "***", "___"]))
    if kind == "list":
        items = draw(st.lists(prose, min_size=1, max_size=3))
        return draw(prose) + "\n" + "\n".join(f"- {item}" for item in items)
    if kind == "junk":
        return draw(st.sampled_from(["|---|", "**", "  ", "# "]))
    return draw(st.sampled_from(["", "  ", "**"])) + draw(prose)


@st.composite
def source_lists(draw: st.DrawFn) -> list[immunokb.Source]:
    ids = draw(st.lists(st.sampled_from(SOURCE_IDS), max_size=4, unique=True))
    out = []
    for source_id in ids:
        text = draw(st.lists(blocks(), max_size=8).map("\n\n".join))
        out.append(
            immunokb.Source(id=source_id, title=source_id, text=text, path=f"{source_id}.md")
        )
    return out


@st.composite
def entity_lists(draw: st.DrawFn) -> list[immunokb.Entity]:
    ids = draw(st.lists(st.sampled_from(ENTITY_IDS), max_size=6, unique=True))
    out: list[immunokb.Entity] = []

    def cite() -> immunokb.Citation:
        start = draw(st.integers(0, 30))
        return immunokb.Citation(
            source_id=draw(st.sampled_from(SOURCE_IDS)),
            quote=draw(labels),
            start=start,
            end=start + draw(st.integers(1, 30)),
        )

    for entity_id in ids:
        name = draw(labels)
        aliases = tuple(
            draw(st.lists(labels.filter(lambda a, n=name: a != n), max_size=2, unique=True))
        )
        statements = [
            immunokb.Statement(field=immunokb.StatementField.NAME, value=name, citations=(cite(),))
        ]
        statements += [
            immunokb.Statement(
                field=immunokb.StatementField.ALIAS, value=alias, citations=(cite(),)
            )
            for alias in aliases
        ]
        kind = draw(st.sampled_from([immunokb.SideEffect, immunokb.CancerType]))
        out.append(
            kind(
                id=entity_id,
                name=name,
                aliases=aliases,
                summary=draw(prose),
                citations=tuple(cite() for _ in range(draw(st.integers(1, 2)))),
                statements=tuple(statements),
            )
        )
    return out


def _typo(word: str, i: int, char: str, kind: int) -> str:
    i %= max(len(word), 1)
    return [
        word[:i] + word[i + 1 :],
        word[:i] + char + word[i:],
        word[:i] + char + word[i + 1 :],
        word[:i] + word[i + 1 : i + 2] + word[i : i + 1] + word[i + 2 :],
    ][kind]


typos = st.builds(_typo, words, st.integers(0, 10), st.sampled_from("aeiourt"), st.integers(0, 3))
query_words = st.one_of(words, words, typos)
queries = st.one_of(
    st.lists(query_words, min_size=1, max_size=5).map(" ".join),
    st.lists(query_words, min_size=1, max_size=3).map(lambda ws: " ".join(ws * 3)),  # repeats
    st.lists(query_words, min_size=MAX_TERMS, max_size=MAX_TERMS + 6).map(" ".join),  # long
    st.text(max_size=30),
    st.sampled_from(["", " ", "?!", "---"]),
)
limits = st.lists(st.integers(-1, 12), min_size=1, max_size=3)


@settings(
    max_examples=250, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    entity_lists(), source_lists(), st.lists(queries, min_size=1, max_size=6), limits, st.randoms()
)
def test_random_corpora_rank_exactly_as_the_reference(
    entities, sources, query_list, limit_list, rng
) -> None:
    rng.shuffle(entities)  # the index orders documents itself
    same_results(entities, sources, query_list, limit_list)


@given(source_lists())
def test_passages_are_as_before(sources) -> None:
    for source in sources:
        assert [(p.source_id, p.start, p.end, p.text, p.section) for p in passages(source)] == [
            (p.source_id, p.start, p.end, p.text, p.section) for p in reference_passages(source)
        ]


# --------------------------------------------------------------------------- bundled KB

KB = immunokb.load()
ENTITIES = KB.entities
SOURCES = KB.sources
VOCABULARY = sorted(
    {t for e in ENTITIES for t in tokens(f"{e.name} {' '.join(e.aliases)} {e.summary}")}
    | {t for s in SOURCES for t in tokens(s.text)}
)


def _bundled_queries(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    found = [label for e in ENTITIES for label in (e.name, *e.aliases)]
    found += [
        "tumor lysis",
        "how often is immunotherapy given",
        "side effects of cancer vaccines",
        "checkpoint inhibiters",
        "melanoam",
        "sipuleucal-T",
        "imlygik",
        "oncolitic virus therapy",
        "flu-like symptoms",
        "cancer " * 40,
    ]
    for _ in range(count):
        picked = [rng.choice(VOCABULARY) for _ in range(rng.randint(1, 5))]
        picked = [
            _typo(w, rng.randrange(10), rng.choice("aeiou"), rng.randrange(4))
            if len(w) > 4 and rng.random() < 0.2
            else w
            for w in picked
        ]
        found.append(" ".join(picked))
    return found


def test_the_bundled_knowledge_base_ranks_exactly_as_the_reference() -> None:
    same_results(ENTITIES, SOURCES, _bundled_queries(400, 1), [1, 3, 10, 40])


def test_four_byte_numbers_rank_the_same() -> None:
    # Past 65,536 documents, codes or words, numbers take four bytes: the same results.
    with mock.patch.object(_search, "_NARROW", 1):
        wide = SearchIndex(ENTITIES, SOURCES)
    data = wide.dumps()
    assert data[20:23] == b"III"
    assert len(data) > len(SearchIndex(ENTITIES, SOURCES).dumps())
    reference = ReferenceIndex(ENTITIES, SOURCES)
    read = loaded(wide, ENTITIES, SOURCES)
    for query in _bundled_queries(100, 4):
        expected = reference.search(query, 10)
        assert wide.search(query, 10) == expected, query
        assert read.search(query, 10) == expected, query


def test_the_byte_order_code_of_big_endian_machines() -> None:
    # On a big-endian machine numbers are swapped on the way out and back in. Run that
    # code here: its bytes are then big-endian, and must read back as the same index.
    native = SearchIndex(ENTITIES, SOURCES)
    with mock.patch.object(_search, "_LITTLE", False):
        swapped = SearchIndex(ENTITIES, SOURCES)
        read = loaded(swapped, ENTITIES, SOURCES)
    assert swapped.dumps() != native.dumps()
    for query in _bundled_queries(40, 6):
        expected = native.search(query, 10)
        assert swapped.search(query, 10) == expected, query
        assert read.search(query, 10) == expected, query


def test_typos_read_the_same_words_as_before() -> None:
    reference = ReferenceIndex(ENTITIES, SOURCES)
    built = SearchIndex(ENTITIES, SOURCES)
    read = loaded(built, ENTITIES, SOURCES)
    rng = random.Random(5)
    # Words with few distinct bigrams compare with the whole vocabulary.
    misspelt = ["aaaa", "eeeee", "tttt", "abab", "免疫療法x", "टीकाा"]
    misspelt += [
        _typo(w, rng.randrange(10), rng.choice("aeiousnt"), rng.randrange(4))
        for w in VOCABULARY
        if len(w) >= 4
    ]
    for word in misspelt:
        expected = list(reference.expand(word).items())  # in the same order, too
        assert list(built.expand(word).items()) == expected, word
        assert list(read.expand(word).items()) == expected, word


def test_a_typo_with_few_bigrams_is_compared_with_every_word() -> None:
    # "aaaa" has three distinct padded bigrams: GramIndex.near then checks every word.
    text = "aaa went by\n\naaaaa and aaab\n\n## zzz\n\nbaaa zzzzz, then aaa again"
    source = immunokb.Source(id="few", title="few", text=text, path="few.md")
    same_results([], [source], ["aaaa", "zzzz", "aaaa zzzz", "aaaa baaa"], [1, 2, 10])
    assert set(SearchIndex([], [source]).expand("aaaa")) == {"aaa", "aaaaa", "aaab", "baaa"}


def _recombined(count: int, seed: int) -> list[immunokb.Source]:
    """``count`` passages of three bundled sentences each, 50 to a source."""
    sentences = [
        s.strip()
        for source in SOURCES
        for p in passages(source)
        for s in re.split(r"(?<=[.!?])\s+", p.text)
        if len(s.split()) > 3
    ]
    rng = random.Random(seed)
    out = []
    for number in range(0, count, 50):
        paragraphs = [" ".join(rng.sample(sentences, 3)) for _ in range(min(50, count - number))]
        out.append(
            immunokb.Source(
                id=f"recombined-{number // 50}",
                title="recombined",
                text="\n\n".join(paragraphs),
                path=f"recombined-{number // 50}.md",
            )
        )
    return out


def test_a_larger_corpus_ranks_exactly_as_the_reference() -> None:
    # Thousands of passages sharing their words: pruning has something to prune.
    sources = [*SOURCES, *_recombined(2000, 7)]
    same_results(ENTITIES, sources, _bundled_queries(150, 2), [1, 10])


# --------------------------------------------------------------------------- stored form


def test_dumps_round_trips() -> None:
    index = SearchIndex(ENTITIES, SOURCES)
    data = index.dumps()
    assert isinstance(data, bytes)
    assert data[:16] == b"immunokb search\n"
    assert struct.unpack_from("<I", data, 16)[0] == FORMAT_VERSION
    again = loaded(index, ENTITIES, SOURCES)
    assert again.dumps() == data
    assert loaded(again, ENTITIES, SOURCES).dumps() == data
    assert len(again) == len(index)
    for word in ("melanoma", "melanoam", "zzzz", "t"):
        assert again.expand(word) == index.expand(word)


def test_dumps_is_deterministic() -> None:
    data = SearchIndex(ENTITIES, SOURCES).dumps()
    shuffled_entities, shuffled_sources = list(ENTITIES), list(SOURCES)
    random.Random(3).shuffle(shuffled_entities)
    random.Random(4).shuffle(shuffled_sources)
    assert SearchIndex(shuffled_entities, shuffled_sources).dumps() == data
    script = (
        "import hashlib, immunokb\n"
        "from immunokb._search import SearchIndex\n"
        "kb = immunokb.load()\n"
        "print(hashlib.sha256(SearchIndex(kb.entities, kb.sources).dumps()).hexdigest())\n"
    )
    digests = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(done.stdout.strip())
    assert digests == {hashlib.sha256(data).hexdigest()}


def test_an_empty_index() -> None:
    index = SearchIndex([], [])
    assert len(index) == 0
    assert index.search("melanoma", 10) == []
    assert index.expand("melanoma") == {}
    again = loaded(index, [], [])
    assert again.dumps() == index.dumps()
    assert again.search("melanoma", 10) == []


def test_a_loaded_index_resolves_only_what_it_returns() -> None:
    by_id = {e.id: e for e in ENTITIES}
    asked: list[str] = []

    def entity(entity_id: str) -> immunokb.Entity:
        asked.append(entity_id)
        return by_id[entity_id]

    class Sources(Mapping[str, immunokb.Source]):
        looked: list[str] = []  # noqa: RUF012 - one instance

        def __getitem__(self, key: str) -> immunokb.Source:
            self.looked.append(key)
            return KB.source(key)

        def __iter__(self) -> Iterator[str]:
            raise AssertionError("a loaded index does not walk the sources")

        def __len__(self) -> int:
            raise AssertionError("a loaded index does not count the sources")

    sources = Sources()
    index = SearchIndex.loads(
        SearchIndex(ENTITIES, SOURCES).dumps(), entity=entity, sources=sources
    )
    assert asked == []
    assert sources.looked == []
    for query in ("cancer", "vaccine side effects", "melanoam", "fever"):
        asked.clear()
        sources.looked.clear()
        hits = index.search(query, 5)
        assert hits
        assert len(asked) == sum(h.entity is not None for h in hits)
        assert len(sources.looked) == sum(h.entity is None for h in hits)


def test_a_source_missing_or_changed_is_an_error_when_its_passage_is_a_hit() -> None:
    data = SearchIndex(ENTITIES, SOURCES).dumps()
    by_id = {e.id: e for e in ENTITIES}
    passage_hit = next(h for h in KB.search("how often", limit=20) if h.entity is None)
    assert passage_hit.citation is not None
    cited = passage_hit.citation.source_id
    others = {s.id: s for s in SOURCES if s.id != cited}
    index = SearchIndex.loads(data, entity=by_id.__getitem__, sources=others)
    with pytest.raises(ValueError, match="not given"):
        index.search("how often", 20)
    short = KB.source(cited).model_copy(update={"text": "x"})
    index = SearchIndex.loads(data, entity=by_id.__getitem__, sources={**others, cited: short})
    with pytest.raises(ValueError, match="not the text"):
        index.search("how often", 20)


DATA = SearchIndex(ENTITIES[:12], SOURCES[:3]).dumps()


def _load(data: object) -> SearchIndex:
    by_id = {e.id: e for e in ENTITIES}

    def entity(entity_id: str) -> immunokb.Entity:
        if entity_id not in by_id:
            raise ValueError(entity_id)
        return by_id[entity_id]

    return SearchIndex.loads(data, entity=entity, sources={s.id: s for s in SOURCES})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"immunokb search\n",
        DATA[:100],
        DATA[:-1],
        DATA[:-8],
        DATA + b"\0",
        DATA + bytes(8),
        b"x" * len(DATA),
        b"IMMUNOKB SEARCH\n" + DATA[16:],
        DATA[:16] + struct.pack("<I", FORMAT_VERSION + 1) + DATA[20:],
        DATA[:16] + struct.pack("<I", 0) + DATA[20:],
        DATA[:20] + b"Q" + DATA[21:],
        DATA[:20] + b"I" + DATA[21:],
        DATA[:21] + b"d" + DATA[22:],
        DATA[:22] + b"B" + DATA[23:],
    ],
)
def test_malformed_data_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="search index"):
        _load(data)


@pytest.mark.parametrize("data", ["text", None, 12, [1, 2]])
def test_data_that_is_not_bytes_is_a_value_error(data: object) -> None:
    with pytest.raises(ValueError, match="bytes"):
        _load(data)


def test_every_truncation_is_a_value_error() -> None:
    for end in [*range(0, 200), *range(200, len(DATA), 61)]:
        with pytest.raises(ValueError, match="search index"):
            _load(DATA[:end])


def test_a_changed_count_is_a_value_error() -> None:
    for field in range(len(_search._COUNTS)):
        offset = 24 + 8 * field
        (value,) = struct.unpack_from("<Q", DATA, offset)
        for changed in (value + 1, value - 1 if value else 2**63, 2**64 - 1):
            data = DATA[:offset] + struct.pack("<Q", changed) + DATA[offset + 8 :]
            with pytest.raises(ValueError, match="search index"):
                _load(data)


def test_bytearray_and_memoryview_are_read_too() -> None:
    expected = _load(DATA).search("cancer vaccine", 5)
    assert expected
    assert _load(bytearray(DATA)).search("cancer vaccine", 5) == expected
    assert _load(memoryview(DATA)).search("cancer vaccine", 5) == expected


HOSTILE_QUERIES = ["cancer", "vaccine side effects", "melanoam", "fever t", "sipuleucel-T", "zzzz"]


@settings(max_examples=300)
@given(
    st.lists(st.tuples(st.integers(0, len(DATA) - 1), st.integers(0, 255)), min_size=1, max_size=4)
)
def test_damaged_data_never_fails_but_with_value_error(changes: list[tuple[int, int]]) -> None:
    data = bytearray(DATA)
    for position, value in changes:
        data[position] = value
    try:
        index = _load(bytes(data))
    except ValueError:
        return
    for query in HOSTILE_QUERIES:
        for limit in (1, 10):
            try:
                hits = index.search(query, limit)
            except ValueError:
                continue
            assert isinstance(hits, list)
            assert len(hits) <= limit


# --------------------------------------------------------------------------- threads


def test_threads_share_a_freshly_loaded_index() -> None:
    # First uses of a loaded index (each term's postings are checked once) race here.
    sources = [*SOURCES, *_recombined(300, 5)]
    built = SearchIndex(ENTITIES, sources)
    questions = _bundled_queries(60, 9)
    expected = {q: built.search(q, 10) for q in questions}
    index = loaded(built, ENTITIES, sources)
    failures: list[str] = []
    start = threading.Barrier(8)

    def work(seed: int) -> None:
        order = questions[:]
        random.Random(seed).shuffle(order)
        start.wait()
        failures.extend(q for q in order if index.search(q, 10) != expected[q])

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
