"""Polling mode: getUpdates feeds the same inbox as the webhook (for use without a public URL)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter

from bot.telegram.updates import update_keys
from core.supervision import Supervised
from domain.chats.models import Channel
from domain.inbox.service import NewUpdate

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
LONG_POLL_SECONDS = 25

Store = Callable[[NewUpdate], Awaitable[bool]]


async def poll_updates(bot: Bot, store: Store, *, pulse: Supervised | None = None) -> None:
    """Fetch updates until cancelled, storing each before confirming it with the next offset."""
    pulse = pulse or Supervised("telegram-polling", bound=LONG_POLL_SECONDS * 3)
    offset: int | None = None
    webhook_deleted = False
    while True:
        try:
            # Inside the loop: Telegram unreachable at start (blocked in Vietnam) is retried too.
            if not webhook_deleted:
                await bot.delete_webhook(drop_pending_updates=False)
                webhook_deleted = True
            updates = await bot.get_updates(
                offset=offset,
                timeout=LONG_POLL_SECONDS,
                allowed_updates=ALLOWED_UPDATES,
                read_timeout=LONG_POLL_SECONDS + 10,
            )
            for update in updates:
                # Stored before the next call's offset confirms it: a crash loses nothing.
                await _store(update, store)
                offset = update.update_id + 1
            pulse.passed()
        except RetryAfter as error:
            await asyncio.sleep(_seconds(error.retry_after))
        except Conflict:
            log.warning("Telegram reports a webhook or another poller; deleting the webhook again")
            webhook_deleted = False
            await asyncio.sleep(5)
        except InvalidToken as error:
            log.error("Telegram refused TINBAO_TELEGRAM_TOKEN; polling paused for a minute")
            pulse.failed(error)  # seen in /healthz; the minute is the backoff
            await asyncio.sleep(60)
        except Exception as error:  # never let polling die: the inbox would silently stop filling
            # Network errors, Telegram's 5xx, the database away while storing: the same offset
            # is asked again after the backoff, and updates stored twice are stored once.
            await asyncio.sleep(pulse.failed(error))


async def _store(update: Update, store: Store) -> None:
    body = update.to_dict()
    key, chat_key = update_keys(body)
    payload = json.dumps(body, ensure_ascii=False)
    await store(
        NewUpdate(
            channel=Channel.TELEGRAM.value, update_key=key, chat_key=chat_key, payload=payload
        )
    )


def _seconds(wait: int | float | timedelta) -> float:
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
