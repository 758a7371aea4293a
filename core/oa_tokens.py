"""The Zalo OA's current token pair, sealed at rest: its refresh token works once only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Column, LargeBinary, String
from sqlmodel import Field, Session, SQLModel

from core.db import UTCDateTime, utcnow
from core.sealing import Sealer


class SealedOaTokens(SQLModel, table=True):
    """One Zalo app's access and refresh tokens, each sealed with TINBAO_SECRET_KEY."""

    __tablename__ = "oa_tokens"

    app_id: str = Field(sa_column=Column(String(32), primary_key=True))
    access_token: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    refresh_token: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    access_expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


@dataclass(frozen=True)
class OaTokens:
    """An opened token pair; the tokens stay out of its repr, and so out of logs."""

    app_id: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime


def load_tokens(session: Session, *, sealer: Sealer, app_id: str) -> OaTokens | None:
    """The app's stored pair; raise ValueError when it was sealed with another key."""
    row = session.get(SealedOaTokens, app_id)
    if row is None:
        return None
    return OaTokens(
        app_id=app_id,
        access_token=str(sealer.open(row.access_token).get("access_token", "")),
        refresh_token=str(sealer.open(row.refresh_token).get("refresh_token", "")),
        expires_at=row.access_expires_at,
    )


def save_tokens(
    session: Session,
    *,
    sealer: Sealer,
    app_id: str,
    access_token: str,
    refresh_token: str,
    expires_at: datetime,
) -> None:
    """Store the app's new pair in place of the old one (the caller commits)."""
    row = session.get(SealedOaTokens, app_id) or SealedOaTokens(
        app_id=app_id, access_token=b"", refresh_token=b"", access_expires_at=expires_at
    )
    row.access_token = sealer.seal({"access_token": access_token})
    row.refresh_token = sealer.seal({"refresh_token": refresh_token})
    row.access_expires_at = expires_at
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
