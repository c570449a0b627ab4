"""Approximate string matching for suggestions and typo-tolerant search.

Two small tools, both working on already normalised text (see ``_normalize``):

- :class:`GramIndex` finds the strings that share the most character n-grams with
  a query, so that only a handful of candidates need a precise comparison. That
  keeps a miss cheap however many names a knowledge base holds.
- :func:`within_one_edit` says whether two words differ by at most one edit
  (insertion, deletion, substitution or the swap of two adjacent characters:
  the optimal-string-alignment distance), which is how search reads "a typo per
  word".

Characters are Unicode code points, so words in any script work the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

__all__ = ["GramIndex", "grams", "within_one_edit"]


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
