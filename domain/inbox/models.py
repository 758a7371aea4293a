"""Inbox tables: one row per platform update, and one lease per chat being handled."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime, utcnow


class InboxStatus(StrEnum):
    """Where a stored update stands."""

    PENDING = "pending"
    DONE = "done"
    IGNORED = "ignored"  # a kind of update Tinbao does not use
    FAILED = "failed"  # parked after too many attempts, with its error


class InboxUpdate(SQLModel, table=True):
    """A raw update as the platform sent it."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "update_key"),
        Index("ix_inbox_pending", "status", "channel", "chat_key", "id"),
        # Finding the oldest due updates across chats without reading every handled row.
        Index("ix_inbox_status_id", "status", "id"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    # The platform's own id of the update: what makes a re-sent update a duplicate.
    update_key: str = Field(sa_column=Column(String(128), nullable=False))
    # The chat the update belongs to: updates of one chat are handled one at a time, in order.
    chat_key: str = Field(sa_column=Column(String(64), nullable=False))
    payload: str | None = Field(default=None, sa_column=Column(Text))
    status: str = Field(default=InboxStatus.PENDING, sa_column=Column(String(16), nullable=False))
    attempts: int = 0
    not_before: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    redacted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ChatLease(SQLModel, table=True):
    """A worker's claim on one chat's updates, until it expires."""

    __tablename__ = "inbox_leases"

    chat: str = Field(sa_column=Column(String(96), primary_key=True))
    holder: str = Field(sa_column=Column(String(64), nullable=False))
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
