"""Daily counts of reports, kept in step with every change of a report, and checked by a recount.

A report counts once as filed on the UTC day it was created, under its area, category and
status now; a report resolved now counts once more as resolved on the UTC day it was closed.
Every flush that creates, changes or deletes a report moves its counts in the same
transaction, whichever code made the change: statistics over long periods add days up
instead of reading reports.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import (
    Table,
    event,
    func,
    inspect,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession

from domain.areas.models import Area
from domain.reports.minutes import (
    add_minutes,
    chain,
    day_of,
    minute_mismatches,
    minutes_of,
    rebuild_minutes,
    utc_day,
)
from domain.reports.models import NO_AREA, Report, ReportDayCount, Status
from domain.reports.months import add_months, month_mismatches, months_of, rebuild_months
from domain.reports.open_counts import add_open, open_mismatches, open_of, rebuild_open

Key = tuple[date, int, str, str]  # day, area_id (NO_AREA for none), category, status
_TRACKED = (
    "created_at",
    "closed_at",
    "area_id",
    "category",
    "status",
    "claim_minutes",
    "resolve_minutes",
)
COUNTS: Table = ReportDayCount.__table__  # type: ignore[attr-defined]
REPORTS: Table = Report.__table__  # type: ignore[attr-defined]


def _counts_of(values: dict[str, Any]) -> Counter[tuple[Key, str]]:
    """What one report adds to the daily counts: filed, and resolved if it is resolved now."""
    area = values["area_id"] if values["area_id"] is not None else NO_AREA
    category, status = values["category"], values["status"]
    counts: Counter[tuple[Key, str]] = Counter()
    if values["created_at"] is not None:
        counts[(utc_day(values["created_at"]), area, category, status), "filed"] += 1
    if status == Status.RESOLVED.value and values["closed_at"] is not None:
        counts[(utc_day(values["closed_at"]), area, category, status), "resolved"] += 1
    return counts


def _stored(connection: Connection, report_id: int) -> dict[str, Any] | None:
    """The report's tracked values as the database holds them before this flush."""
    row = connection.execute(
        select(*(getattr(REPORTS.c, name) for name in _TRACKED)).where(REPORTS.c.id == report_id)
    ).first()
    return None if row is None else dict(row._mapping)


def _current(report: Report) -> dict[str, Any]:
    return {name: getattr(report, name) for name in _TRACKED}


def _counted_change(report: Report) -> bool:
    """Whether the flush changes anything the daily counts depend on (not a reminder's time)."""
    state = inspect(report)
    return any(state.attrs[name].history.has_changes() for name in _TRACKED)


def _on_flush(session: OrmSession, _context: Any, _instances: Any) -> None:
    """Move the daily, month, minute and open counts of the reports this flush creates, changes or deletes."""
    if any(
        isinstance(o, Area) and inspect(o).attrs["parent_id"].history.has_changes()
        for o in session.dirty
    ):
        # An area moved: the reports below it now count under other areas above. Rare (an
        # admin's correction), so the minute counts are recounted, after this flush.
        session.info["recount_minutes"] = True
    reports_new = [o for o in session.new if isinstance(o, Report)]
    reports_changed = [o for o in session.dirty if isinstance(o, Report) and _counted_change(o)]
    reports_gone = [o for o in session.deleted if isinstance(o, Report)]
    if not (reports_new or reports_changed or reports_gone):
        return
    delta: Counter[tuple[Key, str]] = Counter()
    minutes: Counter[tuple[Any, ...]] = Counter()
    opened: Counter[tuple[int, str]] = Counter()
    monthly: Counter[tuple[Any, ...]] = Counter()
    connection = session.connection()
    areas: dict[int, list[int]] = {}
    for report in reports_new:
        now = _current(report)
        delta.update(_counts_of(now))
        minutes.update(minutes_of(now, chain(connection, now["area_id"], areas)))
        opened.update(open_of(now, chain(connection, now["area_id"], areas)))
        monthly.update(months_of(now, chain(connection, now["area_id"], areas)))
    for report in reports_changed + reports_gone:
        before = _stored(connection, report.id) if report.id is not None else None
        if before is not None:
            delta.subtract(_counts_of(before))
            minutes.subtract(minutes_of(before, chain(connection, before["area_id"], areas)))
            opened.subtract(open_of(before, chain(connection, before["area_id"], areas)))
            monthly.subtract(months_of(before, chain(connection, before["area_id"], areas)))
        if report in reports_changed:
            now = _current(report)
            delta.update(_counts_of(now))
            minutes.update(minutes_of(now, chain(connection, now["area_id"], areas)))
            opened.update(open_of(now, chain(connection, now["area_id"], areas)))
            monthly.update(months_of(now, chain(connection, now["area_id"], areas)))
    add_counts(connection, delta)
    add_minutes(connection, minutes)
    add_open(connection, opened)
    add_months(connection, monthly)


def _after_flush(session: OrmSession, _context: Any) -> None:
    """Recount the counts kept under areas above when an area moved in this flush."""
    if session.info.pop("recount_minutes", False):
        rebuild_minutes(session.connection())
        rebuild_open(session.connection())
        rebuild_months(session.connection())


def add_counts(connection: Connection, delta: Counter[tuple[Key, str]]) -> None:
    """Add these amounts to the daily counts, creating the rows they need."""
    rows: dict[Key, dict[str, int]] = {}
    for (key, column), amount in delta.items():
        if amount:
            rows.setdefault(key, {"filed": 0, "resolved": 0})[column] += amount
    if not rows:
        return
    insert = (
        sqlite.insert(COUNTS) if connection.dialect.name == "sqlite" else postgresql.insert(COUNTS)
    )
    statement = insert.on_conflict_do_update(
        index_elements=["day", "area_id", "category", "status"],
        set_={
            "filed": COUNTS.c.filed + insert.excluded.filed,
            "resolved": COUNTS.c.resolved + insert.excluded.resolved,
        },
    )
    # Sorted: two transactions moving the same days lock their rows in the same order.
    connection.execute(
        statement,
        [
            {"day": d, "area_id": a, "category": c, "status": s, **amounts}
            for (d, a, c, s), amounts in sorted(rows.items())
        ],
    )


event.listen(OrmSession, "before_flush", _on_flush)
event.listen(OrmSession, "after_flush", _after_flush)


def recount(dialect: str) -> Any:
    """The daily counts as a full recount of the reports gives them (a SELECT)."""
    r = REPORTS.c
    area = func.coalesce(r.area_id, literal_column(str(NO_AREA)))
    filed = select(
        day_of(r.created_at, dialect).label("day"),
        area.label("area_id"),
        r.category,
        r.status,
        func.count().label("filed"),
        literal(0).label("resolved"),
    ).group_by(day_of(r.created_at, dialect), area, r.category, r.status)
    resolved = (
        select(
            day_of(r.closed_at, dialect).label("day"),
            area.label("area_id"),
            r.category,
            r.status,
            literal(0).label("filed"),
            func.count().label("resolved"),
        )
        .where(r.status == Status.RESOLVED.value, r.closed_at.is_not(None))
        .group_by(day_of(r.closed_at, dialect), area, r.category, r.status)
    )
    both = union_all(filed, resolved).subquery()
    return select(
        both.c.day,
        both.c.area_id,
        both.c.category,
        both.c.status,
        func.sum(both.c.filed).label("filed"),
        func.sum(both.c.resolved).label("resolved"),
    ).group_by(both.c.day, both.c.area_id, both.c.category, both.c.status)


def rebuild_counts(connection: Connection) -> None:
    """Fill the daily, month, minute and open counts from the reports, replacing what they held."""
    rebuild_minutes(connection)
    rebuild_open(connection)
    rebuild_months(connection)
    connection.execute(COUNTS.delete())
    connection.execute(
        COUNTS.insert().from_select(
            ["day", "area_id", "category", "status", "filed", "resolved"],
            recount(connection.dialect.name),
        )
    )


def count_mismatches(connection: Connection, *, limit: int = 20) -> list[tuple[Any, ...]]:
    """Daily, month, minute and open counts that differ from a full recount; empty when they agree."""
    kept = select(
        COUNTS.c.day,
        COUNTS.c.area_id,
        COUNTS.c.category,
        COUNTS.c.status,
        COUNTS.c.filed,
        COUNTS.c.resolved,
    ).where((COUNTS.c.filed != 0) | (COUNTS.c.resolved != 0))
    truth = recount(connection.dialect.name)
    missing = select(truth.except_(kept).subquery())
    extra = select(kept.except_(truth).subquery())
    wrong = union_all(missing, extra).limit(limit)
    found = [tuple(row) for row in connection.execute(wrong)]
    found += minute_mismatches(connection, limit=limit)
    found += month_mismatches(connection, limit=limit)
    return found + open_mismatches(connection, limit=limit)
