"""Running totals of the reports filed as each area's own, kept with every move, for the list of areas.

A row (area, day) holds how many reports the area had filed up to the end of that UTC day
(domain/reports/running.py): two index seeks per area, whatever the length of the period.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import Table, func, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from domain.reports.minutes import REPORTS, day_of, utc_day
from domain.reports.models import NO_AREA, ReportAreaTotal
from domain.reports.running import add_running, amount_before, recount_running, running_mismatches

TOTALS: Table = ReportAreaTotal.__table__  # type: ignore[attr-defined]
Key = tuple[int, date]  # area_id (NO_AREA for none), day


def totals_of(values: dict[str, Any]) -> Counter[Key]:
    """What one report adds to the running totals: one, from the day it was filed on."""
    counts: Counter[Key] = Counter()
    if values["created_at"] is not None:
        area = values["area_id"] if values["area_id"] is not None else NO_AREA
        counts[area, utc_day(values["created_at"])] += 1
    return counts


def add_totals(connection: Connection, delta: Counter[Key]) -> None:
    """Add these amounts to every running total from their day on, creating the day's row."""
    add_running(connection, TOTALS, delta, keys=["area_id"], value="filed")


def filed_before(area: Any, day: date | None) -> ColumnElement[Any]:
    """SQL for how many reports an area (a column) had filed before a UTC day (None: ever)."""
    return amount_before(TOTALS, "filed", day, area_id=area)


def recount_totals(dialect: str) -> Any:
    """The running totals as a full recount of the reports gives them (a SELECT)."""
    r = REPORTS.c
    day = day_of(r.created_at, dialect)
    area = func.coalesce(r.area_id, literal(NO_AREA))
    per_day = (
        select(area.label("area_id"), day.label("day"), func.count().label("filed"))
        .where(r.created_at.is_not(None))
        .group_by(area, day)
        .subquery()
    )
    return recount_running(per_day, ["area_id"], "filed")


def rebuild_totals(connection: Connection) -> None:
    """Fill the running totals from the reports, replacing what they held."""
    connection.execute(TOTALS.delete())
    connection.execute(
        TOTALS.insert().from_select(
            ["area_id", "day", "filed"], recount_totals(connection.dialect.name)
        )
    )


def total_mismatches(connection: Connection, *, limit: int = 20) -> list[tuple[Any, ...]]:
    """Running totals that differ from a full recount; empty when they agree."""
    truth = recount_totals(connection.dialect.name)
    return running_mismatches(
        connection, TOTALS, truth, keys=["area_id"], value="filed", limit=limit
    )
