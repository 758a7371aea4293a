"""Running totals of the reports filed as each area's own, kept with every move, for the list of areas.

A row (area, day) holds how many reports the area had filed up to the end of that UTC day;
a row exists for every day the area had one filed. The area's count over whole days
[first, last) is the last row before `last` minus the last row before `first`: two index
seeks per area, whatever the length of the period.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import Table, and_, exists, func, literal, select, text, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from domain.reports.minutes import REPORTS, day_of, utc_day
from domain.reports.models import NO_AREA, ReportAreaTotal

TOTALS: Table = ReportAreaTotal.__table__  # type: ignore[attr-defined]
Key = tuple[int, date]  # area_id (NO_AREA for none), day
# The advisory locks' first key on PostgreSQL: an area's running totals, moved one at a time.
_LOCK_CLASS = 14


def totals_of(values: dict[str, Any]) -> Counter[Key]:
    """What one report adds to the running totals: one, from the day it was filed on."""
    counts: Counter[Key] = Counter()
    if values["created_at"] is not None:
        area = values["area_id"] if values["area_id"] is not None else NO_AREA
        counts[area, utc_day(values["created_at"])] += 1
    return counts


def add_totals(connection: Connection, delta: Counter[Key]) -> None:
    """Add these amounts to every running total from their day on, creating the day's row."""
    c = TOTALS.c
    for (area, day), amount in sorted(delta.items()):
        if not amount:
            continue
        if connection.dialect.name == "postgresql":
            # A new row starts from the one before it: two transactions moving the same area
            # one after the other, or a row one creates could miss the other's amount.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:kind, :area)"),
                {"kind": _LOCK_CLASS, "area": area},
            )
        connection.execute(
            TOTALS.update().where(c.area_id == area, c.day >= day).values(filed=c.filed + amount)
        )
        before = (
            select(c.filed)
            .where(c.area_id == area, c.day < day)
            .order_by(c.day.desc())
            .limit(1)
            .scalar_subquery()
        )
        present = exists().where(c.area_id == area, c.day == day)
        connection.execute(
            TOTALS.insert().from_select(
                ["area_id", "day", "filed"],
                select(literal(area), literal(day), func.coalesce(before, 0) + amount).where(
                    ~present
                ),
            )
        )


def filed_before(area: Any, day: date | None) -> ColumnElement[Any]:
    """SQL for how many reports an area (a column) had filed before a UTC day (None: ever)."""
    c = TOTALS.c
    query = select(c.filed).where(c.area_id == area)
    if day is not None:
        query = query.where(c.day < day)
    return func.coalesce(query.order_by(c.day.desc()).limit(1).scalar_subquery(), 0)


def recount_totals(dialect: str) -> Any:
    """The running totals as a full recount of the reports gives them (a SELECT)."""
    r = REPORTS.c
    day = day_of(r.created_at, dialect)
    area = func.coalesce(r.area_id, literal(NO_AREA))
    per_day = (
        select(area.label("area_id"), day.label("day"), func.count().label("n"))
        .where(r.created_at.is_not(None))
        .group_by(area, day)
        .subquery()
    )
    running = func.sum(per_day.c.n).over(partition_by=per_day.c.area_id, order_by=per_day.c.day)
    return select(per_day.c.area_id, per_day.c.day, running.label("filed"))


def rebuild_totals(connection: Connection) -> None:
    """Fill the running totals from the reports, replacing what they held."""
    connection.execute(TOTALS.delete())
    connection.execute(
        TOTALS.insert().from_select(
            ["area_id", "day", "filed"], recount_totals(connection.dialect.name)
        )
    )


def total_mismatches(connection: Connection, *, limit: int = 20) -> list[tuple[Any, ...]]:
    """Running totals that differ from a full recount; empty when they agree.

    A day whose reports all moved to another area keeps its row: it must then equal the
    total of the day before it.
    """
    c = TOTALS.c
    truth = recount_totals(connection.dialect.name).subquery()
    t = truth.c
    kept = select(c.area_id, c.day, c.filed)
    missing = select(select(t.area_id, t.day, t.filed).except_(kept).subquery())
    known = exists().where(and_(t.area_id == c.area_id, t.day == c.day))
    earlier = (
        select(t.filed)
        .where(t.area_id == c.area_id, t.day < c.day)
        .order_by(t.day.desc())
        .limit(1)
        .scalar_subquery()
    )
    stale = select(c.area_id, c.day, c.filed).where(~known, c.filed != func.coalesce(earlier, 0))
    found = connection.execute(union_all(missing, stale).limit(limit))
    return [tuple(row) for row in found]
