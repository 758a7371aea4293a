"""GET and POST /api/v1/areas: list the area tree, upsert one area."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlmodel import Session

from domain.areas.models import Area, AreaKind
from domain.areas.service import AreaError, aliases_of, get_area, list_areas, upsert_area
from webhooks.admin.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from webhooks.state import StateDep

router = APIRouter(prefix="/areas", tags=["areas"])


class AreaIn(BaseModel):
    """An area as the CSV describes it, aliases as a list."""

    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: AreaKind
    parent_code: str | None = None
    aliases: list[str] = []
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class AreaOut(AreaIn):
    """An area as stored."""


def _public(session: Session, area: Area) -> AreaOut:
    assert area.id is not None
    parent = session.get(Area, area.parent_id) if area.parent_id is not None else None
    return AreaOut(
        code=area.code,
        name=area.name,
        kind=AreaKind(area.kind),
        parent_code=parent.code if parent else None,
        aliases=aliases_of(session, area_id=area.id),
        lat=area.lat,
        lon=area.lon,
    )


@router.get("")
def get_areas(
    state: StateDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    area: str | None = Query(default=None, description="Only this area and its descendants"),
) -> Page[AreaOut]:
    """List areas by code."""
    after = decode_cursor(cursor)
    with state.db.session() as session:
        try:
            areas = list_areas(session, under=area, after_code=after, limit=limit + 1)
        except AreaError as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from None
        items = [_public(session, a) for a in areas[:limit]]
    more = len(areas) > limit
    return Page(items=items, next_cursor=encode_cursor(items[-1].code) if more else None)


@router.post("", status_code=status.HTTP_201_CREATED)
def post_area(body: AreaIn, state: StateDep) -> AreaOut:
    """Create or update one area (201 either way), replacing its aliases."""
    with state.db.session() as session:
        try:
            area = upsert_area(
                session,
                code=body.code,
                name=body.name,
                kind=body.kind.value,
                parent_code=body.parent_code,
                aliases=body.aliases,
                lat=body.lat,
                lon=body.lon,
            )
        except AreaError as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
        return _public(session, area)


@router.get("/{code}")
def get_one_area(code: str, state: StateDep) -> AreaOut:
    """One area by code."""
    with state.db.session() as session:
        area = get_area(session, code=code)
        if area is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no area with code {code!r}")
        return _public(session, area)
