"""GET /api/v1/chats: the groups linked to areas."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from domain.areas.service import descendant_ids, get_area
from domain.chats.service import list_linked_chats
from webhooks.admin.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from webhooks.state import StateDep

router = APIRouter(prefix="/chats", tags=["chats"])


class ChatOut(BaseModel):
    """A linked chat; chat_id is text on every channel."""

    channel: str
    chat_id: str
    title: str | None
    area_code: str
    role: str
    active: bool


@router.get("")
def get_chats(
    state: StateDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    area: str | None = Query(
        default=None, description="Only chats of this area and its descendants"
    ),
) -> Page[ChatOut]:
    """List linked chats in the order they were first seen."""
    after = decode_cursor(cursor) or 0
    if not isinstance(after, int):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "invalid cursor")
    with state.db.reading() as session:
        area_ids = None
        if area is not None:
            top = get_area(session, code=area)
            if top is None or top.id is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no area with code {area!r}")
            area_ids = descendant_ids(session, area_id=top.id)
        rows = list_linked_chats(session, area_ids=area_ids, after_id=after, limit=limit + 1)
    items = [
        ChatOut(
            channel=chat.channel,
            chat_id=chat.chat_id,
            title=chat.title,
            area_code=linked.code,
            role=chat.role or "",
            active=chat.active,
        )
        for chat, linked in rows[:limit]
    ]
    more = len(rows) > limit
    last_id = rows[limit - 1][0].id if more else None
    return Page(items=items, next_cursor=encode_cursor(last_id) if more else None)
