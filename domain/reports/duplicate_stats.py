"""How many reports of a period were duplicates, and how the cards' suggestions fared.

Kept apart from stats.py on purpose: one small count, read from the timeline, that /stats
adds under its other numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from domain.areas.service import subtree
from domain.reports.models import Report, ReportEvent
from domain.reports.suggestions import ACCEPTED, REJECTED, SHOWN


@dataclass(frozen=True)
class DuplicateCounts:
    """Reports of a period ever marked duplicates, and suggestions shown, accepted, rejected."""

    duplicates: int
    shown: int
    accepted: int
    rejected: int


def duplicate_counts(
    session: Session, *, area_id: int | None, since: datetime, until: datetime
) -> DuplicateCounts:
    """Count, over the reports filed in [since, until) of an area and below, their duplicates."""
    query = (
        select(col(ReportEvent.kind), func.count(func.distinct(col(ReportEvent.report_id))))
        .join(Report, col(Report.id) == col(ReportEvent.report_id))
        .where(
            col(ReportEvent.kind).in_(["duplicate", SHOWN, ACCEPTED, REJECTED]),
            col(Report.created_at) >= since,
            col(Report.created_at) < until,
        )
        .group_by(col(ReportEvent.kind))
    )
    if area_id is not None:
        query = query.where(col(Report.area_id).in_(select(subtree(area_id).c.id)))
    counts = {str(kind): int(n) for kind, n in session.exec(query).all()}
    return DuplicateCounts(
        duplicates=counts.get("duplicate", 0),
        shown=counts.get(SHOWN, 0),
        accepted=counts.get(ACCEPTED, 0),
        rejected=counts.get(REJECTED, 0),
    )
