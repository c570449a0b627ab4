"""Approximate string matching for suggestions and typo-tolerant search.

Three small tools, all working on already normalised text (see ``_normalize``):

- :class:`GramIndex` finds the strings that share the most character n-grams with
  a query, so that only a handful of candidates need a precise comparison. That
  keeps a miss cheap however many names a knowledge base holds.
- :func:`within_one_edit` says whether two words differ by at most one edit
  (insertion, deletion, substitution or the swap of two adjacent characters:
  the optimal-string-alignment distance), which is how search reads "a typo per
  word".
- :class:`Suggester` ranks the labels closest to a name that was not found, for
  "did you mean" suggestions.

Characters are Unicode code points, so words in any script work the same way.
"""

from __future__ import annotations

import difflib
import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from itertools import chain

__all__ = ["GramIndex", "Suggester", "grams", "within_one_edit"]


def grams(text: str, n: int) -> set[str]:
    """The character n-grams of ``text`` padded with ``^`` and ``$`` at the ends."""
    padded = f"^{text}$"
    if len(padded) <= n:
        return {padded}
    return {padded[i : i + n] for i in range(len(padded) - n + 1)}


class GramIndex:
    """An inverted index from character n-grams to the strings that contain them."""

    __slots__ = ("_items", "_n", "_postings")

    def __init__(self, items: Iterable[str], n: int) -> None:
        """Index ``items`` (kept in the given order; duplicates are indexed once) by ``n``-grams."""
        self._n = n
        self._items: tuple[str, ...] = tuple(dict.fromkeys(items))
        postings: dict[str, list[int]] = {}
        for number, item in enumerate(self._items):
            for gram in grams(item, n):
                postings.setdefault(gram, []).append(number)
        self._postings = {gram: tuple(numbers) for gram, numbers in postings.items()}

    def __len__(self) -> int:
        """The number of indexed strings."""
        return len(self._items)

    def __contains__(self, item: object) -> bool:
        """Whether ``item`` is one of the indexed strings."""
        return item in self._items

    def candidates(self, query: str, *, min_shared: int = 1, limit: int | None = None) -> list[str]:
        """Indexed strings sharing at least ``min_shared`` n-grams with ``query``.

        Most shared n-grams first; ties keep the index order, so the result is
        deterministic. ``limit`` caps the number returned.
        """
        shared: Counter[int] = Counter()
        for gram in grams(query, self._n):
            shared.update(self._postings.get(gram, ()))
        ranked = sorted(
            (number for number, count in shared.items() if count >= min_shared),
            key=lambda number: (-shared[number], number),
        )
        if limit is not None:
            ranked = ranked[:limit]
        return [self._items[number] for number in ranked]

    def near(self, word: str) -> list[str]:
        """Indexed strings at most one edit away from ``word`` (``word`` itself included).

        One edit changes at most three of a word's padded bigrams, so candidates
        must share all but three with ``word`` before the exact check; the index
        must be built with ``n=2``.
        """
        needed = len(grams(word, self._n)) - 3
        # A word of two characters or fewer may share no n-gram with its neighbours:
        # compare it with every indexed string instead.
        pool = self._items if needed < 1 else self.candidates(word, min_shared=needed)
        return [
            item for item in pool if abs(len(item) - len(word)) <= 1 and within_one_edit(word, item)
        ]


def within_one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by at most one insertion, deletion, substitution or swap.

    Examples:
        >>> within_one_edit("inhibiter", "inhibitor")
        True
        >>> within_one_edit("melanoam", "melanoma")
        True
        >>> within_one_edit("tumor", "tumour")
        True
        >>> within_one_edit("tumor", "humour")
        False
    """
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    # Skip the common prefix; what is left must be one edit.
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        rest_a, rest_b = a[i + 1 :], b[i + 1 :]
        if rest_a == rest_b:  # one substitution
            return True
        # one swap of adjacent characters
        return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    return a[i:] == b[i + 1 :]  # one insertion into a


class Suggester:
    """The "did you mean" names for a label that matches nothing.

    Built from the labels of a knowledge base (normalised label -> entity id, in the
    knowledge base's order), it answers what this plain procedure answers, only
    faster:

    1. cut the key to ``max_key`` characters (an empty key gets no suggestions);
    2. take the ``candidates`` labels sharing most trigrams with it (ties: the
       earlier label), as :meth:`GramIndex.candidates` ranks them;
    3. drop those whose entity ``keep`` refuses;
    4. score each by ``difflib.SequenceMatcher(None, key, label).ratio()``, raised
       to ``floor`` when the key contains the label or the label the key;
    5. give each entity its best score, drop those under ``cutoff``, and sort by
       (score rounded to 6 places, highest first; then the entity's name);
    6. return the first ``limit`` names.

    The expensive part is step 4. The ratio is ``2 * M / T``, ``T`` the two
    lengths together and ``M`` the characters difflib matches, which are a common
    subsequence of the two; so each candidate's score has upper bounds, from
    cheap to dear: with ``M`` at most the characters of the label found in the
    key at all, then the characters the two have in common counted with
    repetition (difflib's ``quick_ratio``), then their longest common
    subsequence. Candidates are taken best bound first and their bounds
    tightened one step at a time; one whose bound can no longer reach the
    current ``limit``-th suggestion (its name included) or its entity's best
    score so far is dropped, and only the rest are compared exactly. Nothing is
    shared between calls but the immutable index, so one suggester serves any
    number of threads.
    """

    __slots__ = ("_candidates", "_cutoff", "_floor", "_ids", "_index", "_max_key")

    def __init__(
        self,
        labels: Mapping[str, str],
        *,
        candidates: int = 240,
        cutoff: float = 0.6,
        floor: float = 0.8,
        max_key: int = 200,
    ) -> None:
        """Index ``labels`` (label -> entity id); the keywords are the procedure's constants."""
        self._index = GramIndex(labels, 3)
        self._ids = tuple(labels[label] for label in self._index._items)
        self._candidates = candidates
        self._cutoff = cutoff
        self._floor = floor
        self._max_key = max_key

    def _ranked(self, key: str) -> list[int]:
        """The numbers of the labels step 2 keeps (in no particular order)."""
        postings = self._index._postings
        shared = Counter(chain.from_iterable(postings.get(gram, ()) for gram in grams(key, 3)))
        if len(shared) <= self._candidates:
            return list(shared)
        # Most shared first; ``sorted`` is stable even in reverse, so ties keep
        # the numbers' (the index's) order as the first sort left them.
        return sorted(sorted(shared), key=shared.__getitem__, reverse=True)[: self._candidates]

    def suggest(
        self,
        key: str,
        *,
        name: Callable[[str], str],
        keep: Callable[[str], bool] | None = None,
        limit: int = 5,
    ) -> tuple[str, ...]:
        """Up to ``limit`` names of the entities whose labels are closest to ``key``, best first.

        Args:
            key: the normalised text that matched no label.
            name: the name of an entity, given its id (suggestions are names).
            keep: whether an entity, given its id, may be suggested (default: all).
            limit: how many names at most.
        """
        key = key[: self._max_key]
        if not key or limit < 1:
            return ()
        items, ids, cutoff, floor = self._index._items, self._ids, self._cutoff, self._floor
        size = len(key)
        key_chars = Counter(key)
        absent = dict.fromkeys(map(ord, key_chars))  # str.translate deletes what the key has
        # Pending candidates as (-bound, stage, number, contained): a popped entry's
        # bound is tightened to the next stage's and pushed back, or at stage 2
        # replaced by the exact score.
        heap: list[tuple[float, int, int, bool]] = []
        for number in self._ranked(key):
            if keep is not None and not keep(ids[number]):
                continue
            label = items[number]
            contained = key in label or label in key
            found = len(label) - len(label.translate(absent))
            bound = 2.0 * min(size, found) / (size + len(label))
            if contained and bound < floor:
                bound = floor
            if bound >= cutoff:
                heap.append((-bound, 0, number, contained))
        heapq.heapify(heap)
        best: dict[str, float] = {}  # entity id -> its best exact score so far
        ranks: dict[str, tuple[float, str]] = {}  # their sort keys, for scores >= cutoff
        last: tuple[float, str] | None = None  # the limit-th smallest sort key so far
        masks: dict[str, int] | None = None
        matcher: difflib.SequenceMatcher[str] | None = None
        while heap:
            negative, stage, number, contained = heapq.heappop(heap)
            bound = -negative
            entity = ids[number]
            if bound <= best.get(entity, -1.0):
                continue  # cannot raise its entity's best score
            if last is not None:
                rounded = -round(bound, 6)
                if rounded > last[0]:
                    break  # no bound left can reach the limit-th suggestion
                if (rounded, name(entity)) > last:
                    continue  # this one cannot either, and never will
            label = items[number]
            if contained and bound <= floor:
                score = floor  # the ratio is at most the bound: the floor wins
            elif stage < 2:
                if stage == 0:
                    common = sum(map(min, key_chars.values(), map(label.count, key_chars)))
                else:
                    if masks is None:
                        masks = _masks(key)
                    common = _common_subsequence(masks, size, label)
                bound = 2.0 * common / (size + len(label))
                if contained and bound < floor:
                    bound = floor
                if bound >= cutoff:
                    heapq.heappush(heap, (-bound, stage + 1, number, contained))
                continue
            else:
                if matcher is None:
                    matcher = difflib.SequenceMatcher(None, key, "")
                matcher.set_seq2(label)
                score = matcher.ratio()
                if contained and score < floor:
                    score = floor
            if score <= best.get(entity, -1.0):
                continue
            best[entity] = score
            if score >= cutoff:
                ranks[entity] = (-round(score, 6), name(entity))
                if len(ranks) >= limit:
                    last = heapq.nsmallest(limit, ranks.values())[-1]
        scored = sorted(ranks.values())
        return tuple(entity_name for _, entity_name in scored[:limit])


def _masks(a: str) -> dict[str, int]:
    """Each character of ``a`` -> the bit set of its positions, for :func:`_common_subsequence`."""
    masks: dict[str, int] = {}
    for position, char in enumerate(a):
        masks[char] = masks.get(char, 0) | 1 << position
    return masks


def _common_subsequence(masks: dict[str, int], size: int, b: str) -> int:
    """The length of the longest common subsequence of ``a`` and ``b``.

    ``masks`` is ``_masks(a)`` and ``size`` is ``len(a)``. The bit-parallel
    algorithm of Allison and Dix (1986), as Hyyrö (2004) writes it: one pass over
    ``b``, with a bit per character of ``a``.
    """
    row = (1 << size) - 1
    for char in b:
        match = masks.get(char)
        if match is not None:
            low = row & match
            row = (row + low) | (row - low)
    return size - bin(row & ((1 << size) - 1)).count("1")
