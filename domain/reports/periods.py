"""A period of statistics as whole UTC days and pieces of days, and its days as runs of counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from domain.reports.minutes import month_of, utc_day
from domain.reports.models import DAY, MONTH

Days = tuple[date | None, date | None]  # whole UTC days [first, last); None: open
Edges = list[tuple[datetime | None, datetime | None]]  # pieces of days [start, end)
Pieces = list[tuple[datetime | None, datetime | None, int]]  # [start, end), +1 add or -1 take back


def day_start(day: date) -> datetime:
    """Midnight UTC of a day."""
    return datetime.combine(day, time(), tzinfo=UTC)


def split_period(since: datetime | None, until: datetime | None) -> tuple[Days | None, Edges]:
    """A period as whole UTC days (None: none) and the pieces of days at its ends."""
    first = None if since is None else utc_day(since)
    if since is not None and first is not None and day_start(first) < since:
        first += timedelta(days=1)
    last = None if until is None else utc_day(until)
    if first is not None and last is not None and first >= last:
        return None, [(since, until)]
    edges: Edges = []
    if since is not None and first is not None and since < day_start(first):
        edges.append((since, day_start(first)))
    if until is not None and last is not None and day_start(last) < until:
        edges.append((day_start(last), until))
    return (first, last), edges


def nearest_days(since: datetime | None, until: datetime | None) -> tuple[Days | None, Pieces]:
    """A period as whole UTC days and pieces of days, each end read the shorter way.

    An end's piece of a day is read itself, or its whole day is counted and the rest of
    the day taken back, whichever holds fewer hours: at most 12 hours of reports at each
    end. Periods that end at different hours of the same days then have the same days.
    """
    days, edges = split_period(since, until)
    if days is None:
        return None, [(start, end, 1) for start, end in edges]
    first, last = days
    pieces: Pieces = []
    if since is not None and first is not None and since < day_start(first):
        whole_day = first - timedelta(days=1)
        if since - day_start(whole_day) < day_start(first) - since:
            first = whole_day
            pieces.append((day_start(whole_day), since, -1))
        else:
            pieces.append((since, day_start(first), 1))
    if until is not None and last is not None and day_start(last) < until:
        day_after = last + timedelta(days=1)
        if day_start(day_after) - until < until - day_start(last):
            last = day_after
            pieces.append((until, day_start(day_after), -1))
        else:
            pieces.append((day_start(last), until, 1))
    return (first, last), pieces


Span = tuple[str, date | None, date | None, int]  # MONTH or DAY, [first, last), +1 or -1


def spans(days: Days) -> list[Span]:
    """Whole UTC days as runs of months and days to add (+1) or take back (-1).

    Counts are kept by month and by day: a run of days at either end of the period is read
    as its days, or as its whole month less the days outside the period, whichever reads
    fewer days (a month's days are a few hundred rows each for a province's medians).
    """
    first, last = days
    if first is None or last is None:  # open: whole months from or up to its one end
        m0 = None if first is None else first if first.day == 1 else next_month(first)
        m1 = None if last is None else month_of(last)
        runs: list[Span] = [(MONTH, m0, m1, 1)]
        if first is not None and m0 is not None and first < m0:
            runs.append((DAY, first, m0, 1))
        if last is not None and m1 is not None and m1 < last:
            runs.append((DAY, m1, last, 1))
        return runs
    spans: list[Span] = []
    start, end = month_of(first), next_month(month_of(last - timedelta(days=1)))
    if next_month(start) == end:  # within one month
        if (first - start).days + (end - last).days < (last - first).days:
            spans = [(MONTH, start, end, 1), (DAY, start, first, -1), (DAY, last, end, -1)]
        else:
            spans = [(DAY, first, last, 1)]
        return [s for s in spans if s[1] is None or s[2] is None or s[1] < s[2]]
    if (first - start).days <= (next_month(start) - first).days:
        spans.append((DAY, start, first, -1))  # the month, less its days before the period
    else:
        spans.append((DAY, first, next_month(start), 1))
        start = next_month(start)
    final = month_of(last - timedelta(days=1))
    if (end - last).days <= (last - final).days:
        spans.append((DAY, last, end, -1))  # the month, less its days after the period
    else:
        spans.append((DAY, final, last, 1))
        end = final
    spans.append((MONTH, start, end, 1))
    return [s for s in spans if s[1] is None or s[2] is None or s[1] < s[2]]


def next_month(day: date) -> date:
    """The first of the month after a day's."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
