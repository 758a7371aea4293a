"""Polling mode: getUpdates feeds the same inbox as the webhook (for use without a public URL)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.telegram.updates import update_keys
from domain.chats.models import Channel
from domain.inbox.service import NewUpdate

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
LONG_POLL_SECONDS = 25


async def poll_updates(bot: Bot, store: Callable[[NewUpdate], Awaitable[bool]]) -> None:
    """Fetch updates until cancelled, storing each before confirming it with the next offset."""
    await bot.delete_webhook(drop_pending_updates=False)
    offset: int | None = None
    failures = 0
    while True:
        try:
            raw = await bot.do_api_request(
                "get_updates",
                api_kwargs={
                    "offset": offset,
                    "timeout": LONG_POLL_SECONDS,
                    "allowed_updates": json.dumps(ALLOWED_UPDATES),
                },
                read_timeout=LONG_POLL_SECONDS + 10,
            )
            failures = 0
        except RetryAfter as error:
            wait = error.retry_after
            await asyncio.sleep(wait if isinstance(wait, int | float) else wait.total_seconds())
            continue
        except Conflict:
            log.warning("Telegram reports a webhook or another poller; deleting the webhook again")
            await asyncio.sleep(5)
            await bot.delete_webhook(drop_pending_updates=False)
            continue
        except InvalidToken:
            log.error("Telegram refused TINBAO_TELEGRAM_TOKEN; polling paused for a minute")
            await asyncio.sleep(60)
            continue
        except (TimedOut, NetworkError) as error:
            failures += 1
            log.warning("polling Telegram failed (%s); retrying", type(error).__name__)
            await asyncio.sleep(min(2**failures, 60))
            continue
        for update in raw if isinstance(raw, list) else []:
            offset = max(offset or 0, await _store(update, store) + 1)


async def _store(update: object, store: Callable[[NewUpdate], Awaitable[bool]]) -> int:
    key, chat_key = update_keys(update)
    await store(
        NewUpdate(
            channel=Channel.TELEGRAM.value,
            update_key=key,
            chat_key=chat_key,
            payload=json.dumps(update, ensure_ascii=False),
        )
    )
    return int(key)
