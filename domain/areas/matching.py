"""Matching one reading of a typed place against the index: exact names, where the other
parts of the text say the place lies, typos, and names found inside longer text."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from domain.areas.index import AreaIndex, Entry, Node, Place
from domain.areas.phrases import Level, Part, compatible, read_place, same_name
from domain.text import fold, has_diacritics, normalize_words

EXACT_AFTER_GUESS = 0.97  # exact, but only once a word that may be a name was read as a kind word
OTHER_MARKS = 0.9  # the same letters with other diacritics: "Tổ Hiếu" for "Tô Hiệu"
_ELSEWHERE = 0.75  # exact, but not in the district or province the text names
_IN_DISTRICT = 0.8  # a ward that a former district named alone became
_LESS_PRECISE = 0.9  # exact, but another area lies more precisely where the text says
_FUZZY_FLOOR = 0.75  # difflib ratio below which a name is not offered at all
_FUZZY_KEYS = 3000  # names compared at most for a typo, the rarest words' first


@dataclass
class Hit:
    score: float
    entry: Entry
    same_word: bool
    precision: int = 3  # how precisely the area lies where the text says (see fits)


def places_named(index: AreaIndex, part: Part) -> list[Place]:
    found = index.places.get(part.folded, [])
    return [p for p in found if compatible(part.level, p.part.level) and same_name(part, p.part)]


def fits(index: AreaIndex, entry: Entry, node: Node, typed: Part, place: Place) -> int:
    """How precisely a name's area lies where a part of the text says: 3 when the former
    ward's alias names that district, 2 when the area took part of that district, 1 when it
    lies in that province or ward of today, 0 when it does not."""
    if place.area_id is not None:  # a province or a ward of today
        return 1 if index.under(node.id, place.area_id) else 0
    same = (compatible(typed.level, c.level) and same_name(typed, c) for c in entry.context)
    if entry.context and any(same):
        return 3
    return 2 if node.id in place.wards else 0


def context_places(index: AreaIndex, part: Part) -> tuple[Part, list[Place], bool]:
    """The places a part of the text may name, and whether it is loose: a bare "Sơn La" is
    the province as much as the former city, while "thành phố Sơn La" is the city."""
    places = places_named(index, part)
    if part.word is not None:
        places = [p for p in places if p.part.word == part.word] or places
    loose = part.word is None and any(p.area_id is not None for p in places)
    return part, places, loose


def interpretations(index: AreaIndex, reading: tuple[Part, ...]) -> list[tuple[Part, ...]]:
    """The reading, and the reading with a province or district split off the end of its last
    part ("Tô Hiệu Sơn La")."""
    found = [reading]
    last = reading[-1]
    words = last.name.split()
    for size in range(1, min(4, len(words) - 1) + 1):
        tail, head = " ".join(words[-size:]), " ".join(words[:-size])
        if tail.isdecimal():
            continue  # "Hà Giang 1" is a name, not Hà Giang in "Quận 1"
        tail_part = Part(None, None, tail, fold(tail), last.marked, True)
        if places_named(index, tail_part):
            head_part = Part(last.level, last.word, head, fold(head), last.marked, last.sure)
            found.append((*reading[:-1], head_part, tail_part))
    return found


def is_exact(hit: Hit) -> bool:
    return hit.score >= EXACT_AFTER_GUESS


def better(hit: Hit, than: Hit) -> bool:
    """A higher score; at the same score, a more precise place, the same kind word as typed,
    then today's name."""
    mine = (hit.score, hit.precision, hit.same_word, hit.entry.current)
    return mine > (than.score, than.precision, than.same_word, than.entry.current)


def understood(index: AreaIndex, parts: tuple[Part, ...]) -> tuple[int, int]:
    """How well a reading's other parts are understood: (unknown places, -known places)."""
    known = sum(1 for part in parts[1:] if places_named(index, part))
    return (len(parts) - 1 - known, -known)


def score_reading(
    index: AreaIndex, parts: tuple[Part, ...], allowed: set[str], within: int | None
) -> dict[int, Hit]:
    """The areas the first part names, scored, the other parts narrowing them."""
    target, context = parts[0], parts[1:]
    certain = all(p.sure for p in parts)
    wheres = [context_places(index, c) for c in context]
    hits: dict[int, Hit] = {}

    def offer(area_id: int, score: float, entry: Entry, same_word: bool) -> None:
        node = index.nodes[area_id]
        if node.kind not in allowed or (within is not None and not index.under(area_id, within)):
            return
        precision = 3
        for typed, places, loose in wheres:
            if places:
                fit = max(fits(index, entry, node, typed, p) for p in places)
                precision = min(precision, 1 if loose and fit else fit)
                score = score if fit else min(score, _ELSEWHERE)
        hit = Hit(score, entry, same_word, precision)
        if area_id not in hits or better(hit, hits[area_id]):
            hits[area_id] = hit

    for entry in index.names.get(target.folded, []):
        if not compatible(target.level, entry.part.level):
            continue
        if same_name(target, entry.part):
            exact = certain and entry.part.sure
            score = 1.0 if exact else EXACT_AFTER_GUESS
        else:
            score = OTHER_MARKS
        same_word = target.word is not None and target.word == entry.part.word
        offer(entry.area_id, score, entry, same_word)
    if target.level in (Level.DISTRICT, Level.CITY):
        for place in places_named(index, target):
            for ward in place.wards:
                offer(ward, _IN_DISTRICT, index.own[ward], False)
    # "xã Quyết Thắng, thành phố Hải Dương": the former ward of that city, not today's Xã
    # Quyết Thắng that merely lies in the province that took in Hải Dương.
    sharpest = max((h.precision for h in hits.values() if is_exact(h)), default=0)
    for area_id, hit in hits.items():
        if is_exact(hit) and hit.precision < sharpest:
            hits[area_id] = Hit(_LESS_PRECISE, hit.entry, hit.same_word, hit.precision)
    return hits


def fuzzy(index: AreaIndex, target: Part, allowed: set[str], within: int | None) -> dict[int, Hit]:
    """Names a typo away from the text, found through the words they share with it."""
    pools = sorted((index.words.get(w, set()) for w in set(target.folded.split())), key=len)
    keys: list[str] = []
    for pool in pools:
        keys += pool
        if len(keys) >= _FUZZY_KEYS:
            break
    numbers = {w for w in target.folded.split() if w.isdecimal()}
    matcher = SequenceMatcher(None, "", target.folded, autojunk=False)
    hits: dict[int, Hit] = {}
    for key in set(keys):
        if {w for w in key.split() if w.isdecimal()} != numbers:
            continue  # "tổ 5" and "tổ 6" are different places, however alike
        matcher.set_seq1(key)
        if matcher.real_quick_ratio() < _FUZZY_FLOOR or matcher.quick_ratio() < _FUZZY_FLOOR:
            continue
        ratio = matcher.ratio()
        if ratio < _FUZZY_FLOOR:
            continue
        for entry in index.names[key]:
            node = index.nodes[entry.area_id]
            if not compatible(target.level, entry.part.level):
                continue
            if node.kind in allowed and (within is None or index.under(node.id, within)):
                old = hits.get(node.id)
                if old is None or 0.85 * ratio > old.score:
                    hits[node.id] = Hit(0.85 * ratio, entry, False)
    return hits


def inside(index: AreaIndex, text: str, allowed: set[str], within: int | None) -> dict[int, Hit]:
    """Names found whole inside longer text ("có người lạ ở Tô Hiệu gần chợ")."""
    tokens = normalize_words(text).split()
    length = max(len(fold(text)), 1)
    marked = has_diacritics(text)
    hits: dict[int, Hit] = {}
    for size in range(1, min(6, len(tokens)) + 1):
        for start in range(len(tokens) - size + 1):
            run = " ".join(tokens[start : start + size])
            parts = [Part(None, None, run, fold(run), marked, True)]
            if size <= 4 and (reading := read_place(run)) and reading[0][0].word is not None:
                parts.append(reading[0][0])
            for typed in parts:
                short = len(typed.folded) < 4 or typed.folded.isdecimal()
                if " " not in typed.folded and short and typed.word is None:
                    continue  # a short word alone is no sign of a place
                for entry in index.names.get(typed.folded, []):
                    node = index.nodes[entry.area_id]
                    if node.kind not in allowed or not compatible(typed.level, entry.part.level):
                        continue
                    if within is not None and not index.under(node.id, within):
                        continue
                    marks_ok = same_name(typed, entry.part)
                    score = (0.8 if marks_ok else 0.7) + 0.09 * len(run) / length
                    old = hits.get(node.id)
                    if old is None or score > old.score:
                        hits[node.id] = Hit(min(score, 0.89), entry, False)
    return hits
