"""Chats: recording them, following migrations, and linking them to areas with one-time codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlmodel import Session

from core.db import utcnow
from domain.areas.models import Area
from domain.chats.models import Chat, ChatKind, LinkCode, LinkRole
from domain.codes import new_code, normalize_code
from domain.outbox.models import OutboxMessage, OutboxStatus
from domain.subscriptions.service import end_subscriptions_of_chat

LINK_CODE_LENGTH = 8
LINK_CODE_VALIDITY = timedelta(hours=24)


class LinkError(ValueError):
    """A link code cannot be issued."""


class LinkOutcome(StrEnum):
    """What `/link CODE` did."""

    LINKED = "linked"
    REPLACED = "replaced"
    SAME = "same"  # the chat was already linked this way
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True)
class LinkResult:
    """The outcome of redeeming a code, with the area and role now linked."""

    outcome: LinkOutcome
    area: Area | None = None
    role: str | None = None
    previous_area: Area | None = None
    previous_role: str | None = None


def get_chat(session: Session, *, channel: str, chat_id: str) -> Chat | None:
    """The chat with this platform id, if the bot has seen it."""
    return session.scalars(
        select(Chat).where(Chat.channel == channel, Chat.chat_id == chat_id)  # type: ignore[arg-type]
    ).first()


def record_chat(
    session: Session, *, channel: str, chat_id: str, kind: str, title: str | None = None
) -> Chat:
    """Find or create the chat, keeping its title current."""
    chat = get_chat(session, channel=channel, chat_id=chat_id)
    if chat is None:
        chat = Chat(channel=channel, chat_id=chat_id, kind=kind, title=title)
        session.add(chat)
        session.flush()
        return chat
    if title and chat.title != title:
        chat.title = title
        chat.updated_at = utcnow()
        session.add(chat)
    return chat


def set_bot_membership(
    session: Session, *, chat: Chat, member: bool, reason: str | None = None
) -> Chat:
    """Record that the bot joined or left the chat; a chat without the bot gets nothing sent."""
    chat.bot_is_member = member
    chat.active = member
    chat.inactive_reason = None if member else reason
    chat.updated_at = utcnow()
    session.add(chat)
    if not member:
        cancel_pending_messages(session, channel=chat.channel, chat_id=chat.chat_id, reason=reason)
        _end_subscriptions(session, chat)
    return chat


def deactivate_chat(session: Session, *, channel: str, chat_id: str, reason: str) -> Chat | None:
    """Stop writing to a chat that blocked or removed the bot; its pending messages fail."""
    chat = get_chat(session, channel=channel, chat_id=chat_id)
    if chat is not None:
        chat.active = False
        chat.inactive_reason = reason
        chat.updated_at = utcnow()
        session.add(chat)
        _end_subscriptions(session, chat)
    cancel_pending_messages(session, channel=channel, chat_id=chat_id, reason=reason)
    return chat


def reactivate_chat(session: Session, *, chat: Chat) -> Chat:
    """Write to a chat again that was stopped (an OA group whose package was renewed)."""
    chat.active, chat.inactive_reason, chat.updated_at = True, None, utcnow()
    session.add(chat)
    return chat


def _end_subscriptions(session: Session, chat: Chat) -> None:
    """A resident who blocked the bot is unsubscribed: writing to them again would only fail."""
    if chat.id is not None and chat.kind == ChatKind.PRIVATE.value:
        end_subscriptions_of_chat(session, chat_ref=chat.id)


def cancel_pending_messages(
    session: Session, *, channel: str, chat_id: str, reason: str | None
) -> int:
    """Fail every message still waiting for a chat that can no longer receive it."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,  # type: ignore[arg-type]
            OutboxMessage.chat_id == chat_id,  # type: ignore[arg-type]
            OutboxMessage.status == OutboxStatus.PENDING.value,  # type: ignore[arg-type]
        )
        .values(
            status=OutboxStatus.FAILED.value, error=f"chat inactive: {reason}", finished_at=utcnow()
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def migrate_chat(session: Session, *, channel: str, old_id: str, new_id: str) -> Chat | None:
    """Follow a group upgraded to a supergroup: its link, title and waiting messages move along."""
    old = get_chat(session, channel=channel, chat_id=old_id)
    new = get_chat(session, channel=channel, chat_id=new_id)
    if old is not None and new is None:
        old.chat_id = new_id
        old.migrated_to = None
        old.updated_at = utcnow()
        session.add(old)
        session.flush()
        # A placeholder remembers where the old id went, for messages enqueued later.
        session.add(
            Chat(
                channel=channel,
                chat_id=old_id,
                kind=old.kind,
                title=old.title,
                active=False,
                inactive_reason="migrated",
                migrated_to=new_id,
            )
        )
        new = old
    elif old is not None and new is not None:
        if new.area_id is None and old.area_id is not None:
            new.area_id, new.role, new.linked_at = old.area_id, old.role, old.linked_at
            session.add(new)
        old.active, old.inactive_reason, old.migrated_to = False, "migrated", new_id
        old.area_id = old.role = old.linked_at = None
        session.add(old)
    elif old is None:
        # Never seen before: still remember the move, so later messages go straight to the new id.
        session.add(
            Chat(
                channel=channel,
                chat_id=old_id,
                kind=ChatKind.GROUP.value,
                active=False,
                inactive_reason="migrated",
                migrated_to=new_id,
            )
        )
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,  # type: ignore[arg-type]
            OutboxMessage.chat_id == old_id,  # type: ignore[arg-type]
            OutboxMessage.status == OutboxStatus.PENDING.value,  # type: ignore[arg-type]
        )
        .values(chat_id=new_id)
    )
    return new


def issue_link_code(
    session: Session, *, area_code: str, role: str, now: datetime | None = None
) -> LinkCode:
    """A new one-time code, valid 24 hours, linking a chat to the area in the role."""
    if role not in {r.value for r in LinkRole}:
        raise LinkError(f"role must be triage or community, not {role!r}")
    area = session.scalars(select(Area).where(Area.code == area_code)).first()  # type: ignore[arg-type]
    if area is None or area.id is None:
        raise LinkError(f"no area with code {area_code!r}")
    now = now or utcnow()
    link_code = LinkCode(
        code=new_code(LINK_CODE_LENGTH),
        area_id=area.id,
        role=role,
        created_at=now,
        expires_at=now + LINK_CODE_VALIDITY,
    )
    session.add(link_code)
    session.flush()
    return link_code


def redeem_link_code(
    session: Session, *, chat: Chat, typed: str, now: datetime | None = None
) -> LinkResult:
    """Link the chat to the code's area and role, replacing an earlier link."""
    now = now or utcnow()
    link_code = session.scalars(
        select(LinkCode).where(LinkCode.code == normalize_code(typed))  # type: ignore[arg-type]
    ).first()
    if link_code is None:
        return LinkResult(LinkOutcome.UNKNOWN)
    area = session.get(Area, link_code.area_id)
    if link_code.used_at is not None:
        same = link_code.used_by_chat_id == chat.id
        return LinkResult(LinkOutcome.SAME if same else LinkOutcome.USED, area, link_code.role)
    if link_code.expires_at <= now:
        return LinkResult(LinkOutcome.EXPIRED)
    previous_area = session.get(Area, chat.area_id) if chat.area_id is not None else None
    previous_role = chat.role
    link_code.used_at, link_code.used_by_chat_id = now, chat.id
    chat.area_id, chat.role, chat.linked_at, chat.updated_at = (
        link_code.area_id,
        link_code.role,
        now,
        now,
    )
    session.add_all([link_code, chat])
    if previous_area is None:
        return LinkResult(LinkOutcome.LINKED, area, link_code.role)
    if previous_area.id == link_code.area_id and previous_role == link_code.role:
        return LinkResult(LinkOutcome.SAME, area, link_code.role)
    return LinkResult(LinkOutcome.REPLACED, area, link_code.role, previous_area, previous_role)


def list_linked_chats(
    session: Session, *, area_ids: set[int] | None = None, after_id: int = 0, limit: int = 50
) -> list[tuple[Chat, Area]]:
    """Linked chats with their areas, in id order after the cursor."""
    query = (
        select(Chat, Area)
        .join(Area, Area.id == Chat.area_id)  # type: ignore[arg-type]
        .where(Chat.id > after_id, Chat.kind == ChatKind.GROUP.value)  # type: ignore[arg-type,operator]
        .order_by(Chat.id)  # type: ignore[arg-type]
        .limit(limit)
    )
    if area_ids is not None:
        query = query.where(Chat.area_id.in_(area_ids))  # type: ignore[union-attr]
    return [(chat, area) for chat, area in session.execute(query).all()]
