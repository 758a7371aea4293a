"""How many people each Telegram community group has, asked at most once a day per group."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import col
from telegram import Bot
from telegram.error import Forbidden, NetworkError, TelegramError

from core.db import Database, utcnow
from domain.chats.models import Channel, Chat, ChatKind, LinkRole

log = logging.getLogger(__name__)

# Group sizes change slowly: a daily count is enough for the reach of a broadcast.
COUNT_EVERY = timedelta(days=1)
# Groups counted in one pass: at one pass in 10 minutes, 144 passes a day cover 72,000 groups.
PER_PASS = 500


def groups_to_count(db: Database, *, now: datetime, limit: int = PER_PASS) -> list[tuple[int, str]]:
    """The (row id, chat id) of active Telegram community groups not counted within a day."""
    with db.reading() as session:
        rows = session.execute(
            select(col(Chat.id), col(Chat.chat_id))
            .where(
                col(Chat.channel) == Channel.TELEGRAM.value,
                col(Chat.kind) == ChatKind.GROUP.value,
                col(Chat.role) == LinkRole.COMMUNITY.value,
                col(Chat.active).is_(True),
                col(Chat.members_counted_at).is_(None)
                | (col(Chat.members_counted_at) <= now - COUNT_EVERY),
            )
            .order_by(col(Chat.members_counted_at).is_not(None), col(Chat.members_counted_at))
            .limit(limit)
        ).all()
    return [(row_id, chat_id) for row_id, chat_id in rows]


async def count_members(db: Database, bot: Bot, *, now: datetime | None = None) -> int:
    """Ask Telegram for the size of each group due a count; how many were counted."""
    now = now or utcnow()
    counted: dict[int, int | None] = {}
    for row_id, chat_id in await asyncio.to_thread(groups_to_count, db, now=now):
        try:
            counted[row_id] = await bot.get_chat_member_count(chat_id=int(chat_id))
        except Forbidden:
            counted[row_id] = None  # removed from the group: the sender will find out
        except NetworkError:
            break  # Telegram is away: what is left waits for the next pass
        except TelegramError as error:
            log.warning("could not count the members of a group: %s", error.message)
            counted[row_id] = None
    await asyncio.to_thread(_save, db, counted, now)
    return sum(1 for n in counted.values() if n is not None)


def _save(db: Database, counted: dict[int, int | None], now: datetime) -> None:
    if not counted:
        return
    with db.session() as session:
        for row_id, members in counted.items():
            values: dict[str, object] = {"members_counted_at": now}
            if members is not None:
                values["members"] = members
            session.execute(update(Chat).where(col(Chat.id) == row_id).values(**values))
