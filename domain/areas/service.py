"""Reading and writing areas: the tree, its aliases, and the checks an area must pass."""

from __future__ import annotations

import math
from collections.abc import Iterable

from sqlalchemy import CTE
from sqlmodel import Session, col, select

from core.db import utcnow
from domain.areas.models import Area, AreaAlias, AreaKind
from domain.text import fold, has_diacritics, normalize

MAX_CODE = 64  # the columns' lengths, checked here because SQLite would not
MAX_NAME = 200
_CHUNK = 500  # ids per IN (...), well under either engine's bound-parameter limit


class AreaError(ValueError):
    """An area that cannot be written as asked."""


def get_area(session: Session, *, code: str) -> Area | None:
    """The area with this code, or None."""
    return session.exec(select(Area).where(col(Area.code) == code)).first()


def area_problems(
    *, code: str, name: str, kind: str, aliases: Iterable[str], lat: float | None, lon: float | None
) -> list[str]:
    """What is wrong with an area's own fields (not its place in the tree), in English."""
    problems = []
    if not code.strip():
        problems.append("code is empty")
    elif len(code) > MAX_CODE:
        problems.append(f'code "{code[:20]}…" is longer than {MAX_CODE} characters')
    if not name.strip():
        problems.append("name is empty")
    elif len(name) > MAX_NAME:
        problems.append(f"name is longer than {MAX_NAME} characters")
    if kind not in {k.value for k in AreaKind}:
        allowed = ", ".join(AreaKind)
        problems.append(f'kind "{kind}" is not one of {allowed}')
    too_long = [alias for alias in aliases if len(alias) > MAX_NAME]
    problems += [f'alias "{a[:20]}…" is longer than {MAX_NAME} characters' for a in too_long]
    if (lat is None) != (lon is None):
        problems.append("lat and lon must both be given or both be empty")
    if lat is not None and not (math.isfinite(lat) and -90 <= lat <= 90):
        problems.append(f"lat {lat} is outside [-90, 90]")
    if lon is not None and not (math.isfinite(lon) and -180 <= lon <= 180):
        problems.append(f"lon {lon} is outside [-180, 180]")
    return problems


def alias_key(alias: str) -> str:
    """What makes two aliases the same: case and spacing aside, the spelling with diacritics."""
    return normalize(alias)


def clean_aliases(aliases: Iterable[str]) -> dict[str, str]:
    """Aliases by key: trimmed, and empty or repeated ones dropped. Diacritics tell two apart
    (Hương Văn, Hương Vân); a spelling without any is dropped beside one with them, which
    typed text without diacritics finds anyway."""
    cleaned: dict[str, str] = {}
    for alias in aliases:
        alias = " ".join(alias.split())
        key = alias_key(alias)
        if fold(alias) and key not in cleaned:
            cleaned[key] = alias
    marked = {fold(alias) for alias in cleaned.values() if has_diacritics(alias)}
    return {
        key: alias
        for key, alias in cleaned.items()
        if has_diacritics(alias) or fold(alias) not in marked
    }


def replace_aliases(
    session: Session,
    *,
    area_id: int,
    aliases: Iterable[str],
    current: list[AreaAlias] | None = None,
) -> bool:
    """Make an area's aliases exactly these (current ones loaded unless given); True if changed."""
    if current is None:
        current = list(session.exec(select(AreaAlias).where(col(AreaAlias.area_id) == area_id)))
    wanted = clean_aliases(aliases)
    changed = False
    # Rows whose key stays are updated in place, never deleted and re-inserted: the unit of
    # work inserts before it deletes, which would break unique(area_id, alias).
    for row in current:
        alias = wanted.pop(alias_key(row.alias), None)
        if alias is None:
            session.delete(row)
            changed = True
        elif alias != row.alias:
            row.alias = alias
            changed = True
    session.add_all(AreaAlias(area_id=area_id, alias=a, folded=fold(a)) for a in wanted.values())
    return changed or bool(wanted)


def upsert_area(
    session: Session,
    *,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None,
    aliases: list[str],
    lat: float | None,
    lon: float | None,
) -> Area:
    """Create or update the area with this code and replace its aliases."""
    code, name = code.strip(), " ".join(name.split())
    problems = area_problems(code=code, name=name, kind=kind, aliases=aliases, lat=lat, lon=lon)
    if problems:
        raise AreaError("; ".join(problems))
    area = get_area(session, code=code)
    parent = None
    if parent_code:
        parent = get_area(session, code=parent_code)
        if parent is None:
            raise AreaError(f'unknown parent_code "{parent_code}"')
        if area is not None and any(a.id == area.id for a in ancestors(session, area=parent)):
            raise AreaError(f'parent_code "{parent_code}" would make a cycle')
    if area is None:
        area = Area(code=code, name=name, kind=kind)
    area.name, area.kind, area.lat, area.lon = name, AreaKind(kind).value, lat, lon
    area.parent_id = parent.id if parent is not None else None
    area.updated_at = utcnow()
    session.add(area)
    session.flush()
    assert area.id is not None
    replace_aliases(session, area_id=area.id, aliases=aliases)
    session.flush()
    return area


def subtree(*area_ids: int) -> CTE:
    """A query of the ids of the areas and all their descendants, for use inside IN (...)."""
    tree = select(col(Area.id)).where(col(Area.id).in_(area_ids)).cte("subtree", recursive=True)
    # UNION, not UNION ALL: a cycle, should one ever get in, ends instead of looping.
    return tree.union(select(col(Area.id)).where(col(Area.parent_id) == tree.c.id))


def list_areas(
    session: Session, *, under: str | None = None, after_code: str | None = None, limit: int = 50
) -> list[Area]:
    """Areas ordered by code, after a code (the cursor), optionally within one area's subtree."""
    query = select(Area).order_by(col(Area.code)).limit(limit)
    if under is not None:
        top = get_area(session, code=under)
        if top is None or top.id is None:
            raise AreaError(f'unknown area "{under}"')
        query = query.where(col(Area.id).in_(select(subtree(top.id).c.id)))
    if after_code is not None:
        query = query.where(col(Area.code) > after_code)
    return list(session.exec(query))


def ancestors(session: Session, *, area: Area) -> list[Area]:
    """The chain from the root down to this area, the area last."""
    chain = [area]
    seen = {area.id}
    while chain[-1].parent_id is not None and chain[-1].parent_id not in seen:
        parent = session.get(Area, chain[-1].parent_id)
        if parent is None:
            break
        seen.add(parent.id)
        chain.append(parent)
    return chain[::-1]


def descendant_ids(session: Session, *, area_id: int) -> set[int]:
    """The ids of an area and of every area below it, level by level."""
    found = {area_id}
    level = [area_id]
    while level:
        children: list[int] = []
        for start in range(0, len(level), _CHUNK):
            chunk = level[start : start + _CHUNK]
            query = select(col(Area.id)).where(col(Area.parent_id).in_(chunk))
            children += [i for i in session.exec(query) if i is not None and i not in found]
        found.update(children)
        level = children
    return found


def aliases_of(session: Session, *, area_id: int) -> list[str]:
    """An area's aliases, alphabetically."""
    query = select(col(AreaAlias.alias)).where(col(AreaAlias.area_id) == area_id)
    return sorted(session.exec(query))
