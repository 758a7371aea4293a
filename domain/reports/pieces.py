"""The reports of an area in pieces of time, read themselves: the ends of a period, a chart's month ends."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Integer, bindparam, func, literal, union_all
from sqlalchemy import select as select_columns
from sqlmodel import Session, select

from domain.areas.service import subtree
from domain.reports.figures import REPORTS
from domain.reports.models import EVERYWHERE, Status
from domain.reports.periods import Pieces

# Above this many areas (a ward and its hamlets are about 20), an area's reports in a piece
# of a day are found by time rather than area by area.
WIDE = 50


def areas_below(area_id: int | None) -> Any:
    """A subquery of the ids of an area and those below it; None for everywhere.

    A subquery, not a list of ids: statistics read every row of their period in the areas,
    whatever the plan, and a province's two thousand ids would be sent with every statement.
    A new one for each use: one object put in two statements leaves SQLAlchemy unable to
    reuse either's compiled SQL (4 ms a call for a province).
    """
    return None if area_id is None else select(subtree(area_id).c.id)


def areas_listed(ids: list[int], dialect: str) -> Any:
    """A subquery of these area ids, bound as one value: an array, or a JSON list on SQLite.

    For the ends of a period whose whole days named every area of the question: walking
    down the tree again took a province 1.5–2.5 ms a statement.
    """
    if dialect == "postgresql":
        return select_columns(func.unnest(bindparam("areas", ids, type_=ARRAY(Integer))))
    listed = func.json_each(bindparam("areas", json.dumps(ids))).table_valued("value")
    return select_columns(listed.c.value)


def counts_key(area_id: int | None) -> int:
    """The area_id under which counts of an area (None: everywhere) are kept."""
    return EVERYWHERE if area_id is None else area_id


def is_wide(session: Session, area_id: int | None) -> bool:
    """Whether an area has so many areas below it that its reports are best found by time."""
    if area_id is None:
        return True
    # Counted up to one past the bound: the walk down the tree stops there.
    below = areas_below(area_id).limit(WIDE + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(below)) or 0) > WIDE


def in_pieces(
    *columns: Any,
    ids: Any,
    wide: bool,
    pieces: list[tuple[int, datetime | None, datetime | None]],
    resolved: bool = False,
) -> Any:
    """The reports filed (or resolved) in labelled pieces of time: a subquery of (piece, area_id, *columns).

    A statement part per piece, whose bounds the planner sees; the reports of many areas are
    found by time and their areas checked once for every piece: with a check in each part,
    the list of a province's 2,000 areas was built again for each of a chart's 24 pieces.
    """
    reports = REPORTS.c
    moment = reports.closed_at if resolved else reports.created_at
    # Resolved reports are found by when they closed (ix_reports_status_closed_at), and those
    # of many areas by when they were filed (ix_reports_created_at_figures): "+ 0" keeps
    # planners from walking a province's 2,000 areas one by one instead.
    by_time = ids is not None and (resolved or wide)
    area = reports.area_id + 0 if by_time else reports.area_id
    parts = []
    for label, start, end in pieces:
        query = select_columns(literal(label, Integer).label("piece"), area.label("area_id"))
        query = query.add_columns(*columns)
        if resolved:
            query = query.where(reports.status == Status.RESOLVED.value)
        if start is not None:
            query = query.where(moment >= start)
        if end is not None:
            query = query.where(moment < end)
        if ids is not None and not by_time:  # a few areas: each by its own index
            query = query.where(reports.area_id.in_(ids))
        parts.append(query)
    every = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    found = select_columns(every)
    return (found.where(every.c.area_id.in_(ids)) if by_time else found).subquery("in_pieces")


@dataclass(frozen=True)
class Ends:
    """The pieces of days at a period's ends (at most two), and how their reports are found."""

    pieces: Pieces  # each with +1 (its reports count) or -1 (they are taken back)
    wide: bool

    def reports(self, ids: Any) -> Any:
        """The reports filed in them, of the areas `ids` (None: all), as a subquery.

        Its `piece` column is the piece's sign: summed, it counts each report once.
        """
        r = REPORTS.c
        pieces = [(sign, start, end) for start, end, sign in self.pieces]
        columns = (r.category, r.status, r.claim_minutes, r.resolve_minutes)
        return in_pieces(*columns, ids=ids, wide=self.wide, pieces=pieces)
