"""How many people each Telegram community group has, asked at most once a day per group."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from telegram import Bot
from telegram.error import Forbidden, NetworkError, TelegramError

from core.db import Database, utcnow
from domain.chats.members import groups_to_count, save_member_counts
from domain.chats.models import Channel

log = logging.getLogger(__name__)


async def count_members(db: Database, bot: Bot, *, now: datetime | None = None) -> int:
    """Ask Telegram for the size of each group due a count; how many were counted."""
    now = now or utcnow()
    counted: dict[int, int | None] = {}
    due = await asyncio.to_thread(groups_to_count, db, channel=Channel.TELEGRAM, now=now)
    for row_id, chat_id in due:
        try:
            counted[row_id] = await bot.get_chat_member_count(chat_id=int(chat_id))
        except Forbidden:
            counted[row_id] = None  # removed from the group: the sender will find out
        except NetworkError:
            break  # Telegram is away: what is left waits for the next pass
        except TelegramError as error:
            log.warning("could not count the members of a group: %s", error.message)
            counted[row_id] = None
    await asyncio.to_thread(save_member_counts, db, counted, now=now)
    return sum(1 for n in counted.values() if n is not None)
