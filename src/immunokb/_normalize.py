"""The one normalisation used for names: building the alias index and reading queries.

``normalize()`` makes lookups insensitive to case, accents on Latin letters,
hyphens versus spaces, punctuation and the marks ®, ™ and ©. Letters and vowel
signs of other scripts (Devanagari, for instance) are kept as they are, so a
Hindi name still matches itself.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["normalize"]

_DROP = str.maketrans("", "", "®™©℠")


def _is_latin(char: str) -> bool:
    code = ord(char)
    return code < 0x250 or 0x1E00 <= code <= 0x1EFF


def normalize(text: str) -> str:
    """Return the lookup key of ``text``.

    Examples:
        >>> normalize("Imlygic®")
        'imlygic'
        >>> normalize("  Sipuleucel-T ")
        'sipuleucel t'
        >>> normalize("checkpoint-inhibitors") == normalize("Checkpoint Inhibitors")
        True
    """
    # Whitespace always separates words, so each whitespace-free chunk is normalised
    # on its own: plain ASCII by one regular expression, anything else by the
    # character-level rules (cached, since words repeat).
    words = [
        _ASCII_SEPARATORS.sub(" ", chunk.lower()) if chunk.isascii() else _chunk(chunk)
        for chunk in text.split()
    ]
    return " ".join(" ".join(words).split())


_ASCII_SEPARATORS = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65_536)
def _chunk(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_DROP))
    out: list[str] = []
    base = ""
    for char in decomposed:
        category = unicodedata.category(char)
        if category.startswith("M"):
            # A combining mark: drop accents on Latin letters, keep other scripts' signs.
            if base and not _is_latin(base):
                out.append(char)
            continue
        base = char
        out.append(char.casefold() if char.isalnum() else " ")
    return "".join(out)
