"""Quote verification: find a citation's quote in its source body and record offsets.

A quote matches when it equals a stretch of the source body after both are
normalised the same way: every run of whitespace becomes one space and typographic
quote marks become their ASCII forms. Nothing else is normalised: case, dashes,
punctuation and Markdown list markers must match as written.
"""

from __future__ import annotations

import re
from bisect import bisect_left

__all__ = ["HEADING", "THEMATIC_BREAK", "SourceText", "normalize_quote"]

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
        Returns the two offset pairs, or a message saying what could not be found.
        """
        problems: list[str] = []
        lead = self.find(lead_in)
        while lead is not None:  # the lead-in's words may also occur before the real one
            result = self._in_context(lead, quote)
            if not isinstance(result, str):
                return result
            problems.append(result)
            lead = self.find(lead_in, lead[0] + 1)
        if not problems:
            return "lead_in not found in the source text"
        # An occurrence that is a heading or ends its line is the one the author meant;
        # report its problem rather than that of the same words inside a sentence.
        specific = [p for p in problems if not p.startswith("lead_in must end its line")]
        return specific[-1] if specific else problems[0]

    def _in_context(
        self, lead: tuple[int, int], quote: str
    ) -> tuple[tuple[int, int], tuple[int, int]] | str:
        found = self.find(quote, lead[1])
        if found is None:
            return "quote not found after its lead_in"
        line_start = self.text.rfind("\n", 0, lead[0]) + 1
        heading = HEADING.match(self.text, line_start)
        if heading is not None:
            if heading.end() != lead[0]:
                return "lead_in must be a whole heading or a sentence, not part of a heading"
            return self._in_section(len(heading.group(1)), lead, found)
        if self._rest_of_line(lead[1]).strip():
            return "lead_in must end its line (the list starts on the next line)"
        while found is not None:  # the quote's words may also occur inside an earlier item
            lines = self.text[lead[1] : found[0]].split("\n")
            for line in lines[1:-1]:
                if line.strip() and not _LIST_ITEM.match(line) and not line[:1].isspace():
                    return "quote is not in the list that directly follows its lead_in"
            if len(lines) >= 2 and _LIST_ITEM.fullmatch(lines[-1]):
                return lead, found
            found = self.find(quote, found[0] + 1)
        return "quote does not start an item of the list that follows its lead_in"

    def _rest_of_line(self, position: int) -> str:
        end = self.text.find("\n", position)
        return self.text[position : None if end < 0 else end]

    def _in_section(
        self, level: int, lead: tuple[int, int], found: tuple[int, int]
    ) -> tuple[tuple[int, int], tuple[int, int]] | str:
        if self._rest_of_line(lead[1]).strip():
            return "lead_in must be a whole heading or a sentence, not part of a heading"
        # Sections nest by heading level; a thematic break closes the innermost open
        # one. The quote is in the section while the lead-in's heading stays open.
        open_levels = [level]
        for line in self.text[lead[1] : found[0]].split("\n")[1:]:
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
