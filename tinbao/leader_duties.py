"""What only the leader does: webhook registration, polling, and scheduled housekeeping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.broadcasting.expiry import expire_broadcast_waits
from bot.reporting.expiry import expire_drafts
from bot.telegram.members import count_members
from bot.telegram.polling import ALLOWED_UPDATES, poll_updates
from bot.triage.overdue import remind_overdue
from bot.zalo_oa.members import count_oa_members
from broadcasts.scheduled import BroadcastClock
from domain.inbox.service import redact_payloads

if TYPE_CHECKING:
    from tinbao.service import Service

log = logging.getLogger(__name__)


# The scheduler's jobs: name, interval in minutes. A job is late after two intervals without a
# good run (APScheduler runs an interval job first one interval after the start).
JOBS = {
    "redact-inbox": 60,
    "expire-drafts": 10,
    "remind-overdue": 1,
    "expire-broadcasts": 5,
    "count-members": 10,
}
POLLING_BOUND_SECONDS = 90.0  # a long poll lasts 25 s: three in a row failed
# The clock passes at least every 5 s (every second while runs are under way).
CLOCK_BOUND_SECONDS = 60.0


class LeaderDuties:
    """Started when this process becomes the leader, stopped when it stops being one."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self._scheduler: AsyncIOScheduler | None = None
        supervisor = service.supervisor
        settings = service.settings
        polls = service.telegram_bot is not None and settings.telegram_mode == "polling"
        self._polling = (
            supervisor.register(
                "telegram-polling", bound=POLLING_BOUND_SECONDS, expected=lambda: service.leads
            )
            if polls
            else None
        )
        # Telegram unreachable at start is common: registration goes on until it is done.
        self._unregistered: set[str] = set()
        self._registration = (
            supervisor.register(
                "webhook-registration",
                bound=120.0,
                expected=lambda: service.leads and bool(self._unregistered),
            )
            if settings.public_url is not None
            else None
        )
        self._jobs = {
            name: supervisor.register(
                f"job:{name}", bound=minutes * 120.0, expected=lambda: service.leads
            )
            for name, minutes in JOBS.items()
        }
        # The broadcasts: passes while runs are under way, woken at due times between.
        self._clock = supervisor.register(
            "broadcast-clock", bound=CLOCK_BOUND_SECONDS, expected=lambda: service.leads
        )
        self.broadcasts: BroadcastClock | None = None

    async def start(self) -> None:
        """Register webhooks or start polling, and start the scheduler."""
        service = self._service
        settings = service.settings
        if self._registration is not None:
            self._registration.begin()
            service.supervisor.spawn(
                self._registration, self._register_webhooks, ends=True, cancel_on_stop=True
            )
        bot, polling = service.telegram_bot, self._polling
        if bot is not None and polling is not None:
            polling.begin()
            service.supervisor.spawn(
                polling,
                lambda: poll_updates(bot, service.writer.store, pulse=polling),
                cancel_on_stop=True,
            )
        scheduler = AsyncIOScheduler(timezone=settings.timezone)
        work = {
            "redact-inbox": self.redact_inbox,
            "expire-drafts": self.expire_drafts,
            "remind-overdue": self.remind_overdue,
            "expire-broadcasts": self.expire_broadcasts,
            "count-members": self.count_members,
        }
        for name, minutes in JOBS.items():
            self._jobs[name].begin()
            # A generous grace time: a job due while the service restarts still runs after.
            scheduler.add_job(
                self._supervised(name, work[name]),
                "interval",
                minutes=minutes,
                id=name,
                misfire_grace_time=3600,
                coalesce=True,
                max_instances=1,
            )
        scheduler.start()
        self._scheduler = scheduler
        clock = BroadcastClock(
            service.db,
            settings=settings,
            scheduler=scheduler,
            on_outbox=service.sender.notify,
            pulse=self._clock,
        )
        self.broadcasts = clock
        self._clock.begin()
        service.supervisor.spawn(self._clock, clock.run, cancel_on_stop=True)

    def wake_broadcasts(self) -> None:
        """Look at the broadcasts now: one was created or changed in this process."""
        if self.broadcasts is not None:
            self.broadcasts.wake()

    def _supervised(
        self, name: str, job: Callable[[], Awaitable[int]]
    ) -> Callable[[], Awaitable[None]]:
        """The job, its outcome recorded; a failure waits for the next run (its backoff)."""
        record = self._jobs[name]

        async def run() -> None:
            try:
                await job()
            except Exception as error:  # APScheduler would log the traceback with its values
                record.failed(error)
                return
            record.passed()

        return run

    async def stop(self) -> None:
        """Stop polling, the webhooks' registration, the broadcast clock and the scheduler."""
        for record in (self._polling, self._registration, self._clock):
            if record is not None:
                await self._service.supervisor.cancel(record.name)
        self.broadcasts = None
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    async def redact_inbox(self) -> int:
        """Erase raw payloads older than the retention period."""
        service = self._service
        days = service.settings.inbox_retention_days
        count = await asyncio.to_thread(
            redact_payloads, service.db, older_than=timedelta(days=days)
        )
        if count:
            log.info("redacted %d raw updates older than %d days", count, days)
        return count

    async def expire_drafts(self) -> int:
        """Close report drafts idle for a day, with a note to each person."""
        service = self._service
        count = await asyncio.to_thread(expire_drafts, service.db, settings=service.settings)
        if count:
            service.sender.notify()
        return count

    async def expire_broadcasts(self) -> int:
        """Close idle broadcast compositions and expire broadcasts nobody approved in a day."""
        service = self._service
        count = await asyncio.to_thread(
            expire_broadcast_waits, service.db, settings=service.settings
        )
        if count:
            service.sender.notify()
        return count

    async def remind_overdue(self) -> int:
        """Remind triage chats of reports past their deadlines, and escalate the late ones."""
        service = self._service
        count = await asyncio.to_thread(remind_overdue, service.db, settings=service.settings)
        if count:
            service.sender.notify()
        return count

    async def count_members(self) -> int:
        """Ask Telegram and the Zalo OA how many people each community group has, each group at
        most once a day (the Zalo Bot Platform cannot tell)."""
        service = self._service
        counted = 0
        if service.telegram_bot is not None:
            counted += await count_members(service.db, service.telegram_bot)
        if service.zalo_oa is not None:
            counted += await count_oa_members(service.db, service.zalo_oa)
        return counted

    async def _register_webhooks(self) -> None:
        """Register each webhook; one the platform cannot take now is tried again, backing off."""
        record = self._registration
        assert record is not None
        pending = self._registrations()
        self._unregistered = set(pending)
        while pending:
            failure: Exception | None = None
            for name, register in list(pending.items()):
                try:
                    await register()
                except Exception as error:
                    if record.failures == 0:
                        kind = type(error).__name__
                        log.error(
                            "could not register the %s webhook (%s); trying again", name, kind
                        )
                    failure = error
                    continue
                del pending[name]
                self._unregistered.discard(name)
            if failure is not None:
                await asyncio.sleep(record.failed(failure))
        record.passed()

    def _registrations(self) -> dict[str, Callable[[], Awaitable[object]]]:
        """The webhooks to register at the public URL, by platform."""
        service = self._service
        settings = service.settings
        assert settings.public_url is not None
        root = settings.public_url.rstrip("/")
        found: dict[str, Callable[[], Awaitable[object]]] = {}
        bot, secret = service.telegram_bot, settings.telegram_webhook_secret
        if bot is not None and settings.telegram_mode == "webhook" and secret is not None:

            async def telegram() -> None:
                await bot.set_webhook(
                    url=f"{root}/webhooks/telegram",
                    secret_token=secret.get_secret_value(),
                    allowed_updates=ALLOWED_UPDATES,
                )
                log.info("registered the Telegram webhook at %s/webhooks/telegram", root)

            found["Telegram"] = telegram
        zalo, zalo_secret = service.zalo, settings.zalo_webhook_secret
        if zalo is not None and zalo_secret is not None:

            async def zalo_bot() -> None:
                await zalo.set_webhook(
                    url=f"{root}/webhooks/zalo", secret_token=zalo_secret.get_secret_value()
                )
                log.info("registered the Zalo webhook at %s/webhooks/zalo", root)

            found["Zalo"] = zalo_bot
        return found
