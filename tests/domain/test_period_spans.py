"""A period read as whole days, months and pieces of days added or taken back counts each moment once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.reports.models import MONTH
from domain.reports.periods import day_start, nearest_days, spans

days = st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31))


def _covered(first: date, last: date) -> Counter[date]:
    """How many times each day is counted by the spans of [first, last)."""
    counted: Counter[date] = Counter()
    for _unit, start, end, sign in spans((first, last)):
        # A run of months starts and ends on a 1st: it counts the days between, as a run of days.
        assert start is not None and end is not None and start < end
        for offset in range((end - start).days):
            counted[start + timedelta(days=offset)] += sign
    return counted


@given(first=days, length=st.integers(min_value=1, max_value=800))
def test_every_day_of_the_period_counts_once_and_no_other(first: date, length: int) -> None:
    last = first + timedelta(days=length)
    counted = {day: n for day, n in _covered(first, last).items() if n}
    expected = {first + timedelta(days=i): 1 for i in range(length)}
    assert counted == expected


@given(first=days, length=st.integers(min_value=1, max_value=800))
def test_at_most_half_a_month_of_days_is_read_at_either_end(first: date, length: int) -> None:
    last = first + timedelta(days=length)
    read = sum(
        (end - start).days
        for unit, start, end, _sign in spans((first, last))
        if unit != MONTH and start is not None and end is not None
    )
    # Each end reads its days or its month's others, the fewer: 16 days at most each.
    assert read <= min(length, 32)


moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)


@given(
    since=st.none() | moments,
    length=st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=90)),
    probe=st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=92)),
    open_end=st.booleans(),
)
def test_whole_days_and_pieces_count_each_moment_of_the_period_once(
    since: datetime | None, length: timedelta, probe: timedelta, open_end: bool
) -> None:
    start = since or datetime(2025, 3, 1, 7, 30, tzinfo=UTC)
    until = None if open_end else start + length
    days, pieces = nearest_days(since, until)
    moment = start + probe  # a report filed then
    counted = sum(
        sign for a, b, sign in pieces if (a is None or a <= moment) and (b is None or moment < b)
    )
    if days is not None:
        first, last = days
        inside = (first is None or day_start(first) <= moment) and (
            last is None or moment < day_start(last)
        )
        counted += inside
        # Each end reads at most half a day of reports.
        assert all(b - a <= timedelta(hours=12) for a, b, _ in pieces if a and b)
    expected = (since is None or since <= moment) and (until is None or moment < until)
    assert counted == int(expected)
