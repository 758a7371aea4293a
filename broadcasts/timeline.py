"""A broadcast's timeline: who wrote it, who approved it, every run, pause and cancellation."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from broadcasts.models import BroadcastEvent
from core.db import utcnow

SYSTEM = "system"  # the leader's own doing: runs started, missed, finished, paused by errors


def record(
    session: Session,
    *,
    broadcast_id: int,
    kind: str,
    actor: str,
    chat: str | None = None,
    run_id: int | None = None,
    at: datetime | None = None,
    **details: Any,
) -> BroadcastEvent:
    """Add one step to the broadcast's timeline, in the caller's transaction."""
    event = BroadcastEvent(
        broadcast_id=broadcast_id,
        run_id=run_id,
        kind=kind,
        actor=actor,
        chat=chat,
        details=json.dumps(details, ensure_ascii=False, default=str),
        at=at or utcnow(),
    )
    session.add(event)
    return event


def events_of(
    session: Session, *, broadcast_id: int, last: int
) -> tuple[list[BroadcastEvent], int]:
    """The broadcast's last `last` steps, oldest first, and how many earlier ones are left out."""
    mine = col(BroadcastEvent.broadcast_id) == broadcast_id
    newest = list(
        session.scalars(
            select(BroadcastEvent)
            .where(mine)
            .order_by(col(BroadcastEvent.at).desc(), col(BroadcastEvent.id).desc())
            .limit(last)
        )
    )
    earlier = 0
    if len(newest) == last:
        earlier = int(session.scalar(select(func.count()).where(mine)) or 0) - last
    return newest[::-1], earlier


def first_event(session: Session, *, broadcast_id: int, kind: str) -> BroadcastEvent | None:
    """The broadcast's first step of this kind (its "created", say), if any."""
    return session.scalars(
        select(BroadcastEvent)
        .where(col(BroadcastEvent.broadcast_id) == broadcast_id, col(BroadcastEvent.kind) == kind)
        .order_by(col(BroadcastEvent.at), col(BroadcastEvent.id))
        .limit(1)
    ).first()
