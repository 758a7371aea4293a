"""Statistics of reports for a period: counts by category, status and area, median times to claim and resolve."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, null, union_all
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from domain.areas.models import Area
from domain.reports.area_totals import filed_before
from domain.reports.figures import COUNTS
from domain.reports.minutes import KINDS, MINUTES, bucket_sql, median_of
from domain.reports.models import MONTH, NO_AREA, UNDER, Category, Status
from domain.reports.months import MONTHS
from domain.reports.periods import Days, spans, split_period
from domain.reports.pieces import Ends, areas_below, counts_key, is_wide


@dataclass(frozen=True, slots=True)
class AreaCount:
    """How many reports of a period carry one area; code and name are None for no area."""

    code: str | None
    name: str | None
    count: int


@dataclass(frozen=True)
class ReportStats:
    """Reports created in a period, counted, and how fast the police answered them."""

    total: int
    by_category: dict[str, int]  # every category, zero included
    by_status: dict[str, int]  # every status, zero included
    by_area: tuple[AreaCount, ...]  # most reports first
    claimed: int  # reports ever claimed: the sample of the claim median
    resolved: int  # reports resolved now: the sample of the resolve median
    median_minutes_to_claim: float | None
    median_minutes_to_resolve: float | None


def _by_category_status(
    session: Session,
    *,
    area_id: int | None,
    days: Days | None,
    ends: Ends | None,
) -> list[tuple[str, str, int]]:
    """Reports filed in a period of an area and those below it: (category, status, how many).

    Whole UTC months from the area's month counts and days from its daily counts (a few
    dozen rows each, _spans), and the reports at the period's ends; added up in SQL.
    """
    daily, monthly = COUNTS.c, MONTHS.c
    key = counts_key(area_id)
    parts = []
    for unit, first, last, sign in spans(days) if days is not None else []:
        if unit == MONTH:
            query = select(monthly.category, monthly.status, (monthly.filed * sign).label("n"))
            query = query.where(monthly.area_id == key, monthly.scope == UNDER)
            moment = monthly.month
        else:
            query = select(daily.category, daily.status, (daily.filed * sign).label("n"))
            query, moment = query.where(daily.area_id == key), daily.day
        query = query.where(moment >= first) if first is not None else query
        parts.append(query.where(moment < last) if last is not None else query)
    if ends is not None:
        e = ends.reports(areas_below(area_id)).c
        parts.append(
            select(e.category, e.status, func.count().label("n")).group_by(e.category, e.status)
        )
    if not parts:
        return []
    both = union_all(*parts).subquery()
    c, t, n = both.c
    grouped = select(c, t, func.sum(n)).group_by(c, t).having(func.sum(n) != 0)
    return [(str(c), str(t), int(n)) for c, t, n in session.connection().execute(grouped)]


def _by_area(
    session: Session,
    *,
    area_id: int | None,
    days: Days | None,
    ends: Ends | None,
) -> list[AreaCount]:
    """Every area of the question (code None: none) with reports in the period, and how many.

    Two running totals per area for the whole UTC days (domain/reports/area_totals.py),
    whatever the length of the period, named in the same statement; the reports at its ends
    counted by area in another, and the two added here (joined in SQL, each of a province's
    2,100 areas walked the other's rows).
    """
    found: dict[int, AreaCount] = {}
    if days is not None:
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
        rows = session.connection().execute(select(area, code, name, whole)).all()
        found = {a: AreaCount(c, n, count) for a, c, n, count in rows}
    if ends is not None:
        at_ends = ends.reports(areas_below(area_id)).c
        own = func.coalesce(at_ends.area_id, NO_AREA)
        counted = select(own.label("area_id"), func.count().label("n")).group_by(own).subquery()
        query = select(counted.c.area_id, col(Area.code), col(Area.name), counted.c.n)
        query = query.select_from(counted.outerjoin(Area, col(Area.id) == counted.c.area_id))
        for a, c, n, count in session.connection().execute(query).all():
            before = found.get(a)
            found[a] = AreaCount(c, n, count + (0 if before is None else before.count))
    return [counted for counted in found.values() if counted.count]


def _medians(
    session: Session,
    *,
    area_id: int | None,
    days: Days | None,
    ends: Ends | None,
) -> dict[str, tuple[int, float | None]]:
    """Per kind (claim, resolve): how many reports of the period have a time, and its median.

    Whole months and days are read from the minute counts of the area itself (which hold its
    descendants), a few hundred buckets each (_spans), the reports at the period's ends
    added in, by bucket, in SQL.
    """
    counted = MINUTES.c
    parts = []
    for unit, first, last, sign in spans(days) if days is not None else []:
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
    if ends is not None:
        dialect = session.get_bind().dialect.name
        at_ends = ends.reports(areas_below(area_id))
        for kind, name in KINDS.items():
            minutes = getattr(at_ends.c, name)
            time = bucket_sql(minutes, dialect)
            parts.append(
                select(literal(kind).label("kind"), time.label("bucket"), func.count().label("n"))
                .where(minutes.is_not(None))
                .group_by(time)
            )
    buckets: dict[str, list[tuple[int, int]]] = {kind: [] for kind in KINDS}
    if parts:
        both = union_all(*parts).subquery()
        summed = func.sum(both.c.n)
        grouped = (
            select_columns(both.c.kind, both.c.bucket, summed)
            .group_by(both.c.kind, both.c.bucket)
            .having(summed != 0)
        )
        for kind, value, n in session.connection().execute(grouped).all():
            buckets[str(kind)].append((int(value), int(n)))
    return {kind: median_of(counts) for kind, counts in buckets.items()}


def report_stats(
    session: Session, *, area_id: int | None, since: datetime | None, until: datetime | None
) -> ReportStats:
    """Counts of the reports created in [since, until) of an area and its descendants, and medians.

    Time to claim runs from filing to a report's first claim ever (an unclaim keeps it); time
    to resolve to its resolution, over the reports resolved now. Both are kept on the report
    when they happen (`claim_minutes`, `resolve_minutes`); their medians are those of the
    times rounded to their bucket (domain/reports/minutes.py), read from the minute counts.
    The whole UTC days of the period are read from counts kept with every move; the reports
    of the pieces of days at its ends are read themselves and added in, in SQL.
    """
    days, edges = split_period(since, until)
    ends = Ends(edges, is_wide(session, area_id)) if edges else None
    categories: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for category, status, n in _by_category_status(session, area_id=area_id, days=days, ends=ends):
        categories[category] += n
        statuses[status] += n
    by_category = {c.value: categories.pop(c.value, 0) for c in Category} | dict(categories)
    by_status = {s.value: statuses.pop(s.value, 0) for s in Status} | dict(statuses)
    by_area = _by_area(session, area_id=area_id, days=days, ends=ends)
    medians = _medians(session, area_id=area_id, days=days, ends=ends)
    (claimed, to_claim), (resolved, to_resolve) = (medians[kind] for kind in KINDS)
    return ReportStats(
        total=sum(by_status.values()),
        by_category=by_category,
        by_status=by_status,
        by_area=tuple(sorted(by_area, key=lambda a: (-a.count, a.code or ""))),
        claimed=claimed,
        resolved=resolved,
        median_minutes_to_claim=to_claim,
        median_minutes_to_resolve=to_resolve,
    )
