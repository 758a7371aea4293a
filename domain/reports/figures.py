"""Daily counts of reports, kept in step with every change of a report, and checked by a recount.

A report counts once as filed on the UTC day it was created, by category and status now,
under its area, every area above it and EVERYWHERE; a report resolved now counts once more
as resolved on the UTC day it was closed. Every flush that creates, changes or deletes a
report moves these counts, and the month, minute, open and running counts, in the same
transaction, whichever code made the change: statistics over long periods add them up
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
from domain.reports.area_totals import add_totals, rebuild_totals, total_mismatches, totals_of
from domain.reports.minutes import (
    add_minutes,
    chain,
    closure,
    day_of,
    minute_mismatches,
    minutes_of,
    rebuild_minutes,
    utc_day,
)
from domain.reports.models import EVERYWHERE, NO_AREA, Report, ReportDayCount, Status
from domain.reports.months import add_months, month_mismatches, months_of, rebuild_months
from domain.reports.open_counts import add_open, open_mismatches, open_of, rebuild_open

Key = tuple[int, date, str, str]  # area_id (NO_AREA for none, EVERYWHERE), day, category, status
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


def _counts_of(values: dict[str, Any], areas: list[int]) -> Counter[tuple[Key, str]]:
    """What one report adds to the daily counts under its areas: filed, and resolved if it is."""
    category, status = values["category"], values["status"]
    counts: Counter[tuple[Key, str]] = Counter()
    for column, moment in (("filed", values["created_at"]), ("resolved", values["closed_at"])):
        if moment is None or (column == "resolved" and status != Status.RESOLVED.value):
            continue
        for area in areas:
            counts[(area, utc_day(moment), category, status), column] += 1
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
    totals: Counter[tuple[int, date]] = Counter()
    connection = session.connection()
    areas: dict[int, list[int]] = {}

    def count(values: dict[str, Any], sign: int) -> None:
        above = chain(connection, values["area_id"], areas)
        moved: list[tuple[Counter[Any], Counter[Any]]] = [
            (delta, _counts_of(values, above)),
            (minutes, minutes_of(values, above)),
            (opened, open_of(values, above)),
            (monthly, months_of(values, above)),
            (totals, totals_of(values)),
        ]
        for counter, amounts in moved:
            counter.update({key: sign * n for key, n in amounts.items()})

    for report in reports_new:
        count(_current(report), 1)
    for report in reports_changed + reports_gone:
        before = _stored(connection, report.id) if report.id is not None else None
        if before is not None:
            count(before, -1)
        if report in reports_changed:
            count(_current(report), 1)
    add_counts(connection, delta)
    add_minutes(connection, minutes)
    add_open(connection, opened)
    add_months(connection, monthly)
    add_totals(connection, totals)


def _after_flush(session: OrmSession, _context: Any) -> None:
    """Recount the counts kept under areas above when an area moved in this flush."""
    if session.info.pop("recount_minutes", False):
        rebuild_daily(session.connection())
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
        index_elements=["area_id", "day", "category", "status"],
        set_={
            "filed": COUNTS.c.filed + insert.excluded.filed,
            "resolved": COUNTS.c.resolved + insert.excluded.resolved,
        },
    )
    # Sorted: two transactions moving the same days lock their rows in the same order.
    connection.execute(
        statement,
        [
            {"area_id": a, "day": d, "category": c, "status": s, **amounts}
            for (a, d, c, s), amounts in sorted(rows.items())
        ],
    )


event.listen(OrmSession, "before_flush", _on_flush)
event.listen(OrmSession, "after_flush", _after_flush)


def recount(dialect: str) -> Any:
    """The daily counts as a full recount of the reports gives them (a SELECT)."""
    r = REPORTS.c
    tree = closure()
    parts = []
    for column, moment, only in (
        ("filed", r.created_at, [r.created_at.is_not(None)]),
        ("resolved", r.closed_at, [r.status == Status.RESOLVED.value, r.closed_at.is_not(None)]),
    ):
        fields = (
            day_of(moment, dialect).label("day"),
            r.category,
            r.status,
            literal(1 if column == "filed" else 0).label("filed"),
            literal(1 if column == "resolved" else 0).label("resolved"),
        )
        parts += [
            select(tree.c.under.label("area_id"), *fields)
            .select_from(REPORTS.join(tree, tree.c.area_id == r.area_id))
            .where(*only),
            select(literal_column(str(NO_AREA)).label("area_id"), *fields).where(
                *only, r.area_id.is_(None)
            ),
            select(literal_column(str(EVERYWHERE)).label("area_id"), *fields).where(*only),
        ]
    every = union_all(*parts).subquery()
    c = every.c
    keys = (c.area_id, c.day, c.category, c.status)
    return select(
        *keys, func.sum(c.filed).label("filed"), func.sum(c.resolved).label("resolved")
    ).group_by(*keys)


def rebuild_daily(connection: Connection) -> None:
    """Fill the daily counts from the reports and the area tree, replacing what they held."""
    connection.execute(COUNTS.delete())
    connection.execute(
        COUNTS.insert().from_select(
            ["area_id", "day", "category", "status", "filed", "resolved"],
            recount(connection.dialect.name),
        )
    )


def rebuild_counts(connection: Connection) -> None:
    """Fill the daily, month, minute, open and running counts from the reports, replacing them."""
    rebuild_minutes(connection)
    rebuild_open(connection)
    rebuild_months(connection)
    rebuild_totals(connection)
    rebuild_daily(connection)


def count_mismatches(connection: Connection, *, limit: int = 20) -> list[tuple[Any, ...]]:
    """Daily, month, minute, open and running counts that differ from a recount; empty if none."""
    kept = select(
        COUNTS.c.area_id,
        COUNTS.c.day,
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
    found += total_mismatches(connection, limit=limit)
    return found + open_mismatches(connection, limit=limit)
