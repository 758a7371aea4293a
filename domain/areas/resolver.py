"""Find the area a resident means, from what they typed (today's or a former name) or a place."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any, NamedTuple

from sqlmodel import Session, col, select

from domain.areas.models import Area, AreaAlias, AreaKind
from domain.areas.service import subtree
from domain.text import fold, has_diacritics, normalize_words

MAX_CANDIDATES = 5
EARTH_RADIUS_KM = 6371.0088
_FUZZY_FLOOR = 0.75  # difflib ratio below which a name is not offered at all
_EXACT_AFTER_GUESS = 0.97  # exact, but only once a word that may be a name was read as a prefix

# Administrative words people put before a name, and the kind of area each one names (None
# where it names none today: districts were abolished in 2025, and "thành phố" is either a
# province or a former city now split into wards).
_PREFIXES: dict[str, str | None] = {
    "phường": AreaKind.WARD, "p": AreaKind.WARD, "xã": AreaKind.WARD, "đặc khu": AreaKind.WARD,
    "thị trấn": AreaKind.WARD, "tt": AreaKind.WARD, "quận": None, "q": None, "huyện": None,
    "thị xã": None, "tx": None, "thành phố": None, "tp": None, "tỉnh": AreaKind.PROVINCE,
    "tổ dân phố": AreaKind.HAMLET, "tdp": AreaKind.HAMLET, "tổ": AreaKind.HAMLET,
    "thôn": AreaKind.HAMLET, "bản": AreaKind.HAMLET, "khu phố": AreaKind.HAMLET,
    "kp": AreaKind.HAMLET, "khu": AreaKind.HAMLET, "ấp": AreaKind.HAMLET, "xóm": AreaKind.HAMLET,
    "buôn": AreaKind.HAMLET, "làng": AreaKind.HAMLET, "số": None,
}  # fmt: skip
# Typed without diacritics, a one-word prefix may be a name ("phuong" is also "Phương", "to"
# also "Tô"): such a word is tried both as a prefix and as part of the name.
_ABBREVIATIONS = frozenset({"p", "tt", "q", "tx", "tp", "tdp", "kp"})
_PREFIX_TOKENS = sorted(
    ((tuple(word.split()), kind) for word, kind in _PREFIXES.items()), key=lambda p: -len(p[0])
)


@dataclass(frozen=True)
class Candidate:
    """An area the text may mean, how well it matched (1.0 = exactly), and on which name."""

    area: Area
    score: float
    matched: str
    parent: Area | None = None  # to tell apart places of the same name


@dataclass(frozen=True)
class Resolution:
    """The area when the text names exactly one, and the best candidates in any case."""

    area: Area | None
    candidates: list[Candidate] = field(default_factory=list)


class _Variant(NamedTuple):
    """One reading of a name: its core with and without diacritics, and the kind a prefix named."""

    marked: str
    folded: str
    marks: bool
    hint: str | None
    certain: bool  # False when a prefix was stripped that may have been part of the name
    numbers: frozenset[str]  # "tổ 5" and "tổ 6" are different places, however alike


def _token_matches(typed: str, word: str) -> tuple[bool, bool]:
    """Whether a typed token is this prefix word, and whether it was typed with its marks."""
    if typed == word:
        return True, has_diacritics(word)
    return (not has_diacritics(typed) and fold(typed) == fold(word)), False


def _prefix_at(tokens: tuple[str, ...], start: int) -> tuple[int, str | None, bool] | None:
    """The longest prefix at a position: its length in tokens, kind, and whether it is sure."""
    for words, kind in _PREFIX_TOKENS:
        typed = tokens[start : start + len(words)]
        if len(typed) < len(words) or start + len(words) >= len(tokens):
            continue
        matches = [_token_matches(t, w) for t, w in zip(typed, words, strict=True)]
        if all(match for match, _ in matches):
            sure = any(marked for _, marked in matches) or len(words) > 1
            return len(words), kind, sure or words[0] in _ABBREVIATIONS
    return None


@lru_cache(maxsize=131072)
def _variants(text: str) -> tuple[_Variant, ...]:
    """The readings of a name or of typed text, with administrative prefixes stripped."""
    tokens = tuple(str(int(t)) if t.isdecimal() else t for t in normalize_words(text).split())
    readings: dict[str, _Variant] = {}
    pending: list[tuple[int, str | None, bool]] = [(0, None, True)]
    while pending:
        start, hint, certain = pending.pop()
        prefix = _prefix_at(tokens, start)
        if prefix is not None:
            length, kind, sure = prefix
            # The unstripped reading stays too: "Tổ Hiếu" may be a name, not tổ + "Hiếu".
            pending.append((start + length, kind or hint, certain and sure))
        marked = " ".join(tokens[start:])
        if marked and marked not in readings:
            numbers = frozenset(t for t in tokens[start:] if t.isdecimal())
            readings[marked] = _Variant(
                marked, fold(marked), has_diacritics(marked), hint, certain, numbers
            )
    return tuple(readings.values())


def _same(typed: _Variant, name: _Variant) -> bool:
    """Equal cores (with diacritics when both carry them) and no prefix naming another kind."""
    if typed.folded != name.folded:
        return False
    if typed.hint is not None and name.hint is not None and typed.hint != name.hint:
        return False  # "phường 5" is not "tổ 5"
    return typed.marked == name.marked if typed.marks and name.marks else True


class _Typed(NamedTuple):
    """What a resident typed, prepared once for comparing with every name."""

    readings: list[tuple[_Variant, SequenceMatcher[str]]]
    grams: dict[str, set[str]]  # each run of up to 6 words, folded, with its typed spellings
    length: int


def _prepare(text: str, longest: int = 6) -> _Typed:
    """The readings of the text, a matcher for each, and its runs of words."""
    # difflib caches what it learns about the second sequence: the typed text goes there.
    readings = [(v, SequenceMatcher(None, "", v.folded, autojunk=False)) for v in _variants(text)]
    tokens = normalize_words(text).split()
    grams: dict[str, set[str]] = defaultdict(set)
    for size in range(1, longest + 1):
        for start in range(len(tokens) - size + 1):
            run = " ".join(tokens[start : start + size])
            grams[fold(run)].add(run)
    return _Typed(readings, grams, len(fold(text)))


def _specific(core: str) -> bool:
    """Whether a name is distinctive enough to be looked for inside longer text."""
    return " " in core or (len(core) >= 4 and not core.isdecimal())


def _score(typed: _Typed, label: str) -> float:
    """How well a name or alias fits the typed text, from 0 to 1."""
    best = 0.0
    for name in _variants(label):
        for text, matcher in typed.readings:
            if _same(text, name):
                return 1.0 if text.certain and name.certain else _EXACT_AFTER_GUESS
            if text.folded == name.folded:
                best = max(best, 0.9)  # the same letters, other diacritics: "Tổ Hiếu" for "Tô Hiệu"
                continue
            if text.numbers != name.numbers:
                continue
            matcher.set_seq1(name.folded)
            if matcher.real_quick_ratio() >= _FUZZY_FLOOR and matcher.quick_ratio() >= _FUZZY_FLOOR:
                ratio = matcher.ratio()
                if ratio >= _FUZZY_FLOOR:
                    best = max(best, 0.85 * ratio)
        spellings = typed.grams.get(name.folded)
        if spellings and _specific(name.folded):
            # Inside longer text ("o to hieu gan cho"), diacritics count as in an exact match.
            same_marks = not name.marks or any(
                s == name.marked or not has_diacritics(s) for s in spellings
            )
            coverage = len(name.folded) / max(typed.length, 1)
            best = max(best, (0.8 if same_marks else 0.7) + 0.09 * coverage)
    return best


def _scope(kinds: tuple[str, ...], within: int | None) -> list[Any]:
    """The conditions that keep areas of these kinds, under an area when given."""
    conditions: list[Any] = [col(Area.kind).in_(kinds)]
    if within is not None:
        conditions.append(col(Area.id).in_(select(subtree(within).c.id)))
    return conditions


def resolve_area(
    session: Session,
    *,
    text: str,
    within: int | None = None,
    kinds: tuple[str, ...] = (AreaKind.WARD, AreaKind.HAMLET),
) -> Resolution:
    """The area the text names, when it names exactly one, and the closest candidates."""
    typed = _prepare(text)
    if not typed.readings:
        return Resolution(area=None)
    conditions = _scope(kinds, within)
    labels = [
        (area_id, name, kind)
        for area_id, name, kind in session.exec(
            select(Area.id, Area.name, Area.kind).where(*conditions)
        )
        if area_id is not None
    ]
    kind_of = {area_id: kind for area_id, _, kind in labels}
    aliases = select(AreaAlias.area_id, AreaAlias.alias).join(
        Area, col(Area.id) == col(AreaAlias.area_id)
    )
    labels += [(i, alias, kind_of[i]) for i, alias in session.exec(aliases.where(*conditions))]
    best: dict[int, tuple[float, str]] = {}
    for area_id, label, _ in labels:
        score = _score(typed, label)
        if score > best.get(area_id, (0.0, ""))[0]:
            best[area_id] = (score, label)
    exact = {i for i, (score, _) in best.items() if score >= _EXACT_AFTER_GUESS}
    hints = {t.hint for t, _ in typed.readings if t.certain and t.hint is not None}
    narrowed = {i for i in exact if kind_of[i] in hints}
    if len(narrowed) == 1:  # "tổ 5" means the tổ, not a "phường 5" of the same number
        exact = narrowed
    return _resolution(session, best, exact)


def _resolution(
    session: Session, best: dict[int, tuple[float, str]], exact: set[int]
) -> Resolution:
    """Load the best candidates and their parents, and name the area when only one is exact."""
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1], item[0]))
    ranked = ranked[:MAX_CANDIDATES]
    ids = [area_id for area_id, _ in ranked]
    areas = {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(ids)))}
    parent_ids = {a.parent_id for a in areas.values() if a.parent_id is not None}
    parents = {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(parent_ids)))}
    candidates = [
        Candidate(areas[i], round(score, 3), label, parents.get(areas[i].parent_id))
        for i, (score, label) in ranked
    ]
    sure = areas[next(iter(exact))] if len(exact) == 1 else None
    return Resolution(area=sure, candidates=candidates)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points, in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def nearest_area(
    session: Session,
    *,
    lat: float,
    lon: float,
    kinds: tuple[str, ...] = (AreaKind.WARD,),
    within: int | None = None,
    max_km: float = 50.0,
) -> tuple[Area, float] | None:
    """The area whose centre is nearest to a point, with the distance, if within max_km."""
    conditions = [*_scope(kinds, within), col(Area.lat).is_not(None), col(Area.lon).is_not(None)]
    points = session.exec(select(Area.id, Area.lat, Area.lon).where(*conditions)).all()
    distances = [
        (haversine_km(lat, lon, a, o), i) for i, a, o in points if a is not None and o is not None
    ]
    if not distances:
        return None
    km, area_id = min(distances)
    area = session.get(Area, area_id)
    return (area, km) if area is not None and km <= max_km else None
