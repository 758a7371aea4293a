"""A broadcast composed in a chat waits for a second officer: approve, refuse, or expire it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from broadcasts.cron import parse_cron
from broadcasts.models import Broadcast, BroadcastStatus
from broadcasts.service import BroadcastConflict, BroadcastNotFound
from broadcasts.timeline import SYSTEM, record
from core.settings import Settings

# A broadcast nobody approved within this time is dropped, with a note.
APPROVAL_WINDOW = timedelta(hours=24)


def waiting_broadcast(session: Session, *, broadcast_id: int) -> Broadcast:
    """The broadcast, locked, when it awaits approval; BroadcastNotFound or BroadcastConflict."""
    broadcast = session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None:
        raise BroadcastNotFound(f"no broadcast {broadcast_id}")
    if broadcast.status != BroadcastStatus.AWAITING_APPROVAL.value:
        raise BroadcastConflict(f"broadcast {broadcast_id} is {broadcast.status}")
    return broadcast


def approve_broadcast(
    session: Session,
    *,
    broadcast: Broadcast,
    actor: str,
    chat: str,
    settings: Settings,
    now: datetime,
    name: str | None = None,
    self_approved: bool = False,
) -> Broadcast:
    """Schedule a waiting broadcast: its time, or now if that passed while it waited."""
    assert broadcast.id is not None
    if broadcast.cron is not None:
        broadcast.next_run_at = parse_cron(broadcast.cron).next_after(now, settings.zone)
    elif broadcast.next_run_at is None or broadcast.next_run_at < now:
        broadcast.next_run_at = now
    broadcast.status = BroadcastStatus.SCHEDULED.value
    broadcast.updated_at = now
    details: dict[str, Any] = {"name": name} if name else {}
    if self_approved:
        details["self_approved"] = True
    record(
        session,
        broadcast_id=broadcast.id,
        kind="approved",
        actor=actor,
        chat=chat,
        at=now,
        **details,
    )
    return broadcast


def refuse_broadcast(
    session: Session,
    *,
    broadcast: Broadcast,
    actor: str,
    chat: str,
    reason: str,
    now: datetime,
    name: str | None = None,
) -> Broadcast:
    """Drop a waiting broadcast for a reason; nothing of it is ever sent."""
    assert broadcast.id is not None
    broadcast.status = BroadcastStatus.CANCELLED.value
    broadcast.next_run_at = None
    broadcast.reason = f"refused: {reason}"
    broadcast.updated_at = now
    record(
        session,
        broadcast_id=broadcast.id,
        kind="refused",
        actor=actor,
        chat=chat,
        at=now,
        reason=reason,
        **_named(name),
    )
    return broadcast


def expire_waiting(session: Session, *, now: datetime) -> list[Broadcast]:
    """Drop the broadcasts that waited for approval longer than the window; those dropped."""
    stale = list(
        session.scalars(
            select(Broadcast)
            .where(
                col(Broadcast.status) == BroadcastStatus.AWAITING_APPROVAL.value,
                col(Broadcast.created_at) < now - APPROVAL_WINDOW,
            )
            .with_for_update(skip_locked=True)
        )
    )
    for broadcast in stale:
        assert broadcast.id is not None
        broadcast.status = BroadcastStatus.CANCELLED.value
        broadcast.next_run_at = None
        broadcast.reason = "expired: nobody approved it within 24 hours"
        broadcast.updated_at = now
        record(session, broadcast_id=broadcast.id, kind="expired", actor=SYSTEM, at=now)
    return stale


def _named(name: str | None) -> dict[str, Any]:
    return {"name": name} if name else {}
