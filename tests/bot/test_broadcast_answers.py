"""The officer's typed answers while composing a broadcast: numbers, topics and times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.broadcasting.answers import (
    read_number,
    read_tag,
    read_when,
    without_mention,
)
from broadcasts.cron import parse_cron

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
MOMENTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
DAYS = {"thứ 2": 1, "Thứ 7": 6, "chủ nhật": 0, "CN": 0, "monday": 1, "t5": 4}


@given(st.text(max_size=40), st.integers(min_value=0, max_value=30))
def test_read_number_is_a_choice_in_range_or_nothing(answer: str, count: int) -> None:
    number = read_number(answer, count=count)
    assert number is None or 1 <= number <= count


@given(st.integers(min_value=1, max_value=30), st.sampled_from(["", " ", "."]))
def test_read_number_reads_the_number_typed(number: int, tail: str) -> None:
    assert read_number(f" {number}{tail}", count=30) == number
    assert read_number(str(number), count=number - 1) is None


@given(st.text(max_size=60), MOMENTS)
def test_read_when_never_raises_and_answers_only_a_time_to_come(answer: str, now: datetime) -> None:
    when = read_when(answer, now=now, zone=HANOI)
    if when is None:
        return
    assert sum([when.now, when.send_at is not None, when.cron is not None]) == 1
    if when.send_at is not None:
        assert when.send_at > now and when.send_at.utcoffset() == timedelta(0)
    if when.cron is not None:
        assert parse_cron(when.cron).next_after(now, HANOI) is not None


@given(
    MOMENTS,
    st.integers(min_value=0, max_value=23),
    st.integers(min_value=0, max_value=59),
    st.integers(min_value=1, max_value=28),
    st.integers(min_value=1, max_value=12),
)
def test_read_when_reads_a_date_and_time_in_either_order(
    now: datetime, hour: int, minute: int, day: int, month: int
) -> None:
    first = read_when(f"{day}/{month} {hour:02d}:{minute:02d}", now=now, zone=HANOI)
    second = read_when(f"{hour}h{minute:02d} ngày {day}/{month}", now=now, zone=HANOI)
    assert first is not None and first == second
    assert first.send_at is not None
    local = first.send_at.astimezone(HANOI)
    assert (local.day, local.month, local.hour, local.minute) == (day, month, hour, minute)
    assert first.send_at > now
    assert local - now.astimezone(HANOI) <= timedelta(days=367)


@given(
    MOMENTS,
    st.sampled_from(sorted(DAYS)),
    st.integers(min_value=0, max_value=23),
    st.sampled_from(["", "hằng tuần ", "mỗi tuần "]),
)
def test_read_when_reads_a_weekly_day_as_cron(
    now: datetime, day: str, hour: int, prefix: str
) -> None:
    when = read_when(f"{prefix}{day} {hour}h", now=now, zone=HANOI)
    assert when is not None and when.cron == f"0 {hour} * * {DAYS[day]}"
    following = parse_cron(when.cron).next_after(now, HANOI)
    assert following is not None
    local = following.astimezone(HANOI)
    assert (local.isoweekday() % 7, local.hour) == (DAYS[day], hour)


def test_read_when_refuses_impossible_and_past_times() -> None:
    now = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    for answer in ["31/2 9h", "24/12/2025 08:00", "25h", "9:75", "hôm qua", "1", ""]:
        assert read_when(answer, now=now, zone=HANOI) is None, answer
    assert read_when("ngay", now=now, zone=HANOI) is not None


def test_topics_and_mentions() -> None:
    assert read_tag("Lừa đảo") == "scam" and read_tag("cháy") == "fire"
    assert read_tag("ma tuy") == "drugs" and read_tag("bảo vệ") is None
    assert without_mention("@Tin báo 2", mentions=("@Tin báo",)) == "2"
    assert without_mention("2", mentions=("@Tin báo", "")) == "2"
