"""Inbox workers: lease one chat at a time, handle its updates in order, park what keeps failing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import Protocol

from core.db import Database, utcnow
from core.metrics import Metrics
from core.supervision import Supervised, origin
from domain.inbox import service as inbox
from domain.inbox.models import InboxStatus, InboxUpdate

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(seconds=15)
IDLE_POLL = 0.2
# While webhooks keep coming, each slot waits up to this long before its next
# update: a burst is stored first and handled just after, yet handling never stops.
GIVE_WAY_AT_MOST = 0.5


class TryLater(Exception):
    """The update cannot be handled well yet (a platform is down): retry it, never park it."""


class Handler(Protocol):
    """What handles one stored update (bot.handling.UpdateHandler in the service)."""

    async def handle(self, row: InboxUpdate) -> InboxStatus:
        """Handle the update exactly once, or raise to have it retried."""
        ...


class Ingest(Protocol):
    """What handling gives way to (webhooks.inbox_writer.InboxWriter in the service)."""

    async def wait_quiet(self, at_most: float) -> None:
        """Return once webhooks have stopped coming for a moment, or after `at_most` seconds."""
        ...


class InboxWorker:
    """Handles stored updates, one chat at a time, several chats at once."""

    def __init__(
        self,
        *,
        db: Database,
        handler: Handler,
        metrics: Metrics,
        holder: str,
        max_attempts: int = 5,
        first_retry_delay: float = 2.0,
        concurrency: int = 4,
        lease_ttl: timedelta = LEASE_TTL,
        ingest: Ingest | None = None,
        give_way_at_most: float = GIVE_WAY_AT_MOST,
        pulse: Supervised | None = None,
        heartbeat_pulse: Supervised | None = None,
    ) -> None:
        self._db = db
        self._handler = handler
        self._metrics = metrics
        self._holder = holder
        self._max_attempts = max_attempts
        self._first_retry_delay = first_retry_delay
        self._lease_ttl = lease_ttl
        self._ingest = ingest
        self._give_way_at_most = give_way_at_most
        self._slots = asyncio.Semaphore(concurrency)
        self._active: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self.pulse = pulse or Supervised("inbox-worker", bound=30.0)
        self.heartbeat_pulse = heartbeat_pulse or Supervised(
            "inbox-lease-heartbeat", bound=lease_ttl.total_seconds()
        )

    @property
    def holding(self) -> int:
        """How many chats this worker is handling now."""
        return len(self._active)

    def notify(self) -> None:
        """Wake the worker: an update was stored."""
        self._wake.set()

    def stop(self) -> None:
        """Ask the worker to finish the updates it holds and take no more."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Handle updates until stopped; a failed pass is logged and retried after a backoff."""
        self._stopping = False
        heartbeat = asyncio.create_task(self._heartbeat(), name="inbox-lease-heartbeat")
        try:
            while not self._stopping:
                try:
                    started = await self.run_once()
                except Exception as error:  # the database is away: stored updates wait for it
                    await self._pause(self.pulse.failed(error))
                    continue
                self.pulse.passed()
                if not started:
                    await self._pause(IDLE_POLL)
        finally:
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _pause(self, seconds: float) -> None:
        """Wait for a stored update, a freed slot or stop(), at most `seconds`."""
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _heartbeat(self) -> None:
        """Keep the leases of the chats being handled alive while an update takes long."""
        # Short leases let another process take a dead worker's chats within seconds.
        while True:
            await asyncio.sleep(self._lease_ttl.total_seconds() / 3)
            try:
                await asyncio.to_thread(
                    inbox.renew_leases,
                    self._db,
                    holder=self._holder,
                    chats=[f"{channel}:{key}" for channel, key in self._active],
                    ttl=self._lease_ttl,
                )
            except Exception as error:  # a missed beat is caught up by the next
                self.heartbeat_pulse.failed(error)
                continue
            self.heartbeat_pulse.passed()

    async def run_once(self) -> int:
        """Lease the chats that have due updates and start handling them; return how many."""
        if self._slots.locked():
            return 0  # every slot is busy: asking the database now would find nothing to do
        chats = await asyncio.to_thread(inbox.due_chats, self._db, limit=20)
        started = 0
        for channel, chat_key in chats:
            if (channel, chat_key) in self._active or self._slots.locked():
                continue
            claim = await asyncio.to_thread(
                inbox.lease_chat,
                self._db,
                channel=channel,
                chat_key=chat_key,
                holder=self._holder,
                ttl=self._lease_ttl,
            )
            if claim is None:
                continue
            self._active.add((channel, chat_key))
            await self._slots.acquire()
            task = asyncio.create_task(self._drain_chat(claim))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        return started

    async def _drain_chat(self, claim: inbox.ClaimedChat) -> None:
        renewed = time.monotonic()
        try:
            while not self._stopping:
                if self._ingest is not None:
                    # A stored update is durable: it can wait while webhooks are answered.
                    await self._ingest.wait_quiet(self._give_way_at_most)
                    if self._stopping:
                        return
                row = await asyncio.to_thread(inbox.next_pending, self._db, claim)
                if row is None:
                    return
                if time.monotonic() - renewed > self._lease_ttl.total_seconds() / 3:
                    if not await asyncio.to_thread(
                        inbox.renew_lease, self._db, claim, ttl=self._lease_ttl
                    ):
                        return  # another worker owns the chat now
                    renewed = time.monotonic()
                if not await self._handle(row):
                    return  # it waits for its retry; later updates of the chat wait with it
        except Exception as error:  # the database went away mid-chat: the chat waits for it
            self.pulse.failed(error)
        finally:
            # Forgotten first: whatever the release does, the chat may be leased again, by
            # this worker once the lease expires (the heartbeat renews only active chats).
            self._active.discard((claim.channel, claim.chat_key))
            self._slots.release()
            self._wake.set()  # a slot is free: other chats may be waiting
            try:
                await asyncio.to_thread(inbox.release_lease, self._db, claim)
            except Exception as error:
                self.pulse.failed(error)

    async def _handle(self, row: InboxUpdate) -> bool:
        assert row.id is not None
        try:
            await self._handler.handle(row)
        except Exception as error:
            waiting = isinstance(error, TryLater)
            if waiting:
                log.info("%s update %s waits: %s", row.channel, row.id, error)
            else:
                # The kind and where, not the message: it may quote a resident's words. The
                # message is kept in the row's last_error, for the operator who looks.
                kind = type(error).__name__
                log.error(
                    "handling %s update %s failed (%s at %s)",
                    row.channel,
                    row.id,
                    kind,
                    origin(error),
                )
            status = await asyncio.to_thread(
                inbox.record_failure,
                self._db,
                update_id=row.id,
                error=f"{type(error).__name__}: {error}",
                max_attempts=self._max_attempts,
                first_delay=self._first_retry_delay,
                park=not waiting,
            )
            if status == InboxStatus.FAILED:
                self._metrics.updates_failed.labels(row.channel).inc()
                return True  # parked: the chat's next updates go on
            return False
        latency = (utcnow() - row.received_at).total_seconds()
        self._metrics.handling_seconds.labels(row.channel).observe(max(latency, 0.0))
        return True
