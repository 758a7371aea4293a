"""Outbox table: one row per outbound call, in a lane, with its outcome."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum

from sqlalchemy import BigInteger, Column, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime, utcnow


class Lane(IntEnum):
    """Which queue a message waits in; lower lanes are served first."""

    INTERACTIVE = 0  # replies, triage cards, callback answers
    URGENT = 1  # urgent broadcasts: after people waiting for an answer, before routine ones
    BULK = 2  # routine broadcasts


class OutboxStatus(StrEnum):
    """Where an outbound message stands."""

    PENDING = "pending"
    SENDING = "sending"  # marked before the call: a crash repeats at most these
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    HELD = "held"  # a broadcast delivery whose run is paused: pending again on resume
    # A private message Zalo's OA may not send now (7 days since the person last wrote):
    # pending again when the person next writes.
    AWAITING_WINDOW = "awaiting_window"


class OutboxMessage(SQLModel, table=True):
    """A message, edit or callback answer waiting for the sender, or its outcome."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "lane", "id"),
        Index("ix_outbox_chat", "channel", "chat_id", "status"),
        # A reply to one of the bot's messages is traced back to the row that sent it.
        Index("ix_outbox_sent_message", "channel", "chat_id", "platform_message_id"),
        # A broadcast run's deliveries: one per chat, counted by status, failures read newest first.
        Index("uq_outbox_run_chat", "run_id", "channel", "chat_id", unique=True),
        Index("ix_outbox_run_status", "run_id", "status"),
        Index("ix_outbox_run_finished", "run_id", "finished_at"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    lane: int = Field(default=Lane.INTERACTIVE, nullable=False)
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    chat_id: str = Field(sa_column=Column(String(64), nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    # JSON of the channel-neutral message (text, buttons, reply, media...).
    body: str = Field(sa_column=Column(Text, nullable=False))
    # Edits of one card share a key: a newer pending edit replaces an older one.
    coalesce_key: str | None = Field(default=None, sa_column=Column(String(128), index=True))
    status: str = Field(default=OutboxStatus.PENDING, sa_column=Column(String(16), nullable=False))
    attempts: int = 0
    not_before: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    sending_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The fencing token of the leader that marked the row: a new leader requeues others' at once.
    leader_token: int | None = None
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    platform_message_id: str | None = Field(default=None, sa_column=Column(String(64)))
    error: str | None = Field(default=None, sa_column=Column(Text))
    # What the sent message is about (e.g. "report:K7QX2"): lets later edits find it.
    ref: str | None = Field(default=None, sa_column=Column(String(128), index=True))
    # The broadcast run this row delivers (broadcasts.models.BroadcastRun), if any.
    run_id: int | None = Field(default=None, sa_column=Column(BigInteger))
