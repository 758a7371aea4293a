"""Who may act on a broadcast: a triage chat of the area it was composed in, or one above it."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlmodel import Session, col

from bot.triage.authority import is_triage_chat
from broadcasts.models import Broadcast
from domain.areas.models import Area
from domain.areas.service import ancestors
from domain.chats.models import Chat
from domain.chats.service import get_chat


def may_act(session: Session, *, chat: Chat, broadcast: Broadcast) -> bool:
    """Whether the triage chat covers the broadcast: its origin's area, else every target area."""
    if not is_triage_chat(chat):
        return False
    if broadcast.origin_chat is not None:
        channel, _sep, chat_id = broadcast.origin_chat.partition(":")
        origin = get_chat(session, channel=channel, chat_id=chat_id)
        area = session.get(Area, origin.area_id) if origin and origin.area_id else None
        return area is not None and _above(session, chat, area)
    codes = json.loads(broadcast.areas)
    if not isinstance(codes, list) or not codes:
        return False  # a broadcast to every area belongs to the operators
    areas = list(session.scalars(select(Area).where(col(Area.code).in_(codes))))
    return len(areas) == len(codes) and all(_above(session, chat, area) for area in areas)


def _above(session: Session, chat: Chat, area: Area) -> bool:
    return chat.area_id in {a.id for a in ancestors(session, area=area)}
