"""Who may act on a report: a current member of the triage chat that covers the report's area."""

from __future__ import annotations

from sqlmodel import Session

from bot.turn import Turn
from domain.areas.models import Area
from domain.areas.service import ancestors
from domain.chats.models import Channel, Chat, LinkRole
from domain.reports.models import Report
from domain.reports.triage import Officer


def is_triage_chat(chat: Chat) -> bool:
    """Whether the chat is an active police triage chat linked to an area."""
    return chat.role == LinkRole.TRIAGE.value and chat.active and chat.area_id is not None


def covers(session: Session, *, chat: Chat, report: Report) -> bool:
    """Whether the triage chat is linked to the report's area or to an area above it."""
    if not is_triage_chat(chat) or report.area_id is None:
        return False
    area = session.get(Area, report.area_id)
    return area is not None and chat.area_id in {a.id for a in ancestors(session, area=area)}


def is_member(turn: Turn) -> bool | None:
    """Whether the sender belongs to the chat: asked of Telegram, and of the Zalo OA where it
    lists a group's members; else a bot sees only messages of a group's members, which is the
    only proof that platform gives."""
    if turn.event.chat.channel == Channel.TELEGRAM.value:
        return turn.facts.sender_is_member
    if turn.event.chat.channel == Channel.ZALO_OA.value and turn.facts.sender_is_member is False:
        return False
    return turn.event.sender is not None


def officer_of(turn: Turn) -> Officer:
    """The acting officer: their platform identity for the record, their name for colleagues."""
    sender = turn.event.sender
    assert sender is not None
    ref = turn.event.chat
    name = (
        sender.display_name
        or turn.facts.sender_name
        or (f"@{sender.username}" if sender.username else sender.user_id)
    )
    return Officer(
        identity=f"{ref.channel}:{sender.user_id}",
        name=name,
        chat=f"{ref.channel}:{ref.chat_id}",
    )
