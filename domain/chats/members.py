"""Which community groups are due a count of their members, and the counts kept on them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import col

from core.db import Database
from domain.chats.models import Channel, Chat, ChatKind, LinkRole

# Group sizes change slowly: a daily count is enough for the reach of a broadcast.
COUNT_EVERY = timedelta(days=1)
# Groups counted in one pass: at one pass in 10 minutes, 144 passes a day cover 72,000 groups.
PER_PASS = 500


def groups_to_count(
    db: Database, *, channel: Channel, now: datetime, limit: int = PER_PASS
) -> list[tuple[int, str]]:
    """The (row id, chat id) of a channel's active community groups not counted within a day."""
    with db.reading() as session:
        rows = session.execute(
            select(col(Chat.id), col(Chat.chat_id))
            .where(
                col(Chat.channel) == channel.value,
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


def save_member_counts(db: Database, counted: dict[int, int | None], *, now: datetime) -> None:
    """Keep each group's count (None: asked, not told) and when it was asked."""
    if not counted:
        return
    with db.session() as session:
        for row_id, members in counted.items():
            values: dict[str, object] = {"members_counted_at": now}
            if members is not None:
                values["members"] = members
            session.execute(update(Chat).where(col(Chat.id) == row_id).values(**values))
