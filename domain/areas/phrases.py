"""Read a place as people write it: "P.10 Q.6", "xã Chiềng Xôm, TP Sơn La", "tổ 5 phường Tô Hiệu".

A phrase is cut into parts, each a name with the kind word before it (what kind of area the
name is), the first part being the place meant and the others where it lies. Kind words are
never names; typed without diacritics, a one-word kind word may be a name ("to" is "tổ" or
"Tô"), so both readings are kept and the resolver tries each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from domain.text import fold, has_diacritics, normalize_words


class Level(StrEnum):
    """The tier a kind word names."""

    PROVINCE = "province"  # tỉnh
    CITY = "city"  # thành phố: a province, or a former district-level city
    DISTRICT = "district"  # quận, huyện, thị xã: gone since 2025, still in people's mouths
    WARD = "ward"  # phường, xã, thị trấn, đặc khu
    HAMLET = "hamlet"  # tổ dân phố, thôn, bản, ấp, khu phố...


# Each kind word in full, its abbreviations pointing to it.
KIND_WORDS: dict[str, Level] = {
    "tỉnh": Level.PROVINCE, "thành phố": Level.CITY, "quận": Level.DISTRICT,
    "huyện": Level.DISTRICT, "thị xã": Level.DISTRICT, "phường": Level.WARD, "xã": Level.WARD,
    "thị trấn": Level.WARD, "đặc khu": Level.WARD, "tổ dân phố": Level.HAMLET,
    "tổ": Level.HAMLET, "thôn": Level.HAMLET, "bản": Level.HAMLET, "ấp": Level.HAMLET,
    "khu phố": Level.HAMLET, "khu": Level.HAMLET, "xóm": Level.HAMLET, "buôn": Level.HAMLET,
    "làng": Level.HAMLET,
}  # fmt: skip
ABBREVIATIONS: dict[str, str] = {
    "tp": "thành phố", "q": "quận", "h": "huyện", "tx": "thị xã", "p": "phường", "x": "xã",
    "tt": "thị trấn", "tdp": "tổ dân phố", "kp": "khu phố",
}  # fmt: skip
# Longest first, so that "tổ dân phố" is read before "tổ".
_WORDS = sorted(
    [(tuple(w.split()), w) for w in KIND_WORDS]
    + [((a,), full) for a, full in ABBREVIATIONS.items()],
    key=lambda pair: -len(pair[0]),
)
_BY_FIRST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _words, _full in _WORDS:
    _BY_FIRST.setdefault(fold(_words[0]), []).append((_words, _full))
_COMPATIBLE = {
    Level.PROVINCE: {Level.PROVINCE, Level.CITY},
    Level.CITY: {Level.PROVINCE, Level.CITY, Level.DISTRICT},
    Level.DISTRICT: {Level.DISTRICT, Level.CITY},
    Level.WARD: {Level.WARD},
    Level.HAMLET: {Level.HAMLET},
}
_FOLDED_WORDS = frozenset(fold(word) for word in KIND_WORDS)
_LETTER_NUMBER = re.compile(r"^(p|q|f)(\d+)$")  # "P10", "Q6", "F10" (phường in Sài Gòn speech)
_MAX_READINGS = 8


@dataclass(frozen=True, slots=True)
class Part:
    """One place named in a phrase: the kind word before it, if any, and the name."""

    level: Level | None
    word: str | None  # the kind word in full, lower case ("phường" for "P.")
    name: str  # lower case, the diacritics as typed, numbers without leading zeros
    folded: str
    marked: bool  # the phrase was typed with diacritics: they must then match
    sure: bool  # False when the kind word may have been the start of the name


def compatible(a: Level | None, b: Level | None) -> bool:
    """Whether two kind words may name the same tier (no kind word fits any)."""
    return a is None or b is None or b in _COMPATIBLE[a]


def same_name(typed: Part, name: Part) -> bool:
    """The same name: the same letters, and the same diacritics where both carry them."""
    if typed.folded != name.folded:
        return False
    return typed.name == name.name if typed.marked and name.marked else True


def _tokens(chunk: str) -> list[str]:
    tokens: list[str] = []
    for token in normalize_words(chunk).split():
        letter_number = _LETTER_NUMBER.match(token)
        if letter_number:
            letter, number = letter_number[1], str(int(letter_number[2]))
            tokens += ["phường" if letter == "f" else letter, number]
        else:
            tokens.append(str(int(token)) if token.isdecimal() else token)
    return tokens


def _kind_word_at(tokens: list[str], start: int) -> tuple[int, str, bool] | None:
    """The kind word starting here, if a name follows it: its length, full form, and sureness."""
    for words, full in _BY_FIRST.get(fold(tokens[start]), ()):
        end = start + len(words)
        typed = tokens[start:end]
        if len(typed) < len(words):
            continue
        exact = typed == list(words)
        if not exact and not all(
            fold(t) == fold(w) and not _marked(t) for t, w in zip(typed, words, strict=True)
        ):
            continue
        if end >= len(tokens):
            return None  # the longest kind word here ends the text: no name follows
        if exact:
            # Typed with its marks, or a word that has none ("khu", "tp"), it is what it says.
            sure = len(words) > 1 or has_diacritics(words[0]) or not has_diacritics(full)
            return len(words), full, sure or words[0] in ABBREVIATIONS
        return len(words), full, len(words) > 1
    return None


@lru_cache(maxsize=65536)
def _marked(token: str) -> bool:
    return has_diacritics(token)


def _part(word: str | None, tokens: list[str], sure: bool, marked: bool) -> Part:
    if word is not None and len(tokens) > 1 and tokens[0] == "số" and tokens[1].isdecimal():
        tokens = tokens[1:]  # "tổ dân phố số 5"
    name = " ".join(tokens)
    level = KIND_WORDS[word] if word is not None else None
    return Part(level, word, name, fold(name), marked, sure)


def _chunk_readings(tokens: list[str], start: int, marked: bool) -> list[list[Part]]:
    """Every way to cut tokens[start:] into parts, the surest first."""
    if start >= len(tokens):
        return [[]]
    found: list[list[Part]] = []
    kind = _kind_word_at(tokens, start)
    heads: list[tuple[str | None, int, bool]] = []
    if kind is not None:
        length, full, sure = kind
        heads.append((full, start + length, sure))
        if not sure:
            heads.append((None, start, True))
        elif KIND_WORDS[full] == Level.HAMLET:
            # Many wards' names start with one ("Bản Máy", "Buôn Đôn"): typed without the
            # ward's own kind word, it may be the name's first word.
            heads.append((None, start, False))
    else:
        heads.append((None, start, True))
    for word, name_start, sure in heads:
        end = name_start + 1  # a name has at least one word
        while end < len(tokens):
            # A kind word ends the name, or (read after that) is part of it: "Tứ Xã".
            if _kind_word_at(tokens, end) is not None:
                for rest in _chunk_readings(tokens, end, marked):
                    found.append([_part(word, tokens[name_start:end], sure, marked), *rest])
            end += 1
        else:
            found.append([_part(word, tokens[name_start:], sure, marked)])
        if len(found) >= _MAX_READINGS:
            break
    return found


@lru_cache(maxsize=131072)
def read_place(text: str) -> tuple[tuple[Part, ...], ...]:
    """The readings of a place phrase, each a tuple of parts, the place meant first."""
    readings: list[list[Part]] = [[]]
    # Diacritics count when the text has any ("Xã Thanh An" is not "Thạnh An"), and are
    # ignored only in text typed without any.
    marked = has_diacritics(text)
    for chunk in re.split(r"[,;\n()]+", text):
        tokens = _tokens(chunk)
        if not tokens:
            continue
        options = _chunk_readings(tokens, 0, marked)
        readings = [r + o for r in readings for o in options][:_MAX_READINGS]
    # A kind word alone is no name ("phường" names nothing); sure readings first, then those
    # that read more kind words.
    kept = [r for r in readings if r and not any(p.word is None and _is_kind_word(p) for p in r)]
    ordered = sorted(kept, key=lambda r: (not all(p.sure for p in r), -len(r)))
    return tuple(tuple(r) for r in ordered)


def _is_kind_word(part: Part) -> bool:
    return part.name in KIND_WORDS or part.name in ABBREVIATIONS or part.name in _FOLDED_WORDS


def core_of(text: str) -> str:
    """The name of the place meant, folded, without its kind word ("tỉnh Sơn La" -> "son la")."""
    readings = read_place(text)
    return readings[0][0].folded if readings else ""
