"""The areas, their names and aliases, held in memory for the resolver: built once per database,
and built again when an area changed (an import, an upsert), whichever process made it."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from core.db import Database
from domain.areas.models import Area, AreaAlias, AreaKind
from domain.areas.phrases import Level, Part, read_place
from domain.text import fold


@dataclass(frozen=True, slots=True)
class Node:
    """An area, as much of it as resolving needs."""

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    lat: float | None
    lon: float | None
    province_id: int | None  # the province it lies in (itself for a province)


@dataclass(frozen=True, slots=True)
class Entry:
    """One name of an area under which it can be found."""

    area_id: int
    label: str  # the name or alias as stored
    current: bool  # today's name, not an alias
    part: Part  # the name read as a phrase: kind word and name
    context: tuple[Part, ...]  # where an alias says the place was: its district, its province


@dataclass(frozen=True, slots=True)
class Place:
    """A province, a former district or a ward that a phrase may name as where a place lies."""

    part: Part
    province_id: int | None
    area_id: int | None  # a province or ward of today
    wards: frozenset[int] = frozenset()  # for a former district: the wards it became


@dataclass
class AreaIndex:
    """Every name of every area, by folded name, and the places that narrow a search."""

    stamp: tuple[object, object]
    nodes: dict[int, Node] = field(default_factory=dict)
    names: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    places: dict[str, list[Place]] = field(default_factory=lambda: defaultdict(list))
    words: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    own: dict[int, Entry] = field(default_factory=dict)  # each area's today's name
    province_codes: dict[str, int] = field(default_factory=dict)  # without leading zeros
    scopes: dict[tuple[str, ...], frozenset[int]] = field(default_factory=dict)

    def ancestors(self, area_id: int) -> list[int]:
        """The area and the areas above it, nearest first."""
        chain: list[int] = []
        node = self.nodes.get(area_id)
        while node is not None and len(chain) < 16:  # a cycle, should one get in, ends
            chain.append(node.id)
            node = self.nodes.get(node.parent_id) if node.parent_id is not None else None
        return chain

    def under(self, area_id: int, top: int) -> bool:
        """Whether an area is the top area or lies below it."""
        return top in self.ancestors(area_id)


def _entries(area_id: int, label: str, *, current: bool) -> list[Entry]:
    """The ways to find an area under one of its labels."""
    readings = read_place(label)
    if not readings:
        return []
    found = [Entry(area_id, label, current, r[0], r[1:]) for r in readings[:2]]
    first = readings[0][0]
    if first.word is not None:
        # "Tổ Hiếu" may be a name of its own rather than tổ + "Hiếu": findable as written too.
        whole = f"{first.word} {first.name}"
        part = Part(None, None, whole, fold(whole), first.marked, False)
        found.append(Entry(area_id, label, current, part, readings[0][1:]))
    return found


def build_index(session: Session, stamp: tuple[object, object]) -> AreaIndex:
    """Read every area and alias into a new index."""
    index = AreaIndex(stamp=stamp)
    columns = (Area.id, Area.code, Area.name, Area.kind, Area.parent_id, Area.lat, Area.lon)
    rows: list[tuple[int, str, str, str, int | None, float | None, float | None]] = [
        tuple(row)
        for row in session.execute(sa_select(*columns))  # type: ignore[call-overload]
    ]
    parent_of = {r[0]: r[4] for r in rows}
    kind_of = {r[0]: r[3] for r in rows}
    for area_id, code, name, kind, parent_id, lat, lon in rows:
        province, seen = area_id, 0
        while kind_of.get(province) != AreaKind.PROVINCE and seen < 16:
            up = parent_of.get(province)
            if up is None:
                break
            province, seen = up, seen + 1
        province_id = province if kind_of.get(province) == AreaKind.PROVINCE else None
        index.nodes[area_id] = Node(area_id, code, name, kind, parent_id, lat, lon, province_id)
        if kind == AreaKind.PROVINCE:
            index.province_codes[code.lstrip("0")] = area_id
        for entry in _entries(area_id, name, current=True):
            index.names[entry.part.folded].append(entry)
            index.own.setdefault(area_id, entry)
    for area_id, alias in session.exec(select(AreaAlias.area_id, AreaAlias.alias)):
        if area_id in index.nodes:
            for entry in _entries(area_id, alias, current=False):
                index.names[entry.part.folded].append(entry)
    _add_places(index)
    for folded in index.names:
        for word in folded.split():
            index.words[word].add(folded)
    return index


def _add_places(index: AreaIndex) -> None:
    """Provinces and wards by their names, former districts by the aliases that name them."""
    districts: dict[tuple[int | None, str, str], set[int]] = defaultdict(set)
    district_parts: dict[tuple[int | None, str, str], Part] = {}
    for entries in index.names.values():
        for entry in entries:
            node = index.nodes[entry.area_id]
            named = node.kind == AreaKind.PROVINCE or (node.kind == AreaKind.WARD and entry.current)
            if named and entry.part.level != Level.HAMLET:
                place = Place(entry.part, node.province_id, node.id)
                index.places[entry.part.folded].append(place)
            if node.kind == AreaKind.WARD and not entry.current:
                if entry.part.level in (Level.DISTRICT, Level.CITY) and not entry.context:
                    key = (node.province_id, entry.part.name, entry.part.word or "")
                    districts[key].add(node.id)
                    district_parts[key] = entry.part
                for part in entry.context[:1]:
                    if part.level in (Level.DISTRICT, Level.CITY):
                        key = (node.province_id, part.name, part.word or "")
                        districts[key].add(node.id)
                        district_parts[key] = part
    for key, wards in districts.items():
        part = district_parts[key]
        index.places[part.folded].append(Place(part, key[0], None, frozenset(wards)))


_lock = threading.Lock()
_indexes: dict[tuple[int, str], AreaIndex] = {}


def _stamp(session: Session) -> tuple[object, object]:
    """What changes whenever an area is created or updated (aliases update their area)."""
    # Two subqueries, not one SELECT of two aggregates: each is then a single index lookup.
    newest = select(func.max(Area.id)).scalar_subquery()
    latest = select(func.max(Area.updated_at)).scalar_subquery()
    row = session.exec(select(newest, latest)).one()
    return (row[0], row[1])


def area_index(session: Session) -> AreaIndex:
    """The index of the session's database, built or rebuilt if areas changed since."""
    bind = session.get_bind()
    key = (id(getattr(bind, "engine", bind)), str(getattr(bind, "url", "")))
    # Asked every time (two index lookups): an import by another process shows at once.
    stamp = _stamp(session)
    index = _indexes.get(key)
    if index is not None and index.stamp == stamp:
        return index
    with _lock:
        index = _indexes.get(key)
        if index is None or index.stamp != stamp:
            index = build_index(session, stamp)
            _indexes[key] = index
        return index


def forget_indexes() -> None:
    """Drop every index: the next resolution reads the areas again (after an import)."""
    with _lock:
        _indexes.clear()


def warm_index(db: Database) -> AreaIndex:
    """Build the index now, at start, so that the first resident does not wait for it."""
    with db.session() as session:
        return area_index(session)
