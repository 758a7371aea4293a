"""A period's whole days, read as months and days added or taken back, count each day once."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.reports.models import MONTH
from domain.reports.periods import spans

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
