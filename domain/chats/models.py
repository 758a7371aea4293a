"""Chat and link-code tables. A chat is (channel, id as text)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime, utcnow


class Channel(StrEnum):
    """A chat platform Tinbao speaks."""

    TELEGRAM = "telegram"
    ZALO = "zalo"
    ZALO_OA = "zalo-oa"
    # The browser playground of `tinbao demo`; never on a deployment (Settings.playground).
    PLAYGROUND = "playground"


# Channels that show buttons under a message and edit a message in place.
_WITH_BUTTONS = frozenset({Channel.TELEGRAM.value, Channel.PLAYGROUND.value})


def has_buttons(channel: str) -> bool:
    """Whether the channel shows buttons under messages and edits them in place."""
    return channel in _WITH_BUTTONS


def shows_replies(channel: str) -> bool:
    """Whether the bot sees which of its messages a person replies to (Zalo's bots do not)."""
    return channel in _WITH_BUTTONS


class ChatKind(StrEnum):
    """Whether a chat is a one-to-one chat with a person or a group."""

    PRIVATE = "private"
    GROUP = "group"


class LinkRole(StrEnum):
    """What a linked group is for."""

    TRIAGE = "triage"  # the ward police's working group
    COMMUNITY = "community"  # a residential group that reports and receives broadcasts


class Chat(SQLModel, table=True):
    """A chat the bot has seen, and its link to an area when it has one."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    chat_id: str = Field(sa_column=Column(String(64), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    title: str | None = Field(default=None, sa_column=Column(String(255)))
    # False once the bot was blocked, kicked or removed: the sender stops writing to it.
    active: bool = True
    inactive_reason: str | None = Field(default=None, sa_column=Column(String(255)))
    bot_is_member: bool = True
    migrated_to: str | None = Field(default=None, sa_column=Column(String(64)))
    area_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("areas.id", ondelete="SET NULL"), index=True),
    )
    role: str | None = Field(default=None, sa_column=Column(String(16)))
    linked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # How many people the group has, as the platform last said (Telegram's getChatMemberCount).
    members: int | None = None
    members_counted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class LinkCode(SQLModel, table=True):
    """A one-time code that links the chat it is typed in to an area, in a role."""

    __tablename__ = "link_codes"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(16), nullable=False, unique=True))
    area_id: int = Field(
        sa_column=Column(Integer, ForeignKey("areas.id", ondelete="CASCADE"), nullable=False)
    )
    role: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by_chat_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("chats.id", ondelete="SET NULL"))
    )
