"""The open reports of an area and below, urgent and oldest first, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from domain.areas.models import Area
from domain.areas.service import subtree
from domain.reports.models import Report
from domain.reports.open_counts import open_total
from domain.reports.triage import OPEN

PAGE = 10


@dataclass(frozen=True)
class QueuePage:
    """One page of an area's open reports, with how many there are in all."""

    area_id: int
    total: int
    page: int  # 1-based, within 1..pages (1 when there is none)
    rows: tuple[tuple[Report, str], ...]  # each report with its area's name

    @property
    def pages(self) -> int:
        """How many pages the open reports fill."""
        return max(1, -(-self.total // PAGE))


def open_page(session: Session, *, area_id: int, page: int) -> QueuePage:
    """The open reports of the area and its descendants on a page (the last page if beyond)."""
    # The areas as a subquery: SQLite counts each area's range of the index, PostgreSQL
    # joins the index to them; either way no report row is read for the count.
    areas = col(Report.area_id).in_(select(subtree(area_id).c.id))
    # Kept with every move (domain/reports/open_counts.py): two rows, however many are open.
    total = open_total(session.connection(), area_id=area_id)
    page = min(max(page, 1), max(1, -(-total // PAGE)))
    if total == 0:
        return QueuePage(area_id=area_id, total=0, page=1, rows=())
    rows = session.exec(
        select(Report, Area.name)
        .join(Area, col(Area.id) == col(Report.area_id))
        .where(areas, col(Report.status).in_([s.value for s in OPEN]))
        .order_by(col(Report.urgent).desc(), col(Report.created_at), col(Report.id))
        .offset((page - 1) * PAGE)
        .limit(PAGE)
    ).all()
    return QueuePage(area_id=area_id, total=total, page=page, rows=tuple(rows))
