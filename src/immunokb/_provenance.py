"""Quote verification: find a citation's quote in its source body and record offsets.

A quote matches when it equals a stretch of the source body after both are
normalised the same way: every run of whitespace becomes one space and typographic
quote marks become their ASCII forms. Nothing else is normalised: case, dashes,
punctuation and Markdown list markers must match as written.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator

__all__ = [
    "HEADING",
    "MAX_LEAD_IN_OCCURRENCES",
    "MAX_LEAD_IN_TRIES",
    "THEMATIC_BREAK",
    "SourceText",
    "normalize_quote",
]

_QUOTE_MARKS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
    }
)
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+\u2022]|\d+[.)])[ \t]+")
HEADING = re.compile(r"[ ]{0,3}(#{1,6})[ \t]+")
"""The start of a Markdown heading line; group 1 is its ``#`` marks (the level)."""
THEMATIC_BREAK = re.compile(r"^[ ]{0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
"""A Markdown thematic break line (``***``, ``---``, ``___``)."""


MAX_LEAD_IN_TRIES = 64
"""How many occurrences placed as a lead-in (a whole heading, or words ending their
line) are tried against the quote, first to last.

Each try reads the text from the lead-in to the quote; without a bound, a
hostile document repeating such lines thousands of times would take quadratic time.
"""
MAX_LEAD_IN_OCCURRENCES = 100_000
"""How many occurrences of a lead-in's words are looked at in all.

One that is not placed as a lead-in costs only a look at its own line, so prose
that mentions a heading's words many times before the heading does not hide it.
"""
_LINE_END = re.compile(r"[ \t\r\f\v]*(?:\n|\Z)")
_PART_OF_HEADING = "lead_in must be a whole heading or a sentence, not part of a heading"
_NOT_LINE_END = "lead_in must end its line (the list starts on the next line)"


def normalize_quote(text: str) -> str:
    """Collapse whitespace runs to one space, map typographic quote marks to ASCII, strip."""
    return " ".join(text.translate(_QUOTE_MARKS).split())


class SourceText:
    """A source body prepared for quote look-ups (normalised once, mapped back to offsets)."""

    __slots__ = ("_map", "_norm", "text")

    def __init__(self, text: str) -> None:
        """Normalise ``text`` and keep, for each normalised character, its original offset."""
        self.text = text
        chars: list[str] = []
        offsets: list[int] = []
        pending_space = False
        for index, char in enumerate(text.translate(_QUOTE_MARKS)):
            if char.isspace():
                pending_space = bool(chars)
                continue
            if pending_space:
                chars.append(" ")
                offsets.append(index - 1)
                pending_space = False
            chars.append(char)
            offsets.append(index)
        self._norm = "".join(chars)
        self._map = offsets

    def find(self, quote: str, start: int = 0) -> tuple[int, int] | None:
        """Original-text offsets ``(start, end)`` of the first match at or after ``start``."""
        needle = normalize_quote(quote)
        if not needle:
            return None
        norm_start = bisect_left(self._map, start)
        position = self._norm.find(needle, norm_start)
        if position < 0:
            return None
        return self._map[position], self._map[position + len(needle) - 1] + 1

    def find_in_context(
        self, lead_in: str, quote: str
    ) -> tuple[tuple[int, int], tuple[int, int]] | str:
        """Locate a lead-in and a quote that it introduces.

        The lead-in is either a Markdown heading (the quote must stand in that
        heading's section: sections nest by heading level, and a thematic break
        closes the innermost open section, so a break right under the heading ends
        it while a break under one of its subheadings ends only that subsection) or
        a sentence ending its line that introduces a list (the quote must start an
        item of the list that directly follows).

        The lead-in's words may also occur earlier, inside sentences or other
        headings: such occurrences are passed over at the cost of reading their own
        line, and only occurrences placed as a lead-in (a whole heading, or words
        ending their line) are tried against the quote, at most
        :data:`MAX_LEAD_IN_TRIES` of them, among the first
        :data:`MAX_LEAD_IN_OCCURRENCES` occurrences.
        Returns the two offset pairs, or a message saying what could not be found.
        """
        tried: list[str] = []  # what was wrong with each occurrence placed as a lead-in
        misplaced: dict[str, None] = {}  # the first reason of each kind for the others
        line_start, line_end = 0, -1  # the line holding the current occurrence's start
        heading: re.Match[str] | None = None
        seen = 0
        lead = self.find(lead_in)
        while lead is not None and len(tried) < MAX_LEAD_IN_TRIES:
            seen += 1
            if seen > MAX_LEAD_IN_OCCURRENCES:
                break
            if lead[0] > line_end:  # a new line (occurrences on one line share it)
                line_start = self.text.rfind("\n", 0, lead[0]) + 1
                line_end = self.text.find("\n", lead[0])
                line_end = len(self.text) if line_end < 0 else line_end
                heading = HEADING.match(self.text, line_start)
            if heading is not None and heading.end() != lead[0]:
                misplaced.setdefault(_PART_OF_HEADING)
            elif _LINE_END.match(self.text, lead[1]) is None:
                misplaced.setdefault(_PART_OF_HEADING if heading is not None else _NOT_LINE_END)
            else:
                level = None if heading is None else len(heading.group(1))
                result = self._in_context(lead, quote, level)
                if not isinstance(result, str):
                    return result
                tried.append(result)
            lead = self.find(lead_in, lead[0] + 1)
        # An occurrence that is a heading or ends its line is the one the author meant;
        # report its problem rather than that of the same words inside a sentence.
        if tried:
            return tried[-1]
        if misplaced:
            return _PART_OF_HEADING if _PART_OF_HEADING in misplaced else _NOT_LINE_END
        return "lead_in not found in the source text"

    def _in_context(
        self, lead: tuple[int, int], quote: str, level: int | None
    ) -> tuple[tuple[int, int], tuple[int, int]] | str:
        """Find ``quote`` under the lead-in at ``lead``: a heading of ``level``, or a line end."""
        found = self.find(quote, lead[1])
        if found is None:
            return "quote not found after its lead_in"
        if level is not None:
            return self._in_section(level, lead, found)
        lead_line_end = self.text.find("\n", lead[1])
        if lead_line_end < 0:
            return "quote does not start an item of the list that follows its lead_in"
        # The quote's words may also occur inside an earlier item: try each occurrence,
        # reading every line between the lead-in and the quote once (not once per try).
        unread = lead_line_end + 1  # the first line not yet checked to be part of the list
        line_start, line_end = 0, -1  # the line of the current occurrence
        while found is not None:
            if found[0] > line_end:  # a new line (occurrences on one line share it)
                line_start = self.text.rfind("\n", 0, found[0]) + 1
                line_end = self.text.find("\n", found[0])
                line_end = len(self.text) if line_end < 0 else line_end
            if line_start >= unread:
                for line in self.text[unread:line_start].split("\n")[:-1]:
                    if line.strip() and not _LIST_ITEM.match(line) and not line[:1].isspace():
                        return "quote is not in the list that directly follows its lead_in"
                unread = line_start
                if _LIST_ITEM.fullmatch(self.text, line_start, found[0]):
                    return lead, found
            found = self.find(quote, found[0] + 1)
        return "quote does not start an item of the list that follows its lead_in"

    def _lines_between(self, start: int, stop: int) -> Iterator[str]:
        """The lines after the one holding ``start``, up to ``stop`` (its line's head).

        Read one at a time, so that a caller that stops early reads no further.
        """
        newline = self.text.find("\n", start, stop)
        while newline >= 0:
            following = self.text.find("\n", newline + 1, stop)
            yield self.text[newline + 1 : stop if following < 0 else following]
            newline = following

    def _in_section(
        self, level: int, lead: tuple[int, int], found: tuple[int, int]
    ) -> tuple[tuple[int, int], tuple[int, int]] | str:
        # Sections nest by heading level; a thematic break closes the innermost open
        # one. The quote is in the section while the lead-in's heading stays open.
        open_levels = [level]
        for line in self._lines_between(lead[1], found[0]):
            match = HEADING.match(line)
            if match is not None:
                depth = len(match.group(1))
                while open_levels and open_levels[-1] >= depth:
                    open_levels.pop()
            elif THEMATIC_BREAK.match(line):
                open_levels.pop()
            if not open_levels:
                return "quote is not in the section under its heading lead_in"
            if match is not None:
                open_levels.append(len(match.group(1)))
        return lead, found
