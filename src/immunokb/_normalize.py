"""The one normalisation used for names: building the alias index and reading queries.

``normalize()`` makes lookups insensitive to case, accents on Latin letters,
hyphens versus spaces, punctuation and the marks ®, ™ and ©. Letters and vowel
signs of other scripts (Devanagari, for instance) are kept as they are, so a
Hindi name still matches itself.
"""

from __future__ import annotations

import unicodedata

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
    return " ".join("".join(out).split())
