"""Listing reports for operators: filters by area (with descendants), status, category, time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.db import Database
from domain.areas.models import Area
from domain.areas.service import in_area
from domain.reports.models import Evidence, Report


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
    query = (
        select(Report, Area.code, files)
        .outerjoin(Area, col(Area.id) == col(Report.area_id))
        .order_by(col(Report.id).desc())
        .limit(limit)
    )
    if where.area_id is not None:
        query = query.where(in_area(session, col(Report.area_id), area_id=where.area_id))
    if where.status is not None:
        query = query.where(col(Report.status) == where.status)
    if where.category is not None:
        query = query.where(col(Report.category) == where.category)
    if where.since is not None:
        query = query.where(col(Report.created_at) >= where.since)
    if where.until is not None:
        query = query.where(col(Report.created_at) < where.until)
    if where.unrouted is not None:
        query = query.where(col(Report.unrouted).is_(where.unrouted))
    if before_id is not None:
        query = query.where(col(Report.id) < before_id)
    return [(report, code, int(count)) for report, code, count in session.exec(query).all()]


def unrouted_count(db: Database) -> int:
    """How many reports wait with no triage chat to go to, for metrics."""
    query = select(func.count()).select_from(Report).where(col(Report.unrouted).is_(True))
    with db.reading() as session:
        return int(session.exec(query).one())
