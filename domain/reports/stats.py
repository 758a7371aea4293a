"""Statistics of reports for a period: counts, median times to claim and resolve, months."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Integer, func, literal, null, union_all
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from domain.areas.models import Area
from domain.areas.service import subtree
from domain.reports.area_totals import filed_before
from domain.reports.figures import COUNTS, REPORTS
from domain.reports.minutes import KINDS, MINUTES, bucket_sql, median_of, month_of, utc_day
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
    A new one for each use: one object put in two statements leaves SQLAlchemy unable to
    reuse either's compiled SQL (4 ms a call for a province).
    """
    return None if area_id is None else select(subtree(area_id).c.id)


def _key(area_id: int | None) -> int:
    """The area_id under which counts of an area (None: everywhere) are kept."""
    return EVERYWHERE if area_id is None else area_id


def _wide(session: Session, area_id: int | None) -> bool:
    """Whether an area has so many areas below it that its reports are best found by time."""
    if area_id is None:
        return True
    # Counted up to one past the bound: the walk down the tree stops there.
    below = _areas(area_id).limit(WIDE + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(below)) or 0) > WIDE


def _in_pieces(
    *columns: Any,
    ids: Any,
    wide: bool,
    pieces: list[tuple[int, datetime | None, datetime | None]],
    resolved: bool = False,
) -> Any:
    """The reports filed (or resolved) in labelled pieces of time: a subquery of (piece, area_id, *columns).

    A statement part per piece, whose bounds the planner sees; the reports of many areas are
    found by time and their areas checked once for every piece: with a check in each part,
    the list of a province's 2,000 areas was built again for each of a chart's 24 pieces.
    """
    reports = REPORTS.c
    moment = reports.closed_at if resolved else reports.created_at
    # Resolved reports are found by when they closed (ix_reports_status_closed_at), and those
    # of many areas by when they were filed (ix_reports_created_at_figures): "+ 0" keeps
    # planners from walking a province's 2,000 areas one by one instead.
    by_time = ids is not None and (resolved or wide)
    area = reports.area_id + 0 if by_time else reports.area_id
    parts = []
    for label, start, end in pieces:
        query = select_columns(literal(label, Integer).label("piece"), area.label("area_id"))
        query = query.add_columns(*columns)
        if resolved:
            query = query.where(reports.status == Status.RESOLVED.value)
        if start is not None:
            query = query.where(moment >= start)
        if end is not None:
            query = query.where(moment < end)
        if ids is not None and not by_time:  # a few areas: each by its own index
            query = query.where(reports.area_id.in_(ids))
        parts.append(query)
    every = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    found = select_columns(every)
    return (found.where(every.c.area_id.in_(ids)) if by_time else found).subquery("in_pieces")


@dataclass(frozen=True)
class _Ends:
    """The pieces of days at a period's ends (at most two), and how their reports are found."""

    edges: list[tuple[datetime | None, datetime | None]]
    wide: bool

    def reports(self, ids: Any) -> Any:
        """The reports filed in them, of the areas `ids` (None: all), as a subquery."""
        r = REPORTS.c
        pieces = [(i, start, end) for i, (start, end) in enumerate(self.edges)]
        columns = (r.category, r.status, r.claim_minutes, r.resolve_minutes)
        return _in_pieces(*columns, ids=ids, wide=self.wide, pieces=pieces)


def _by_category_status(
    session: Session,
    *,
    area_id: int | None,
    days: tuple[date | None, date | None] | None,
    ends: _Ends | None,
) -> list[tuple[str, str, int]]:
    """Reports filed in a period of an area and those below it: (category, status, how many).

    Whole UTC months from the area's month counts and days from its daily counts (a few
    dozen rows each, _spans), and the reports at the period's ends; added up in SQL.
    """
    daily, monthly = COUNTS.c, MONTHS.c
    key = _key(area_id)
    parts = []
    for unit, first, last, sign in _spans(days) if days is not None else []:
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
        e = ends.reports(_areas(area_id)).c
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
    days: tuple[date | None, date | None] | None,
    ends: _Ends | None,
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
            areas = areas.where(col(Area.id).in_(_areas(area_id)))
        every = areas.subquery()
        area, code, name = every.c
        first, last = days
        whole = filed_before(area, last)
        if first is not None:
            whole = whole - filed_before(area, first)
        rows = session.connection().execute(select(area, code, name, whole)).all()
        found = {a: AreaCount(c, n, count) for a, c, n, count in rows}
    if ends is not None:
        at_ends = ends.reports(_areas(area_id)).c
        own = func.coalesce(at_ends.area_id, NO_AREA)
        counted = select(own.label("area_id"), func.count().label("n")).group_by(own).subquery()
        query = select(counted.c.area_id, col(Area.code), col(Area.name), counted.c.n)
        query = query.select_from(counted.outerjoin(Area, col(Area.id) == counted.c.area_id))
        for a, c, n, count in session.connection().execute(query).all():
            before = found.get(a)
            found[a] = AreaCount(c, n, count + (0 if before is None else before.count))
    return [counted for counted in found.values() if counted.count]


Span = tuple[str, date | None, date | None, int]  # MONTH or DAY, [first, last), +1 or -1


def _spans(days: tuple[date | None, date | None]) -> list[Span]:
    """Whole UTC days as runs of months and days to add (+1) or take back (-1).

    Counts are kept by month and by day: a run of days at either end of the period is read
    as its days, or as its whole month less the days outside the period, whichever reads
    fewer days (a month's days are a few hundred rows each for a province's medians).
    """
    first, last = days
    if first is None or last is None:  # open: whole months from or up to its one end
        m0 = None if first is None else first if first.day == 1 else _next_month(first)
        m1 = None if last is None else month_of(last)
        runs: list[Span] = [(MONTH, m0, m1, 1)]
        if first is not None and m0 is not None and first < m0:
            runs.append((DAY, first, m0, 1))
        if last is not None and m1 is not None and m1 < last:
            runs.append((DAY, m1, last, 1))
        return runs
    spans: list[Span] = []
    start, end = month_of(first), _next_month(month_of(last - timedelta(days=1)))
    if _next_month(start) == end:  # within one month
        if (first - start).days + (end - last).days < (last - first).days:
            spans = [(MONTH, start, end, 1), (DAY, start, first, -1), (DAY, last, end, -1)]
        else:
            spans = [(DAY, first, last, 1)]
        return [s for s in spans if s[1] is None or s[2] is None or s[1] < s[2]]
    if (first - start).days <= (_next_month(start) - first).days:
        spans.append((DAY, start, first, -1))  # the month, less its days before the period
    else:
        spans.append((DAY, first, _next_month(start), 1))
        start = _next_month(start)
    final = month_of(last - timedelta(days=1))
    if (end - last).days <= (last - final).days:
        spans.append((DAY, last, end, -1))  # the month, less its days after the period
    else:
        spans.append((DAY, final, last, 1))
        end = final
    spans.append((MONTH, start, end, 1))
    return [s for s in spans if s[1] is None or s[2] is None or s[1] < s[2]]


def _next_month(day: date) -> date:
    """The first of the month after a day's."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _medians(
    session: Session,
    *,
    area_id: int | None,
    days: tuple[date | None, date | None] | None,
    ends: _Ends | None,
) -> dict[str, tuple[int, float | None]]:
    """Per kind (claim, resolve): how many reports of the period have a time, and its median.

    Whole months and days are read from the minute counts of the area itself (which hold its
    descendants), a few hundred buckets each (_spans), the reports at the period's ends
    added in, by bucket, in SQL.
    """
    counted = MINUTES.c
    parts = []
    for unit, first, last, sign in _spans(days) if days is not None else []:
        query = select(counted.kind, counted.bucket, (counted.reports * sign).label("n")).where(
            counted.area_id == _key(area_id),
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
        at_ends = ends.reports(_areas(area_id))
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
    days, edges = _split(since, until)
    ends = _Ends(edges, _wide(session, area_id)) if edges else None
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
    wide = bool(pieces) and _wide(session, area_id)
    for into, is_resolved in ((filed, False), (resolved, True)):
        counted = _counted_pieces(
            session, area_id=area_id, pieces=pieces, resolved=is_resolved, wide=wide
        )
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
    area_id: int | None,
    pieces: list[tuple[int, datetime | None, datetime | None]],
    resolved: bool,
    wide: bool,
) -> list[tuple[int, int]]:
    """Reports filed (or resolved) in each piece of time, counted by index: (label, count)."""
    if not pieces:
        return []
    counted = _in_pieces(
        ids=_areas(area_id),
        wide=wide,
        pieces=pieces,
        resolved=resolved,
    )
    query = select_columns(counted.c.piece, func.count()).group_by(counted.c.piece)
    return [(int(piece), int(n)) for piece, n in session.connection().execute(query)]


def month_bounds(year: int, month: int, *, zone: tzinfo) -> tuple[datetime, datetime]:
    """The first moment of a month in a zone, and the first of the next."""
    start = datetime(year, month, 1, tzinfo=zone)
    return start, month_start(start, zone=zone, shift=1)
