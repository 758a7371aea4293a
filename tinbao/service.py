"""The running service: one database, the app, inbox workers, and what only the leader runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from bot.evidence import EvidenceFetcher
from bot.facts import FactFinder
from bot.handling import UpdateHandler
from bot.inbox_worker import InboxWorker
from bot.playground.feed import PlaygroundFeed
from bot.sender.loop import Sender, Transport
from bot.sender.playground import PlaygroundTransport
from bot.sender.telegram import TelegramTransport
from bot.sender.zalo import ZaloTransport
from bot.sender.zalo_oa import ZaloOaTransport
from bot.telegram.client import make_bot
from bot.turn import BotProfile
from bot.zalo.client import ZaloBotClient
from bot.zalo.groups import zalo_bot_groups_note
from bot.zalo_oa.client import ZaloOaClient
from bot.zalo_oa.facts import OaGroupFacts
from core.db import Database
from core.leadership import Leadership, acquire_leadership, release_leadership
from core.metrics import Metrics
from core.reading_turns import ReadingTurns
from core.sealing import Sealer
from core.settings import Settings, resolve_secret_key
from core.shared_reads import SharedReads
from core.supervision import Supervisor
from domain.areas.index import warm_index
from domain.areas.resolver import province_ids
from domain.inbox.service import waiting
from domain.outbox.delivery import due_summary, requeue_stale_sending
from tinbao.gauges import queue_readings, task_readings
from tinbao.leader_duties import LeaderDuties
from webhooks.app import create_app
from webhooks.inbox_writer import InboxWriter
from webhooks.state import AppState, Supervision

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 10.0
# How long the worker and the sender may go without a good pass while they owe work.
PASS_BOUND_SECONDS = 15.0
# How often the areas' index looks for another process's import.
AREA_INDEX_CHECK_SECONDS = 15.0


class Service:
    """Everything one `tinbao serve` process runs."""

    def __init__(
        self,
        settings: Settings,
        *,
        db: Database | None = None,
        playground: PlaygroundFeed | None = None,
    ) -> None:
        self.settings = settings
        # The demo page's feed: only with the playground setting, which only `tinbao demo` sets.
        self.playground = playground if settings.playground else None
        self.db = db or Database(
            settings.database_url,
            synchronous=settings.sqlite_synchronous,
            busy_seconds=settings.sqlite_busy_seconds,
        )
        self.metrics = Metrics()
        self.shared_reads = SharedReads()
        self.shared_days = SharedReads()
        # Readings rest while webhooks wait for their commit (core/reading_turns.py).
        self.reading_turns = ReadingTurns(webhooks_waiting=lambda: self.writer.busy)
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
        self.supervisor = Supervisor()
        transports = self._transports()
        self.sender = Sender(
            self.db,
            transports,
            self.metrics,
            lambda: self.leadership,
            pulse=self.supervisor.register(
                "sender",
                bound=PASS_BOUND_SECONDS,
                expected=lambda: self.leads and bool(transports),
                owed=lambda: due_summary(self.db, channels=list(transports))[0] > 0,
            ),
        )
        self.fetcher = EvidenceFetcher(media_dir=settings.media_dir, telegram_bot=self.telegram_bot)
        self.facts = facts = FactFinder(
            db=self.db,
            sealer=self.sealer,
            profiles=self.profiles,
            telegram_bot=self.telegram_bot,
            fetcher=self.fetcher,
            member_check_seconds=self.settings.member_check_seconds,
            oa_groups=(
                OaGroupFacts(self.zalo_oa, ttl_seconds=self.settings.member_check_seconds)
                if self.zalo_oa is not None
                else None
            ),
            zone=self.settings.zone,
            reading_turns=self.reading_turns,
            shared_reads=self.shared_reads,
        )
        self.handler = UpdateHandler(
            db=self.db,
            settings=settings,
            sealer=self.sealer,
            profiles=self.profiles,
            facts=facts,
            on_outbox=self.sender.notify,
            # The duties exist by the time an update is handled: looked up then, not now.
            on_broadcast=lambda: self.duties.wake_broadcasts(),
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
            pulse=self.supervisor.register(
                "inbox-worker",
                bound=PASS_BOUND_SECONDS,
                owed=lambda: waiting(self.db)[0] > 0,
            ),
            heartbeat_pulse=self.supervisor.register(
                "inbox-lease-heartbeat",
                bound=self.lease_ttl.total_seconds(),
                owed=lambda: self.worker.holding > 0,
            ),
        )
        # The lease is renewed every third of its time: late once it could have expired.
        self.leader_pulse = self.supervisor.register("leader", bound=self.lease_ttl.total_seconds())
        self.area_index_pulse = self.supervisor.register(
            "area-index", bound=AREA_INDEX_CHECK_SECONDS * 4
        )
        # Who the bots are (a group's mention of the bot needs it): asked again until known.
        self.profiles_pulse = self.supervisor.register(
            "bot-profiles", bound=300.0, expected=self._missing_profiles
        )
        self.duties = LeaderDuties(self)
        # Apart: the tasks' gauges are read without the database, so they outlive its outage.
        self.metrics.watch(lambda: task_readings(self.supervisor, leads=self.leads))
        self.metrics.watch(lambda: queue_readings(self.db, channels=self.sender.channels))
        self._stopping = asyncio.Event()

    @property
    def leads(self) -> bool:
        """Whether this process holds the leader lease now."""
        return self.leadership is not None

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
        if self.playground is not None:
            transports["playground"] = PlaygroundTransport(
                self.playground, media_dir=self.settings.media_dir
            )
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
            supervision=Supervision(supervisor=self.supervisor, leads=lambda: self.leads),
            shared_reads=self.shared_reads,
            shared_days=self.shared_days,
            reading_turns=self.reading_turns,
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
        self.supervisor.spawn_loop(
            self.area_index_pulse, self._refresh_areas, every=AREA_INDEX_CHECK_SECONDS
        )
        tasks = self.supervisor.tasks
        self.supervisor.spawn(tasks["inbox-worker"], self.worker.run)
        self.supervisor.spawn(tasks["sender"], self.sender.run)
        self.supervisor.spawn(self.leader_pulse, self._lead)

    async def stop(self) -> None:
        """Let the background work finish what it started, give up leadership, close connections."""
        self._stopping.set()
        self.supervisor.stopping()
        self.worker.stop()
        self.sender.stop()
        # Finishing beats cancelling: a cancelled task leaves its database thread running.
        unfinished = await self.supervisor.stop(grace=STOP_GRACE_SECONDS)
        problems = [f"{name} was cancelled after {STOP_GRACE_SECONDS:.0f} s" for name in unfinished]
        try:
            await self.duties.stop()
        except Exception as error:
            problems.append(f"the leader's duties did not stop ({type(error).__name__})")
        if self.leadership is not None:
            try:
                await asyncio.to_thread(release_leadership, self.db, self.leadership)
            except Exception as error:
                problems.append(
                    f"the leader lease was not released ({type(error).__name__}): another "
                    f"process leads once it expires, within {self.lease_ttl.total_seconds():.0f} s"
                )
            self.leadership = None
        if self.telegram_bot is not None:
            with contextlib.suppress(Exception):
                await self.telegram_bot.shutdown()
        if self.zalo is not None:
            await self.zalo.close()
        if self.zalo_oa is not None:
            await self.zalo_oa.close()
        self.db.dispose()
        if problems:
            # Still true: what was acknowledged is stored; what was cut short is done again.
            log.warning(
                "stopped, not cleanly: %s; stored updates not handled yet are handled after the "
                "next start, and messages that were being sent may be sent once more",
                "; ".join(problems),
            )
        else:
            log.info("stopped cleanly: nothing acknowledged is lost")

    async def _learn_profiles(self) -> None:
        """Ask each platform who the bot is; what cannot be reached now is asked again later."""
        for platform, error in await self._ask_profiles():
            # The service still stores updates; sends retry later.
            log.error("could not reach %s at start (%s)", platform, type(error).__name__)
        if self._missing_profiles():
            self.supervisor.spawn(self.profiles_pulse, self._learn_missing_profiles, ends=True)

    def _missing_profiles(self) -> bool:
        wanted = {"telegram": self.telegram_bot, "zalo": self.zalo}
        return any(
            client is not None and name not in self.profiles for name, client in wanted.items()
        )

    async def _ask_profiles(self) -> list[tuple[str, Exception]]:
        """Ask each platform whose profile is missing; return the failures."""
        failures: list[tuple[str, Exception]] = []
        if self.telegram_bot is not None and "telegram" not in self.profiles:
            try:
                await self.telegram_bot.initialize()
                me = self.telegram_bot.bot
                self.profiles["telegram"] = BotProfile(
                    user_id=me.id, username=me.username, name=me.first_name
                )
            except Exception as error:
                failures.append(("Telegram", error))
        if self.zalo is not None and "zalo" not in self.profiles:
            try:
                account = await self.zalo.get_me()
                name = account.get("account_name")
                joins = account.get("can_join_groups")
                joins_groups = joins if isinstance(joins, bool) else None
                self.profiles["zalo"] = BotProfile(
                    name=str(name) if name else None, joins_groups=joins_groups
                )
                # Plainly, at start: many Zalo bots cannot join groups at all.
                level = logging.WARNING if joins_groups is False else logging.INFO
                log.log(level, "%s", zalo_bot_groups_note(joins_groups))
            except Exception as error:
                failures.append(("Zalo", error))
        return failures

    async def _learn_missing_profiles(self) -> None:
        """Ask again, with backoff, until every platform has answered."""
        while self._missing_profiles():
            failures = await self._ask_profiles()
            if not failures:
                self.profiles_pulse.passed()
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stopping.wait(), self.profiles_pulse.failed(failures[0][1])
                )
            if self._stopping.is_set():
                return
        log.info("learnt who the bots are: %s", ", ".join(sorted(self.profiles)))

    async def _refresh_areas(self) -> None:
        """Rebuild the areas' index soon after another process imports, off the request path."""
        await asyncio.to_thread(warm_index, self.db)

    async def _lead(self) -> None:
        """Hold or seek the leader lease; start and stop the leader's duties as it changes."""
        while not self._stopping.is_set():
            wait = self.lease_ttl.total_seconds() / 3
            try:
                await self._lead_once()
            except Exception as error:  # the database is away: lead no more until it is back
                wait = min(wait, self.leader_pulse.failed(error))
                if self.leadership is not None:
                    log.warning("leadership given up while the database is away")
                    self.leadership = None
                    await self.duties.stop()
            else:
                self.leader_pulse.passed()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait)

    async def _lead_once(self) -> None:
        """Renew or take the lease, follow its changes, and requeue what a dead leader left."""
        lease = await asyncio.to_thread(
            acquire_leadership,
            self.db,
            name="leader",
            holder=self.holder,
            ttl=self.lease_ttl,
            current=self.leadership,
        )
        if lease is not None and self.leadership is None:
            log.info("this process now leads (fencing token %d)", lease.token)
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
