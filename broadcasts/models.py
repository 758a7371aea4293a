"""Broadcast tables: operators' safety messages, broadcasts, and one run row per occurrence."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime, utcnow


class BroadcastStatus(StrEnum):
    """Where a broadcast stands, as docs/broadcasts.md names it."""

    AWAITING_APPROVAL = "awaiting_approval"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"


class RunStatus(StrEnum):
    """Where one occurrence of a broadcast stands."""

    SENDING = "sending"
    DONE = "done"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    MISSED = "missed"  # fell due while no leader ran, and was later than the bound


class Content(SQLModel, table=True):
    """A safety message that an operator added; the shipped ones live in files, not here."""

    __tablename__ = "contents"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    title_vi: str = Field(sa_column=Column(String(200), nullable=False))
    title_en: str | None = Field(default=None, sa_column=Column(String(200)))
    text_vi: str = Field(sa_column=Column(Text, nullable=False))
    text_en: str | None = Field(default=None, sa_column=Column(Text))
    tags: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # a JSON list
    image: str | None = Field(default=None, sa_column=Column(String(500)))
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Broadcast(SQLModel, table=True):
    """What to say, to which areas and channels, when: once (`send_at`) or by cron."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_due", "status", "next_run_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # The words typed, or the library message whose current words each run sends.
    text: str | None = Field(default=None, sa_column=Column(Text))
    content_key: str | None = Field(default=None, sa_column=Column(String(64)))
    areas: str = Field(sa_column=Column(Text, nullable=False))  # JSON: area codes, or "all"
    channels: str | None = Field(default=None, sa_column=Column(Text))  # JSON list; null: all
    send_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cron: str | None = Field(default=None, sa_column=Column(String(120)))
    urgent: bool = False
    status: str = Field(sa_column=Column(String(24), nullable=False))
    next_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Why a broadcast or its run stopped by itself (errors in a row), for the operator.
    reason: str | None = Field(default=None, sa_column=Column(Text))
    created_by: str = Field(default="api", sa_column=Column(String(96), nullable=False))
    # The triage chat it was composed in ("telegram:-100…"); null for the API and the CLI.
    origin_chat: str | None = Field(default=None, sa_column=Column(String(96)))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class BroadcastRun(SQLModel, table=True):
    """One occurrence of a broadcast: unique per due time, so no occurrence is sent twice."""

    __tablename__ = "broadcast_runs"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "due_at"),
        Index("ix_broadcast_runs_status", "status"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    broadcast_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("broadcasts.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(sa_column=Column(String(16), nullable=False))
    text: str = Field(default="", sa_column=Column(Text, nullable=False))  # exactly what went out
    urgent: bool = False
    targets: int = 0
    reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Failures in a row are counted from here: a resumed or retried run starts a fresh count.
    resumed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BroadcastEvent(SQLModel, table=True):
    """One step of a broadcast's life: who, when, from which chat, what."""

    __tablename__ = "broadcast_events"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    broadcast_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("broadcasts.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    run_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    # "api", "cli", "system", or an officer's platform identity such as "telegram:880001".
    actor: str = Field(sa_column=Column(String(96), nullable=False))
    chat: str | None = Field(default=None, sa_column=Column(String(96)))
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class BroadcastDraft(SQLModel, table=True):
    """A broadcast being composed by one officer in a triage chat: the dialogue's state."""

    __tablename__ = "broadcast_drafts"
    __table_args__ = (UniqueConstraint("channel", "chat_id", "author"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    chat_id: str = Field(sa_column=Column(String(64), nullable=False))
    author: str = Field(sa_column=Column(String(96), nullable=False))  # "telegram:880001"
    step: str = Field(sa_column=Column(String(32), nullable=False))
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON
    updated_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
