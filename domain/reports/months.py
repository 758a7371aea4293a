"""Reports filed and resolved per UTC month under each area, kept with every move.

A report counts in the month it was filed, and (resolved now) in the month it was closed:
UNDER its area, every area above it and EVERYWHERE, by category and status.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Table, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from domain.reports.minutes import REPORTS, closure, month_of, month_sql, utc_day
from domain.reports.models import EVERYWHERE, NO_AREA, UNDER, ReportMonthCount, Status

MONTHS: Table = ReportMonthCount.__table__  # type: ignore[attr-defined]
Key = tuple[int, str, Any, str, str, str]  # area_id, scope, month, category, status, column


def months_of(values: dict[str, Any], areas: list[int]) -> Counter[Key]:
    """What one report adds to the month counts: filed, and resolved if it is resolved now."""
    counts: Counter[Key] = Counter()
    category, status = values["category"], values["status"]
    moments = [("filed", values["created_at"])]
    if status == Status.RESOLVED.value:
        moments.append(("resolved", values["closed_at"]))
    for column, moment in moments:
        if moment is None:
            continue
        month = month_of(utc_day(moment))
        for area in areas:
            counts[area, UNDER, month, category, status, column] += 1
    return counts


def add_months(connection: Connection, delta: Counter[Key]) -> None:
    """Add these amounts to the month counts, creating the rows they need."""
    rows: dict[tuple[Any, ...], dict[str, int]] = {}
    for (*key, column), amount in delta.items():
        if amount:
            rows.setdefault(tuple(key), {"filed": 0, "resolved": 0})[column] += amount
    if not rows:
        return
    insert = (
        sqlite.insert(MONTHS) if connection.dialect.name == "sqlite" else postgresql.insert(MONTHS)
    )
    statement = insert.on_conflict_do_update(
        index_elements=["area_id", "scope", "month", "category", "status"],
        set_={
            "filed": MONTHS.c.filed + insert.excluded.filed,
            "resolved": MONTHS.c.resolved + insert.excluded.resolved,
        },
    )
    # Sorted: two transactions moving the same rows lock them in the same order.
    connection.execute(
        statement,
        [
            {"area_id": a, "scope": s, "month": m, "category": c, "status": t, **amounts}
            for (a, s, m, c, t), amounts in sorted(rows.items())
        ],
    )


def recount_months(dialect: str) -> Any:
    """The month counts as a full recount of the reports gives them (a SELECT)."""
    r = REPORTS.c
    tree = closure()
    parts = []
    for column, moment, only in (
        ("filed", r.created_at, []),
        ("resolved", r.closed_at, [r.status == Status.RESOLVED.value, r.closed_at.is_not(None)]),
    ):
        month = month_sql(moment, dialect)
        amounts = (
            literal(1 if column == "filed" else 0).label("filed"),
            literal(1 if column == "resolved" else 0).label("resolved"),
        )
        under = (literal(UNDER).label("scope"), month.label("month"), r.category, r.status)
        parts += [
            select(tree.c.under.label("area_id"), *under, *amounts)
            .select_from(REPORTS.join(tree, tree.c.area_id == r.area_id))
            .where(*only),
            select(literal(NO_AREA).label("area_id"), *under, *amounts).where(
                *only, r.area_id.is_(None)
            ),
            select(literal(EVERYWHERE).label("area_id"), *under, *amounts).where(*only),
        ]
    every = union_all(*parts).subquery()
    c = every.c
    keys = (c.area_id, c.scope, c.month, c.category, c.status)
    return select(
        *keys, func.sum(c.filed).label("filed"), func.sum(c.resolved).label("resolved")
    ).group_by(*keys)


def rebuild_months(connection: Connection) -> None:
    """Fill the month counts from the reports and the area tree, replacing what they held."""
    connection.execute(MONTHS.delete())
    connection.execute(
        MONTHS.insert().from_select(
            ["area_id", "scope", "month", "category", "status", "filed", "resolved"],
            recount_months(connection.dialect.name),
        )
    )


def month_mismatches(connection: Connection, *, limit: int = 20) -> list[tuple[Any, ...]]:
    """Month counts that differ from a full recount; empty when they agree."""
    c = MONTHS.c
    kept = select(c.area_id, c.scope, c.month, c.category, c.status, c.filed, c.resolved).where(
        (c.filed != 0) | (c.resolved != 0)
    )
    truth = recount_months(connection.dialect.name)
    missing = select(truth.except_(kept).subquery())
    extra = select(kept.except_(truth).subquery())
    return [tuple(row) for row in connection.execute(union_all(missing, extra).limit(limit))]
