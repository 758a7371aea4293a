"""Reading when something happened, in Vietnamese with and without diacritics, and English."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.reports.when import SLACK, When, read_when

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 22, 21, 0, tzinfo=ZONE)  # a Sunday evening

SOUP = (
    "bây giờ vừa xong nãy ngay ngày phút tiếng giờ trước sáng trưa chiều tối đêm qua "
    "hôm nay kia tháng năm lúc một hai ba mười mươi mốt lăm bảy rưỡi tôi quá sang "
    "now just ago minutes hours days yesterday this morning evening tonight at pm am "
    "20/11 25/12 31/02 22h 22h30 9h 22:30 10:15 10pm 2026 26 99999 0 13 24 60 / - : h"
)
TIME_WORDS = SOUP.split()
time_text = st.lists(st.one_of(st.sampled_from(TIME_WORDS), st.text(max_size=4)), max_size=10)
any_now = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
zones = st.sampled_from(
    [ZONE, ZoneInfo("UTC"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")]
)


def read(text: str, *, now: datetime = NOW) -> When | None:
    """Read the text at the fixed evening in Ho Chi Minh City."""
    return read_when(text, now=now, zone=ZONE)


def local(day: int, hour: int, minute: int = 0, *, month: int = 11, year: int = 2026) -> datetime:
    """A time in Ho Chi Minh City, as the UTC moment read_when returns."""
    return datetime(year, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def unmarked(text: str) -> str:
    """The text as typed without diacritics, punctuation kept."""
    letters = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(char for char in letters if not unicodedata.combining(char))


def assert_reads(text: str, at: datetime, *, exact: bool) -> None:
    """Assert the text, typed with or without diacritics, in any case, reads as that moment."""
    for variant in (text, unmarked(text), text.upper(), unmarked(text).upper()):
        when = read(variant)
        assert when is not None, variant
        assert (when.at, when.exact) == (at, exact), variant
        assert when.at.tzinfo is UTC


@pytest.mark.parametrize(
    "text", ["bây giờ", "vừa xong", "vừa nãy", "ngay bây giờ", "now", "just now", "Cháy vừa xong!"]
)
def test_read_when_reads_now(text: str) -> None:
    assert_reads(text, NOW.astimezone(UTC), exact=True)


@pytest.mark.parametrize(
    ("text", "at", "exact"),
    [
        ("5 phút trước", local(22, 20, 55), True),
        ("2 tiếng trước", local(22, 19), True),
        ("3 giờ trước", local(22, 18), True),
        ("1 tiếng rưỡi trước", local(22, 19, 30), True),
        ("hai ngày trước", local(20, 21), False),
        ("mười phút trước", local(22, 20, 50), True),
        ("mười lăm phút trước", local(22, 20, 45), True),
        ("hai mươi phút trước", local(22, 20, 40), True),
        ("hai mươi mốt phút trước", local(22, 20, 39), True),
        ("đánh nhau khoảng 15 phút trước", local(22, 20, 45), True),
        ("10 minutes ago", local(22, 20, 50), True),
        ("3 hours ago", local(22, 18), True),
        ("an hour ago", local(22, 20), True),
        ("2 days ago", local(20, 21), False),
    ],
)
def test_read_when_reads_time_ago(text: str, at: datetime, exact: bool) -> None:
    assert_reads(text, at, exact=exact)


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("sáng nay", local(22, 8)),
        ("trưa nay", local(22, 12)),
        ("chiều nay", local(22, 15)),
        ("tối nay", local(22, 20)),
        ("this morning", local(22, 8)),
        ("this afternoon", local(22, 15)),
        ("this evening", local(22, 20)),
        ("tonight", local(22, 20)),
        ("hôm qua", local(21, 12)),
        ("sáng qua", local(21, 8)),
        ("chiều qua", local(21, 15)),
        ("tối qua", local(21, 20)),
        ("tối hôm qua", local(21, 20)),
        ("đêm qua", local(21, 23)),
        ("hôm kia", local(20, 12)),
        ("yesterday", local(21, 12)),
        ("yesterday morning", local(21, 8)),
        ("yesterday evening", local(21, 20)),
        ("last night", local(21, 23)),
        ("the day before yesterday", local(20, 12)),
    ],
)
def test_read_when_reads_parts_of_day_as_fixed_hours(text: str, at: datetime) -> None:
    assert_reads(text, at, exact=False)


def test_read_when_reads_tonight_that_has_begun_as_now() -> None:
    assert_reads("đêm nay", NOW.astimezone(UTC), exact=False)
    when = read("sáng nay", now=datetime(2026, 11, 22, 7, 0, tzinfo=ZONE))
    assert when == When(at=local(22, 7), exact=False, label="sáng nay")


def test_read_when_reads_a_part_of_day_not_yet_begun_as_nothing() -> None:
    assert read("chiều nay", now=datetime(2026, 11, 22, 10, 0, tzinfo=ZONE)) is None


def test_read_when_reads_tonight_after_midnight_as_the_night_that_began_yesterday() -> None:
    after_midnight = datetime(2026, 11, 22, 2, 0, tzinfo=ZONE)
    assert read("đêm nay", now=after_midnight) == When(local(21, 23), False, "đêm nay")
    assert read("dem nay luc 1h", now=after_midnight) == When(local(22, 1), True, "dem nay luc 1h")


@pytest.mark.parametrize(
    ("text", "at", "exact"),
    [
        ("20/11", local(20, 12), False),
        ("20/11/2026", local(20, 12), False),
        ("20/11/26", local(20, 12), False),
        ("20-11", local(20, 12), False),
        ("ngày 20/11", local(20, 12), False),
        ("20 tháng 11", local(20, 12), False),
        ("ngày 20 tháng 11 năm 2025", local(20, 12, year=2025), False),
        ("tối 20/11", local(20, 20), False),
        ("20/11 lúc 22h", local(20, 22), True),
        ("ngày 20/11, 22h30", local(20, 22, 30), True),
        ("20/11 22:30", local(20, 22, 30), True),
        ("20/11 lúc 10 giờ tối", local(20, 22), True),
        ("20/11 9h sáng", local(20, 9), True),
        ("đêm 20/11 lúc 1h", local(21, 1), True),
        ("25/12", local(25, 12, month=12, year=2025), False),
        ("25/12 lúc 8h", local(25, 8, month=12, year=2025), True),
    ],
)
def test_read_when_reads_dates_with_optional_times(text: str, at: datetime, exact: bool) -> None:
    assert_reads(text, at, exact=exact)


@pytest.mark.parametrize("text", ["25/12/2026", "23/11/2026 lúc 8h", "1/1/2030", "tối nay lúc 23h"])
def test_read_when_reads_a_future_with_a_year_as_nothing(text: str) -> None:
    assert read(text) is None


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("tối qua lúc 22h", local(21, 22)),
        ("10 giờ tối hôm qua", local(21, 22)),
        ("hôm qua lúc 9h sáng", local(21, 9)),
        ("3h chiều hôm kia", local(20, 15)),
        ("đêm qua lúc 2h", local(22, 2)),
        ("12h đêm qua", local(22, 0)),
        ("sáng nay 9h", local(22, 9)),
        ("yesterday at 10pm", local(21, 22)),
        ("last night at 11:30 pm", local(21, 23, 30)),
    ],
)
def test_read_when_reads_named_days_with_times(text: str, at: datetime) -> None:
    assert_reads(text, at, exact=True)


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("lúc 20h", local(22, 20)),
        ("9h sáng", local(22, 9)),
        ("3h chiều", local(22, 15)),
        ("12h trưa", local(22, 12)),
        ("10 giờ tối", local(21, 22)),
        ("2 giờ đêm", local(22, 2)),
        ("22h", local(21, 22)),
        ("22h30", local(21, 22, 30)),
        ("21h03", local(22, 21, 3)),
        ("10:15", local(22, 10, 15)),
        ("at 10pm", local(21, 22)),
        ("at 8am", local(22, 8)),
    ],
)
def test_read_when_reads_a_bare_time_as_today_or_yesterday(text: str, at: datetime) -> None:
    assert_reads(text, at, exact=True)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Có người đánh nhau tối qua lúc 22h ở ngõ 5", "tối qua lúc 22h"),
        ("10 giờ tối hôm qua", "10 giờ tối hôm qua"),
        ("Hôm Qua", "hôm qua"),
    ],
)
def test_read_when_labels_the_words_it_read(text: str, label: str) -> None:
    when = read(text)
    assert when is not None
    assert when.label == label


@pytest.mark.parametrize(
    "text",
    [
        "",
        "không nhớ",
        "tôi qua nhà nó",
        "đẹp quá",
        "nhà số 12/5",
        "hẻm 12/5 đường Lê Lợi",
        "mạng 4g yếu",
        "anh trước",
        "31/02",
        "25h",
        "13pm",
        "20/13",
        "đi chợ",
    ],
)
def test_read_when_reads_nothing_from_other_words(text: str) -> None:
    assert read(text) is None


@given(st.one_of(st.text(), time_text.map(" ".join)), any_now, zones)
def test_read_when_never_raises_and_never_reads_the_future(
    text: str, now: datetime, zone: ZoneInfo
) -> None:
    when = read_when(text, now=now, zone=zone)
    if when is not None:
        assert when.at.tzinfo is UTC
        assert when.at <= now + SLACK


@given(time_text.map(" ".join))
def test_read_when_reads_at_most_five_minutes_ahead_at_a_fixed_now(text: str) -> None:
    when = read(text)
    assert when is None or when.at <= NOW + timedelta(minutes=5)
