"""Handling one stored update: parse it, ask the platform what is needed, then one transaction."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from telegram import Bot
from telegram.error import TelegramError

from bot.commands import canonical
from bot.events import Command, Event
from bot.router import handle_event
from bot.telegram.updates import telegram_events
from bot.turn import Facts, Turn
from bot.zalo.updates import zalo_events
from bot.zalo_oa.updates import oa_events
from domain.chats.models import Channel, ChatKind
from domain.db import Database, utcnow
from domain.inbox.models import InboxStatus, InboxUpdate
from domain.inbox.service import finish_update
from domain.people.sealing import Sealer
from domain.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotProfile:
    """Who the bot is on a channel, as its getMe says."""

    user_id: int | None = None
    username: str | None = None
    name: str | None = None


class AlreadyHandled(Exception):
    """Another worker finished this update first: roll back what this one did."""


class UpdateHandler:
    """Turns stored updates into domain changes and outbox rows."""

    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        sealer: Sealer,
        profiles: dict[str, BotProfile],
        telegram_bot: Bot | None = None,
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self._settings = settings
        self._sealer = sealer
        self._profiles = profiles
        self._telegram = telegram_bot
        self._on_outbox = on_outbox

    def events_of(self, row: InboxUpdate) -> list[Event]:
        """The channel-neutral events of a stored update ([] once redacted or unused)."""
        if row.payload is None:
            return []
        body = json.loads(row.payload)
        profile = self._profiles.get(row.channel, BotProfile())
        if row.channel == Channel.TELEGRAM.value:
            return telegram_events(
                body,
                bot_username=profile.username,
                bot_id=profile.user_id,
                received_at=row.received_at,
            )
        if row.channel == Channel.ZALO.value:
            return zalo_events(body, bot_name=profile.name, received_at=row.received_at)
        if row.channel == Channel.ZALO_OA.value:
            return oa_events(body, received_at=row.received_at)
        return []

    async def handle(self, row: InboxUpdate) -> InboxStatus:
        """Handle a stored update exactly once; raises when it should be retried."""
        assert row.id is not None
        events = self.events_of(row)
        facts = [await self._facts(event) for event in events]
        status = await asyncio.to_thread(self._apply, row.id, events, facts)
        if events:
            self._on_outbox()
        return status

    def _apply(self, update_id: int, events: list[Event], facts: list[Facts]) -> InboxStatus:
        status = InboxStatus.DONE if events else InboxStatus.IGNORED
        try:
            with self._db.session() as session:
                for event, known in zip(events, facts, strict=True):
                    turn = Turn(
                        session=session,
                        settings=self._settings,
                        sealer=self._sealer,
                        event=event,
                        now=utcnow(),
                        facts=known,
                    )
                    handle_event(turn)
                # Done in the same transaction as its effects: handled exactly once.
                if not finish_update(session, update_id=update_id, status=status):
                    raise AlreadyHandled
        except AlreadyHandled:
            log.info("update %s was already handled elsewhere", update_id)
        return status

    async def _facts(self, event: Event) -> Facts:
        """Ask the platform what the transaction will need (outside it: no network in a lock)."""
        wants_link = isinstance(event, Command) and canonical(event.name) == "link"
        in_group = event.chat.kind == ChatKind.GROUP.value
        if wants_link and in_group and event.chat.channel == Channel.TELEGRAM.value:
            return Facts(bot_is_admin=await self._telegram_bot_is_admin(event.chat.chat_id))
        return Facts()

    async def _telegram_bot_is_admin(self, chat_id: str) -> bool | None:
        profile = self._profiles.get(Channel.TELEGRAM.value)
        if self._telegram is None or profile is None or profile.user_id is None:
            return None
        try:
            member = await self._telegram.get_chat_member(
                chat_id=int(chat_id), user_id=profile.user_id
            )
        except TelegramError as error:
            log.warning(
                "could not ask Telegram whether the bot administers a group: %s", error.message
            )
            return None
        return member.status in {"administrator", "creator"}
