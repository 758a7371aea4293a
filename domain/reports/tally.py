"""The counts behind a period's statistics, read in two parts that add up: its whole days and its ends.

Whole UTC days are read from counts kept with every move; the pieces of days at the
period's ends from the reports themselves. Each report is in exactly one of the two, by
when it was filed, so the two parts can be read apart (even at two moments) and added.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, literal, null, union_all
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from domain.areas.models import Area
from domain.reports.area_totals import filed_before
from domain.reports.figures import COUNTS
from domain.reports.minutes import AREAS, KINDS, MINUTES, bucket_sql
from domain.reports.models import MONTH, NO_AREA, UNDER
from domain.reports.months import MONTHS
from domain.reports.periods import Days, spans
from domain.reports.pieces import WIDE, Ends, areas_below, areas_listed, counts_key, is_wide

Name = tuple[str | None, str | None]  # an area's code and name; None, None for no area


def _added(first: Counter[Any], second: Counter[Any]) -> Counter[Any]:
    # Not `first + second`, which drops counts that are not positive.
    both = Counter(first)
    both.update(second)
    return both


@dataclass(frozen=True)
class Tally:
    """Reports of part of a period counted by category, status, area and time to claim and resolve."""

    categories: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    areas: Counter[int] = field(default_factory=Counter)  # by area id; NO_AREA for none
    names: dict[int, Name] = field(default_factory=dict)  # every area of the question read
    buckets: dict[str, Counter[int]] = field(
        default_factory=lambda: {kind: Counter() for kind in KINDS}
    )  # per kind (claim, resolve): how many reports have a time in each bucket

    def __add__(self, other: Tally) -> Tally:
        """Both parts together."""
        return Tally(
            categories=_added(self.categories, other.categories),
            statuses=_added(self.statuses, other.statuses),
            areas=_added(self.areas, other.areas),
            names=self.names | other.names,
            buckets={kind: _added(self.buckets[kind], other.buckets[kind]) for kind in KINDS},
        )

    def wide(self, session: Session, area_id: int | None) -> bool:
        """Whether the area has so many areas below it that its reports are best found by time."""
        # The whole days named every area of the question: counting them spares a walk down
        # the tree.
        return len(self.names) > WIDE if self.names else is_wide(session, area_id)


def days_tally(session: Session, *, area_id: int | None, days: Days) -> Tally:
    """Reports filed in whole UTC days of an area and those below it, from the counts."""
    categories: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for category, status, n in _by_category_status(session, area_id=area_id, days=days):
        categories[category] += n
        statuses[status] += n
    areas: Counter[int] = Counter()
    names: dict[int, Name] = {}
    for area, code, name, n in _by_area(session, area_id=area_id, days=days):
        areas[area] += n
        names[area] = code, name
    return Tally(categories, statuses, areas, names, _buckets(session, area_id=area_id, days=days))


def _by_category_status(
    session: Session, *, area_id: int | None, days: Days
) -> Iterable[tuple[str, str, int]]:
    """(category, status, how many): whole UTC months from the month counts, days from the daily.

    A few dozen rows each (periods.spans), added up in SQL.
    """
    daily, monthly = COUNTS.c, MONTHS.c
    key = counts_key(area_id)
    parts = []
    for unit, first, last, sign in spans(days):
        if unit == MONTH:
            query = select(monthly.category, monthly.status, (monthly.filed * sign).label("n"))
            query = query.where(monthly.area_id == key, monthly.scope == UNDER)
            moment = monthly.month
        else:
            query = select(daily.category, daily.status, (daily.filed * sign).label("n"))
            query, moment = query.where(daily.area_id == key), daily.day
        query = query.where(moment >= first) if first is not None else query
        parts.append(query.where(moment < last) if last is not None else query)
    both = union_all(*parts).subquery()
    c, t, n = both.c
    grouped = select(c, t, func.sum(n)).group_by(c, t).having(func.sum(n) != 0)
    return [(str(c), str(t), int(n)) for c, t, n in session.connection().execute(grouped)]


def _by_area(session: Session, *, area_id: int | None, days: Days) -> Iterable[Any]:
    """Every area of the question (NO_AREA: none) with its code, name and reports in the days.

    Two running totals per area (domain/reports/area_totals.py), whatever the length of the
    period, named in one statement.
    """
    areas: Any = select(col(Area.id), col(Area.code), col(Area.name))
    if area_id is None:
        areas = areas.union_all(select(literal(NO_AREA), null(), null()))
    else:
        areas = areas.where(col(Area.id).in_(areas_below(area_id)))
    every = areas.subquery()
    area, code, name = every.c
    first, last = days
    whole = filed_before(area, last)
    if first is not None:
        whole = whole - filed_before(area, first)
    return session.connection().execute(select(area, code, name, whole)).all()


def _buckets(session: Session, *, area_id: int | None, days: Days) -> dict[str, Counter[int]]:
    """Per kind (claim, resolve): how many reports of the days have a time in each bucket.

    Read from the minute counts of the area itself (which hold its descendants), a few
    hundred buckets a month (periods.spans), added up in SQL.
    """
    counted = MINUTES.c
    parts = []
    for unit, first, last, sign in spans(days):
        query = select(counted.kind, counted.bucket, (counted.reports * sign).label("n")).where(
            counted.area_id == counts_key(area_id),
            counted.unit == unit,
            counted.kind.in_(list(KINDS)),
        )
        if first is not None:
            query = query.where(counted.start >= first)
        if last is not None:
            query = query.where(counted.start < last)
        parts.append(query)
    both = union_all(*parts).subquery()
    summed = func.sum(both.c.n)
    grouped = (
        select_columns(both.c.kind, both.c.bucket, summed)
        .group_by(both.c.kind, both.c.bucket)
        .having(summed != 0)
    )
    buckets: dict[str, Counter[int]] = {kind: Counter() for kind in KINDS}
    for kind, value, n in session.connection().execute(grouped).all():
        buckets[str(kind)][int(value)] += int(n)
    return buckets


def ends_tally(
    session: Session, *, area_id: int | None, ends: Ends, known: dict[int, Name]
) -> Tally:
    """Reports filed in the pieces of days at a period's ends, read themselves in one statement.

    Grouped in SQL by area, category, status and both times' buckets: a few hundred rows for
    a province's pieces of days, added up here; a piece taken back from its whole day counts
    its reports less. Areas missing from `known` are named after.
    """
    dialect = session.get_bind().dialect.name
    listed = sorted(a for a in known if a != NO_AREA)
    ids = areas_below(area_id) if area_id is None or not listed else areas_listed(listed, dialect)
    at_ends = ends.reports(ids).c
    area = func.coalesce(at_ends.area_id, NO_AREA)
    claim, resolve = (bucket_sql(getattr(at_ends, name), dialect) for name in KINDS.values())
    keys = (area, at_ends.category, at_ends.status, claim, resolve)
    grouped = select_columns(*keys, func.sum(at_ends.piece)).group_by(*keys)
    tally = Tally()
    categories, statuses, areas = tally.categories, tally.statuses, tally.areas
    claims, resolutions = (tally.buckets[kind] for kind in KINDS)
    # A plain loop: a province's pieces of days are a thousand rows or more.
    rows = session.connection().execute(grouped).all()
    for own, category, status, to_claim, to_resolve, n in rows:
        categories[category] += n
        statuses[status] += n
        areas[own] += n
        if to_claim is not None:
            claims[to_claim] += n
        if to_resolve is not None:
            resolutions[to_resolve] += n
    missing = [a for a in tally.areas if a not in known and a != NO_AREA]
    if missing:
        known_areas = AREAS.c
        named = select_columns(known_areas.id, known_areas.code, known_areas.name)
        for a, code, name in session.connection().execute(named.where(known_areas.id.in_(missing))):
            tally.names[a] = code, name
    return tally
