"""Running totals by UTC day: a row (key, day) holds the amount of the key up to the end of day.

A row exists for every day the key's amount changed. The amount over whole days
[first, last) is the last row before `last` minus the last row before `first`: two index
seeks, whatever the length of the period. Kept in the transaction of every change, and
checked against a full recount.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Table, and_, exists, func, literal, select, text, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement


def _lock_key(table: Table, key: tuple[Any, ...]) -> int:
    """A PostgreSQL advisory lock key (a signed 64-bit number) for one key of a table."""
    digest = hashlib.blake2b(repr((table.name, key)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def add_running(
    connection: Connection,
    table: Table,
    delta: Counter[tuple[Any, ...]],
    *,
    keys: Sequence[str],
    value: str,
) -> None:
    """Add amounts, given by (*key, day), to every running total from their day on.

    The day's row is created from the row before it when it is missing.
    """
    c = table.c
    locks = connection.dialect.name == "postgresql"
    changes = [(k, n) for k, n in delta.items() if n]
    # On PostgreSQL a new row starts from the one before it: two transactions moving the same
    # key could each miss the other's amount. Each key is locked first; in the order of the
    # locks, so that two transactions never wait for each other's.
    order = (lambda item: _lock_key(table, item[0][:-1])) if locks else (lambda item: item[0])
    for (*key, day), amount in sorted(changes, key=order):
        if locks:
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(table, tuple(key))}
            )
        same = [c[name] == part for name, part in zip(keys, key, strict=True)]
        connection.execute(
            table.update().where(*same, c.day >= day).values({value: c[value] + amount})
        )
        before = (
            select(c[value])
            .where(*same, c.day < day)
            .order_by(c.day.desc())
            .limit(1)
            .scalar_subquery()
        )
        present = exists().where(*same, c.day == day)
        connection.execute(
            table.insert().from_select(
                [*keys, "day", value],
                select(
                    *(literal(part) for part in key),
                    literal(day),
                    func.coalesce(before, 0) + amount,
                ).where(~present),
            )
        )


def amount_before(table: Table, value: str, day: date | None, **key: Any) -> ColumnElement[Any]:
    """SQL for a key's running total before a UTC day (None: ever); key parts may be columns."""
    c = table.c
    query = select(c[value]).where(*(c[name] == part for name, part in key.items()))
    if day is not None:
        query = query.where(c.day < day)
    return func.coalesce(query.order_by(c.day.desc()).limit(1).scalar_subquery(), 0)


def recount_running(per_day: Any, keys: Sequence[str], value: str) -> Any:
    """Running totals (a SELECT of *keys, day, value) from amounts per key and day (a subquery)."""
    p = per_day.c
    running = func.sum(p[value]).over(partition_by=[p[k] for k in keys], order_by=p.day)
    return select(*(p[k] for k in keys), p.day, running.label(value))


def running_mismatches(
    connection: Connection,
    table: Table,
    truth: Any,
    *,
    keys: Sequence[str],
    value: str,
    limit: int = 20,
) -> list[tuple[Any, ...]]:
    """Rows that differ from the running totals `truth` (a SELECT); empty when they agree.

    A day whose amounts all moved away keeps its row: it must then equal the total of the
    day before it.
    """
    c = table.c
    t = truth.subquery()
    columns = [*keys, "day", value]
    kept = select(*(c[name] for name in columns))
    missing = select(select(*(t.c[name] for name in columns)).except_(kept).subquery())
    same_key = [t.c[k] == c[k] for k in keys]
    known = exists().where(and_(*same_key, t.c.day == c.day))
    earlier = (
        select(t.c[value])
        .where(*same_key, t.c.day < c.day)
        .order_by(t.c.day.desc())
        .limit(1)
        .scalar_subquery()
    )
    stale = kept.where(~known, c[value] != func.coalesce(earlier, 0))
    found = connection.execute(union_all(missing, stale).limit(limit))
    return [tuple(row) for row in found]
