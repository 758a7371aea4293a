"""Storing updates, claiming one chat's updates at a time, and recording outcomes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, TextClause, bindparam, delete, exists, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from core.db import Database, UTCDateTime, utcnow
from domain.inbox.models import ChatLease, InboxStatus, InboxUpdate

INBOX: Table = InboxUpdate.__table__  # type: ignore[attr-defined]
LEASES: Table = ChatLease.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class NewUpdate:
    """An update as received, before it is stored."""

    channel: str
    update_key: str
    chat_key: str
    payload: str


@dataclass(frozen=True, slots=True)
class ClaimedChat:
    """A chat whose pending updates this worker may handle until the lease expires."""

    channel: str
    chat_key: str
    holder: str

    @property
    def lease_name(self) -> str:
        """The lease row's key."""
        return f"{self.channel}:{self.chat_key}"


def _insert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


# One statement of three parameters whatever the batch size, the rows in one JSON array:
# psycopg parses and prepares it once, where a multi-row VALUES of 7 parameters a row was
# parsed again for every batch (psycopg caches statements of at most 50 parameters), and
# SQLAlchemy binds no row one by one. Rows are inserted in arrival order, which is id order.
_STORE = {
    "postgresql": """
        INSERT INTO inbox (channel, update_key, chat_key, payload, status, attempts, received_at)
        SELECT r->>0, r->>1, r->>2, r->>3, :status, 0, :received_at
        FROM json_array_elements(CAST(:rows AS JSON)) WITH ORDINALITY AS e(r, arrival)
        ORDER BY arrival
        ON CONFLICT (channel, update_key) DO NOTHING
        RETURNING channel, update_key
    """,
    # WHERE true: without it SQLite would read ON CONFLICT as a join's ON.
    "sqlite": """
        INSERT INTO inbox (channel, update_key, chat_key, payload, status, attempts, received_at)
        SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),
            json_extract(value, '$[2]'), json_extract(value, '$[3]'), :status, 0, :received_at
        FROM json_each(:rows) WHERE true ORDER BY key
        ON CONFLICT (channel, update_key) DO NOTHING
        RETURNING channel, update_key
    """,
}
_STORE_STATEMENTS: dict[str, TextClause] = {
    dialect: text(sql).bindparams(bindparam("received_at", type_=UTCDateTime()))
    for dialect, sql in _STORE.items()
}


def store_updates(db: Database, updates: Sequence[NewUpdate]) -> set[tuple[str, str]]:
    """Store updates in one transaction; return the (channel, key) pairs that were new."""
    unique = {(u.channel, u.update_key): u for u in updates}
    if not unique:
        return set()
    rows = json.dumps(
        [[u.channel, u.update_key, u.chat_key, u.payload] for u in unique.values()],
        ensure_ascii=False,
    )
    parameters = {"rows": rows, "status": InboxStatus.PENDING.value, "received_at": utcnow()}
    with db.session() as session:
        statement = _STORE_STATEMENTS[session.get_bind().dialect.name]
        stored = session.execute(statement, parameters).all()
    return {(channel, key) for channel, key in stored}


# Built once: an alias made at each call left 350 objects in reference cycles, which
# only the garbage collector frees, in pauses of 10–30 ms (docs/benchmarks.md, section 8).
_EARLIER = aliased(InboxUpdate, name="earlier")


def due_chats(
    db: Database, *, limit: int = 20, now: datetime | None = None
) -> list[tuple[str, str]]:
    """Chats whose oldest pending update is due and that no live lease holds."""
    now = now or utcnow()
    earlier = _EARLIER
    channel, chat_key, row_id = (
        col(InboxUpdate.channel),
        col(InboxUpdate.chat_key),
        col(InboxUpdate.id),
    )
    no_earlier_pending = ~exists().where(
        col(earlier.status) == InboxStatus.PENDING.value,
        col(earlier.channel) == channel,
        col(earlier.chat_key) == chat_key,
        col(earlier.id) < row_id,
    )
    lease_live = exists().where(
        col(ChatLease.chat) == channel + ":" + chat_key,
        col(ChatLease.expires_at) > now,
    )
    not_before = col(InboxUpdate.not_before)
    query = (
        select(channel, chat_key)
        .where(
            col(InboxUpdate.status) == InboxStatus.PENDING.value,
            not_before.is_(None) | (not_before <= now),
            no_earlier_pending,
            ~lease_live,
        )
        .order_by(row_id)
        .limit(limit)
    )
    with db.reading() as session:
        return [(c, k) for c, k in session.execute(query).all()]


def lease_chat(
    db: Database, *, channel: str, chat_key: str, holder: str, ttl: timedelta
) -> ClaimedChat | None:
    """Take the chat's lease if it is free or expired; None when another worker holds it."""
    now = utcnow()
    claim = ClaimedChat(channel=channel, chat_key=chat_key, holder=holder)
    with db.session() as session:
        insert = _insert(session, LEASES).values(
            chat=claim.lease_name, holder=holder, expires_at=now + ttl
        )
        # One atomic statement on both engines: insert, or take over only an expired lease.
        statement = insert.on_conflict_do_update(
            index_elements=["chat"],
            set_={"holder": insert.excluded.holder, "expires_at": insert.excluded.expires_at},
            where=LEASES.c.expires_at <= now,
        ).returning(LEASES.c.holder)
        taken = session.execute(statement).first()
    return claim if taken is not None and taken[0] == holder else None


def renew_lease(db: Database, claim: ClaimedChat, *, ttl: timedelta) -> bool:
    """Extend the lease; False when it was lost (expired and taken by another worker)."""
    with db.session() as session:
        result = session.execute(
            update(ChatLease)
            .where(col(ChatLease.chat) == claim.lease_name, col(ChatLease.holder) == claim.holder)
            .values(expires_at=utcnow() + ttl)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def renew_leases(db: Database, *, holder: str, chats: Sequence[str], ttl: timedelta) -> int:
    """Extend the leases a worker holds on the named chats; return how many."""
    if not chats:
        return 0
    with db.session() as session:
        result = session.execute(
            update(ChatLease)
            .where(col(ChatLease.holder) == holder, col(ChatLease.chat).in_(chats))
            .values(expires_at=utcnow() + ttl)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def release_lease(db: Database, claim: ClaimedChat) -> None:
    """Drop the lease so any worker can take the chat at once."""
    with db.session() as session:
        session.execute(
            delete(ChatLease).where(
                col(ChatLease.chat) == claim.lease_name, col(ChatLease.holder) == claim.holder
            )
        )


def next_pending(
    db: Database, claim: ClaimedChat, *, now: datetime | None = None
) -> InboxUpdate | None:
    """The chat's oldest pending update, if it is due."""
    now = now or utcnow()
    with db.reading() as session:
        update_row = session.scalars(
            select(InboxUpdate)
            .where(
                col(InboxUpdate.channel) == claim.channel,
                col(InboxUpdate.chat_key) == claim.chat_key,
                col(InboxUpdate.status) == InboxStatus.PENDING.value,
            )
            .order_by(col(InboxUpdate.id))
            .limit(1)
        ).first()
    if update_row is None:
        return None
    if update_row.not_before is not None and update_row.not_before > now:
        return None
    return update_row


def finish_update(session: Session, *, update_id: int, status: InboxStatus) -> bool:
    """Mark a pending update handled inside the caller's transaction; False if it was not pending."""
    result = session.execute(
        update(InboxUpdate)
        .where(
            col(InboxUpdate.id) == update_id, col(InboxUpdate.status) == InboxStatus.PENDING.value
        )
        .values(status=status.value, handled_at=utcnow(), last_error=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def record_failure(
    db: Database,
    *,
    update_id: int,
    error: str,
    max_attempts: int,
    first_delay: float = 2.0,
    now: datetime | None = None,
    park: bool = True,
) -> InboxStatus:
    """Count a failed attempt; park the update as failed after the last one, if `park`."""
    now = now or utcnow()
    with db.session() as session:
        row = session.get(InboxUpdate, update_id)
        if row is None or row.status != InboxStatus.PENDING.value:
            return InboxStatus(row.status) if row else InboxStatus.FAILED
        row.attempts += 1
        row.last_error = error[:2000]
        if park and row.attempts >= max_attempts:
            row.status = InboxStatus.FAILED.value
            row.handled_at = now
        else:
            # Backoff keeps a poisonous update from spinning while the chat's others wait.
            delay = min(first_delay * 2 ** (row.attempts - 1), 300.0)
            row.not_before = now + timedelta(seconds=delay)
        session.add(row)
        return InboxStatus(row.status)


def redact_payloads(db: Database, *, older_than: timedelta, now: datetime | None = None) -> int:
    """Erase the raw payloads of handled updates received before the retention period."""
    now = now or utcnow()
    with db.session() as session:
        result = session.execute(
            update(InboxUpdate)
            .where(
                col(InboxUpdate.status) != InboxStatus.PENDING.value,
                col(InboxUpdate.received_at) < now - older_than,
                col(InboxUpdate.redacted_at).is_(None),
            )
            # The chat key of a private chat is the person's platform id: it goes too.
            .values(payload=None, chat_key="-", redacted_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def count_by_status(db: Database) -> dict[tuple[str, ...], int]:
    """How many stored updates each (channel, status) has, for metrics."""
    channel, status = col(InboxUpdate.channel), col(InboxUpdate.status)
    with db.reading() as session:
        rows = session.execute(
            select(channel, status, func.count()).group_by(channel, status)
        ).all()
    return {(channel, status): count for channel, status, count in rows}


def waiting(db: Database, *, now: datetime | None = None) -> tuple[int, float]:
    """How many stored updates are due for handling, and the oldest one's age in seconds."""
    now = now or utcnow()
    not_before = col(InboxUpdate.not_before)
    with db.reading() as session:
        count, oldest = session.execute(
            select(func.count(), func.min(col(InboxUpdate.received_at))).where(
                col(InboxUpdate.status) == InboxStatus.PENDING.value,
                not_before.is_(None) | (not_before <= now),
            )
        ).one()
    return int(count), _age(oldest, now)


def _age(since: datetime | None, now: datetime) -> float:
    if since is None:
        return 0.0
    if since.tzinfo is None:  # an aggregate on SQLite comes back as naive UTC
        since = since.replace(tzinfo=now.tzinfo)
    return max((now - since).total_seconds(), 0.0)
