"""GET and POST /api/v1/areas: list the area tree, upsert one area."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlmodel import Session

from domain.areas.models import Area, AreaKind
from domain.areas.resolver import Candidate, resolve_area
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
    with state.db.reading() as session:
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


class ResolvedArea(BaseModel):
    """An area a typed place may mean, with where it lies and the former name it matched."""

    code: str
    name: str
    kind: AreaKind
    ward: str | None = Field(description="The ward it is or lies in")
    province: str | None
    former: str | None = Field(description="The former name the text matched, if any")
    score: float = Field(description="1.0 for an exact match")


class Resolved(BaseModel):
    """What Tinbao understands by a place as typed."""

    match: ResolvedArea | None = Field(description="The area, only when Tinbao is sure")
    candidates: list[ResolvedArea]
    more: bool = Field(description="Further candidates on the next page")


def _resolved(candidate: Candidate) -> ResolvedArea:
    area = candidate.area
    ward = area if area.kind == AreaKind.WARD else candidate.parent
    return ResolvedArea(
        code=area.code,
        name=area.name,
        kind=AreaKind(area.kind),
        ward=ward.name if ward is not None and ward.kind == AreaKind.WARD else None,
        province=candidate.province.name if candidate.province is not None else None,
        former=candidate.former,
        score=candidate.score,
    )


@router.get("/resolve")
def resolve(
    state: StateDep,
    q: str = Query(min_length=1, max_length=500, description="A place as a person typed it"),
    page: int = Query(default=0, ge=0, le=100, description="Page of candidates, 5 a page"),
) -> Resolved:
    """Resolve a typed place to today's area: `match` when sure, else ranked candidates."""
    with state.db.reading() as session:
        found = resolve_area(session, text=q, provinces=state.settings.provinces, page=page)
        candidates = [_resolved(c) for c in found.candidates]
        match = next((c for c in candidates if found.area and c.code == found.area.code), None)
        if found.area is not None and match is None:
            match = _resolved(Candidate(area=found.area, score=1.0, matched=found.area.name))
        return Resolved(match=match, candidates=candidates, more=found.more)


@router.get("/{code}")
def get_one_area(code: str, state: StateDep) -> AreaOut:
    """One area by code."""
    with state.db.reading() as session:
        area = get_area(session, code=code)
        if area is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no area with code {code!r}")
        return _public(session, area)
