"""The running service: one database, the app, inbox workers, and what only the leader runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from bot.evidence import EvidenceFetcher
from bot.facts import FactFinder
from bot.handling import UpdateHandler
from bot.inbox_worker import InboxWorker
from bot.sender.loop import Sender, Transport
from bot.sender.telegram import TelegramTransport
from bot.sender.zalo import ZaloTransport
from bot.sender.zalo_oa import ZaloOaTransport
from bot.telegram.client import make_bot
from bot.turn import BotProfile
from bot.zalo.client import ZaloBotClient
from bot.zalo_oa.client import ZaloOaClient
from broadcasts.service import delivery_counts
from domain.areas.index import warm_index
from domain.areas.resolver import province_ids
from domain.db import Database
from domain.inbox.service import count_by_status
from domain.leadership import Leadership, acquire_leadership, release_leadership
from domain.metrics import Metrics, Reading
from domain.outbox.delivery import requeue_stale_sending
from domain.outbox.service import outbox_counts
from domain.people.sealing import Sealer
from domain.reports.queries import unrouted_count
from domain.settings import Settings, resolve_secret_key
from tinbao.leader_duties import LeaderDuties
from webhooks.app import create_app
from webhooks.inbox_writer import InboxWriter
from webhooks.state import AppState

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 10.0
AREA_INDEX_CHECK_SECONDS = 15.0


class Service:
    """Everything one `tinbao serve` process runs."""

    def __init__(self, settings: Settings, *, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url, synchronous=settings.sqlite_synchronous)
        self.metrics = Metrics()
        self.lease_ttl = timedelta(seconds=settings.lease_seconds)
        self.holder = f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(3)}"
        key, _ = resolve_secret_key(settings)
        self.sealer = Sealer(key)
        self.telegram_bot = (
            make_bot(
                token=settings.telegram_token.get_secret_value(), api_url=settings.telegram_api_url
            )
            if settings.telegram_token is not None
            else None
        )
        self.zalo = (
            ZaloBotClient(
                token=settings.zalo_token.get_secret_value(), api_url=settings.zalo_api_url
            )
            if settings.zalo_token is not None
            else None
        )
        oa_secret, oa_refresh = settings.zalo_oa_app_secret, settings.zalo_oa_refresh_token
        self.zalo_oa = (
            ZaloOaClient(
                app_id=settings.zalo_oa_app_id,
                app_secret=oa_secret.get_secret_value(),
                initial_refresh_token=oa_refresh.get_secret_value(),
                api_url=settings.zalo_oa_api_url,
                oauth_url=settings.zalo_oauth_url,
                db=self.db,
                sealer=self.sealer,
            )
            if settings.zalo_oa_on and settings.zalo_oa_app_id and oa_secret and oa_refresh
            else None
        )
        if settings.zalo_oa_on and self.zalo_oa is None:
            log.warning("Zalo OA replies wait: TINBAO_ZALO_OA_APP_SECRET or _REFRESH_TOKEN unset")
        self.profiles: dict[str, BotProfile] = {}
        self.leadership: Leadership | None = None
        self.sender = Sender(self.db, self._transports(), self.metrics, lambda: self.leadership)
        self.fetcher = EvidenceFetcher(media_dir=settings.media_dir, telegram_bot=self.telegram_bot)
        facts = FactFinder(
            db=self.db,
            sealer=self.sealer,
            profiles=self.profiles,
            telegram_bot=self.telegram_bot,
            fetcher=self.fetcher,
            member_check_seconds=self.settings.member_check_seconds,
        )
        self.handler = UpdateHandler(
            db=self.db,
            settings=settings,
            sealer=self.sealer,
            profiles=self.profiles,
            facts=facts,
            on_outbox=self.sender.notify,
        )
        self.writer = InboxWriter(self.db, on_stored=lambda: self.worker.notify())
        self.worker = InboxWorker(
            db=self.db,
            handler=self.handler,
            metrics=self.metrics,
            holder=self.holder,
            max_attempts=settings.inbox_max_attempts,
            lease_ttl=self.lease_ttl,
            ingest=self.writer,  # webhooks first: handling waits while they wait for a commit
        )
        self.duties = LeaderDuties(self)
        self.metrics.watch(self._readings)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    def _readings(self) -> list[Reading]:
        return [
            Reading(
                "tinbao_inbox_rows",
                "Inbox rows by channel and state",
                ("channel", "status"),
                count_by_status(self.db),
            ),
            Reading(
                "tinbao_outbox_rows",
                "Outbox rows by lane and state",
                ("lane", "status"),
                outbox_counts(self.db),
            ),
            Reading(
                "tinbao_broadcast_deliveries",
                "Deliveries of the broadcast runs under way, by channel and state",
                ("channel", "status"),
                delivery_counts(self.db),
            ),
            Reading(
                "tinbao_reports_unrouted",
                "Reports that no triage chat covers",
                (),
                {(): unrouted_count(self.db)},
            ),
        ]

    def _transports(self) -> dict[str, Transport]:
        transports: dict[str, Transport] = {}
        if self.telegram_bot is not None:
            transports["telegram"] = TelegramTransport(
                self.telegram_bot, per_second=self.settings.telegram_messages_per_second
            )
        if self.zalo is not None:
            transports["zalo"] = ZaloTransport(
                self.zalo,
                per_second=self.settings.zalo_messages_per_second,
                per_chat_per_second=self.settings.zalo_chat_messages_per_second,
            )
        if self.zalo_oa is not None:
            transports["zalo-oa"] = ZaloOaTransport(self.zalo_oa)
        return transports

    def app(self) -> FastAPI:
        """The web app, whose lifespan runs this service's background work."""
        state = AppState(
            settings=self.settings,
            db=self.db,
            metrics=self.metrics,
            writer=self.writer,
            sealer=self.sealer,
            on_broadcast=self.duties.wake_broadcasts,
        )
        return create_app(state, lifespan=self._lifespan)

    @asynccontextmanager
    async def _lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def start(self) -> None:
        """Learn who the bots are, read the areas, then start the workers and the leader loop."""
        await self._learn_profiles()
        try:
            index = await asyncio.to_thread(warm_index, self.db)
        except Exception as error:  # the database is away: the first resolution reads them
            log.warning("could not read the areas at start (%s)", type(error).__name__)
        else:
            unknown = [p for p in self.settings.provinces if not province_ids(index, [p])]
            if unknown:
                log.warning("TINBAO_PROVINCES names no imported province: %s", ", ".join(unknown))
        self._spawn(self._keep_areas_fresh(), "area-index")
        self._spawn(self.worker.run(), "inbox-worker")
        self._spawn(self.sender.run(), "sender")
        self._spawn(self._lead(), "leader")

    async def stop(self) -> None:
        """Let the background work finish what it started, give up leadership, close connections."""
        self._stopping.set()
        self.worker.stop()
        self.sender.stop()
        # Finishing beats cancelling: a cancelled task leaves its database thread running.
        _, late = await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
        for task in late:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.duties.stop()
        if self.leadership is not None:
            await asyncio.to_thread(release_leadership, self.db, self.leadership)
            self.leadership = None
        if self.telegram_bot is not None:
            with contextlib.suppress(Exception):
                await self.telegram_bot.shutdown()
        if self.zalo is not None:
            await self.zalo.close()
        if self.zalo_oa is not None:
            await self.zalo_oa.close()
        self.db.dispose()
        log.info("stopped cleanly: nothing acknowledged is lost")

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(work, name=name))

    async def _learn_profiles(self) -> None:
        if self.telegram_bot is not None:
            try:
                await self.telegram_bot.initialize()
                me = self.telegram_bot.bot
                self.profiles["telegram"] = BotProfile(
                    user_id=me.id, username=me.username, name=me.first_name
                )
            except Exception as error:  # the service still stores updates; sends retry later
                log.error("could not reach Telegram at start (%s)", type(error).__name__)
        if self.zalo is not None:
            try:
                account = await self.zalo.get_me()
                name = account.get("account_name")
                self.profiles["zalo"] = BotProfile(name=str(name) if name else None)
            except Exception as error:
                log.error("could not reach Zalo at start (%s)", type(error).__name__)

    async def _keep_areas_fresh(self) -> None:
        """Rebuild the areas' index soon after another process imports, off the request path."""
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), AREA_INDEX_CHECK_SECONDS)
            if self._stopping.is_set():
                break
            try:
                await asyncio.to_thread(warm_index, self.db)
            except Exception as error:  # the database is away: the next pass tries again
                log.warning("could not refresh the areas' index (%s)", type(error).__name__)

    async def _lead(self) -> None:
        """Hold or seek the leader lease; start and stop the leader's duties as it changes."""
        while not self._stopping.is_set():
            try:
                lease = await asyncio.to_thread(
                    acquire_leadership,
                    self.db,
                    name="leader",
                    holder=self.holder,
                    ttl=self.lease_ttl,
                )
            except Exception as error:  # the database is away: lead no more until it is back
                log.warning("could not renew the leader lease (%s)", type(error).__name__)
                lease = None
            if lease is not None and self.leadership is None:
                log.info("this process now leads: sender, scheduler and polling run here")
                self.leadership = lease
                await self.duties.start()
            elif lease is None and self.leadership is not None:
                log.warning("leadership lost: stopping the sender, scheduler and polling here")
                self.leadership = None
                await self.duties.stop()
            else:
                self.leadership = lease
            if self.leadership is not None:
                await asyncio.to_thread(
                    requeue_stale_sending,
                    self.db,
                    leadership=self.leadership,
                    # Never less than a slow call's timeout: its own rows may still be in flight.
                    older_than=max(self.lease_ttl * 2, timedelta(seconds=60)),
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.lease_ttl.total_seconds() / 3)
