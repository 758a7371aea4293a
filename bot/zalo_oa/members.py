"""How many people each of the OA's community groups has, from getgroup, at most daily."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.zalo_oa.client import RATE_LIMITED, ZaloOaApiError, ZaloOaClient, ZaloOaNetworkError
from bot.zalo_oa.groups import get_group
from core.db import Database, utcnow
from domain.chats.members import groups_to_count, save_member_counts
from domain.chats.models import Channel

log = logging.getLogger(__name__)


async def count_oa_members(
    db: Database, client: ZaloOaClient, *, now: datetime | None = None
) -> int:
    """Ask Zalo for the size of each OA community group due a count; how many were counted."""
    now = now or utcnow()
    counted: dict[int, int | None] = {}
    due = await asyncio.to_thread(groups_to_count, db, channel=Channel.ZALO_OA, now=now)
    for row_id, group_id in due:
        try:
            counted[row_id] = (await get_group(client, group_id=group_id)).size
        except ZaloOaNetworkError:
            break  # Zalo is away: what is left waits for the next pass
        except ZaloOaApiError as error:
            if error.status >= 500 or error.code == RATE_LIMITED:
                break  # away or busy: the same
            log.warning("could not count the members of an OA group: Zalo error %s", error.code)
            counted[row_id] = None
    await asyncio.to_thread(save_member_counts, db, counted, now=now)
    return sum(1 for n in counted.values() if n is not None)
