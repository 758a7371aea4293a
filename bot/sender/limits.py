"""Pacing within each platform's limits, by the time each send starts."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from core.settings import Settings
from domain.chats.models import Channel


class Pace:
    """At most `limit` sends in any window of `period` seconds, spread at least `gap` apart."""

    def __init__(self, *, limit: int, period: float, gap: float = 0.0) -> None:
        self.limit = limit
        self.period = period
        self.gap = gap
        self._starts: deque[float] = deque()

    def forget_before(self, now: float) -> None:
        """Drop the sends that no window reaching `now` or later can hold."""
        while self._starts and self._starts[0] <= now - self.period:
            self._starts.popleft()

    def free_at(self, now: float, *, earliest: float | None = None) -> float:
        """The earliest time, not before `now` nor `earliest`, at which one more send fits."""
        # Forget by `now` only: a send asked for later must not erase sends an earlier one needs.
        self.forget_before(now)
        at = now if earliest is None else max(now, earliest)
        if self._starts:
            at = max(at, self._starts[-1] + self.gap)
        if len(self._starts) >= self.limit:
            at = max(at, self._starts[-self.limit] + self.period)
        return at

    def take(self, at: float) -> None:
        """Book a send starting at `at` (as returned by free_at)."""
        self._starts.append(at)

    def recount(self, booked: float, at: float) -> None:
        """Count the send booked at `booked` as made at `at` instead (a later time)."""
        if booked in self._starts:
            self._starts.remove(booked)
        self._starts = deque(sorted([*self._starts, at]))

    @property
    def idle(self) -> bool:
        """Whether no send is remembered (the pace can be forgotten)."""
        return not self._starts


@dataclass(frozen=True)
class ChannelLimits:
    """A platform's limits: overall, per group and per private chat."""

    overall: tuple[int, float]  # (sends, seconds)
    group: tuple[int, float]
    private: tuple[int, float]
    # Slack for calls still on their way when a later one is booked (see Pacer.ended).
    margin: float = 0.03


# The playground of `tinbao demo`: generous, but paced like a real platform.
DEMO_LIMITS = ChannelLimits(overall=(20, 1.0), group=(5, 1.0), private=(3, 1.0))


def rate(per_second: float) -> tuple[int, float]:
    """A rate as (sends, seconds): whole sends a second, or one send every 1/rate seconds."""
    if per_second <= 0:
        raise ValueError("a rate must be positive")
    # Below one a second, int() would round up the pace to 1/s: spread single sends instead.
    return (int(per_second), 1.0) if per_second >= 1 else (1, 1.0 / per_second)


def telegram_limits(per_second: float = 30.0) -> ChannelLimits:
    """Telegram's Bot FAQ: ~30/s overall, 20/min per group, 1/s per private chat."""
    return ChannelLimits(overall=rate(per_second), group=(20, 60.0), private=(1, 1.0))


def zalo_limits(per_second: float, per_chat_per_second: float) -> ChannelLimits:
    """Zalo publishes no limits: a configurable pace, the same for every chat."""
    per_chat = rate(per_chat_per_second)
    return ChannelLimits(overall=rate(per_second), group=per_chat, private=per_chat)


@dataclass
class Pacer:
    """The paces of one channel: one overall, one per chat."""

    limits: ChannelLimits
    _overall: Pace | None = None
    _chats: dict[str, Pace] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sends, seconds = self.limits.overall
        window = seconds * (1 + self.limits.margin)
        # Spreading sends evenly keeps a burst's late arrivals from crowding the next window.
        self._overall = Pace(limit=sends, period=window, gap=window / sends)

    def _chat_pace(self, chat_id: str, chat_kind: str) -> Pace:
        pace = self._chats.get(chat_id)
        if pace is None:
            sends, seconds = self.limits.group if chat_kind == "group" else self.limits.private
            window = seconds * (1 + self.limits.margin)
            pace = Pace(limit=sends, period=window, gap=window / sends if sends == 1 else 0.0)
            self._chats[chat_id] = pace
        return pace

    def free_at(self, chat_id: str, chat_kind: str, now: float) -> float:
        """When a send to this chat would keep within every limit."""
        assert self._overall is not None
        chat_at = self._chat_pace(chat_id, chat_kind).free_at(now)
        return self._overall.free_at(now, earliest=chat_at)

    def take(self, chat_id: str, chat_kind: str, at: float) -> None:
        """Book a send to this chat starting at `at`."""
        assert self._overall is not None
        self._overall.take(at)
        self._chat_pace(chat_id, chat_kind).take(at)

    def ended(self, chat_id: str, chat_kind: str, booked: float, ended: float) -> None:
        """Count a send booked at `booked` as made when its call ended."""
        # The platform counts a call when it arrives, somewhere between our start (late, when
        # the loop was busy) and the answer: counting it at the answer can only overestimate
        # how full a window is, whatever the delays on the way.
        assert self._overall is not None
        self._overall.recount(booked, ended)
        self._chat_pace(chat_id, chat_kind).recount(booked, ended)

    def forget_idle(self, now: float) -> None:
        """Drop the paces of chats with nothing remembered, so memory follows activity."""
        for pace in self._chats.values():
            pace.forget_before(now)
        for chat_id in [c for c, pace in self._chats.items() if pace.idle]:
            del self._chats[chat_id]


def channel_limits(channel: str, settings: Settings) -> ChannelLimits:
    """The limits the sender keeps to on a channel, as its transport declares them."""
    if channel == Channel.TELEGRAM.value:
        return telegram_limits(settings.telegram_messages_per_second)
    if channel == Channel.ZALO.value:
        return zalo_limits(
            settings.zalo_messages_per_second, settings.zalo_chat_messages_per_second
        )
    if channel == Channel.ZALO_OA.value:
        return zalo_limits(settings.zalo_messages_per_second, 1.0)
    return DEMO_LIMITS


def per_minute(channel: str, chat_kind: str, settings: Settings) -> int:
    """How many messages a channel lets through into one chat of this kind within a minute."""
    limits = channel_limits(channel, settings)
    sends, seconds = limits.private if chat_kind == "private" else limits.group
    return int(sends * 60 / seconds)
