"""Vietnamese text forms for matching: folded (no diacritics) and normalized (with them)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# The combining marks Vietnamese writes: five tones, then circumflex, breve and horn.
VIETNAMESE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b")
# "đ" is a letter of its own, not "d" plus a mark, so no Unicode decomposition removes it.
_STROKED_D = str.maketrans({"đ": "d", "Đ": "d"})


def _words(text: str, *, drop_marks: bool) -> str:
    """Turn everything but letters, digits and marks into spaces and single-space the rest."""
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category[0] == "M":
            if not drop_marks:
                kept.append(char)
        elif category[0] in "LN":
            kept.append(char)
        else:
            kept.append(" ")
    return " ".join("".join(kept).split())


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without diacritics, punctuation as spaces, whitespace collapsed."""
    # Compatibility forms first (e.g. "ℍ" -> "H"), then case, then again: casefolding can
    # compose ("Ǆ" -> "ǆ") and compatibility forms can be upper case.
    text = unicodedata.normalize("NFKD", text.translate(_STROKED_D))
    text = unicodedata.normalize("NFKD", text.casefold()).translate(_STROKED_D)
    return _words(text, drop_marks=True)


def whole_number(text: str, *, digits: int = 18) -> int | None:
    """The number written in ASCII digits, at most `digits` of them; else None.

    str.isdigit() alone accepts "²" and other digits int() refuses, and a number longer than
    a database column holds fails in the query instead of in the reading.
    """
    if 0 < len(text) <= digits and text.isascii() and text.isdigit():
        return int(text)
    return None


def has_diacritics(text: str) -> bool:
    """Whether the text carries any Vietnamese mark or the letter đ."""
    if "đ" in text or "Đ" in text:
        return True
    return any(char in VIETNAMESE_MARKS for char in unicodedata.normalize("NFD", text))


def normalize(text: str) -> str:
    """NFC, case-folded, whitespace collapsed; diacritics and punctuation kept."""
    return " ".join(unicodedata.normalize("NFC", text.casefold()).split())


@lru_cache(maxsize=65536)
def normalize_words(text: str) -> str:
    """Like normalize, with punctuation turned into spaces: words compared with diacritics."""
    return unicodedata.normalize("NFC", _words(normalize(text), drop_marks=False))
