"""Leadership: the one process that runs the sender and the scheduler, by a lease row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, String, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from core.db import Database, UTCDateTime, utcnow


class LeaderLease(SQLModel, table=True):
    """Who leads, until when, and a token that grows with every change of leader."""

    __tablename__ = "leader_leases"

    name: str = Field(sa_column=Column(String(32), primary_key=True))
    holder: str = Field(sa_column=Column(String(64), nullable=False))
    token: int = 0
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


@dataclass(frozen=True)
class Leadership:
    """A lease held: the fencing token proves it was not taken over since."""

    name: str
    holder: str
    token: int


def acquire_leadership(
    db: Database,
    *,
    name: str,
    holder: str,
    ttl: timedelta,
    now: datetime | None = None,
    current: Leadership | None = None,
) -> Leadership | None:
    """Take or renew the lease when it is free, expired or already ours.

    `current` is the leadership this process believes it holds: renewing it keeps its token,
    even a little late (nobody led in between); anything else takes a new token.
    """
    now = now or utcnow()
    with db.session() as session:
        lease = session.get(LeaderLease, name)
        if lease is None:
            session.add(LeaderLease(name=name, holder=holder, token=1, expires_at=now + ttl))
            try:
                session.flush()
            except IntegrityError:  # another process inserted first: it leads
                session.rollback()
                return None
            return Leadership(name=name, holder=holder, token=1)
        if lease.holder != holder and lease.expires_at > now:
            return None
        # Taking the lease makes a new token, also when this process takes it back after it
        # stopped leading (a database outage): what it marked before is then fenced off.
        renewing = current is not None and (lease.holder, lease.token) == (holder, current.token)
        token = lease.token if renewing else lease.token + 1
        # Conditional on what we read, so two processes cannot both take an expired lease.
        taken = session.execute(
            update(LeaderLease)
            .where(
                LeaderLease.name == name,  # type: ignore[arg-type]
                LeaderLease.token == lease.token,  # type: ignore[arg-type]
                LeaderLease.holder == lease.holder,  # type: ignore[arg-type]
            )
            .values(holder=holder, token=token, expires_at=now + ttl)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return Leadership(name=name, holder=holder, token=token)


def release_leadership(db: Database, leadership: Leadership) -> None:
    """Give the lease up at once, so another process can lead without waiting."""
    with db.session() as session:
        session.execute(
            update(LeaderLease)
            .where(
                LeaderLease.name == leadership.name,  # type: ignore[arg-type]
                LeaderLease.token == leadership.token,  # type: ignore[arg-type]
            )
            .values(expires_at=utcnow())
        )
