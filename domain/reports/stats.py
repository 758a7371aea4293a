"""Statistics of reports for a period: counts, median times to claim and resolve, months."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, literal, null, union_all
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from domain.areas.models import Area
from domain.areas.service import subtree
from domain.reports.area_totals import filed_before
from domain.reports.figures import COUNTS, REPORTS
from domain.reports.minutes import KINDS, MINUTES, bucket, median_of, month_of, utc_day
from domain.reports.models import (
    DAY,
    EVERYWHERE,
    MONTH,
    NO_AREA,
    UNDER,
    Category,
    Status,
)
from domain.reports.months import MONTHS


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class MonthCount:
    """One bar pair of the chart: reports filed in a month, and reports resolved in it."""

    month_start: datetime  # midnight of the 1st, in the zone asked for
    filed: int
    resolved: int


# Above this many areas (a ward and its hamlets are about 20), an area's reports in a piece
# of a day are found by time rather than area by area.
WIDE = 50


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _split(
    since: datetime | None, until: datetime | None
) -> tuple[tuple[date | None, date | None] | None, list[tuple[datetime | None, datetime | None]]]:
    """A period as whole UTC days (None: none) and the pieces of days at its ends."""
    first = None if since is None else utc_day(since)
    if since is not None and first is not None and _day_start(first) < since:
        first += timedelta(days=1)
    last = None if until is None else utc_day(until)
    if first is not None and last is not None and first >= last:
        return None, [(since, until)]
    edges: list[tuple[datetime | None, datetime | None]] = []
    if since is not None and first is not None and since < _day_start(first):
        edges.append((since, _day_start(first)))
    if until is not None and last is not None and _day_start(last) < until:
        edges.append((_day_start(last), until))
    return (first, last), edges


def _areas(area_id: int | None) -> Any:
    """A subquery of the ids of an area and those below it; None for everywhere.

    A subquery, not a list of ids: statistics read every row of their period in the areas,
    whatever the plan, and a province's two thousand ids would be sent with every statement.
    """
    return None if area_id is None else select(subtree(area_id).c.id)


def _key(area_id: int | None) -> int:
    """The area_id under which counts of an area (None: everywhere) are kept."""
    return EVERYWHERE if area_id is None else area_id


# A report filed in a piece of a day at a period's end, as statistics read it: area id (None
# for none), category, status, minutes to claim, minutes to resolve.
_Piece = tuple[int | None, str, str, float | None, float | None]


def _wide(session: Session, ids: Any) -> bool:
    """Whether an area has so many areas below it that its reports are best found by time."""
    if ids is None:
        return True
    # Counted up to one past WIDE: both engines stop walking the tree there.
    some = ids.limit(WIDE + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(some)) or 0) > WIDE


def _pieces(
    session: Session,
    *,
    ids: Any,
    wide: bool,
    edges: list[tuple[datetime | None, datetime | None]],
) -> list[_Piece]:
    """The reports filed in the pieces of days at a period's ends (two partial days at most)."""
    reports = REPORTS.c
    parts = []
    for start, end in edges:
        query = select_columns(
            reports.area_id,
            reports.category,
            reports.status,
            *(getattr(reports, name) for name in KINDS.values()),
        )
        if start is not None:
            query = query.where(reports.created_at >= start)
        if end is not None:
            query = query.where(reports.created_at < end)
        if ids is not None:
            # "+ 0": the reports of many areas are found by time, from the index alone
            # (ix_reports_created_at_figures), not area by area (a province's 2,000 seeks).
            query = query.where((reports.area_id + 0 if wide else reports.area_id).in_(ids))
        parts.append(query)
    if not parts:
        return []
    found = session.execute(union_all(*parts) if len(parts) > 1 else parts[0])
    return [tuple(row) for row in found]


def _by_category_status(
    session: Session, *, area_id: int | None, days: tuple[date | None, date | None] | None
) -> list[tuple[str, str, int]]:
    """Reports filed on whole UTC days of an area and those below it: (category, status, how many).

    Whole UTC months from the area's month counts, the days left at their ends from its daily
    counts (a few dozen rows each); added up in SQL.
    """
    months, runs = _months(days) if days is not None else (None, [])
    daily, monthly = COUNTS.c, MONTHS.c
    key = _key(area_id)
    parts = []
    if months is not None:
        first, last = months
        query = select(monthly.category, monthly.status, monthly.filed.label("n")).where(
            monthly.area_id == key, monthly.scope == UNDER
        )
        query = query.where(monthly.month >= first) if first is not None else query
        parts.append(query.where(monthly.month < last) if last is not None else query)
    for first, last in runs:
        query = select(daily.category, daily.status, daily.filed.label("n")).where(
            daily.area_id == key
        )
        query = query.where(daily.day >= first) if first is not None else query
        parts.append(query.where(daily.day < last) if last is not None else query)
    if not parts:
        return []
    both = union_all(*parts).subquery()
    c, t, n = both.c
    grouped = select(c, t, func.sum(n)).group_by(c, t).having(func.sum(n) != 0)
    return [(str(c), str(t), int(n)) for c, t, n in session.execute(grouped)]


def _by_area(
    session: Session, *, ids: Any, days: tuple[date | None, date | None] | None
) -> dict[int, tuple[str | None, str | None, int]]:
    """Every area of the question (NO_AREA: none), named, with its own reports of whole UTC days.

    Two running totals per area (domain/reports/area_totals.py), whatever the length of
    the period; an area with none still answers, for the reports at the period's ends.
    """
    areas: Any
    if ids is None:
        areas = select(col(Area.id), col(Area.code), col(Area.name)).union_all(
            select(literal(NO_AREA), null(), null())
        )
    else:
        areas = select(col(Area.id), col(Area.code), col(Area.name)).where(col(Area.id).in_(ids))
    every = areas.subquery()
    area, code, name = every.c
    if days is None:
        whole: Any = literal(0)
    else:
        first, last = days
        whole = filed_before(area, last) - (0 if first is None else filed_before(area, first))
    found = session.execute(select(area, code, name, whole))
    return {int(a): (c, n, int(count)) for a, c, n, count in found}


def _months(
    days: tuple[date | None, date | None],
) -> tuple[tuple[date | None, date | None] | None, list[tuple[date | None, date | None]]]:
    """Whole UTC days as whole months (None: none) and the runs of days left at their ends."""
    first, last = days
    m0 = None if first is None else first if first.day == 1 else _next_month(first)
    m1 = None if last is None else month_of(last)
    if m0 is not None and m1 is not None and m0 >= m1:
        return None, [days]
    runs: list[tuple[date | None, date | None]] = []
    if first is not None and m0 is not None and first < m0:
        runs.append((first, m0))
    if last is not None and m1 is not None and m1 < last:
        runs.append((m1, last))
    return (m0, m1), runs


def _next_month(day: date) -> date:
    """The first of the month after a day's."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _buckets(
    session: Session, *, area_id: int | None, days: tuple[date | None, date | None] | None
) -> dict[str, Counter[int]]:
    """Per kind (claim, resolve): how many reports filed on whole UTC days have each bucket.

    Whole months and days are read from the minute counts of the area itself (which hold its
    descendants), a few hundred buckets each.
    """
    counted = MINUTES.c
    buckets: dict[str, Counter[int]] = {kind: Counter() for kind in KINDS}
    if days is None:
        return buckets
    months, runs = _months(days)
    spans = [(MONTH, months)] if months is not None else []
    spans += [(DAY, run) for run in runs]
    parts = []
    for unit, (first, last) in spans:
        query = select(counted.kind, counted.bucket, counted.reports.label("n")).where(
            counted.area_id == _key(area_id),
            counted.unit == unit,
            counted.kind.in_(list(KINDS)),
        )
        if first is not None:
            query = query.where(counted.start >= first)
        if last is not None:
            query = query.where(counted.start < last)
        parts.append(query)
    if parts:
        both = union_all(*parts).subquery()
        grouped = select(both.c.kind, both.c.bucket, func.sum(both.c.n)).group_by(
            both.c.kind, both.c.bucket
        )
        for kind, value, n in session.execute(grouped):
            buckets[str(kind)][int(value)] += int(n)
    return buckets


def report_stats(
    session: Session, *, area_id: int | None, since: datetime | None, until: datetime | None
) -> ReportStats:
    """Counts of the reports created in [since, until) of an area and its descendants, and medians.

    Time to claim runs from filing to a report's first claim ever (an unclaim keeps it); time
    to resolve to its resolution, over the reports resolved now. Both are kept on the report
    when they happen (`claim_minutes`, `resolve_minutes`); their medians are those of the
    times rounded to their bucket (domain/reports/minutes.py), read from the minute counts.
    The whole UTC days of the period are read from counts kept with every move; the reports
    of the pieces of days at its ends are read themselves and added in here.
    """
    ids = _areas(area_id)
    days, edges = _split(since, until)
    pieces = _pieces(session, ids=ids, wide=bool(edges) and _wide(session, ids), edges=edges)
    categories: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for category, status, n in _by_category_status(session, area_id=area_id, days=days):
        categories[category] += n
        statuses[status] += n
    areas = _by_area(session, ids=ids, days=days)
    per_area: Counter[int] = Counter({a: n for a, (_code, _name, n) in areas.items()})
    buckets = _buckets(session, area_id=area_id, days=days)
    for area, category, status, *times in pieces:
        categories[category] += 1
        statuses[status] += 1
        per_area[NO_AREA if area is None else area] += 1
        for kind, minutes in zip(KINDS, times, strict=True):
            if minutes is not None:
                buckets[kind][bucket(minutes)] += 1
    by_category = {c.value: categories.pop(c.value, 0) for c in Category} | dict(categories)
    by_status = {s.value: statuses.pop(s.value, 0) for s in Status} | dict(statuses)
    by_area = sorted(
        (
            AreaCount(code=areas[a][0], name=areas[a][1], count=n)
            if a in areas
            else AreaCount(code=None, name=None, count=n)
            for a, n in per_area.items()
            if n
        ),
        key=lambda a: (-a.count, a.code or ""),
    )
    (claimed, to_claim), (resolved, to_resolve) = (
        median_of(buckets[kind].items()) for kind in KINDS
    )
    return ReportStats(
        total=sum(by_status.values()),
        by_category=by_category,
        by_status=by_status,
        by_area=tuple(by_area),
        claimed=claimed,
        resolved=resolved,
        median_minutes_to_claim=to_claim,
        median_minutes_to_resolve=to_resolve,
    )


def month_start(moment: datetime, *, zone: tzinfo, shift: int = 0) -> datetime:
    """Midnight of the 1st of the month of a moment in a zone, moved by `shift` months."""
    local = moment.astimezone(zone)
    index = local.year * 12 + local.month - 1 + shift
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=zone)


def monthly_counts(
    session: Session, *, area_id: int | None, months: int, until: datetime, zone: tzinfo
) -> list[MonthCount]:
    """Reports filed and reports resolved in each of the `months` months up to `until`, oldest first.

    Months are those of the zone people live in; the last one runs only up to `until`. A report
    counts as resolved in the month of its `closed_at` if its status is resolved now.
    """
    starts = [month_start(until, zone=zone, shift=-n) for n in range(months - 1, -1, -1)]
    ends = [*starts[1:], until]
    ids = _areas(area_id)
    # Each month as whole UTC days and the pieces of days at its ends (a zone's midnight is
    # no UTC midnight): three statements for the whole chart, whatever its area.
    splits = [_split(start, end) for start, end in zip(starts, ends, strict=True)]
    filed, resolved = [0] * months, [0] * months
    whole = [
        (days[0], days[1], i)
        for i, (days, _edges) in enumerate(splits)
        if days is not None and days[0] is not None and days[1] is not None
    ]
    if whole:
        _add_whole_days(session, area_id=area_id, whole=whole, into=(filed, resolved))
    pieces = [(i, a, b) for i, (_days, edges) in enumerate(splits) for a, b in edges]
    wide = bool(pieces) and _wide(session, ids)
    for into, is_resolved in ((filed, False), (resolved, True)):
        counted = _counted_pieces(session, ids=ids, pieces=pieces, resolved=is_resolved, wide=wide)
        for month, n in counted:
            into[month] += n
    return [
        MonthCount(month_start=start, filed=filed[i], resolved=resolved[i])
        for i, start in enumerate(starts)
    ]


def _add_whole_days(
    session: Session,
    *,
    area_id: int | None,
    whole: list[tuple[date, date, int]],
    into: tuple[list[int], list[int]],
) -> None:
    """Add the reports filed and resolved on each chart month's whole UTC days to its bars.

    A zone's month is a UTC month give or take a day at each end: the UTC months that cover
    its days are read from the month counts of the area itself (a few dozen rows each), the
    days outside its span taken back from its daily counts (a few dozen rows a day).
    """
    counted, daily = MONTHS.c, COUNTS.c
    covers: dict[int, tuple[date, date]] = {}
    plain: list[tuple[date, date, int]] = []
    for first, last, bar in whole:
        start, end = month_of(first), _next_month(month_of(last - timedelta(days=1)))
        if (first - start).days + (end - last).days <= 3:
            covers[bar] = (start, end)
        else:
            plain.append((first, last, bar))
    if covers:
        query = (
            select(counted.month, func.sum(counted.filed), func.sum(counted.resolved))
            .where(
                counted.area_id == _key(area_id),
                counted.scope == UNDER,
                counted.month >= min(c[0] for c in covers.values()),
                counted.month < max(c[1] for c in covers.values()),
            )
            .group_by(counted.month)
        )
        for month, month_filed, month_resolved in session.execute(query):
            for bar, (start, end) in covers.items():
                if start <= month < end:
                    into[0][bar] += int(month_filed)
                    into[1][bar] += int(month_resolved)
    # The days to take back (outside a covered month's span), and the days to add.
    back = {
        bar: [(start, first), (last, end)]
        for first, last, bar in whole
        if bar in covers
        for start, end in [covers[bar]]
    }
    ranges = [r for spans in back.values() for r in spans if r[0] < r[1]]
    ranges += [(first, last) for first, last, _bar in plain]
    if not ranges:
        return
    # One range each, of the area's own daily rows (they count the areas below it too).
    parts = [
        select(daily.day, daily.filed, daily.resolved).where(
            daily.area_id == _key(area_id), daily.day >= a, daily.day < b
        )
        for a, b in ranges
    ]
    every = union_all(*parts).subquery()
    query = select(every.c.day, func.sum(every.c.filed), func.sum(every.c.resolved)).group_by(
        every.c.day
    )
    for day, day_filed, day_resolved in session.execute(query):
        for bar, spans in back.items():
            if any(a <= day < b for a, b in spans):
                into[0][bar] -= int(day_filed)
                into[1][bar] -= int(day_resolved)
        for first, last, bar in plain:
            if first <= day < last:
                into[0][bar] += int(day_filed)
                into[1][bar] += int(day_resolved)


def _counted_pieces(
    session: Session,
    *,
    ids: Any,
    pieces: list[tuple[int, datetime | None, datetime | None]],
    resolved: bool,
    wide: bool,
) -> list[tuple[int, int]]:
    """Reports filed (or resolved) in each piece of time, counted by index: (label, count)."""
    if not pieces:
        return []
    reports = REPORTS.c
    moment = reports.closed_at if resolved else reports.created_at
    # Resolved reports are found by when they closed (ix_reports_status_closed_at), and those
    # of many areas by when they were filed: "+ 0" keeps planners from walking the reports
    # of each area instead, which SQLite chose at a million reports (a chart of 39 s).
    by_time = ids is not None and (resolved or wide)
    parts = []
    for label, start, end in pieces:
        area = reports.area_id + 0 if by_time else reports.area_id
        query = select(literal(label).label("piece"), area.label("area_id")).select_from(REPORTS)
        if resolved:
            query = query.where(reports.status == Status.RESOLVED.value)
        if start is not None:
            query = query.where(moment >= start)
        if end is not None:
            query = query.where(moment < end)
        if ids is not None and not by_time:
            query = query.where(reports.area_id.in_(ids))
        parts.append(query)
    every = union_all(*parts).subquery()
    counted = select(every.c.piece, func.count()).group_by(every.c.piece)
    if by_time:
        # Once for every piece: PostgreSQL built the set of a province's 2,000 areas again
        # for each of the chart's 24 pieces (1 ms each).
        counted = counted.where(every.c.area_id.in_(ids))
    return [(int(label), int(n)) for label, n in session.execute(counted)]


def month_bounds(year: int, month: int, *, zone: tzinfo) -> tuple[datetime, datetime]:
    """The first moment of a month in a zone, and the first of the next."""
    start = datetime(year, month, 1, tzinfo=zone)
    return start, month_start(start, zone=zone, shift=1)
