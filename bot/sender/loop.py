"""The sender loop: picks due rows, books each a start time within the limits, sends, records."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Protocol

from bot.sender.limits import ChannelLimits, Pacer
from bot.sender.marks import SentMarks
from bot.sender.mentions import into_group
from bot.sender.outcomes import (
    AwaitsWindow,
    ChannelDown,
    ChatGone,
    ChatMoved,
    Delivery,
    DeliveryError,
    Rejected,
    RetryLater,
    Unavailable,
    backoff,
)
from core.db import Database, utcnow
from core.leadership import Leadership
from core.metrics import Metrics
from core.supervision import Supervised
from domain.chats.service import deactivate_chat, migrate_chat
from domain.outbox import delivery as store
from domain.outbox.messages import MessageKind, Outgoing
from domain.outbox.models import Lane, OutboxMessage

log = logging.getLogger(__name__)

# With the backoff capped at a minute (jittered), enough attempts to outlast 20 minutes of outage.
MAX_ATTEMPTS = 30
# Interactive messages that make no sense any more once this old: they are dropped, not sent late.
STALE_AFTER = {MessageKind.ANSWER_BUTTON.value: timedelta(minutes=15)}
# Enough heads of chat queues for what can be booked within the horizon (30/s × 0.25 s) several
# times over: reading 500 rows on every pass cost the sender its pace. Interactive rows come first.
DUE_BATCH = 64
HORIZON = 0.25  # seconds ahead that sends are booked: bounds what a crash can repeat
# Calls started and not yet ended. Without a bound, a platform with no limit to pace us (a
# local Bot API server) got thousands at once, queued in the HTTP client's pool, whose
# bookkeeping then cost more than the calls (docs/benchmarks.md, sender capacity).
MAX_IN_FLIGHT = 64
IDLE_POLL = 0.2
CHANNEL_PAUSE = 60.0
TIDY_EVERY = 60.0  # seconds between forgetting the paces and pauses of quiet chats


class Transport(Protocol):
    """A platform's way to deliver one row; raises DeliveryError subclasses."""

    channel: str
    limits: ChannelLimits

    async def deliver(self, delivery: Delivery) -> str | None:
        """Make the call; return the platform's message id when there is one."""
        ...


class Sender:
    """Delivers the outbox while this process leads."""

    def __init__(
        self,
        db: Database,
        transports: Mapping[str, Transport],
        metrics: Metrics,
        leadership: Callable[[], Leadership | None],
        *,
        max_attempts: int = MAX_ATTEMPTS,
        retry_delay: Callable[[int], float] = backoff,
        pulse: Supervised | None = None,
    ) -> None:
        self._db = db
        self._transports = dict(transports)
        self._metrics = metrics
        self._leadership = leadership
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._pacers = {name: Pacer(t.limits) for name, t in self._transports.items()}
        self._busy_chats: set[tuple[str, str]] = set()
        # Chats whose send ended: busy until the next pass reads their rows afresh (moved ones).
        self._released: set[tuple[str, str]] = set()
        self._paused: dict[tuple[str, str], float] = {}  # chat -> monotonic time it may resume
        self._channel_paused: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._tidied_at = time.monotonic()
        self.pulse = pulse or Supervised("sender", bound=30.0)
        self._sent = SentMarks(db, giving_up=lambda: self._stopping)

    def notify(self) -> None:
        """Wake the loop: new rows were written."""
        self._wake.set()

    @property
    def channels(self) -> list[str]:
        """The channels this sender can send to."""
        return list(self._transports)

    @property
    def in_flight(self) -> int:
        """How many rows are marked as being sent right now."""
        return len(self._tasks)

    def stop(self) -> None:
        """Ask the loop to finish: sends already started complete, no new ones start."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Send until stopped; does nothing while another process leads."""
        self._stopping = False
        try:
            while not self._stopping:
                # Cleared before the pass: a send that ends during the pass wakes the next one.
                self._wake.clear()
                leadership = self._leadership()
                busy = False
                wait = IDLE_POLL
                try:
                    if leadership is not None and self._transports:
                        busy = await self.send_due(leadership)
                except Exception as error:  # the database may be away for a while: keep trying
                    wait = self.pulse.failed(error)
                    busy = False
                else:
                    self.pulse.passed()
                self._tidy()
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), wait)
        finally:
            await self.drain()

    async def drain(self) -> None:
        """Wait for the sends already started."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _tidy(self) -> None:
        now = time.monotonic()
        if now - self._tidied_at < TIDY_EVERY:
            return
        self._tidied_at = now
        for pacer in self._pacers.values():
            pacer.forget_idle(now)
        for chat in [c for c, until in self._paused.items() if until <= now]:
            del self._paused[chat]

    async def send_due(self, leadership: Leadership) -> bool:
        """One pass: book and start the sends due within the horizon; True if any row moved."""
        now = time.monotonic()
        channels = [c for c in self._transports if self._channel_paused.get(c, 0) <= now]
        if not channels:
            return False
        self._busy_chats -= self._released
        self._released.clear()
        room = MAX_IN_FLIGHT - len(self._tasks)
        if room < MAX_IN_FLIGHT // 2:
            # A pass costs a query and a commit: it waits until half the calls have ended
            # rather than book one row each time one ends. A send that ends wakes it.
            return False
        due = await asyncio.to_thread(
            store.due_messages, self._db, limit=DUE_BATCH, channels=channels
        )
        booked: list[tuple[Delivery, float]] = []
        settled = False  # rows failed or retargeted without a send: worth another pass soon
        for item in due:
            now = time.monotonic()  # the query and the writes below take time: book from now
            row = item.row
            assert row.id is not None
            chat = (row.channel, row.chat_id)
            if chat in self._busy_chats or self._paused.get(chat, 0) > now:
                continue
            if item.migrated_to is not None:
                await asyncio.to_thread(
                    store.retarget, self._db, row_id=row.id, chat_id=item.migrated_to
                )
                settled = True
                continue
            if _stale(row):
                await asyncio.to_thread(
                    store.mark_dropped, self._db, row_id=row.id, reason="stale: too old to send"
                )
                lane = Lane(row.lane).name.lower()
                self._metrics.outbox_failed.labels(row.channel, lane, "stale").inc()
                settled = True
                continue
            if not item.chat_active:
                await asyncio.to_thread(
                    store.mark_failed, self._db, row_id=row.id, reason="chat inactive"
                )
                settled = True
                continue
            kind = item.chat_kind or _guess_kind(row.channel, row.chat_id)
            pacer = self._pacers[row.channel]
            at = pacer.free_at(row.chat_id, kind, now)
            if at > now + HORIZON:
                continue
            pacer.take(row.chat_id, kind, at)
            booked.append((_delivery(row, kind), at))
            if len(booked) >= room:
                break
        if not booked:
            return settled
        marked = await asyncio.to_thread(
            store.mark_sending, self._db, ids=[d.id for d, _ in booked], leadership=leadership
        )
        for delivery, at in booked:
            if delivery.id not in marked:  # the lease was lost, or another sender took it
                continue
            if marked[delivery.id] != delivery.body:  # a coalesced edit arrived meanwhile
                delivery = dataclasses.replace(
                    delivery,
                    message=Outgoing.from_json(marked[delivery.id]),
                    body=marked[delivery.id],
                )
            self._busy_chats.add((delivery.channel, delivery.chat_id))
            task = asyncio.create_task(self._send_at(delivery, at))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return settled or bool(marked)

    async def _send_at(self, delivery: Delivery, at: float) -> None:
        try:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            await self._send(delivery, at)
        except Exception as error:  # a bug in one send, or the database away: not the others
            log.error("sending outbox row %s failed (%s)", delivery.id, type(error).__name__)
            # With the database away the row stays 'sending', for requeue_stale_sending.
            with contextlib.suppress(Exception):
                await asyncio.to_thread(
                    store.retry_later,
                    self._db,
                    row_id=delivery.id,
                    delay=timedelta(seconds=30),
                    reason="internal error",
                )
        finally:
            self._released.add((delivery.channel, delivery.chat_id))
            self._wake.set()

    async def _deliver(self, delivery: Delivery, at: float) -> str | None:
        try:
            # The one place every text into a group passes: no relayed "[@...]" calls everyone.
            return await self._transports[delivery.channel].deliver(into_group(delivery))
        finally:
            self._pacers[delivery.channel].ended(
                delivery.chat_id, delivery.chat_kind, at, time.monotonic()
            )

    async def _send(self, delivery: Delivery, at: float) -> None:
        lane = Lane(delivery.lane).name.lower()
        if delivery.message.edit_of is not None and delivery.message.target_message_id is None:
            delivery = await self._aim_edit(delivery)
        try:
            message_id = await self._deliver(delivery, at)
        except DeliveryError as error:
            await self._after_error(delivery, error, lane)
            return
        await self._sent.record(delivery.id, message_id)
        self._metrics.outbox_sent.labels(delivery.channel, lane).inc()

    async def _aim_edit(self, delivery: Delivery) -> Delivery:
        """Point an edit at the message its ref sent; with none sent, send the text anew."""
        message = delivery.message
        assert message.edit_of is not None
        target = await asyncio.to_thread(
            store.sent_message_id,
            self._db,
            channel=delivery.channel,
            chat_id=delivery.chat_id,
            ref=message.edit_of,
        )
        if target is None:
            return dataclasses.replace(delivery, kind=MessageKind.TEXT.value)
        return dataclasses.replace(
            delivery, message=dataclasses.replace(message, target_message_id=target)
        )

    async def _after_error(self, delivery: Delivery, error: DeliveryError, lane: str) -> None:
        db, row_id, channel = self._db, delivery.id, delivery.channel
        chat = (channel, delivery.chat_id)
        if isinstance(error, RetryLater):
            self._metrics.rate_limited.labels(channel).inc()
            # Only this chat waits; the others go on at their own pace.
            self._paused[chat] = time.monotonic() + error.seconds
            await asyncio.to_thread(
                store.retry_later,
                db,
                row_id=row_id,
                delay=timedelta(seconds=error.seconds),
                reason=error.reason,
                count=False,
            )
        elif isinstance(error, ChatMoved):
            # This row first: moved after the chat's waiting rows, it could be sent after them.
            await asyncio.to_thread(store.retarget, db, row_id=row_id, chat_id=error.new_chat_id)
            await asyncio.to_thread(
                self._follow_migration, channel, delivery.chat_id, error.new_chat_id
            )
        elif isinstance(error, AwaitsWindow):
            await asyncio.to_thread(store.wait_for_window, db, row_id=row_id, reason=error.reason)
        elif isinstance(error, ChatGone):
            await asyncio.to_thread(self._deactivate, channel, delivery.chat_id, error.reason)
            await asyncio.to_thread(store.mark_failed, db, row_id=row_id, reason=error.reason)
            self._metrics.outbox_failed.labels(channel, lane, "chat_gone").inc()
        elif isinstance(error, ChannelDown):
            log.error("%s refused our token; pausing it for %.0f s", channel, CHANNEL_PAUSE)
            self._channel_paused[channel] = time.monotonic() + CHANNEL_PAUSE
            await asyncio.to_thread(
                store.retry_later,
                db,
                row_id=row_id,
                delay=timedelta(seconds=CHANNEL_PAUSE),
                reason=error.reason,
                count=False,
            )
        elif isinstance(error, Unavailable) and delivery.attempts < self._max_attempts:
            self._metrics.send_retries.labels(channel).inc()
            await asyncio.to_thread(
                store.retry_later,
                db,
                row_id=row_id,
                delay=timedelta(seconds=self._retry_delay(delivery.attempts)),
                reason=error.reason,
            )
        else:
            reason = "rejected" if isinstance(error, Rejected) else "unavailable"
            await asyncio.to_thread(store.mark_failed, db, row_id=row_id, reason=error.reason)
            self._metrics.outbox_failed.labels(channel, lane, reason).inc()

    def _follow_migration(self, channel: str, old_id: str, new_id: str) -> None:
        with self._db.session() as session:
            migrate_chat(session, channel=channel, old_id=old_id, new_id=new_id)

    def _deactivate(self, channel: str, chat_id: str, reason: str) -> None:
        with self._db.session() as session:
            deactivate_chat(session, channel=channel, chat_id=chat_id, reason=reason)


def _delivery(row: OutboxMessage, chat_kind: str) -> Delivery:
    assert row.id is not None
    return Delivery(
        id=row.id,
        channel=row.channel,
        chat_id=row.chat_id,
        chat_kind=chat_kind,
        kind=row.kind,
        message=Outgoing.from_json(row.body),
        body=row.body,
        attempts=row.attempts + 1,
        lane=row.lane,
    )


def _stale(row: OutboxMessage) -> bool:
    bound = STALE_AFTER.get(row.kind)
    return bound is not None and utcnow() - row.created_at > bound


def _guess_kind(channel: str, chat_id: str) -> str:
    # Telegram group ids are negative; an unknown Zalo chat is paced like a private one.
    return "group" if channel == "telegram" and chat_id.startswith("-") else "private"
