"""Find the area a resident means from what they typed: today's name or a former one, with the
kind words, districts and provinces people add, through the in-memory index of every name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from domain.areas.index import AreaIndex, Entry, area_index
from domain.areas.matching import (
    EXACT_AFTER_GUESS,
    OTHER_MARKS,
    Hit,
    better,
    fuzzy,
    inside,
    interpretations,
    is_exact,
    score_reading,
    understood,
)
from domain.areas.models import Area, AreaKind
from domain.areas.phrases import Level, Part, core_of, read_place
from domain.text import fold

PAGE = 5  # candidates shown at once; more ties are paged
_WORSE_READING = 0.85  # exact under a reading that understands less of the text
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


def names_a_region(session: Session, text: str) -> bool:
    """Whether the text names a province (today's or a former one) or a former district: the
    words that narrow a place people type ("Thanh Hóa", "quận 3")."""
    index = area_index(session)
    for place in index.places.get(core_of(text[:200]), []):
        node = index.nodes.get(place.area_id or 0)
        if place.area_id is None or (node is not None and node.kind == AreaKind.PROVINCE):
            return True
    return False


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
    hits: dict[int, Hit] = {}
    scored = [
        (understood(index, parts), score_reading(index, parts, allowed, within))
        for reading in readings
        for parts in interpretations(index, reading)
    ]
    # Of the readings that name something, the one that makes most sense of the other parts
    # counts; the others ("phường 10" with "quận 6 tp hcm" as one unknown place) only offer.
    exact = [fit for fit, found in scored if any(is_exact(h) for h in found.values())]
    best = min(exact, default=(0, 0))
    for fit, found in scored:
        for area_id, hit in found.items():
            if fit > best:
                hit = Hit(min(hit.score, _WORSE_READING), hit.entry, hit.same_word, hit.precision)
            if area_id not in hits or better(hit, hits[area_id]):
                hits[area_id] = hit
    if not any(hit.score >= OTHER_MARKS for hit in hits.values()):
        for extra in (
            fuzzy(index, readings[0][0], allowed, within),
            inside(index, text, allowed, within),
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
    index: AreaIndex, hits: dict[int, Hit], scope: frozenset[int], target: Part
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
    index: AreaIndex, hits: dict[int, Hit], scope: frozenset[int], near: int | None
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
    session: Session, index: AreaIndex, ids: list[int], hits: dict[int, Hit] | None = None
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
