"""How many reports are open in each area and every area above it, kept with every move.

Each (area, status) count is spread over STRIPES rows ("new", "new.1", ... "new.7") summed at
read: every filing adds to its province's and everywhere's counts, and on PostgreSQL two
filings adding to one row take turns until the first commits. Each pooled connection keeps
to one stripe, so the inbox workers' transactions add to different rows.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from typing import Any

from sqlalchemy import Table, case, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from domain.reports.minutes import REPORTS, closure
from domain.reports.models import EVERYWHERE, NO_AREA, ReportOpenCount, Status

OPEN_COUNTS: Table = ReportOpenCount.__table__  # type: ignore[attr-defined]
# triage.OPEN, which imports the service that keeps these counts (a test holds them equal).
OPEN_STATUSES = sorted([Status.NEW.value, Status.IN_PROGRESS.value])
Key = tuple[int, str]  # area_id, status
STRIPES = 8  # more than an inbox worker's slots (4), so that one process's filings never meet
# Connections take the stripes in turn, from one the process id picks, so that two differ.
_next_stripe = itertools.count(os.getpid())


def striped(status: str, stripe: int) -> str:
    """The status column of one stripe of a count: the status itself for the first."""
    return status if stripe == 0 else f"{status}.{stripe}"


def _stripe_of(connection: Connection) -> int:
    """This database connection's stripe, the same for as long as it lives."""
    info = connection.info
    if "open_stripe" not in info:
        info["open_stripe"] = next(_next_stripe) % STRIPES
    return int(info["open_stripe"])


def open_of(values: dict[str, Any], areas: list[int]) -> Counter[Key]:
    """What one report adds to the open counts: one under each of its areas, if open."""
    if values["status"] not in OPEN_STATUSES:
        return Counter()
    return Counter({(area, values["status"]): 1 for area in areas})


def add_open(connection: Connection, delta: Counter[Key]) -> None:
    """Add these amounts to the open counts, creating the rows they need."""
    rows = sorted((key, n) for key, n in delta.items() if n)
    if not rows:
        return
    table = OPEN_COUNTS
    insert = (
        sqlite.insert(table) if connection.dialect.name == "sqlite" else postgresql.insert(table)
    )
    statement = insert.on_conflict_do_update(
        index_elements=["area_id", "status"],
        set_={"reports": table.c.reports + insert.excluded.reports},
    )
    # Sorted: two transactions moving the same rows lock them in the same order.
    stripe = _stripe_of(connection)
    connection.execute(
        statement,
        [{"area_id": a, "status": striped(s, stripe), "reports": n} for (a, s), n in rows],
    )


def recount_open() -> Any:
    """The open counts as a full recount of the reports gives them (a SELECT)."""
    r = REPORTS.c
    tree = closure()
    is_open = r.status.in_(OPEN_STATUSES)
    every = union_all(
        select(tree.c.under.label("area_id"), r.status)
        .select_from(REPORTS.join(tree, tree.c.area_id == r.area_id))
        .where(is_open),
        select(literal(NO_AREA).label("area_id"), r.status).where(is_open, r.area_id.is_(None)),
        select(literal(EVERYWHERE).label("area_id"), r.status).where(is_open),
    ).subquery()
    return select(every.c.area_id, every.c.status, func.count().label("reports")).group_by(
        every.c.area_id, every.c.status
    )


def rebuild_open(connection: Connection) -> None:
    """Fill the open counts from the reports and the area tree, replacing what they held."""
    connection.execute(OPEN_COUNTS.delete())
    connection.execute(
        OPEN_COUNTS.insert().from_select(["area_id", "status", "reports"], recount_open())
    )


def open_mismatches(connection: Connection, *, limit: int = 20) -> list[tuple[Any, ...]]:
    """Open counts that differ from a full recount; empty when they agree."""
    summed = _summed()
    kept = select(*summed.c).where(summed.c.reports != 0)
    truth = recount_open()
    missing = select(truth.except_(kept).subquery())
    extra = select(kept.except_(truth).subquery())
    return [tuple(row) for row in connection.execute(union_all(missing, extra).limit(limit))]


def _summed() -> Any:
    """The open counts with their stripes added up: one row per area and status."""
    c = OPEN_COUNTS.c
    status = case(
        *(
            (c.status.in_([striped(s, n) for n in range(STRIPES)]), literal(s))
            for s in OPEN_STATUSES
        ),
        else_=c.status,
    ).label("status")
    return (
        select(c.area_id, status, func.sum(c.reports).label("reports"))
        .group_by(c.area_id, status)
        .subquery()
    )


def open_total(connection: Connection, *, area_id: int) -> int:
    """How many reports of the area and below are open now: its few rows, stripes and all."""
    found = connection.execute(
        select(func.coalesce(func.sum(OPEN_COUNTS.c.reports), 0)).where(
            OPEN_COUNTS.c.area_id == area_id
        )
    ).scalar_one()
    return int(found)
