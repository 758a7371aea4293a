"""A broadcast before it is saved: its request checked, its text, targets and timing foreseen."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from broadcasts.cron import CronError, parse_cron
from broadcasts.models import Broadcast
from broadcasts.targets import ALL, Audience, TargetCount, UnknownAreas, count_targets
from core.db import utcnow
from core.i18n import N_
from core.settings import Settings
from domain.chats.models import Channel
from domain.outbox.service import TEXT_LIMITS

# Zalo's OA paces itself at 30 a second overall (bot/sender/zalo_oa.py).
ZALO_OA_PER_SECOND = 30.0
# The demo's playground paces itself at 20 a second overall (bot/sender/playground.py).
PLAYGROUND_PER_SECOND = 20.0


class BroadcastError(ValueError):
    """A broadcast request Tinbao cannot carry out; the message says why, for a person.

    The admin API answers it in English (str); a chat tells it in the officer's language.
    """

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message.format(**values))
        self.message, self.values = message, values

    def told(self, _: Callable[[str], str]) -> str:
        """Why, in the language of `_`."""
        return _(self.message).format(**self.values)


@dataclass(frozen=True)
class BroadcastRequest:
    """What an operator asks for: words or a library message, areas, a time or a schedule."""

    areas: tuple[str, ...] | None  # None: every area ("all")
    text: str | None = None
    content_id: str | None = None
    send_at: datetime | None = None
    cron: str | None = None
    urgent: bool = False
    channels: tuple[str, ...] | None = None
    created_by: str = "api"


@dataclass(frozen=True)
class Preview:
    """What a broadcast would do, computed before anything is saved."""

    text: str
    targets: list[TargetCount]
    first_send_at: datetime | None
    fan_out_seconds: float
    quiet_hours: str | None

    @property
    def total(self) -> int:
        """How many groups in all."""
        return sum(count.groups for count in self.targets)

    @property
    def subscribers(self) -> int:
        """How many subscribers in all, written to privately."""
        return sum(count.subscribers for count in self.targets)


def check_request(request: BroadcastRequest, *, settings: Settings, now: datetime) -> None:
    """Raise BroadcastError for what no broadcast may be, before the database is asked."""
    if (request.text is None) == (request.content_id is None):
        raise BroadcastError(N_("give either text or content_id"))
    if request.text is not None and not request.text.strip():
        raise BroadcastError(N_("the text is empty"))
    if (request.send_at is None) == (request.cron is None):
        raise BroadcastError(N_("give either send_at or cron"))
    if request.send_at is not None:
        if request.send_at.tzinfo is None:
            raise BroadcastError(N_("send_at needs an offset, e.g. 2026-12-24T08:00:00+07:00"))
        if request.send_at <= now:
            raise BroadcastError(N_("send_at is in the past"))
    if request.cron is not None:
        try:
            parse_cron(request.cron)
        except CronError as error:
            raise BroadcastError(str(error)) from None
    if request.areas is not None and not request.areas:
        raise BroadcastError(N_("name at least one area, or all"))
    known = {channel.value for channel in Channel}
    if request.channels is not None:
        if not request.channels:
            raise BroadcastError(N_("name at least one channel, or leave channels out"))
        if unknown := sorted(set(request.channels) - known):
            raise BroadcastError(
                N_("unknown channel {channel}: use {known}"),
                channel=repr(unknown[0]),
                known=", ".join(sorted(known)),
            )


def check_text(text: str, *, channels: tuple[str, ...] | None) -> str:
    """The text, stripped, or BroadcastError when a target channel cannot carry it whole."""
    text = text.strip()
    limit = min(TEXT_LIMITS[channel] for channel in channels or TEXT_LIMITS)
    if len(text) > limit:
        raise BroadcastError(
            N_("the text has {length} characters; at most {limit} fit in one message here"),
            length=len(text),
            limit=limit,
        )
    return text


def first_occurrence(request: BroadcastRequest, *, settings: Settings, now: datetime) -> datetime:
    """The request's first due time (before quiet hours move it)."""
    if request.send_at is not None:
        return request.send_at.astimezone(now.tzinfo)
    assert request.cron is not None
    moment = parse_cron(request.cron).next_after(now, settings.zone)
    if moment is None:
        raise BroadcastError(N_("the schedule never fires"))
    return moment


def release_time(due: datetime, *, urgent: bool, settings: Settings) -> datetime:
    """When a run due at `due` may go: after quiet hours, unless it is urgent."""
    quiet = settings.quiet
    return due if urgent or quiet is None else quiet.release(due)


def fan_out_seconds(targets: list[TargetCount], *, settings: Settings) -> float:
    """How long sending to every target takes at the platforms' limits (channels in parallel)."""
    pace = {
        Channel.TELEGRAM.value: settings.telegram_messages_per_second,
        Channel.ZALO.value: settings.zalo_messages_per_second,
        Channel.ZALO_OA.value: ZALO_OA_PER_SECOND,
        Channel.PLAYGROUND.value: PLAYGROUND_PER_SECOND,
    }
    groups: dict[str, int] = {}
    for count in targets:
        # A subscriber's private chat takes one send of the channel's overall rate too.
        chats = count.groups + count.subscribers
        groups[count.channel] = groups.get(count.channel, 0) + chats
    # A channel of no platform (the demo's playground) is paced like Telegram.
    default = settings.telegram_messages_per_second
    return max(((n - 1) / pace.get(ch, default) for ch, n in groups.items() if n > 0), default=0.0)


def audience_of(request: BroadcastRequest) -> Audience:
    """The areas and channels the request names."""
    return Audience(area_codes=request.areas, channels=request.channels)


def preview(
    session: Session,
    request: BroadcastRequest,
    *,
    settings: Settings,
    text: str,
    now: datetime | None = None,
) -> Preview:
    """What the request would send, to how many groups, when, and for how long."""
    now = now or utcnow()
    check_request(request, settings=settings, now=now)
    text = check_text(text, channels=request.channels)
    try:
        targets = count_targets(session, audience_of(request), now=now)
    except UnknownAreas as error:
        raise BroadcastError(N_("unknown area: {codes}"), codes=", ".join(error.codes)) from None
    due = first_occurrence(request, settings=settings, now=now)
    quiet = settings.quiet
    return Preview(
        text=text,
        targets=targets,
        first_send_at=release_time(due, urgent=request.urgent, settings=settings),
        fan_out_seconds=fan_out_seconds(targets, settings=settings),
        quiet_hours=None if request.urgent or quiet is None else quiet.describe(),
    )


def audience_of_broadcast(broadcast: Broadcast) -> Audience:
    """The saved broadcast's areas and channels."""
    areas = json.loads(broadcast.areas)
    channels = json.loads(broadcast.channels) if broadcast.channels else None
    return Audience(
        area_codes=None if areas == ALL else tuple(areas),
        channels=tuple(channels) if channels else None,
    )


def lateness(due: datetime, *, urgent: bool, settings: Settings, now: datetime) -> timedelta:
    """How late a run due at `due` would start now, counted from when it could first go."""
    return now - release_time(due, urgent=urgent, settings=settings)
