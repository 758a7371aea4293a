"""The chart of the months: reports filed and resolved in each of the last months, in the zone people live in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import func, union_all
from sqlalchemy import select as select_columns
from sqlmodel import Session, select

from domain.reports.figures import COUNTS
from domain.reports.minutes import month_of
from domain.reports.models import UNDER
from domain.reports.months import MONTHS
from domain.reports.periods import next_month, split_period
from domain.reports.pieces import areas_below, counts_key, in_pieces, is_wide


@dataclass(frozen=True)
class MonthCount:
    """One bar pair of the chart: reports filed in a month, and reports resolved in it."""

    month_start: datetime  # midnight of the 1st, in the zone asked for
    filed: int
    resolved: int


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
    splits = [split_period(start, end) for start, end in zip(starts, ends, strict=True)]
    filed, resolved = [0] * months, [0] * months
    whole = [
        (days[0], days[1], i)
        for i, (days, _edges) in enumerate(splits)
        if days is not None and days[0] is not None and days[1] is not None
    ]
    if whole:
        _add_whole_days(session, area_id=area_id, whole=whole, into=(filed, resolved))
    pieces = [(i, a, b) for i, (_days, edges) in enumerate(splits) for a, b in edges]
    wide = bool(pieces) and is_wide(session, area_id)
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
        start, end = month_of(first), next_month(month_of(last - timedelta(days=1)))
        if (first - start).days + (end - last).days <= 3:
            covers[bar] = (start, end)
        else:
            plain.append((first, last, bar))
    if covers:
        query = (
            select(counted.month, func.sum(counted.filed), func.sum(counted.resolved))
            .where(
                counted.area_id == counts_key(area_id),
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
            daily.area_id == counts_key(area_id), daily.day >= a, daily.day < b
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
    counted = in_pieces(
        ids=areas_below(area_id),
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
