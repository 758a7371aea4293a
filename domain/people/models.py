"""Person and identity tables: who someone is lives only in the encrypted identity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime, utcnow


class Person(SQLModel, table=True):
    """Someone on a channel, known by a keyed hash of their platform id."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("channel", "user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(sa_column=Column(String(16), nullable=False))
    # HMAC of the platform user id: finds the person again without storing the id in clear.
    user_key: str = Field(sa_column=Column(String(64), nullable=False))
    locale: str | None = Field(default=None, sa_column=Column(String(8)))
    first_contact_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Identity(SQLModel, table=True):
    """A person's platform id, name and username, sealed with TINBAO_SECRET_KEY."""

    __tablename__ = "identities"

    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    )
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
