"""Ranked search over entities and source passages.

One index holds two kinds of document: an *entity* (its name, aliases and
summary) and a *passage* of a source (a paragraph or list block, with the heading
of the section it sits in). Both are ranked together:

- **BM25** (k1 = 1.2, b = 0.75) over an inverted index of the normalised words;
- **name boosts** for entities: the whole query equal to a name or alias adds
  ``EXACT_NAME``, and each query word found in a name or alias adds ``NAME_WORD``,
  so that a name match outranks a body match;
- **one typo per word**: a query word that no document contains (four characters
  or more) matches the indexed words at most one edit away, at ``TYPO_WEIGHT`` of
  the weight of an exact word;
- **deterministic order**: score rounded to six decimals, then entities before
  passages, then entity id, or source id and offset.

Words are what :func:`~immunokb.normalize` leaves between spaces, so case, accents
on Latin letters, hyphens and punctuation do not matter, and words of any script
that separates words with spaces (Devanagari, Cyrillic, Greek…) work as they are.
Han, Hiragana and Katakana, written without spaces, are indexed one character per
word, so that a word of several characters still matches inside a sentence.

Every hit carries a verbatim :class:`Citation`: a passage cites itself, an entity
cites the piece of its evidence that contains the most matched words, and the
snippet is cut from that cited text with the matched words in Markdown bold.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ._evidence import evidence
from ._fuzzy import GramIndex
from ._models import AnyEntity, Citation, Hit, Source
from ._normalize import normalize
from ._provenance import HEADING, THEMATIC_BREAK

__all__ = ["EXACT_NAME", "MAX_TERMS", "NAME_WORD", "TYPO_WEIGHT", "SearchIndex", "tokens"]

EXACT_NAME = 10.0
"""Added when the whole query equals an entity's name or alias."""
NAME_WORD = 3.0
"""Added for each query word found among an entity's name and alias words."""
TYPO_WEIGHT = 0.8
"""Weight of a word matched one edit away, relative to an exact word."""
MAX_TERMS = 32
"""Distinct query words considered; the rest of a very long query is ignored."""
_MIN_TYPO_LENGTH = 4
_K1, _B = 1.2, 0.75
_SNIPPET = 200
_CONTEXT_WORDS = 8

# Scripts written without spaces between words: index them a character at a time.
_UNSPACED = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")


def tokens(text: str) -> list[str]:
    """The search words of ``text``: its normalised words, Han and Kana split per character."""
    out: list[str] = []
    for word in normalize(text).split():
        if _UNSPACED.search(word):
            out.extend(part for part in _UNSPACED.split(word) if part)
        else:
            out.append(word)
    return out


# Snippets and evidence choice tokenise the same words and quotes over and over.
_word_tokens = lru_cache(maxsize=16_384)(tokens)


@dataclass(frozen=True)
class _Passage:
    source_id: str
    start: int
    end: int
    text: str
    section: str | None


@dataclass(frozen=True)
class _Document:
    entity: AnyEntity | None
    passage: _Passage | None
    names: frozenset[str]
    name_words: frozenset[str]
    length: int
    tie: tuple[int, str, int]  # entities first, then by id; passages by source id and offset


_BLOCK = re.compile(r"[^\n](?:.|\n(?!\s*\n))*")


def passages(source: Source) -> Iterator[_Passage]:
    """Paragraphs (and list blocks) of a source body, each with its section heading.

    Sections nest by heading level. A thematic break closes the innermost open
    section (the text after it does not belong to the heading just above), the same
    rule a heading ``lead_in`` follows.
    """
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
            yield _Passage(source.id, start, start + len(text), text, section or None)


def _own_quotes(entity: AnyEntity) -> list[Citation]:
    """The entity's quotes, defining ones first; not those of disputes against it."""
    return list(
        dict.fromkeys(p.citation for p in evidence(entity) if p.citation and not p.disputes)
    )


_EMPHASIS = re.compile(r"\*\*|__")


def snippet(text: str, matched: set[str]) -> str:
    """About 200 characters of ``text`` around the first matched word, matches in ``**bold**``.

    The text's own Markdown emphasis (``**``, ``__``) is dropped first, so a ``**``
    in a snippet always marks a match.
    """
    words = _EMPHASIS.sub("", text).split()
    hits = [i for i, word in enumerate(words) if matched.intersection(_word_tokens(word))]
    first = hits[0] if hits else 0
    start = max(first - _CONTEXT_WORDS, 0)
    out: list[str] = []
    length = 0
    for index in range(start, len(words)):
        word = words[index]
        if length + len(word) > _SNIPPET and out:
            out.append("…")
            break
        out.append(f"**{word}**" if index in hits else word)
        length += len(word) + 1
    return ("… " if start else "") + " ".join(out)


def _saturate(count: int, relative_length: float) -> float:
    """BM25's term-frequency factor for ``count`` occurrences in a document of that length."""
    return count * (_K1 + 1) / (count + _K1 * (1 - _B + _B * relative_length))


class SearchIndex:
    """An inverted index over entities and source passages (built once, then read-only)."""

    __slots__ = ("_docs", "_idf", "_postings", "_vocabulary")

    def __init__(self, entities: Sequence[AnyEntity], sources: Sequence[Source]) -> None:
        """Index every entity and every passage of every source."""
        docs: list[_Document] = []
        counted: dict[str, list[tuple[int, int]]] = {}
        empty: frozenset[str] = frozenset()

        def add(doc: _Document, counts: Counter[str]) -> None:
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
            add(_Document(entity, None, names, words, counts.total(), (0, entity.id, 0)), counts)
        for source in sources:
            for passage in passages(source):
                # The section heading counts towards the match, so that a question
                # like "how often" finds the paragraph that answers it.
                counts = Counter(tokens(f"{passage.section or ''} {passage.text}"))
                if counts:
                    tie = (1, passage.source_id, passage.start)
                    add(_Document(None, passage, empty, empty, counts.total(), tie), counts)
        self._docs = tuple(docs)
        total = max(len(docs), 1)
        average = sum(d.length for d in docs) / total if docs else 1.0
        # BM25's term-frequency part depends on the document alone, so it is computed
        # once here: a posting is (document number, saturated term frequency).
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
        # Built with the index rather than on the first typo: it keeps the index
        # read-only once it is shared between threads.
        self._vocabulary = GramIndex(sorted(self._postings), 2)

    def __len__(self) -> int:
        """The number of indexed documents (entities and passages)."""
        return len(self._docs)

    def expand(self, word: str) -> dict[str, float]:
        """The indexed words a query word stands for, each with its weight."""
        if word in self._postings:
            return {word: 1.0}
        if len(word) < _MIN_TYPO_LENGTH:
            return {}
        return dict.fromkeys(self._vocabulary.near(word), TYPO_WEIGHT)

    def search(self, text: str, limit: int) -> list[Hit]:
        """The best ``limit`` hits for ``text`` (see the module docstring for the ranking)."""
        if limit < 1:
            return []
        words = list(dict.fromkeys(tokens(text)))[:MAX_TERMS]
        if not words:
            return []
        expansions = [self.expand(word) for word in words]
        scores: dict[int, float] = {}
        matched: dict[int, set[str]] = {}
        for expansion in expansions:
            best: dict[int, float] = {}  # per document, the best reading of this word
            for term, weight in expansion.items():
                factor = weight * self._idf[term]
                for number, saturated in self._postings[term]:
                    value = factor * saturated
                    if value > best.get(number, 0.0):
                        best[number] = value
                    matched.setdefault(number, set()).add(term)
            for number, value in best.items():
                scores[number] = scores.get(number, 0.0) + value
        # The query as the index reads it, each word replaced by its closest reading.
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
            limit, ((-round(score, 6), docs[n].tie, n) for n, score in scores.items())
        )
        return [self._hit(docs[n], -negative, matched[n], words) for negative, _, n in ranked]

    def _hit(self, doc: _Document, score: float, matched: set[str], words: list[str]) -> Hit:
        order = {term: i for i, term in enumerate(words)}
        terms = tuple(sorted(matched, key=lambda t: (order.get(t, len(order)), t)))
        if doc.entity is not None:
            quotes = _own_quotes(doc.entity)
            # The piece of evidence with the most matched words; the first on a tie.
            _, _, citation = max(
                (len(matched.intersection(_word_tokens(c.quote))), -i, c)
                for i, c in enumerate(quotes)
            )
            return Hit(
                entity=doc.entity,
                source_id=citation.source_id,
                score=score,
                snippet=snippet(citation.quote, matched),
                citation=citation,
                matched=terms,
            )
        passage = doc.passage
        assert passage is not None  # noqa: S101 - a document is one or the other
        return Hit(
            entity=None,
            source_id=passage.source_id,
            score=score,
            snippet=snippet(passage.text, matched),
            section=passage.section,
            citation=Citation(
                source_id=passage.source_id,
                quote=passage.text,
                start=passage.start,
                end=passage.end,
            ),
            matched=terms,
        )
