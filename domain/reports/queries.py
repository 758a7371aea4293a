"""Listing reports for operators: filters by area (with descendants), status, category, time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, any_, bindparam, func, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, col, select

from core.db import Database
from domain.areas.models import Area
from domain.areas.service import subtree
from domain.reports.models import Evidence, Report

# Up to this many areas under the one asked for, each area's newest reports are merged.
MERGED_AREAS_AT_MOST = 64


@dataclass(frozen=True)
class ReportFilter:
    """What an operator asks to see."""

    area_id: int | None = None
    status: str | None = None
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    unrouted: bool | None = None


def list_reports(
    session: Session, *, where: ReportFilter, before_id: int | None, limit: int
) -> list[tuple[Report, str | None, int]]:
    """Reports newest first, each with its area's code and its number of files."""
    files = (
        select(func.count())
        .select_from(Evidence)
        .where(col(Evidence.report_id) == col(Report.id))
        .correlate(Report)
        .scalar_subquery()
    )
    conditions = []
    if where.status is not None:
        conditions.append(col(Report.status) == where.status)
    if where.category is not None:
        conditions.append(col(Report.category) == where.category)
    if where.since is not None:
        conditions.append(col(Report.created_at) >= where.since)
    if where.until is not None:
        conditions.append(col(Report.created_at) < where.until)
    if where.unrouted is not None:
        conditions.append(col(Report.unrouted).is_(where.unrouted))
    if before_id is not None:
        conditions.append(col(Report.id) < before_id)
    if where.area_id is not None:
        conditions.append(_within(session, where.area_id, conditions, limit=limit))
    query = (
        select(Report, Area.code, files)
        .outerjoin(Area, col(Area.id) == col(Report.area_id))
        .where(*conditions)
        .order_by(col(Report.id).desc())
        .limit(limit)
    )
    return [(report, code, int(count)) for report, code, count in session.exec(query).all()]


def _within(
    session: Session, area_id: int, conditions: list[Any], *, limit: int
) -> ColumnElement[bool]:
    """The area filter of a list: this area or one below it.

    A few areas (a hamlet, a ward and its hamlets): each area's newest `limit` reports by
    ix_reports_area_id_id, merged, so that no planner walks the whole table for a quiet
    ward. Many areas (a province): the area ids alone, and the planner walks the newest.
    """
    # One statement (not one per level, each with a parameter per area of the level above).
    ids = sorted(session.exec(select(subtree(area_id).c.id)))
    if len(ids) > MERGED_AREAS_AT_MOST:
        if session.get_bind().dialect.name == "postgresql":
            # One array, not 2,000 parameters: rendering and binding them took 30 ms.
            return col(Report.area_id) == any_(bindparam("areas", ids, type_=ARRAY(Integer)))
        return col(Report.area_id).in_(ids)
    newest = [
        select(col(Report.id))
        .where(col(Report.area_id) == one, *conditions)
        .order_by(col(Report.id).desc())
        .limit(limit)
        .subquery()
        for one in ids
    ]
    merged = union_all(*(select(part.c.id) for part in newest)).subquery()
    return col(Report.id).in_(select(merged.c.id))


def unrouted_count(db: Database) -> int:
    """How many reports wait with no triage chat to go to, for metrics."""
    query = select(func.count()).select_from(Report).where(col(Report.unrouted).is_(True))
    with db.reading() as session:
        return int(session.exec(query).one())
