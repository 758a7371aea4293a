"""Cron schedules read as cron reads them: Sunday is 0 and 7, either day field may match."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadcasts.cron import CronError, parse_cron

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
# Monday 7 December 2026, 09:00 in Hà Nội.
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=HANOI)


def local(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment.astimezone(HANOI)


@pytest.mark.parametrize("sunday", ["0", "7", "sun", "SUN"])
def test_cron_weekday_zero_and_seven_are_sunday(sunday: str) -> None:
    moment = local(parse_cron(f"0 8 * * {sunday}").next_after(MONDAY, HANOI))
    assert moment == datetime(2026, 12, 13, 8, 0, tzinfo=HANOI)
    assert moment.strftime("%A") == "Sunday"


def test_cron_weekday_one_is_monday_and_ranges_wrap_to_sunday() -> None:
    monday = parse_cron("30 9 * * 1").next_after(MONDAY, HANOI)
    assert local(monday) == datetime(2026, 12, 7, 9, 30, tzinfo=HANOI)
    # 5-7: Friday, Saturday and Sunday.
    weekend = parse_cron("0 18 * * 5-7")
    days = []
    moment = MONDAY
    for _ in range(3):
        moment = weekend.next_after(moment, HANOI) or moment
        days.append(local(moment).strftime("%a"))
    assert days == ["Fri", "Sat", "Sun"]


def test_cron_yearly_date_fires_on_the_nineteenth_of_august() -> None:
    # Ngày hội toàn dân bảo vệ an ninh Tổ quốc, 19/8, at 07:00.
    first = parse_cron("0 7 19 8 *").next_after(MONDAY, HANOI)
    assert local(first) == datetime(2027, 8, 19, 7, 0, tzinfo=HANOI)
    second = parse_cron("0 7 19 8 *").next_after(local(first), HANOI)
    assert local(second) == datetime(2028, 8, 19, 7, 0, tzinfo=HANOI)


def test_cron_day_of_month_or_weekday_when_both_are_given() -> None:
    # Cron fires on the 15th AND on every Sunday, not only on Sundays that are the 15th.
    schedule = parse_cron("0 8 15 * 0")
    first = local(schedule.next_after(MONDAY, HANOI))
    second = local(schedule.next_after(first, HANOI))
    third = local(schedule.next_after(second, HANOI))
    assert [first.day, second.day, third.day] == [13, 15, 20]


def test_cron_next_time_is_strictly_later_and_in_utc() -> None:
    at_eight = datetime(2026, 12, 7, 8, 0, tzinfo=HANOI)
    following = parse_cron("0 8 * * *").next_after(at_eight, HANOI)
    assert following == datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
    assert following is not None and following.tzinfo is not None
    assert following.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("0 0 8 * * *", "5 fields"),
        ("0 8 * *", "5 fields"),
        ("60 8 * * *", "minute must be from 0 to 59"),
        ("0 24 * * *", "hour must be from 0 to 23"),
        ("0 8 * * 8", "day of week must be from 0 to 7"),
        ("0 8 31 2 *", "no month has"),
        ("0 8 * * mon-", "cannot read"),
        ("*/0 8 * * *", "step"),
        ("0 8 5-1 * *", "backwards"),
        ("@daily", "5 fields"),
    ],
)
def test_cron_refuses_what_it_cannot_read_with_a_reason(expression: str, says: str) -> None:
    with pytest.raises(CronError, match=says):
        parse_cron(expression)


fields = st.tuples(
    st.integers(0, 59),
    st.integers(0, 23),
    st.integers(1, 28),
    st.integers(1, 12),
    st.integers(0, 7),
)


@given(fields, st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 1, 1)))
def test_cron_next_time_matches_every_field(
    values: tuple[int, int, int, int, int], start: datetime
) -> None:
    minute, hour, day, month, weekday = values
    after = start.replace(tzinfo=HANOI)
    # Day of month alone, then day of week alone: each must be matched by the time found.
    for expression, check in (
        (f"{minute} {hour} {day} {month} *", lambda t: t.day == day and t.month == month),
        (f"{minute} {hour} * * {weekday}", lambda t: (t.isoweekday() % 7) == weekday % 7),
    ):
        found = parse_cron(expression).next_after(after, HANOI)
        assert found is not None
        moment = local(found)
        assert moment > after
        assert (moment.minute, moment.hour) == (minute, hour)
        assert check(moment)


@given(st.text(max_size=30))
def test_cron_parser_never_fails_other_than_with_a_reason(expression: str) -> None:
    try:
        parse_cron(expression)
    except CronError as error:
        assert str(error)
