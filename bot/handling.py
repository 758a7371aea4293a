"""Handling one stored update: parse it, ask the platform what is needed, then one transaction."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.events import Event
from bot.facts import FactFinder
from bot.inbox_worker import TryLater
from bot.playground.updates import playground_events
from bot.router import handle_event
from bot.telegram.updates import telegram_events
from bot.turn import BotProfile, Facts, Turn
from bot.zalo.updates import zalo_events
from bot.zalo_oa.updates import oa_events
from core.db import Database, utcnow
from core.sealing import Sealer
from core.settings import Settings
from domain.chats.models import Channel
from domain.inbox.models import InboxStatus, InboxUpdate
from domain.inbox.service import finish_update

log = logging.getLogger(__name__)

# How long an update waits for a file the platform cannot give now before it is handled without.
MEDIA_PATIENCE = timedelta(minutes=10)


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
        facts: FactFinder,
        on_outbox: Callable[[], None] = lambda: None,
        on_broadcast: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self._settings = settings
        self._sealer = sealer
        self._profiles = profiles
        self._facts = facts
        self._on_outbox = on_outbox
        self._on_broadcast = on_broadcast

    def events_of(self, row: InboxUpdate) -> list[Event]:
        """The channel-neutral events of a stored update ([] once redacted or unused)."""
        if row.payload is None:
            return []
        body = _without_nul(json.loads(row.payload))
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
        if row.channel == Channel.PLAYGROUND.value and self._settings.playground:
            return playground_events(body, received_at=row.received_at)
        return []

    async def handle(self, row: InboxUpdate) -> InboxStatus:
        """Handle a stored update exactly once; raises when it should be retried."""
        assert row.id is not None
        events = self.events_of(row)
        facts = [await self._facts.facts_for(event) for event in events]
        # The platform is down: the report waits for its photo a while (the inbox's capped
        # backoff), then goes without it, saying so.
        unavailable = any(known.evidence_problem == "unavailable" for known in facts)
        if unavailable and utcnow() - row.received_at < MEDIA_PATIENCE:
            raise TryLater("a file could not be downloaded: the platform is unavailable")
        status, broadcasts_changed = await asyncio.to_thread(self._apply, row.id, events, facts)
        if events:
            self._on_outbox()
        if broadcasts_changed:
            self._on_broadcast()
        return status

    def _apply(
        self, update_id: int, events: list[Event], facts: list[Facts]
    ) -> tuple[InboxStatus, bool]:
        status = InboxStatus.DONE if events else InboxStatus.IGNORED
        changed = False
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
                        profile=self._profiles.get(event.chat.channel, BotProfile()),
                    )
                    handle_event(turn)
                    changed = changed or turn.broadcasts_changed
                # Done in the same transaction as its effects: handled exactly once.
                if not finish_update(session, update_id=update_id, status=status):
                    raise AlreadyHandled
        except AlreadyHandled:
            log.info("update %s was already handled elsewhere", update_id)
            changed = False
        return status, changed


def _without_nul(value: Any) -> Any:
    """The body with NUL characters taken out of every text: PostgreSQL refuses them."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    return value
