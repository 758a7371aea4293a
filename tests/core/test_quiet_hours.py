"""Quiet hours: a span of local time, across midnight or not, and what waits for its end."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.quiet_hours import QuietHoursError, parse_quiet_hours

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT = parse_quiet_hours("21:30-06:30", HANOI)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=HANOI)


def test_quiet_hours_a_run_due_at_2300_waits_until_0630() -> None:
    assert NIGHT is not None
    assert NIGHT.release(at(7, 23)) == at(8, 6, 30)
    assert NIGHT.release(at(8, 2)) == at(8, 6, 30)


def test_quiet_hours_end_and_start_are_exact() -> None:
    assert NIGHT is not None
    assert NIGHT.end_if_quiet(at(7, 21, 29)) is None
    assert NIGHT.end_if_quiet(at(7, 21, 30)) == at(8, 6, 30)
    assert NIGHT.end_if_quiet(at(8, 6, 30)) is None
    assert NIGHT.next_start(at(7, 12)) == at(7, 21, 30)
    assert NIGHT.next_start(at(7, 22)) == at(8, 21, 30)


def test_quiet_hours_within_one_day() -> None:
    noon = parse_quiet_hours("11:30-13:30", HANOI)
    assert noon is not None
    assert noon.release(at(7, 12)) == at(7, 13, 30)
    assert noon.release(at(7, 14)) == at(7, 14)


def test_quiet_hours_empty_means_none() -> None:
    assert parse_quiet_hours("", HANOI) is None
    assert parse_quiet_hours("  ", HANOI) is None


@pytest.mark.parametrize(
    "text", ["2130-0630", "21:30", "25:00-06:00", "21:30-06:3", "9:60-10:00", "07:00-07:00"]
)
def test_quiet_hours_refuse_what_is_not_a_span(text: str) -> None:
    with pytest.raises(QuietHoursError):
        parse_quiet_hours(text, HANOI)


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 1, 1)))
def test_quiet_hours_release_is_never_earlier_and_never_quiet(moment: datetime) -> None:
    assert NIGHT is not None
    local = moment.replace(tzinfo=HANOI)
    released = NIGHT.release(local)
    assert released >= local
    assert released - local <= timedelta(hours=9)
    assert NIGHT.end_if_quiet(released) is None
