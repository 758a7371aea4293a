"""Subscription table: a person, their private chat with the bot, and an area."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime, utcnow


class Subscription(SQLModel, table=True):
    """A resident who receives an area's broadcasts privately.

    Who they are lives only in the sealed identity of the person; the row names the person and
    their private chat by number, never by platform id.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("person_id", "area_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("people.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # The private chat the broadcasts go to (the chats row, not the platform id).
    chat_ref: int = Field(
        sa_column=Column(
            Integer, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    area_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("areas.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # When the subscriber last wrote to the bot: the Zalo OA may answer only within 7 days.
    heard_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
