"""What only the leader does: webhook registration, polling, and scheduled housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.reporting.expiry import expire_drafts
from bot.telegram.polling import ALLOWED_UPDATES, poll_updates
from bot.triage.overdue import remind_overdue
from broadcasts.scheduled import BroadcastClock
from domain.inbox.service import redact_payloads

if TYPE_CHECKING:
    from tinbao.service import Service

log = logging.getLogger(__name__)


class LeaderDuties:
    """Started when this process becomes the leader, stopped when it stops being one."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self._scheduler: AsyncIOScheduler | None = None
        self._polling: asyncio.Task[None] | None = None
        self.broadcasts: BroadcastClock | None = None
        self._broadcasting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Register webhooks or start polling, and start the scheduler."""
        service = self._service
        settings = service.settings
        await self._register_webhooks()
        if service.telegram_bot is not None and settings.telegram_mode == "polling":
            self._polling = asyncio.create_task(
                poll_updates(service.telegram_bot, service.writer.store), name="telegram-polling"
            )
        scheduler = AsyncIOScheduler(timezone=settings.timezone)
        # A generous grace time: a job due while the service restarts still runs after.
        scheduler.add_job(
            self.redact_inbox,
            "interval",
            hours=1,
            id="redact-inbox",
            misfire_grace_time=3600,
            coalesce=True,
            max_instances=1,
        )
        scheduler.add_job(
            self.expire_drafts,
            "interval",
            minutes=10,
            id="expire-drafts",
            misfire_grace_time=3600,
            coalesce=True,
            max_instances=1,
        )
        scheduler.add_job(
            self.remind_overdue,
            "interval",
            minutes=1,
            id="remind-overdue",
            misfire_grace_time=3600,
            coalesce=True,
            max_instances=1,
        )
        scheduler.start()
        self._scheduler = scheduler
        self.broadcasts = BroadcastClock(
            service.db, settings=settings, scheduler=scheduler, on_outbox=service.sender.notify
        )
        self._broadcasting = asyncio.create_task(self.broadcasts.run(), name="broadcast-clock")

    def wake_broadcasts(self) -> None:
        """Look at the broadcasts now: one was created or changed in this process."""
        if self.broadcasts is not None:
            self.broadcasts.wake()

    async def stop(self) -> None:
        """Stop polling, the broadcast clock and the scheduler."""
        if self.broadcasts is not None and self._broadcasting is not None:
            self.broadcasts.stop()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._broadcasting
            self.broadcasts = self._broadcasting = None
        if self._polling is not None:
            self._polling.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._polling
            self._polling = None
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

    async def remind_overdue(self) -> int:
        """Remind triage chats of reports past their deadlines, and escalate the late ones."""
        service = self._service
        count = await asyncio.to_thread(remind_overdue, service.db, settings=service.settings)
        if count:
            service.sender.notify()
        return count

    async def _register_webhooks(self) -> None:
        service = self._service
        settings = service.settings
        if settings.public_url is None:
            return
        root = settings.public_url.rstrip("/")
        bot, secret = service.telegram_bot, settings.telegram_webhook_secret
        if bot is not None and settings.telegram_mode == "webhook" and secret is not None:
            try:
                await bot.set_webhook(
                    url=f"{root}/webhooks/telegram",
                    secret_token=secret.get_secret_value(),
                    allowed_updates=ALLOWED_UPDATES,
                )
                log.info("registered the Telegram webhook at %s/webhooks/telegram", root)
            except Exception as error:
                log.error("could not register the Telegram webhook (%s)", type(error).__name__)
        zalo_secret = settings.zalo_webhook_secret
        if service.zalo is not None and zalo_secret is not None:
            try:
                await service.zalo.set_webhook(
                    url=f"{root}/webhooks/zalo", secret_token=zalo_secret.get_secret_value()
                )
                log.info("registered the Zalo webhook at %s/webhooks/zalo", root)
            except Exception as error:
                log.error("could not register the Zalo webhook (%s)", type(error).__name__)
