"""Times to claim and to resolve counted in buckets, kept in step with every change of a report.

The published median of a time is the median of the reports' times each rounded to its
bucket: to the minute under an hour, to 5 minutes under a day, to the hour beyond (what
/stats shows: "45 min", "2 h 35 min", "3 d 4 h"). Counting reports per bucket, per UTC day and
month, per area (and every area above it) keeps a median of any area over any period to a
few hundred rows per month, however many reports the period holds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Table,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from domain.areas.models import Area
from domain.reports.models import (
    DAY,
    EVERYWHERE,
    MONTH,
    NO_AREA,
    Report,
    ReportMinuteCount,
)

HOUR, DAY_MINUTES = 60, 24 * 60
KINDS = {"claim": "claim_minutes", "resolve": "resolve_minutes"}
Key = tuple[int, str, str, date, int]  # area_id, unit, kind, start, bucket
MINUTES: Table = ReportMinuteCount.__table__  # type: ignore[attr-defined]
REPORTS: Table = Report.__table__  # type: ignore[attr-defined]
AREAS: Table = Area.__table__  # type: ignore[attr-defined]


def utc_day(moment: datetime) -> date:
    """The UTC calendar day of a moment."""
    return moment.astimezone(UTC).date()


def day_of(column: Any, dialect: str) -> ColumnElement[Any]:
    """SQL for the UTC day of a stored time, as the daily counts store it."""
    if dialect == "sqlite":
        return func.date(column)  # SQLite holds UTC wall times
    # Written out, not bound: GROUP BY must see the very expression SELECT has.
    return cast(func.timezone(literal_column("'UTC'"), column), Date)


def month_sql(column: Any, dialect: str) -> ColumnElement[Any]:
    """SQL for the first of the UTC month of a stored time."""
    if dialect == "sqlite":
        return func.date(column, "start of month")
    utc = func.timezone(literal_column("'UTC'"), column)
    return cast(func.date_trunc(literal_column("'month'"), utc), Date)


def bucket(minutes: float) -> int:
    """A time as statistics publish it: the nearest minute, 5 minutes past an hour, hour past a day."""
    whole = math.floor(max(minutes, 0.0) + 0.5)
    if whole < HOUR:
        return whole
    if whole < DAY_MINUTES:
        return (whole + 2) // 5 * 5
    return (whole + 30) // 60 * 60


def bucket_sql(column: Any, dialect: str) -> ColumnElement[Any]:
    """The same bucket as `bucket`, in SQL (integer division on both engines); NULL for NULL."""
    if dialect == "sqlite":
        # CAST truncates, which is floor for the non-negative values it is given.
        whole: Any = cast(func.max(column, 0.0) + 0.5, Integer)
    else:
        # Not greatest(), which takes NULL for the other value, 0.
        at_least_0 = case((column < 0, 0.0), else_=column)
        whole = cast(func.floor(at_least_0 + 0.5), Integer)
    return case(
        (whole < HOUR, whole),
        (whole < DAY_MINUTES, (whole + 2) // 5 * 5),
        else_=(whole + 30) // 60 * 60,
    )


def median_of(counts: Iterable[tuple[int, int]]) -> tuple[int, float | None]:
    """How many values, and their median, from (bucket, how many) pairs."""
    ordered = sorted((b, n) for b, n in counts if n)
    total = sum(n for _b, n in ordered)
    if total == 0:
        return 0, None
    wanted = [(total - 1) // 2, total // 2]  # the 0-based ranks of the middle one or two
    found: list[int] = []
    seen = 0
    for value, n in ordered:
        while wanted and wanted[0] < seen + n:
            found.append(value)
            wanted.pop(0)
        seen += n
    return total, sum(found) / 2


def month_of(day: date) -> date:
    """The first of a day's month."""
    return day.replace(day=1)


def chain(connection: Connection, area_id: int | None, known: dict[int, list[int]]) -> list[int]:
    """The areas a report counts under: its own, every one above it, and EVERYWHERE."""
    if area_id is None:
        return [NO_AREA, EVERYWHERE]
    if area_id not in known:
        ids, seen = [area_id], {area_id}
        while True:
            parent = connection.execute(
                select(AREAS.c.parent_id).where(AREAS.c.id == ids[-1])
            ).scalar()
            if parent is None or parent in seen:
                break
            ids.append(parent)
            seen.add(parent)
        known[area_id] = [*ids, EVERYWHERE]
    return known[area_id]


def minutes_of(values: dict[str, Any], areas: list[int]) -> Counter[Key]:
    """What one report adds to the minute counts: its times, by day and month, in its areas."""
    counts: Counter[Key] = Counter()
    created = values["created_at"]
    if created is None:
        return counts
    day = utc_day(created)
    for kind, column in KINDS.items():
        minutes = values[column]
        if minutes is None:
            continue
        for area in areas:
            counts[area, DAY, kind, day, bucket(minutes)] += 1
            counts[area, MONTH, kind, month_of(day), bucket(minutes)] += 1
    return counts


def add_minutes(connection: Connection, delta: Counter[Key]) -> None:
    """Add these amounts to the minute counts, creating the rows they need."""
    rows = sorted((key, n) for key, n in delta.items() if n)
    if not rows:
        return
    insert = (
        sqlite.insert(MINUTES)
        if connection.dialect.name == "sqlite"
        else postgresql.insert(MINUTES)
    )
    statement = insert.on_conflict_do_update(
        index_elements=["area_id", "unit", "kind", "start", "bucket"],
        set_={"reports": MINUTES.c.reports + insert.excluded.reports},
    )
    # Sorted: two transactions moving the same rows lock them in the same order.
    connection.execute(
        statement,
        [
            {"area_id": a, "unit": u, "kind": k, "start": s, "bucket": b, "reports": n}
            for (a, u, k, s, b), n in rows
        ],
    )


def closure() -> Any:
    """Pairs (area, an area it counts under: itself or one above it), from the area tree."""
    tree = select(AREAS.c.id.label("area_id"), AREAS.c.id.label("under")).cte(
        "counted_under", recursive=True
    )
    up = select(tree.c.area_id, AREAS.c.parent_id).where(
        AREAS.c.id == tree.c.under, AREAS.c.parent_id.is_not(None)
    )
    return tree.union(up)


def recount_minutes(dialect: str) -> Any:
    """The minute counts as a full recount of the reports gives them (a SELECT)."""
    r = REPORTS.c
    tree = closure()
    day = day_of(r.created_at, dialect)
    month = month_sql(r.created_at, dialect)
    parts = []
    for kind, column_name in KINDS.items():
        column = getattr(r, column_name)
        where = column.is_not(None)
        for unit, start in ((DAY, day), (MONTH, month)):
            fields = (
                literal(unit).label("unit"),
                literal(kind).label("kind"),
                start.label("start"),
            )
            the_bucket = bucket_sql(column, dialect).label("bucket")
            parts.append(  # under its own area and those above
                select(tree.c.under.label("area_id"), *fields, the_bucket)
                .select_from(REPORTS.join(tree, tree.c.area_id == r.area_id))
                .where(where)
            )
            parts.append(  # reports without an area
                select(literal(NO_AREA).label("area_id"), *fields, the_bucket).where(
                    where, r.area_id.is_(None)
                )
            )
            parts.append(
                select(literal(EVERYWHERE).label("area_id"), *fields, the_bucket).where(where)
            )
    every = union_all(*parts).subquery()
    c = every.c
    return select(
        c.area_id, c.unit, c.kind, c.start, c.bucket, func.count().label("reports")
    ).group_by(c.area_id, c.unit, c.kind, c.start, c.bucket)


def rebuild_minutes(connection: Connection) -> None:
    """Fill the minute counts from the reports and the area tree, replacing what they held."""
    connection.execute(MINUTES.delete())
    connection.execute(
        MINUTES.insert().from_select(
            ["area_id", "unit", "kind", "start", "bucket", "reports"],
            recount_minutes(connection.dialect.name),
        )
    )


def minute_mismatches(connection: Connection, *, limit: int = 20) -> list[tuple[Any, ...]]:
    """Minute counts that differ from a full recount; empty when they agree."""
    c = MINUTES.c
    kept = select(c.area_id, c.unit, c.kind, c.start, c.bucket, c.reports).where(c.reports != 0)
    truth = recount_minutes(connection.dialect.name)
    missing = select(truth.except_(kept).subquery())
    extra = select(kept.except_(truth).subquery())
    return [tuple(row) for row in connection.execute(union_all(missing, extra).limit(limit))]
