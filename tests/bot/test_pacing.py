"""Pace and Pacer: bookings keep within every limit, for any sequence of sends."""

from __future__ import annotations

from bisect import bisect_right

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sender.limits import ChannelLimits, Pace, Pacer, rate, telegram_limits, zalo_limits
from tests.bot import PROPERTY


def busiest_window(starts: list[float], period: float) -> int:
    """The most starts that any window (t - period, t] holds, as the platforms count them."""
    ordered = sorted(starts)
    # Starts exactly one period apart share no window; the tolerance absorbs float rounding.
    edge = period - 1e-9
    return max((i + 1 - bisect_right(ordered, t - edge) for i, t in enumerate(ordered)), default=0)


def test_pace_spreads_sends_by_gap() -> None:
    pace = Pace(limit=3, period=1.0, gap=0.25)
    booked = []
    for _ in range(5):
        at = pace.free_at(0.0)
        pace.take(at)
        booked.append(at)
    assert booked == [0.0, 0.25, 0.5, 1.0, 1.25]


def test_pace_allows_burst_then_waits_for_window() -> None:
    pace = Pace(limit=20, period=60.0)
    for _ in range(20):
        pace.take(pace.free_at(5.0))
    assert pace.free_at(5.0) == 65.0
    assert pace.free_at(70.0) == 70.0


def test_pacer_asking_for_a_later_chat_keeps_the_overall_gap() -> None:
    pacer = Pacer(telegram_limits())
    pacer.take("42", "private", pacer.free_at("42", "private", 0.0))
    later = pacer.free_at("42", "private", 0.0)  # looked at, not booked: beyond the horizon
    group = pacer.free_at("-100", "group", 0.0)
    assert later == pytest.approx(1.03) and group == pytest.approx(1.03 / 30)


def test_pacer_paces_private_chats_apart_and_groups_in_bursts() -> None:
    pacer = Pacer(telegram_limits())
    for _ in range(3):
        pacer.take("42", "private", pacer.free_at("42", "private", 0.0))
    groups = []
    for _ in range(20):
        groups.append(pacer.free_at("-100", "group", 0.0))
        pacer.take("-100", "group", groups[-1])
    assert pacer.free_at("42", "private", 0.0) == pytest.approx(3 * 1.03)
    # The group's 20 follow each other at the overall gap, then wait for its minute.
    assert groups[-1] - groups[0] == pytest.approx(19 * 1.03 / 30)
    assert pacer.free_at("-100", "group", 0.0) == pytest.approx(groups[0] + 61.8)


def test_pacer_forget_idle_keeps_chats_inside_their_window() -> None:
    pacer = Pacer(telegram_limits())
    pacer.take("-1", "group", 0.0)
    pacer.take("2", "private", 0.1)
    pacer.forget_idle(10.0)
    assert pacer.free_at("2", "private", 10.0) == 10.0
    assert pacer.free_at("-1", "group", 10.0) == 10.0
    for _ in range(19):
        pacer.take("-1", "group", pacer.free_at("-1", "group", 10.0))
    pacer.forget_idle(30.0)  # the group's 20 sends are still within its minute
    assert pacer.free_at("-1", "group", 30.0) == pytest.approx(61.8)


def test_pacer_counts_a_send_when_its_call_ended() -> None:
    pacer = Pacer(ChannelLimits(overall=(2, 1.0), group=(20, 60.0), private=(1, 1.0), margin=0))
    pacer.take("-1", "group", 0.0)
    pacer.take("-2", "group", pacer.free_at("-2", "group", 0.0))
    assert pacer.free_at("-3", "group", 0.0) == 1.0
    # The first call was answered only at 0.6 s: the platform may have counted it as late.
    pacer.ended("-1", "group", 0.0, 0.6)
    assert pacer.free_at("-3", "group", 0.6) == 1.5  # one second after the second send, 0.5
    pacer.ended("42", "private", 5.0, 5.2)  # a booking already forgotten still counts
    assert pacer.free_at("42", "private", 5.2) == 6.2


@pytest.mark.parametrize(
    ("per_second", "expected"), [(30.0, (30, 1.0)), (2.5, (2, 1.0)), (0.5, (1, 2.0))]
)
def test_rate_never_rounds_a_slow_rate_up(per_second: float, expected: tuple[int, float]) -> None:
    assert rate(per_second) == expected


def test_zalo_limits_below_one_a_second_spread_single_sends() -> None:
    limits = zalo_limits(per_second=0.5, per_chat_per_second=0.25)
    assert limits.overall == (1, 2.0) and limits.private == limits.group == (1, 4.0)


CHANNELS = {
    "telegram": telegram_limits(),
    "telegram-slow": telegram_limits(per_second=4),
    "zalo": zalo_limits(per_second=5, per_chat_per_second=2),
    "tight": ChannelLimits(overall=(3, 1.0), group=(2, 5.0), private=(1, 2.0)),
}
steps = st.lists(
    st.tuples(
        st.sampled_from(["-1", "-2", "-3", "7", "8"]),  # negative ids: groups, as on Telegram
        # Time since the last step: mostly short, so that windows fill up.
        st.sampled_from([0.0, 0.001, 0.02, 0.3]) | st.floats(min_value=0, max_value=2.0),
        st.booleans(),  # forget idle chats before this step
        st.booleans(),  # book the send, or only ask when it could start (beyond the horizon)
    ),
    min_size=1,
    max_size=120,
)


@PROPERTY
@given(channel=st.sampled_from(sorted(CHANNELS)), steps=steps)
def test_pacer_no_window_holds_more_than_the_limit(
    channel: str, steps: list[tuple[str, float, bool, bool]]
) -> None:
    limits = CHANNELS[channel]
    pacer = Pacer(limits)
    now = 0.0
    overall: list[float] = []
    per_chat: dict[str, list[float]] = {}
    for chat, elapsed, tidy, book in steps:
        now += elapsed
        if tidy:
            pacer.forget_idle(now)
        kind = "group" if chat.startswith("-") else "private"
        at = pacer.free_at(chat, kind, now)
        assert at >= now
        if not book:
            continue
        pacer.take(chat, kind, at)
        overall.append(at)
        per_chat.setdefault(chat, []).append(at)
    sends, seconds = limits.overall
    assert busiest_window(overall, seconds) <= sends
    for chat, starts in per_chat.items():
        sends, seconds = limits.group if chat.startswith("-") else limits.private
        assert busiest_window(starts, seconds) <= sends


@PROPERTY
@given(
    limit=st.integers(1, 30),
    period=st.floats(0.1, 60.0),
    spread=st.booleans(),
    gaps=st.lists(st.floats(0, 3.0, allow_nan=False), min_size=1, max_size=80),
)
def test_pace_no_window_holds_more_than_the_limit(
    limit: int, period: float, spread: bool, gaps: list[float]
) -> None:
    pace = Pace(limit=limit, period=period, gap=period / limit if spread else 0.0)
    now, starts = 0.0, []
    for gap in gaps:
        now += gap
        at = pace.free_at(now)
        pace.take(at)
        starts.append(at)
    assert starts == sorted(starts)
    assert busiest_window(starts, period) <= limit
