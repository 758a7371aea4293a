"""Find the area a resident means from what they typed: today's name or a former one, with the
kind words, districts and provinces people add, through the in-memory index of every name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from sqlmodel import Session, col, select

from domain.areas.index import AreaIndex, Entry, Node, Place, area_index
from domain.areas.models import Area, AreaKind
from domain.areas.phrases import Level, Part, compatible, core_of, read_place, same_name
from domain.text import fold, has_diacritics, normalize_words

PAGE = 5  # candidates shown at once; more ties are paged
EXACT_AFTER_GUESS = 0.97  # exact, but only once a word that may be a name was read as a kind word
_OTHER_MARKS = 0.9  # the same letters with other diacritics: "Tổ Hiếu" for "Tô Hiệu"
_ELSEWHERE = 0.75  # exact, but not in the district or province the text names
_IN_DISTRICT = 0.8
_WORSE_READING = 0.85
_LESS_PRECISE = 0.9  # exact, but another area lies more precisely where the text says  # exact under a reading that understands less of the text  # a ward that a former district named alone became
_FUZZY_FLOOR = 0.75  # difflib ratio below which a name is not offered at all
_FUZZY_KEYS = 3000  # names compared at most for a typo, the rarest words' first
_LEVEL_KIND = {Level.WARD: AreaKind.WARD, Level.HAMLET: AreaKind.HAMLET}


@dataclass(frozen=True)
class Candidate:
    """An area the text may mean, how well it matched (1.0 = exactly), and on which name."""

    area: Area
    score: float
    matched: str
    parent: Area | None = None  # to tell apart places of the same name
    province: Area | None = None
    former: str | None = None  # the former name matched ("phường Chiềng Lề"), if it was one


@dataclass(frozen=True)
class Resolution:
    """The area when the text surely names one, and the best candidates (one page) in any case."""

    area: Area | None
    candidates: list[Candidate] = field(default_factory=list)
    more: bool = False  # further candidates on the next page


@dataclass
class _Hit:
    score: float
    entry: Entry
    same_word: bool
    precision: int = 3  # how precisely the area lies where the text says (see _fits)


def _places(index: AreaIndex, part: Part) -> list[Place]:
    found = index.places.get(part.folded, [])
    return [p for p in found if compatible(part.level, p.part.level) and same_name(part, p.part)]


def _fits(index: AreaIndex, entry: Entry, node: Node, typed: Part, place: Place) -> int:
    """How precisely a name's area lies where a part of the text says: 3 when the former
    ward's alias names that district, 2 when the area took part of that district, 1 when it
    lies in that province or ward of today, 0 when it does not."""
    if place.area_id is not None:  # a province or a ward of today
        return 1 if index.under(node.id, place.area_id) else 0
    same = (compatible(typed.level, c.level) and same_name(typed, c) for c in entry.context)
    if entry.context and any(same):
        return 3
    return 2 if node.id in place.wards else 0


def _context_places(index: AreaIndex, part: Part) -> tuple[Part, list[Place], bool]:
    """The places a part of the text may name, and whether it is loose: a bare "Sơn La" is
    the province as much as the former city, while "thành phố Sơn La" is the city."""
    places = _places(index, part)
    if part.word is not None:
        places = [p for p in places if p.part.word == part.word] or places
    loose = part.word is None and any(p.area_id is not None for p in places)
    return part, places, loose


def _interpretations(index: AreaIndex, reading: tuple[Part, ...]) -> list[tuple[Part, ...]]:
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
        if _places(index, tail_part):
            head_part = Part(last.level, last.word, head, fold(head), last.marked, last.sure)
            found.append((*reading[:-1], head_part, tail_part))
    return found


def _exact(hit: _Hit) -> bool:
    return hit.score >= EXACT_AFTER_GUESS


def _better(hit: _Hit, than: _Hit) -> bool:
    """A higher score; at the same score, a more precise place, the same kind word as typed,
    then today's name."""
    mine = (hit.score, hit.precision, hit.same_word, hit.entry.current)
    return mine > (than.score, than.precision, than.same_word, than.entry.current)


def _fit(index: AreaIndex, parts: tuple[Part, ...]) -> tuple[int, int]:
    """How well a reading's other parts are understood: (unknown places, -known places)."""
    known = sum(1 for part in parts[1:] if _places(index, part))
    return (len(parts) - 1 - known, -known)


def _score_reading(
    index: AreaIndex, parts: tuple[Part, ...], allowed: set[str], within: int | None
) -> dict[int, _Hit]:
    """The areas the first part names, scored, the other parts narrowing them."""
    target, context = parts[0], parts[1:]
    certain = all(p.sure for p in parts)
    wheres = [_context_places(index, c) for c in context]
    hits: dict[int, _Hit] = {}

    def offer(area_id: int, score: float, entry: Entry, same_word: bool) -> None:
        node = index.nodes[area_id]
        if node.kind not in allowed or (within is not None and not index.under(area_id, within)):
            return
        precision = 3
        for typed, places, loose in wheres:
            if places:
                fit = max(_fits(index, entry, node, typed, p) for p in places)
                precision = min(precision, 1 if loose and fit else fit)
                score = score if fit else min(score, _ELSEWHERE)
        hit = _Hit(score, entry, same_word, precision)
        if area_id not in hits or _better(hit, hits[area_id]):
            hits[area_id] = hit

    for entry in index.names.get(target.folded, []):
        if not compatible(target.level, entry.part.level):
            continue
        if same_name(target, entry.part):
            exact = certain and entry.part.sure
            score = 1.0 if exact else EXACT_AFTER_GUESS
        else:
            score = _OTHER_MARKS
        same_word = target.word is not None and target.word == entry.part.word
        offer(entry.area_id, score, entry, same_word)
    if target.level in (Level.DISTRICT, Level.CITY):
        for place in _places(index, target):
            for ward in place.wards:
                offer(ward, _IN_DISTRICT, index.own[ward], False)
    # "xã Quyết Thắng, thành phố Hải Dương": the former ward of that city, not today's Xã
    # Quyết Thắng that merely lies in the province that took in Hải Dương.
    sharpest = max((h.precision for h in hits.values() if _exact(h)), default=0)
    for area_id, hit in hits.items():
        if _exact(hit) and hit.precision < sharpest:
            hits[area_id] = _Hit(_LESS_PRECISE, hit.entry, hit.same_word, hit.precision)
    return hits


def _fuzzy(
    index: AreaIndex, target: Part, allowed: set[str], within: int | None
) -> dict[int, _Hit]:
    """Names a typo away from the text, found through the words they share with it."""
    pools = sorted((index.words.get(w, set()) for w in set(target.folded.split())), key=len)
    keys: list[str] = []
    for pool in pools:
        keys += pool
        if len(keys) >= _FUZZY_KEYS:
            break
    numbers = {w for w in target.folded.split() if w.isdecimal()}
    matcher = SequenceMatcher(None, "", target.folded, autojunk=False)
    hits: dict[int, _Hit] = {}
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
                    hits[node.id] = _Hit(0.85 * ratio, entry, False)
    return hits


def _inside(index: AreaIndex, text: str, allowed: set[str], within: int | None) -> dict[int, _Hit]:
    """Names found whole inside longer text ("có người lạ ở Tô Hiệu gần chợ")."""
    tokens = normalize_words(text).split()
    length = max(len(fold(text)), 1)
    marked = has_diacritics(text)
    hits: dict[int, _Hit] = {}
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
                        hits[node.id] = _Hit(min(score, 0.89), entry, False)
    return hits


def province_ids(index: AreaIndex, provinces: Sequence[str]) -> frozenset[int]:
    """The ids of the provinces named by code or by name (today's or a former one)."""
    key = tuple(provinces)
    if key in index.scopes:
        return index.scopes[key]
    found: set[int] = set()
    for wanted in provinces:
        code = index.province_codes.get(wanted.strip().lstrip("0"))
        found |= {code} if code is not None else set()
        for place in index.places.get(core_of(wanted), []):
            node = index.nodes.get(place.area_id or 0)
            if node is not None and node.kind == AreaKind.PROVINCE:
                found.add(node.id)
    index.scopes[key] = frozenset(found)
    return index.scopes[key]


def resolve_area(
    session: Session,
    *,
    text: str,
    within: int | None = None,
    kinds: tuple[str, ...] = (AreaKind.WARD, AreaKind.HAMLET),
    provinces: Sequence[str] = (),
    near: int | None = None,
    page: int = 0,
) -> Resolution:
    """The area the text surely names, if one, and the candidates ranked, one page of them."""
    index = area_index(session)
    readings = read_place(text[:500])
    if not readings:
        return Resolution(area=None)
    allowed = set(kinds)
    hits: dict[int, _Hit] = {}
    scored = [
        (_fit(index, parts), _score_reading(index, parts, allowed, within))
        for reading in readings
        for parts in _interpretations(index, reading)
    ]
    # Of the readings that name something, the one that makes most sense of the other parts
    # counts; the others ("phường 10" with "quận 6 tp hcm" as one unknown place) only offer.
    exact = [fit for fit, found in scored if any(_exact(h) for h in found.values())]
    best = min(exact, default=(0, 0))
    for fit, found in scored:
        for area_id, hit in found.items():
            if fit > best:
                hit = _Hit(min(hit.score, _WORSE_READING), hit.entry, hit.same_word, hit.precision)
            if area_id not in hits or _better(hit, hits[area_id]):
                hits[area_id] = hit
    if not any(hit.score >= _OTHER_MARKS for hit in hits.values()):
        for extra in (
            _fuzzy(index, readings[0][0], allowed, within),
            _inside(index, text, allowed, within),
        ):
            for area_id, hit in extra.items():
                if area_id not in hits or hit.score > hits[area_id].score:
                    hits[area_id] = hit
    scope = province_ids(index, provinces) if provinces else frozenset()
    sure = _sure(index, hits, scope, readings[0][0])
    ranked = _ranked(index, hits, scope, near)
    shown = ranked[page * PAGE : (page + 1) * PAGE]
    return Resolution(
        area=_load(session, index, [sure])[0].area if sure is not None else None,
        candidates=_load(session, index, shown, hits),
        more=len(ranked) > (page + 1) * PAGE,
    )


def _sure(
    index: AreaIndex, hits: dict[int, _Hit], scope: frozenset[int], target: Part
) -> int | None:
    """The one area the text names exactly, after the rules that settle a tie."""
    exact = {i for i, hit in hits.items() if hit.score >= EXACT_AFTER_GUESS}
    in_scope = {i for i in exact if index.nodes[i].province_id in scope}
    if in_scope:  # the deployment's provinces first
        exact = in_scope
    if len({index.nodes[i].province_id for i in exact}) > 1:
        return None  # a name several provinces share: the resident is asked which province
    kind = _LEVEL_KIND.get(target.level) if target.level is not None else None
    tie_breaks: tuple[Callable[[int], bool], ...] = (
        lambda i: hits[i].same_word,  # "phường X" over "xã X"
        lambda i: hits[i].entry.current,  # today's name beats a former one
        lambda i: index.nodes[i].kind == kind,  # "tổ 5" is the tổ, not a "phường 5"
    )
    for prefer in tie_breaks:
        if len(exact) <= 1:
            break
        exact = {i for i in exact if prefer(i)} or exact
    return next(iter(exact)) if len(exact) == 1 else None


def _ranked(
    index: AreaIndex, hits: dict[int, _Hit], scope: frozenset[int], near: int | None
) -> list[int]:
    """Best match first; then the deployment's provinces, the kind word typed, today's names,
    nearness, names."""
    around = index.ancestors(near)[::-1] if near is not None else []

    def closeness(area_id: int) -> int:
        mine = index.ancestors(area_id)[::-1]
        shared = 0
        for a, b in zip(mine, around, strict=False):
            if a != b:
                break
            shared += 1
        return shared

    def key(area_id: int) -> tuple[float, bool, bool, bool, int, str, str]:
        hit, node = hits[area_id], index.nodes[area_id]
        return (
            -round(hit.score, 3),
            bool(scope) and node.province_id not in scope,
            not hit.same_word,
            not hit.entry.current,
            -closeness(area_id),
            fold(node.name),
            node.code,
        )

    return sorted(hits, key=key)


def former_name(entry: Entry) -> str | None:
    """How a former name is shown: the ward, and its district when the ward was a number."""
    if entry.current:
        return None
    chunks = [c.strip() for c in entry.label.split(",")]
    return ", ".join(chunks[:2]) if entry.part.folded.isdecimal() else chunks[0]


def _load(
    session: Session, index: AreaIndex, ids: list[int], hits: dict[int, _Hit] | None = None
) -> list[Candidate]:
    """The candidates' areas, parents and provinces from the database."""
    wanted = set(ids)
    for i in ids:
        node = index.nodes[i]
        wanted |= {x for x in (node.parent_id, node.province_id) if x is not None}
    areas = {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(wanted)))}
    candidates = []
    for i in ids:
        node, hit = index.nodes[i], (hits or {}).get(i)
        candidates.append(
            Candidate(
                area=areas[i],
                score=round(hit.score, 3) if hit else 1.0,
                matched=hit.entry.label if hit else node.name,
                parent=areas.get(node.parent_id),
                province=areas.get(node.province_id),
                former=former_name(hit.entry) if hit else None,
            )
        )
    return candidates
