"""GET /api/v1/stats: reports of a period counted, and how fast the police claimed and resolved them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel
from pydantic_core import to_json
from sqlmodel import Session

from core.shared_reads import Begun
from domain.areas.service import get_area
from domain.reports.periods import nearest_days
from domain.reports.stats import ReportStats, whole_days, with_ends
from domain.reports.tally import Tally
from webhooks.admin.types import Timestamp
from webhooks.state import StateDep

router = APIRouter(prefix="/stats", tags=["stats"])


class AreaCountOut(BaseModel):
    """How many reports carry one area; null code for reports without one."""

    area_code: str | None
    area_name: str | None
    count: int


class StatsOut(BaseModel):
    """Reports created in [since, until), counted, with the median times to claim and resolve."""

    area: str | None
    since: Timestamp | None
    until: Timestamp | None
    total: int
    by_category: dict[str, int]
    by_status: dict[str, int]
    by_area: list[AreaCountOut]
    claimed: int
    resolved: int
    median_minutes_to_claim: float | None
    median_minutes_to_resolve: float | None


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name} needs a UTC offset, e.g. +07:00"
        )
    return value


def _rounded(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes, 1)


@router.get("", response_model=StatsOut)
async def get_stats(
    state: StateDep,
    area: Annotated[str | None, Query(description="This area and its descendants")] = None,
    since: Annotated[datetime | None, Query(description="Created at or after")] = None,
    until: Annotated[datetime | None, Query(description="Created before")] = None,
) -> Response:
    """Count the reports created in a period by category, status and area."""
    since, until = _aware(since, "since"), _aware(until, "until")
    if since is not None and until is not None and since >= until:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "since must be before until")

    def whole() -> tuple[Place, Tally]:
        with state.db.reading() as session:
            place = _place(session, area)
            return place, whole_days(session, area_id=place.area_id, since=since, until=until)

    def answered(place: Place, tally: Tally) -> bytes:
        with state.db.reading() as session:
            stats = with_ends(session, tally, area_id=place.area_id, since=since, until=until)
        return _serialized(stats, area=place.code, since=since, until=until)

    async def read(begun: Begun) -> bytes:
        # The whole days of a period are most of its reading: periods that share them (the
        # last 30 days, asked an hour apart) share one reading of them too. This question's
        # reading begins with the reading of its days.
        days, _pieces = nearest_days(since, until)

        async def read_days(days_begun: Begun) -> tuple[Place, Tally]:
            return await state.reading_turns.read(whole, begun=days_begun)

        place, tally = await state.shared_days.answer(
            ("stats: whole days", area, days), read_days, begun=begun
        )
        # Each turn is a reading's, not a question's: questions join readings without
        # queueing for a turn each (webhooks/admin/turns.py). The ends finish a question
        # under way: they go first.
        return await state.reading_turns.read(partial(answered, place, tally), first=True)

    # The same question asked by several at once is read, and serialized, once for them all,
    # after they asked.
    body = await state.shared_reads.answer(("stats", area, since, until), read)
    return Response(body, media_type="application/json")


@dataclass(frozen=True)
class Place:
    """The area of a question: its code and id (None, None: everywhere)."""

    code: str | None
    area_id: int | None


def _place(session: Session, area: str | None) -> Place:
    """The area asked about, by code; 404 for an unknown code."""
    if area is None:
        return Place(None, None)
    found = get_area(session, code=area)
    if found is None or found.id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no area with code {area!r}")
    return Place(found.code, found.id)


def _serialized(
    stats: ReportStats, *, area: str | None, since: datetime | None, until: datetime | None
) -> bytes:
    """The statistics of an area (None: everywhere) for a period, as the API's JSON (StatsOut)."""
    # Plain values written by pydantic's serializer: a StatsOut built and validated for a
    # province's 2,100 areas took three times as long, a sixth of a question's reading.
    return to_json(
        {
            "area": area,
            "since": None if since is None else since.isoformat(),
            "until": None if until is None else until.isoformat(),
            "total": stats.total,
            "by_category": stats.by_category,
            "by_status": stats.by_status,
            "by_area": [
                {"area_code": a.code, "area_name": a.name, "count": a.count} for a in stats.by_area
            ],
            "claimed": stats.claimed,
            "resolved": stats.resolved,
            "median_minutes_to_claim": _rounded(stats.median_minutes_to_claim),
            "median_minutes_to_resolve": _rounded(stats.median_minutes_to_resolve),
        }
    )
