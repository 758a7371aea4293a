"""The open reports of an area and below, urgent and oldest first, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from domain.areas.models import Area
from domain.areas.service import subtree
from domain.reports.models import OPEN_WHERE, Report
from domain.reports.open_counts import open_total

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
    # The areas as a subquery: the planners look each report's area up in it.
    within = select(subtree(area_id).c.id)
    # Kept with every move (domain/reports/open_counts.py): two rows, however many are open.
    total = open_total(session.connection(), area_id=area_id)
    page = min(max(page, 1), max(1, -(-total // PAGE)))
    if total == 0:
        return QueuePage(area_id=area_id, total=0, page=1, rows=())
    # Urgent ones first, then the others, each oldest first: two walks of
    # ix_reports_open_queue that stop when the page is full (a province holds a hundred
    # thousand open reports; sorting them all for ten took half a second).
    # "+ 0": SQLite would rather find every open report of the areas by area and sort them
    # (a province's urgent ones alone are thousands); the walk in queue order costs at most
    # the open reports before the page (a quiet hamlet: all of them, a few milliseconds).
    in_queue_order = (col(Report.area_id) + 0).in_(within)
    skip, rows = (page - 1) * PAGE, list[tuple[Report, str]]()
    for urgent in (True, False):
        found = session.exec(
            select(Report, Area.name)
            .join(Area, col(Area.id) == col(Report.area_id))
            .where(text(OPEN_WHERE), col(Report.urgent) == urgent, in_queue_order)
            .order_by(col(Report.created_at), col(Report.id))
            .offset(skip)
            .limit(PAGE - len(rows))
        ).all()
        rows += found
        if len(rows) == PAGE:
            break
        if urgent:
            # How many urgent ones came before this page: the others start after them.
            before = session.exec(
                select(func.count())
                .select_from(Report)
                .where(text(OPEN_WHERE), col(Report.urgent), in_queue_order)
            ).one()
            skip = max(0, skip - before)
    return QueuePage(area_id=area_id, total=total, page=page, rows=tuple(rows))
