"""The sender's side of the outbox: due rows, the mark before the call, outcomes after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, exists, func, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import col

from core.db import Database, utcnow
from core.leadership import LeaderLease, Leadership
from domain.chats.models import Chat
from domain.outbox.models import OutboxMessage, OutboxStatus


@dataclass(frozen=True, slots=True)
class DueMessage:
    """An outbox row at the head of its chat's queue, with what the sender needs of the chat."""

    row: OutboxMessage
    chat_kind: str | None
    chat_active: bool
    migrated_to: str | None


# Built once, as domain/inbox/service.py's alias is: one made at each call was garbage in
# reference cycles.
_AHEAD = aliased(OutboxMessage, name="ahead")


def due_messages(
    db: Database, *, limit: int, channels: Sequence[str], now: datetime | None = None
) -> list[DueMessage]:
    """The oldest pending row of each chat with nothing ahead of it, interactive lane first."""
    now = now or utcnow()
    ahead = _AHEAD
    nothing_ahead = ~exists().where(
        col(ahead.channel) == col(OutboxMessage.channel),
        col(ahead.chat_id) == col(OutboxMessage.chat_id),
        col(ahead.status).in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]),
        col(ahead.id) < col(OutboxMessage.id),
    )
    query = (
        select(OutboxMessage, col(Chat.kind), col(Chat.active), col(Chat.migrated_to))
        .outerjoin(
            Chat,
            (col(Chat.channel) == col(OutboxMessage.channel))
            & (col(Chat.chat_id) == col(OutboxMessage.chat_id)),
        )
        .where(
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
            col(OutboxMessage.channel).in_(channels),
            or_(col(OutboxMessage.not_before).is_(None), col(OutboxMessage.not_before) <= now),
            nothing_ahead,
        )
        .order_by(col(OutboxMessage.lane), col(OutboxMessage.id))
        .limit(limit)
    )
    with db.reading() as session:
        rows = session.execute(query).all()
    return [
        DueMessage(row=row, chat_kind=kind, chat_active=active is not False, migrated_to=moved)
        for row, kind, active, moved in rows
    ]


def mark_sending(db: Database, *, ids: Sequence[int], leadership: Leadership) -> dict[int, str]:
    """Mark rows as being sent, only while the lease is still ours; the marked rows' bodies.

    The bodies are read back by the marking statement: a coalesced edit may have replaced a
    body after the rows were picked, and the newest body is the one to send.
    """
    if not ids:
        return {}
    now = utcnow()
    # The fencing check and the mark are one statement: a deposed leader marks nothing.
    still_ours = exists().where(
        col(LeaderLease.name) == leadership.name,
        col(LeaderLease.holder) == leadership.holder,
        col(LeaderLease.token) == leadership.token,
        col(LeaderLease.expires_at) > now,
    )
    with db.session() as session:
        marked = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),  # type: ignore[union-attr]
                OutboxMessage.status == OutboxStatus.PENDING.value,  # type: ignore[arg-type]
                still_ours,
            )
            .values(
                status=OutboxStatus.SENDING.value,
                sending_at=now,
                leader_token=leadership.token,
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(col(OutboxMessage.id), col(OutboxMessage.body))
        ).all()
    return {row_id: body for row_id, body in marked}


def sent_message_id(db: Database, *, channel: str, chat_id: str, ref: str) -> str | None:
    """The platform id of the newest message sent to a chat under a ref (a card), if any."""
    with db.reading() as session:
        return session.execute(
            select(col(OutboxMessage.platform_message_id))
            .where(
                col(OutboxMessage.channel) == channel,
                col(OutboxMessage.chat_id) == chat_id,
                col(OutboxMessage.ref) == ref,
                col(OutboxMessage.status) == OutboxStatus.SENT.value,
                col(OutboxMessage.platform_message_id).is_not(None),
            )
            .order_by(col(OutboxMessage.id).desc())
            .limit(1)
        ).scalar_one_or_none()


def mark_sent_many(db: Database, *, sent: Sequence[tuple[int, str | None]]) -> None:
    """Record delivered rows, each with the platform's id of its message, in one transaction."""
    if not sent:
        return
    now = utcnow()
    with db.session() as session:
        # The ORM's bulk UPDATE by primary key: one statement run for many rows.
        session.execute(
            update(OutboxMessage),
            [
                {
                    "id": row_id,
                    "status": OutboxStatus.SENT.value,
                    "platform_message_id": message_id,
                    "finished_at": now,
                }
                for row_id, message_id in sent
            ],
        )


def mark_failed(db: Database, *, row_id: int, reason: str) -> None:
    """Record a row given up, with why."""
    _finish(db, row_id, status=OutboxStatus.FAILED, error=reason[:2000])


def wait_for_window(db: Database, *, row_id: int, reason: str) -> None:
    """Keep a row until its person writes again: Zalo's OA may not write to them now."""
    with db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)  # type: ignore[arg-type]
            .values(status=OutboxStatus.AWAITING_WINDOW.value, error=reason[:2000])
        )


def mark_dropped(db: Database, *, row_id: int, reason: str) -> None:
    """Record a row not sent on purpose (too old to make sense), with why."""
    _finish(db, row_id, status=OutboxStatus.CANCELLED, error=reason[:2000])


def _finish(db: Database, row_id: int, **values: object) -> None:
    with db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)  # type: ignore[arg-type]
            .values(finished_at=utcnow(), **values)
        )


def retry_later(
    db: Database, *, row_id: int, delay: timedelta, reason: str, count: bool = True
) -> None:
    """Put a row back in the queue, due after `delay`; `count=False` forgives the attempt."""
    values: dict[str, object] = {
        "status": OutboxStatus.PENDING.value,
        "not_before": utcnow() + delay,
        "error": reason[:2000],
    }
    if not count:
        values["attempts"] = OutboxMessage.attempts - 1
    with db.session() as session:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values)  # type: ignore[arg-type]
        )


def retarget(db: Database, *, row_id: int, chat_id: str) -> None:
    """Send a row to another chat id (a migrated group) without counting an attempt."""
    sending = col(OutboxMessage.status) == OutboxStatus.SENDING.value
    with db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == row_id)
            .values(
                chat_id=chat_id,
                status=OutboxStatus.PENDING.value,
                # A row marked 'sending' had its attempt counted: the call went to a gone id.
                attempts=case((sending, OutboxMessage.attempts - 1), else_=OutboxMessage.attempts),
            )
        )


def requeue_stale_sending(db: Database, *, leadership: Leadership, older_than: timedelta) -> int:
    """Put back rows an earlier leader left 'sending' (and long-stuck ones): only these may repeat."""
    token = col(OutboxMessage.leader_token)
    with db.session() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.status) == OutboxStatus.SENDING.value,
                token.is_(None)
                | (token != leadership.token)
                | (col(OutboxMessage.sending_at) < utcnow() - older_than),
            )
            .values(status=OutboxStatus.PENDING.value)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def due_summary(
    db: Database, *, channels: Sequence[str], now: datetime | None = None
) -> tuple[int, float]:
    """How many rows of the channels are due for sending, and how long the oldest has been due."""
    now = now or utcnow()
    if not channels:
        return 0, 0.0
    not_before = col(OutboxMessage.not_before)
    due_since = func.coalesce(not_before, col(OutboxMessage.created_at))
    with db.reading() as session:
        count, oldest = session.execute(
            select(func.count(), func.min(due_since)).where(
                col(OutboxMessage.status) == OutboxStatus.PENDING.value,
                col(OutboxMessage.channel).in_(channels),
                or_(not_before.is_(None), not_before <= now),
            )
        ).one()
    if oldest is None:
        return int(count), 0.0
    if isinstance(oldest, str):  # SQLite returns an aggregate of timestamps as text
        oldest = datetime.fromisoformat(oldest)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return int(count), max((now - oldest).total_seconds(), 0.0)
