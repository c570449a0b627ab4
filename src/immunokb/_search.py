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

How the index is laid out, and why a search is fast
---------------------------------------------------

The whole index is one ``bytes`` object (:meth:`SearchIndex.dumps`), read in place
through ``memoryview`` casts, so that :meth:`SearchIndex.loads` costs next to
nothing and a loaded index holds a handful of buffers rather than millions of
Python objects. Documents are numbered in the final tie-break order (entities by
id, then passages by source id and offset), so a document's number *is* its
tie-break. BM25's term-frequency factor depends on the term's count and the
document's length alone, and a corpus typically has a few hundred distinct values
of it: each posting stores a *code*, the rank of its value in one shared table
(highest first), and each term's postings are sorted by code, then by document.
That is impact order: a term's best documents come first.

- A query of **one indexed word** reads the top of that word's postings (and of
  the small name index, for the entities whose names contain the word): a handful
  of postings however common the word is.
- A query of **several words** is answered by branch and bound over *which* of
  the words a document contains. The documents containing a given subset of the
  words are found with set operations (run in C), and each word's best possible
  contribution bounds their score; a subset that cannot reach the lowest score
  of the current best ``limit`` is never scored. Subsets with all the words come first, so the
  threshold rises early and most of the others are pruned.
- Entities that get a name boost are few and are scored on their own, exactly.
- A word not in the vocabulary is looked up in the words' bigram index, stored
  with the rest, so that a typo costs no index build either.

Every score is computed with the same floating-point operations, in the same
order, as a plain term-at-a-time BM25, so the results (scores to the last bit
before rounding, order, snippets) are exactly those of the straightforward
algorithm; pruning keeps a margin well above floating-point error.
"""

from __future__ import annotations

import heapq
import math
import re
import struct
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, repeat
from operator import add, neg
from typing import Any

from ._evidence import evidence
from ._fuzzy import grams, within_one_edit
from ._models import AnyEntity, Citation, Hit, Source
from ._normalize import normalize
from ._provenance import HEADING, THEMATIC_BREAK

__all__ = [
    "EXACT_NAME",
    "FORMAT_VERSION",
    "MAX_TERMS",
    "NAME_WORD",
    "TYPO_WEIGHT",
    "SearchIndex",
    "tokens",
]

EXACT_NAME = 10.0
"""Added when the whole query equals an entity's name or alias."""
NAME_WORD = 3.0
"""Added for each query word found among an entity's name and alias words."""
TYPO_WEIGHT = 0.8
"""Weight of a word matched one edit away, relative to an exact word."""
MAX_TERMS = 32
"""Distinct query words considered; the rest of a very long query is ignored."""
FORMAT_VERSION = 1
"""Format of :meth:`SearchIndex.dumps`; :meth:`SearchIndex.loads` reads this one only."""
_MIN_TYPO_LENGTH = 4
_K1, _B = 1.2, 0.75
_SNIPPET = 200
_CONTEXT_WORDS = 8
# Scores are rounded to this many decimals before they are compared (ties then go to
# the document order). A name, not a literal, so that tests can make ties common.
_DIGITS = 6
# Below this many documents, a set is scored outright rather than split further.
_SMALL = 64

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


_BLOCK = re.compile(r"[^\n](?:.|\n(?!\s*\n))*")


def _spans(source: Source) -> Iterator[tuple[int, int, int, int]]:
    """Where each passage of ``source`` is: its start and end, and its section's heading text.

    The heading's span is empty when the passage is in no section (or an empty one).
    """
    body = source.text
    open_sections: list[tuple[int, int, int]] = []  # heading level, start, end
    for match in _BLOCK.finditer(body):
        block = match.group(0)
        text = block.strip()
        begin = match.start() + (len(block) - len(block.lstrip()))
        heading = None if "\n" in text else HEADING.match(text)
        if heading is not None:
            level = len(heading.group(1))
            while open_sections and open_sections[-1][0] >= level:
                open_sections.pop()
            rest = text[heading.end() :]
            start = begin + heading.end() + (len(rest) - len(rest.lstrip()))
            open_sections.append((level, start, start + len(rest.strip())))
            continue
        if THEMATIC_BREAK.match(text):
            if open_sections:
                open_sections.pop()
            continue
        if text and not re.fullmatch(r"[#*\-\s|]*", text):
            _, section_start, section_end = open_sections[-1] if open_sections else (0, 0, 0)
            yield begin, begin + len(text), section_start, section_end


def passages(source: Source) -> Iterator[_Passage]:
    """Paragraphs (and list blocks) of a source body, each with its section heading.

    Sections nest by heading level. A thematic break closes the innermost open
    section (the text after it does not belong to the heading just above), the same
    rule a heading ``lead_in`` follows.
    """
    body = source.text
    for start, end, section_start, section_end in _spans(source):
        section = body[section_start:section_end] or None
        yield _Passage(source.id, start, end, body[start:end], section)


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


# ----------------------------------------------------------------- the stored form
#
# All numbers little-endian. A fixed header, then the sections of _layout(), each
# padded to a multiple of 8 bytes. Document numbers are "H" (two bytes) when there
# are at most 65,536 documents, else "I"; codes likewise. Postings of term t are
# docs[term_offsets[t]:term_offsets[t + 1]] with their codes alongside; the name
# index (entities whose name or alias words contain t) is laid out the same way.
# Strings (terms, exact names, entity ids, source ids) are UTF-8 back to back,
# found through offsets; terms and exact names are sorted, for bisection.

_MAGIC = b"immunokb search\n"
_HEADER = struct.Struct("<16sI3sx16Q")
_COUNTS = (
    "entities",
    "passages",
    "sources",
    "terms",
    "postings",
    "codes",
    "names",
    "phrases",
    "phrase_docs",
    "term_bytes",
    "phrase_bytes",
    "entity_bytes",
    "source_bytes",
    "grams",
    "gram_postings",
    "gram_bytes",
)
_LITTLE = sys.byteorder == "little"
# Numbers below this count (documents, codes, terms) are stored in two bytes, not four.
_NARROW = 1 << 16


def _layout(types: str, n: Mapping[str, int]) -> list[tuple[str, str, int]]:
    """The sections in order: (name, array type code, number of items).

    ``types`` gives the type codes of document numbers, value codes and term numbers.
    """
    doc, code, term = types[0], types[1], types[2]
    return [
        ("sat", "d", n["codes"]),
        ("idf", "d", n["terms"]),
        ("term_offsets", "I", n["terms"] + 1),
        ("docs", doc, n["postings"]),
        ("codes", code, n["postings"]),
        ("name_offsets", "I", n["terms"] + 1),
        ("name_docs", doc, n["names"]),
        ("name_codes", code, n["names"]),
        ("term_text_offsets", "I", n["terms"] + 1),
        ("term_text", "B", n["term_bytes"]),
        ("phrase_text_offsets", "I", n["phrases"] + 1),
        ("phrase_text", "B", n["phrase_bytes"]),
        ("phrase_offsets", "I", n["phrases"] + 1),
        ("phrase_docs", doc, n["phrase_docs"]),
        ("entity_text_offsets", "I", n["entities"] + 1),
        ("entity_text", "B", n["entity_bytes"]),
        ("source_text_offsets", "I", n["sources"] + 1),
        ("source_text", "B", n["source_bytes"]),
        ("source_ends", "I", n["sources"]),
        ("passage_sources", "I", n["passages"]),
        ("passage_starts", "I", n["passages"]),
        ("passage_ends", "I", n["passages"]),
        ("section_starts", "I", n["passages"]),
        ("section_ends", "I", n["passages"]),
        ("gram_text_offsets", "I", n["grams"] + 1),
        ("gram_text", "B", n["gram_bytes"]),
        ("gram_offsets", "I", n["grams"] + 1),
        ("gram_terms", term, n["gram_postings"]),
    ]


def _padded(size: int) -> int:
    return -(-size // 8) * 8


def _strings(values: Iterable[str]) -> tuple[array[int], bytes]:
    """Offsets and UTF-8 text of ``values`` stored back to back."""
    encoded = [value.encode("utf-8", "surrogatepass") for value in values]
    offsets = array("I", [0])
    for item in encoded:
        offsets.append(offsets[-1] + len(item))
    return offsets, b"".join(encoded)


class _Strings:
    """A read-only sequence of strings stored back to back (bisect searches it in place)."""

    __slots__ = ("_offsets", "_text")

    def __init__(self, offsets: memoryview, text: memoryview) -> None:
        self._offsets = offsets
        self._text = text

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, index: int) -> str:
        start, end = self._offsets[index], self._offsets[index + 1]
        return str(self._text[start:end], "utf-8", "surrogatepass")

    def find(self, value: str) -> int:
        """The position of ``value``, or -1."""
        index = bisect_left(self, value)
        found: int = index if index < len(self) and self[index] == value else -1
        return found


def _corrupt() -> ValueError:
    return ValueError("the search index data is corrupt")


def _build(
    entities: Sequence[AnyEntity], sources: Sequence[Source]
) -> tuple[bytes, tuple[AnyEntity, ...], tuple[Source, ...]]:
    """Index ``entities`` and ``sources``: the stored form, and the documents in index order."""
    # Documents in tie-break order: entities by id, then passages by source id and
    # offset; equal keys keep the order given (sorted() is stable), as the ranking does.
    ordered = tuple(sorted(entities, key=lambda e: e.id))
    counted: list[Counter[str]] = []
    names_of: list[list[str]] = []
    for entity in ordered:
        labels = [entity.name, *entity.aliases]
        names_of.append(sorted({" ".join(tokens(label)) for label in labels} - {""}))
        counts = Counter(tokens(entity.summary))
        for label in labels:
            counts.update(tokens(label))
        counted.append(counts)
    found: list[tuple[str, int, int, int, tuple[int, int, int, int], Counter[str]]] = []
    for position, source in enumerate(sources):
        body = source.text
        for span in _spans(source):
            start, end, section_start, section_end = span
            # The section heading counts towards the match, so that a question
            # like "how often" finds the paragraph that answers it.
            counts = Counter(tokens(f"{body[section_start:section_end]} {body[start:end]}"))
            if counts:
                found.append((source.id, start, len(found), position, span, counts))
    found.sort(key=lambda p: p[:3])
    used = sorted({p[3] for p in found}, key=lambda i: (sources[i].id, i))
    source_number = {position: number for number, position in enumerate(used)}
    ordered_sources = tuple(sources[i] for i in used)
    source_ends = array("I", [0] * len(used))
    passage_columns: list[array[int]] = [array("I") for _ in range(5)]
    for _, _, _, position, span, counts in found:
        number = source_number[position]
        source_ends[number] = max(source_ends[number], span[1], span[3])
        for column, value in zip(passage_columns, (number, *span), strict=True):
            column.append(value)
        counted.append(counts)

    lengths = [counts.total() for counts in counted]
    total = max(len(counted), 1)
    average = sum(lengths) / total if counted else 1.0
    inverted: dict[str, list[tuple[int, int]]] = {}
    for number, counts in enumerate(counted):
        for term, count in counts.items():
            inverted.setdefault(term, []).append((number, count))
    # BM25's term-frequency part depends on the count and the document's length
    # alone: one value per distinct pair, each given a code, highest value first.
    saturated = {
        pair: _saturate(pair[0], pair[1] / average)
        for pair in {(count, lengths[n]) for postings in inverted.values() for n, count in postings}
    }
    table = sorted(set(saturated.values()), reverse=True)
    code_of_value = {value: code for code, value in enumerate(table)}
    code_of = {pair: code_of_value[value] for pair, value in saturated.items()}

    named: dict[str, list[int]] = {}
    phrases: dict[str, list[int]] = {}
    for number, names in enumerate(names_of):
        for word in sorted({word for name in names for word in name.split()}):
            named.setdefault(word, []).append(number)
        for name in names:
            phrases.setdefault(name, []).append(number)

    vocabulary = sorted(inverted)
    idf = array("d")
    term_offsets, docs, codes = array("I", [0]), array("I"), array("I")
    name_offsets, name_docs, name_codes = array("I", [0]), array("I"), array("I")
    for term in vocabulary:
        postings = inverted[term]
        idf.append(math.log(1 + (total - len(postings) + 0.5) / (len(postings) + 0.5)))
        coded = sorted((code_of[count, lengths[n]], n) for n, count in postings)
        codes.extend(value_code for value_code, _ in coded)
        docs.extend(n for _, n in coded)
        term_offsets.append(len(docs))
        if term in named:
            by_doc = {n: code_of[count, lengths[n]] for n, count in postings}
            for value_code, n in sorted((by_doc[n], n) for n in named[term]):
                name_codes.append(value_code)
                name_docs.append(n)
        name_offsets.append(len(name_docs))
    # The words' character bigrams, for typos (the index GramIndex(vocabulary, 2) holds).
    by_gram: dict[str, list[int]] = {}
    for number, term in enumerate(vocabulary):
        for gram in sorted(grams(term, 2)):
            by_gram.setdefault(gram, []).append(number)
    gram_list = sorted(by_gram)
    gram_offsets, gram_terms = array("I", [0]), array("I")
    for gram in gram_list:
        gram_terms.extend(by_gram[gram])
        gram_offsets.append(len(gram_terms))
    phrase_list = sorted(phrases)
    phrase_offsets, phrase_docs = array("I", [0]), array("I")
    for phrase in phrase_list:
        phrase_docs.extend(phrases[phrase])
        phrase_offsets.append(len(phrase_docs))

    term_text_offsets, term_text = _strings(vocabulary)
    phrase_text_offsets, phrase_text = _strings(phrase_list)
    entity_text_offsets, entity_text = _strings(e.id for e in ordered)
    source_text_offsets, source_text = _strings(s.id for s in ordered_sources)
    gram_text_offsets, gram_text = _strings(gram_list)
    counts_of = {
        "entities": len(ordered),
        "passages": len(found),
        "sources": len(ordered_sources),
        "terms": len(vocabulary),
        "postings": len(docs),
        "codes": len(table),
        "names": len(name_docs),
        "phrases": len(phrase_list),
        "phrase_docs": len(phrase_docs),
        "term_bytes": len(term_text),
        "phrase_bytes": len(phrase_text),
        "entity_bytes": len(entity_text),
        "source_bytes": len(source_text),
        "grams": len(gram_list),
        "gram_postings": len(gram_terms),
        "gram_bytes": len(gram_text),
    }
    types = "".join(
        "H" if size <= _NARROW else "I" for size in (len(counted), len(table), len(vocabulary))
    )
    data: dict[str, Sequence[Any] | bytes] = {
        "sat": array("d", table),
        "idf": idf,
        "term_offsets": term_offsets,
        "docs": docs,
        "codes": codes,
        "name_offsets": name_offsets,
        "name_docs": name_docs,
        "name_codes": name_codes,
        "term_text_offsets": term_text_offsets,
        "term_text": term_text,
        "phrase_text_offsets": phrase_text_offsets,
        "phrase_text": phrase_text,
        "phrase_offsets": phrase_offsets,
        "phrase_docs": phrase_docs,
        "entity_text_offsets": entity_text_offsets,
        "entity_text": entity_text,
        "source_text_offsets": source_text_offsets,
        "source_text": source_text,
        "source_ends": source_ends,
        "passage_sources": passage_columns[0],
        "passage_starts": passage_columns[1],
        "passage_ends": passage_columns[2],
        "section_starts": passage_columns[3],
        "section_ends": passage_columns[4],
        "gram_text_offsets": gram_text_offsets,
        "gram_text": gram_text,
        "gram_offsets": gram_offsets,
        "gram_terms": gram_terms,
    }
    header = _HEADER.pack(
        _MAGIC, FORMAT_VERSION, types.encode(), *(counts_of[name] for name in _COUNTS)
    )
    out = [header]
    for name, code, number in _layout(types, counts_of):
        values = data[name]
        if isinstance(values, bytes):
            raw = values
        else:
            typed = array(code, values)
            if not _LITTLE:
                typed.byteswap()
            raw = typed.tobytes()
        if len(raw) != number * array(code).itemsize:  # pragma: no cover - a bug, not input
            raise AssertionError(name)
        out.append(raw + bytes(_padded(len(raw)) - len(raw)))
    return b"".join(out), ordered, ordered_sources


def _view(buffer: memoryview, code: str) -> memoryview[Any]:
    """``buffer`` read as little-endian items of array type ``code``."""
    if code == "B":
        return buffer
    if _LITTLE:
        return buffer.cast(code)  # type: ignore[call-overload, no-any-return]
    swapped: array[Any] = array(code)  # big-endian machines
    swapped.frombytes(buffer)
    swapped.byteswap()
    return memoryview(swapped)


class _Word:
    """One query word as the index reads it: what it adds to each document containing it."""

    __slots__ = ("bound", "lookup", "missing", "table")

    def __init__(self, lookup: dict[int, int], values: list[float], bound: float) -> None:
        self.lookup = lookup  # document -> position of its value in ``table``
        self.table = [*values, 0.0]  # the values, then what a document without the word gets
        self.missing = len(values)  # the position of that 0.0
        self.bound = bound  # the highest value of any document

    def values(self, docs: list[int], *, present: bool) -> Iterator[float]:
        """The word's value for each of ``docs``; 0.0 for those without it unless ``present``.

        Adding 0.0 leaves a float sum exactly as it is, so a document that lacks a word
        may be given 0.0 for it instead of skipping it.
        """
        if present:
            return map(self.table.__getitem__, map(self.lookup.__getitem__, docs))
        return map(self.table.__getitem__, map(self.lookup.get, docs, repeat(self.missing)))


class SearchIndex:
    """An inverted index over entities and source passages (built once, then read-only).

    Build one from the entities and sources, or read one back from :meth:`dumps`
    with :meth:`loads`. It is safe to share between threads.
    """

    __slots__ = (
        "_checked",
        "_codes",
        "_data",
        "_docs",
        "_entities",
        "_entity_ids",
        "_gram_offsets",
        "_gram_terms",
        "_grams",
        "_idf",
        "_n_codes",
        "_n_docs",
        "_n_entities",
        "_n_terms",
        "_name_codes",
        "_name_docs",
        "_name_offsets",
        "_passage_ends",
        "_passage_sources",
        "_passage_starts",
        "_phrase_docs",
        "_phrase_offsets",
        "_phrases",
        "_resolve",
        "_sat",
        "_section_ends",
        "_section_starts",
        "_source_ends",
        "_source_ids",
        "_source_map",
        "_sources",
        "_term_offsets",
        "_vocabulary",
    )

    def __init__(self, entities: Sequence[AnyEntity], sources: Sequence[Source]) -> None:
        """Index every entity and every passage of every source."""
        data, ordered, ordered_sources = _build(entities, sources)
        self._setup(data, checked=True)
        self._entities: tuple[AnyEntity, ...] | None = ordered
        self._resolve: Callable[[str], AnyEntity] | None = None
        self._sources: tuple[Source, ...] | None = ordered_sources
        self._source_map: Mapping[str, Source] | None = None

    @classmethod
    def loads(
        cls,
        data: bytes | bytearray | memoryview,
        *,
        entity: Callable[[str], AnyEntity],
        sources: Mapping[str, Source],
    ) -> SearchIndex:
        """Read back an index written by :meth:`dumps`, in place: a fraction of a millisecond.

        Args:
            data: What :meth:`dumps` returned.
            entity: Gives the entity of an id; called only for the entities a search
                returns, never for the others.
            sources: The sources by id, with the very texts the index was built from
                (passages are read from them, not stored twice); looked up for the
                passages a search returns.

        Raises:
            ValueError: ``data`` is not an index of this format version, or is
                truncated or malformed. Only its shape is checked here, so that
                loading takes about the same time at any size; a search that
                meets data inconsistent after all, a source missing from ``sources``
                or shorter than the passages cited from it raises ``ValueError`` too
                (never for bytes :meth:`dumps` wrote, with the same sources).
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValueError("search index data must be bytes")
        index = cls.__new__(cls)
        index._setup(bytes(data), checked=False)
        # Nothing is resolved now: entities and sources are looked up for hits only.
        index._entities = None
        index._resolve = entity
        index._sources = None
        index._source_map = sources
        return index

    def dumps(self) -> bytes:
        """The index as bytes for :meth:`loads`: the same bytes for the same documents."""
        return self._data

    def _setup(self, data: bytes, *, checked: bool) -> None:
        """Read the stored form in place (see ``_layout``); check its shape."""
        if len(data) < _HEADER.size:
            raise ValueError("search index data is truncated")
        magic, version, types, *numbers = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise ValueError("not immunokb search index data")
        if version != FORMAT_VERSION:
            raise ValueError(f"search index format {version}; this version reads {FORMAT_VERSION}")
        codes = types.decode("latin-1")
        if any(code not in ("H", "I") for code in codes):
            raise ValueError("search index data is malformed")
        n: dict[str, int] = dict(zip(_COUNTS, numbers, strict=True))
        layout = _layout(codes, n)
        size = _HEADER.size + sum(
            _padded(count * array(code).itemsize) for _, code, count in layout
        )
        if size != len(data):
            raise ValueError("search index data is truncated or malformed")
        whole = memoryview(data)
        views: dict[str, memoryview] = {}
        position = _HEADER.size
        for name, code, count in layout:
            length = count * array(code).itemsize
            views[name] = _view(whole[position : position + length], code)
            # Padding is zeros: a count off by a little cannot hide in it.
            if any(data[position + length : position + _padded(length)]):
                raise ValueError("search index data is malformed")
            position += _padded(length)
        n_docs = n["entities"] + n["passages"]
        limits = {"H": 1 << 16, "I": 1 << 32}
        if any(
            size > limits[code]
            for size, code in zip((n_docs, n["codes"], n["terms"]), codes, strict=True)
        ):
            raise ValueError("search index data is malformed")
        # Each table of offsets must start at 0 and end at the length of what it indexes;
        # offsets in between are checked where they are used.
        ends = {
            "term_offsets": n["postings"],
            "name_offsets": n["names"],
            "term_text_offsets": n["term_bytes"],
            "phrase_text_offsets": n["phrase_bytes"],
            "phrase_offsets": n["phrase_docs"],
            "entity_text_offsets": n["entity_bytes"],
            "source_text_offsets": n["source_bytes"],
            "gram_text_offsets": n["gram_bytes"],
            "gram_offsets": n["gram_postings"],
        }
        for name, end in ends.items():
            if views[name][0] != 0 or views[name][-1] != end:
                raise ValueError("search index data is malformed")
        self._data = data
        self._n_entities = n["entities"]
        self._n_docs = n_docs
        self._n_codes = n["codes"]
        self._sat: list[float] = list(views["sat"])
        self._idf = views["idf"]
        self._term_offsets = views["term_offsets"]
        self._docs = views["docs"]
        self._codes = views["codes"]
        self._name_offsets = views["name_offsets"]
        self._name_docs = views["name_docs"]
        self._name_codes = views["name_codes"]
        self._vocabulary = _Strings(views["term_text_offsets"], views["term_text"])
        self._phrases = _Strings(views["phrase_text_offsets"], views["phrase_text"])
        self._phrase_offsets = views["phrase_offsets"]
        self._phrase_docs = views["phrase_docs"]
        self._entity_ids = _Strings(views["entity_text_offsets"], views["entity_text"])
        self._source_ids = _Strings(views["source_text_offsets"], views["source_text"])
        self._source_ends = views["source_ends"]
        self._passage_sources = views["passage_sources"]
        self._passage_starts = views["passage_starts"]
        self._passage_ends = views["passage_ends"]
        self._section_starts = views["section_starts"]
        self._section_ends = views["section_ends"]
        self._grams = _Strings(views["gram_text_offsets"], views["gram_text"])
        self._gram_offsets = views["gram_offsets"]
        self._gram_terms = views["gram_terms"]
        self._n_terms = n["terms"]
        # A term's postings are checked on first use (see _ranges); built ones need not be.
        self._checked = bytearray([1 if checked else 0]) * n["terms"]

    def __len__(self) -> int:
        """The number of indexed documents (entities and passages)."""
        return self._n_docs

    # ------------------------------------------------------------------ reading

    def _ranges(self, term: int) -> tuple[int, int, int, int]:
        """Where term number ``term``'s postings and name postings are, checked once."""
        offsets, names = self._term_offsets, self._name_offsets
        start, end, name_start, name_end = (
            offsets[term],
            offsets[term + 1],
            names[term],
            names[term + 1],
        )
        if not self._checked[term]:
            # Everything a search indexes with comes from here: once these ranges hold,
            # no lookup can fail. (Idempotent, so two threads may race harmlessly.)
            if not (
                start < end <= len(self._docs) and name_start <= name_end <= len(self._name_docs)
            ):
                raise _corrupt()
            if (
                max(self._docs[start:end]) >= self._n_docs
                or max(self._codes[start:end]) >= self._n_codes
            ):
                raise _corrupt()
            if name_start < name_end and (
                max(self._name_docs[name_start:name_end]) >= self._n_entities
                or max(self._name_codes[name_start:name_end]) >= self._n_codes
            ):
                raise _corrupt()
            self._checked[term] = 1
        return start, end, name_start, name_end

    def _term(self, word: str) -> int:
        """The number of an indexed word, or -1."""
        return self._vocabulary.find(word)

    def _near(self, word: str) -> list[tuple[str, int]]:
        """The indexed words at most one edit from ``word``, with their numbers.

        The same words, in the same order, as ``GramIndex(vocabulary, 2).near(word)``
        finds, from the bigram index stored with the rest: candidates share all but
        three of the word's padded bigrams, most shared first, then in vocabulary order.
        """
        vocabulary = self._vocabulary
        wanted = grams(word, 2)
        needed = len(wanted) - 3
        pool: Iterable[int]
        if needed < 1:
            pool = range(len(vocabulary))
        else:
            shared: Counter[int] = Counter()
            offsets, terms = self._gram_offsets, self._gram_terms
            for gram in wanted:
                found = self._grams.find(gram)
                if found >= 0:
                    start, end = offsets[found], offsets[found + 1]
                    if not start <= end <= len(terms):
                        raise _corrupt()
                    shared.update(terms[start:end])
            pool = sorted(
                (n for n, count in shared.items() if count >= needed),
                key=lambda n: (-shared[n], n),
            )
        near: list[tuple[str, int]] = []
        for n in pool:
            if n >= self._n_terms:
                raise _corrupt()
            item = vocabulary[n]
            if abs(len(item) - len(word)) <= 1 and within_one_edit(word, item):
                near.append((item, n))
        return near

    def _expand(self, word: str) -> list[tuple[str, int, float]]:
        """``expand`` with each word's number: (indexed word, number, weight)."""
        term = self._term(word)
        if term >= 0:
            return [(word, term, 1.0)]
        if len(word) < _MIN_TYPO_LENGTH:
            return []
        return [(item, n, TYPO_WEIGHT) for item, n in self._near(word)]

    def expand(self, word: str) -> dict[str, float]:
        """The indexed words a query word stands for, each with its weight."""
        return {term: weight for term, _, weight in self._expand(word)}

    def _exact(self, phrase: str) -> list[int]:
        """The entities with a name or alias that reads ``phrase`` exactly."""
        found = self._phrases.find(phrase)
        if found < 0:
            return []
        start, end = self._phrase_offsets[found], self._phrase_offsets[found + 1]
        if not start <= end <= len(self._phrase_docs):
            raise _corrupt()
        docs = self._phrase_docs[start:end].tolist()
        if docs and max(docs) >= self._n_entities:
            raise _corrupt()
        return docs

    # ------------------------------------------------------------------ ranking

    def search(self, text: str, limit: int) -> list[Hit]:
        """The best ``limit`` hits for ``text`` (see the module docstring for the ranking)."""
        if limit < 1:
            return []
        words = list(dict.fromkeys(tokens(text)))[:MAX_TERMS]
        if not words:
            return []
        expanded = [self._expand(word) for word in words]
        expansions = [{term: weight for term, _, weight in e} for e in expanded]
        # The query as the index reads it, each word replaced by its closest reading.
        readings = [
            max(e, key=lambda t: (e[t], -len(t), t)) if e else w
            for w, e in zip(words, expansions, strict=True)
        ]
        phrase = " ".join(readings)
        typo = any(e and w not in e for w, e in zip(words, expansions, strict=True))
        exact_bonus = EXACT_NAME * (TYPO_WEIGHT if typo else 1.0)
        active = [e for e in expanded if e]
        if not active:
            return []
        if len(active) == 1 and len(active[0]) == 1:
            _, term, weight = active[0][0]
            ranked = self._one_term(term, weight, phrase, exact_bonus, limit)
            only = active[0][0][0]
            return [self._hit(n, -negative, {only}, words) for negative, n in ranked]
        else:
            ranked, matched = self._many_terms(active, phrase, exact_bonus, limit)
        return [self._hit(n, -negative, matched(n), words) for negative, n in ranked]

    def _one_term(
        self, term: int, weight: float, phrase: str, exact_bonus: float, limit: int
    ) -> list[tuple[float, int]]:
        """The best (negated rounded score, document) keys of a query with one indexed word.

        Only the top of the word's postings is read: the entities whose names hold
        the word (a short list, in the same impact order), then the other documents.
        """
        start, end, name_start, name_end = self._ranges(term)
        sat = self._sat
        factor = weight * self._idf[term]
        name_bonus = NAME_WORD * weight
        keys: list[tuple[float, int]] = []
        named: set[int] = set()
        if name_start < name_end:
            name_docs = self._name_docs[name_start:name_end]
            named = set(name_docs)
            exact = [n for n in self._exact(phrase) if n in named]
            if exact:
                listed = name_docs.tolist()
                for n in exact:
                    score = factor * sat[self._name_codes[name_start + listed.index(n)]]
                    score += exact_bonus
                    score += name_bonus
                    keys.append((-round(score, _DIGITS), n))
            _top(
                (self._name_docs, self._name_codes, name_start, name_end),
                lambda code: factor * sat[code] + name_bonus,
                skip=set(exact),
                limit=limit,
                keys=keys,
            )
        _top(
            (self._docs, self._codes, start, end),
            lambda code: factor * sat[code],
            skip=named,
            limit=limit,
            keys=keys,
        )
        return heapq.nsmallest(limit, keys)

    def _many_terms(
        self,
        active: list[list[tuple[str, int, float]]],
        phrase: str,
        exact_bonus: float,
        limit: int,
    ) -> tuple[list[tuple[float, int]], Callable[[int], set[str]]]:
        """The best keys of any other query, and the indexed words each document matched."""
        sat = self._sat
        lookups: dict[int, dict[int, int]] = {}  # term number -> {document: code}
        name_sets: dict[int, set[int]] = {}  # term number -> entities named with it

        def lookup(term: int) -> dict[int, int]:
            found = lookups.get(term)
            if found is None:
                start, end, name_start, name_end = self._ranges(term)
                docs, codes = self._docs[start:end], self._codes[start:end]
                found = lookups[term] = dict(zip(docs, codes, strict=True))
                name_sets[term] = set(self._name_docs[name_start:name_end])
            return found

        words: list[_Word] = []
        for terms in active:
            if len(terms) == 1:
                _, term, weight = terms[0]
                # A value per code: the same product, factor * saturated, as BM25's; the
                # first posting has the term's best code.
                values = list(map((weight * self._idf[term]).__mul__, sat))
                by_doc = lookup(term)
                best_code = self._codes[self._term_offsets[term]]
                words.append(_Word(by_doc, values, values[best_code]))
                continue
            # A word read several ways (a typo): each document takes its best reading.
            best: dict[int, float] = {}
            for _, term, weight in terms:
                table = list(map((weight * self._idf[term]).__mul__, sat))
                by_doc = lookup(term)
                if not best:
                    firsts = map(table.__getitem__, by_doc.values())
                    best = dict(zip(by_doc.keys(), firsts, strict=True))
                    continue
                get = best.get
                for n, code in by_doc.items():
                    value = table[code]
                    if value > get(n, 0.0):
                        best[n] = value
            merged = list(best.values())
            words.append(_Word(dict(zip(best, range(len(best)), strict=True)), merged, max(merged)))

        # Entities with a name boost are scored on their own, in full: the body words,
        # then the exact name, then each word found in a name, added in that order.
        boosted: set[int] = set()
        for terms in active:
            for _, term, _ in terms:
                boosted |= name_sets[term]
        top: list[tuple[float, int]] = []
        if boosted:
            listed = list(boosted)
            total = _sum(word.values(listed, present=False) for word in words)
            extras = [dict.fromkeys(self._exact(phrase), exact_bonus)]
            for terms in active:
                # The word's best weight among its readings found in the name.
                bonus: dict[int, float] = {}
                for _, term, weight in sorted(terms, key=lambda t: t[2]):
                    bonus.update(dict.fromkeys(name_sets[term], NAME_WORD * weight))
                extras.append(bonus)
            for extra in extras:
                total = map(add, total, map(extra.get, listed, repeat(0.0)))
            top = heapq.nsmallest(
                limit, zip(map(neg, map(round, total, repeat(_DIGITS))), listed, strict=True)
            )

        # The other documents: branch and bound over which words they contain.
        order = sorted(range(len(words)), key=lambda i: (-words[i].bound, i))
        rest = [0.0] * (len(order) + 1)  # the best the words from order[i] on can add
        for i in range(len(order) - 1, -1, -1):
            rest[i] = rest[i + 1] + words[order[i]].bound

        # A document is skipped only when its bound is below the current last score by
        # more than rounding can move a score (half a unit of the last decimal kept)
        # plus floating-point error (about 1e-15 here): its rounded score is then lower.
        margin = 10.0**-_DIGITS + 1e-9

        def threshold() -> float:
            return -top[-1][0] - margin if len(top) >= limit else -math.inf

        def score_set(docs: set[int], present: list[int], maybe: list[int]) -> None:
            """Score ``docs`` exactly: each has the words ``present``, perhaps ``maybe``."""
            nonlocal top
            listed = list(docs)
            total = _sum(
                word.values(listed, present=i in present)
                for i, word in enumerate(words)  # in query order, as the sum must be
                if i in present or i in maybe
            )
            scored = zip(map(neg, map(round, total, repeat(_DIGITS))), listed, strict=True)
            top = heapq.nsmallest(limit, chain(top, scored))

        def visit(
            depth: int, docs: set[int] | None, bound: float, present: list[int], absent: list[int]
        ) -> None:
            """Split ``docs`` (None: all but those of the ``absent`` words) on word order[depth].

            ``bound`` is the best the words decided so far can give a document of ``docs``.
            """
            if docs is not None and (depth == len(order) or len(docs) <= _SMALL):
                score_set(docs, present, order[depth:])
                return
            if depth == len(order):
                return
            i = order[depth]
            word = words[i].lookup
            if bound + words[i].bound + rest[depth + 1] >= threshold():
                if docs is None:
                    having = word.keys() - boosted
                    for j in absent:
                        having = having.difference(words[j].lookup)
                else:
                    having = word.keys() & docs
                if having:
                    visit(depth + 1, having, bound + words[i].bound, [*present, i], absent)
            if bound + rest[depth + 1] >= threshold():
                if docs is None:
                    visit(depth + 1, None, bound, present, [*absent, i])
                else:
                    lacking = docs.difference(word)
                    if lacking:
                        visit(depth + 1, lacking, bound, present, absent)

        visit(0, None, 0.0, [], [])

        def matched(n: int) -> set[str]:
            return {t for terms in active for t, term, _ in terms if n in lookups[term]}

        return top, matched

    def _entity(self, n: int) -> AnyEntity:
        if self._entities is not None:
            return self._entities[n]
        assert self._resolve is not None  # noqa: S101 - a loaded index has a resolver
        return self._resolve(self._entity_ids[n])

    def _source(self, number: int, source_id: str) -> Source:
        if self._sources is not None:
            return self._sources[number]
        assert self._source_map is not None  # noqa: S101 - a loaded index has the sources
        source = self._source_map.get(source_id)
        if source is None:
            raise ValueError(f"the search index cites source {source_id!r}, which was not given")
        if len(source.text) < self._source_ends[number]:
            raise ValueError(
                f"source {source_id!r} is not the text the search index was built from"
            )
        return source

    def _hit(self, n: int, score: float, matched: set[str], words: list[str]) -> Hit:
        order = {term: i for i, term in enumerate(words)}
        terms = tuple(sorted(matched, key=lambda t: (order.get(t, len(order)), t)))
        if n < self._n_entities:
            entity = self._entity(n)
            quotes = _own_quotes(entity)
            # The piece of evidence with the most matched words; the first on a tie.
            _, _, citation = max(
                (len(matched.intersection(_word_tokens(c.quote))), -i, c)
                for i, c in enumerate(quotes)
            )
            # model_construct: every value here is already valid (the citation is one of
            # the entity's own), and validating a first Hit in a process would build
            # pydantic's validators for it (deferred at import), some 20 ms.
            return Hit.model_construct(
                entity=entity,
                source_id=citation.source_id,
                score=score,
                snippet=snippet(citation.quote, matched),
                citation=citation,
                matched=terms,
            )
        p = n - self._n_entities
        number = self._passage_sources[p]
        if number >= len(self._source_ids):
            raise _corrupt()
        source_id = self._source_ids[number]
        body = self._source(number, source_id).text
        start, end = self._passage_starts[p], self._passage_ends[p]
        if not start < end <= len(body):
            raise _corrupt()
        text = body[start:end]
        # The same values Hit(...) and Citation(...) would validate: a source's id, a
        # non-blank passage and its offsets; see above for why they are not revalidated.
        return Hit.model_construct(
            entity=None,
            source_id=source_id,
            score=score,
            snippet=snippet(text, matched),
            section=body[self._section_starts[p] : self._section_ends[p]] or None,
            citation=Citation.model_construct(
                source_id=source_id, quote=text, start=start, end=end
            ),
            matched=terms,
        )


def _sum(columns: Iterable[Iterator[float]]) -> Iterator[float]:
    """Element-wise sums of ``columns``, added left to right (run lazily, in C)."""
    total: Iterator[float] | None = None
    for column in columns:
        total = column if total is None else map(add, total, column)
    return total if total is not None else iter(())


def _top(
    postings: tuple[memoryview, memoryview, int, int],
    value: Callable[[int], float],
    *,
    skip: set[int],
    limit: int,
    keys: list[tuple[float, int]],
) -> None:
    """Add to ``keys`` the (negated rounded score, document) keys that may be among the best.

    ``postings`` is (documents, codes, start, end): ``documents[start:end]`` in impact
    order, by code (so by non-increasing ``value`` of the code), then by number, and
    skipping those in ``skip``; the best ``limit`` of them are among the keys added.
    Rounding to six decimals can tie documents of different codes, and the tie goes
    to the lower number, so every run of codes that rounds alike is read (each up to
    ``limit`` documents) before stopping.
    """
    docs, codes, start, end = postings
    taken = 0
    last = math.inf
    while start < end:
        code = codes[start]
        run_end = bisect_right(codes, code, start, end)
        rounded = round(value(code), _DIGITS)
        if taken >= limit and rounded < last:
            return
        last = rounded
        key = -rounded
        count = 0
        for n in docs[start:run_end]:
            if n not in skip:
                keys.append((key, n))
                count += 1
                if count == limit:
                    break
        taken += count
        start = run_end
