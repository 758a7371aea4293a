"""Broadcasts: create, read, and control them (pause, resume, cancel, retry)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlmodel import Session, col

from broadcasts.models import Broadcast, BroadcastRun, BroadcastStatus, RunStatus
from broadcasts.plans import (
    BroadcastError,
    BroadcastRequest,
    audience_of,
    check_request,
    check_text,
    first_occurrence,
    release_time,
)
from broadcasts.targets import ALL, UnknownAreas, area_ids
from broadcasts.texts import request_text
from broadcasts.timeline import record
from core.db import Database, utcnow
from core.i18n import N_
from core.settings import Settings
from domain.outbox.models import OutboxMessage, OutboxStatus

OPEN_ROWS = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value, OutboxStatus.HELD.value)


class BroadcastNotFound(LookupError):
    """No broadcast has this id."""


class BroadcastConflict(ValueError):
    """The broadcast's state does not allow this; the message says why."""


@dataclass(frozen=True)
class RunKey:
    """Where a page of runs stops: the last run's due time and id (its runs sort by both)."""

    due_at: datetime
    run_id: int


@dataclass(frozen=True)
class RunCounts:
    """Deliveries of one run by outcome."""

    targets: int = 0
    sent: int = 0
    failed: int = 0
    pending: int = 0
    cancelled: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # reason -> how many


def create_broadcast(
    session: Session,
    request: BroadcastRequest,
    *,
    settings: Settings,
    now: datetime | None = None,
    origin_chat: str | None = None,
    awaiting_approval: bool = False,
    details: dict[str, Any] | None = None,
) -> Broadcast:
    """Save a scheduled (or approval-awaiting) broadcast after checking what could be wrong."""
    now = now or utcnow()
    check_request(request, settings=settings, now=now)
    text = None
    if request.text is not None:
        text = check_text(request.text, channels=request.channels)
    else:
        assert request.content_id is not None
        check_text(
            request_text(session, request, locale=settings.locale), channels=request.channels
        )
    try:
        area_ids(session, audience_of(request))
    except UnknownAreas as error:
        raise BroadcastError(N_("unknown area: {codes}"), codes=", ".join(error.codes)) from None
    broadcast = Broadcast(
        text=text,
        content_key=request.content_id,
        areas=json.dumps(ALL if request.areas is None else list(request.areas)),
        channels=json.dumps(list(request.channels)) if request.channels else None,
        send_at=request.send_at,
        cron=request.cron,
        urgent=request.urgent,
        status=(
            BroadcastStatus.AWAITING_APPROVAL if awaiting_approval else BroadcastStatus.SCHEDULED
        ).value,
        next_run_at=first_occurrence(request, settings=settings, now=now),
        created_by=request.created_by,
        origin_chat=origin_chat,
        created_at=now,
        updated_at=now,
    )
    session.add(broadcast)
    session.flush()
    assert broadcast.id is not None
    record(
        session,
        broadcast_id=broadcast.id,
        kind="created",
        actor=request.created_by,
        chat=origin_chat,
        at=now,
        **({"awaiting_approval": True} if awaiting_approval else {}),
        **(details or {}),
    )
    return broadcast


def get_broadcast(session: Session, *, broadcast_id: int) -> Broadcast:
    """The broadcast, or BroadcastNotFound."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastNotFound(f"no broadcast {broadcast_id}")
    return broadcast


def list_broadcasts(
    session: Session, *, before_id: int | None = None, limit: int = 50
) -> list[Broadcast]:
    """Broadcasts, newest first, before an id (the cursor)."""
    query = select(Broadcast).order_by(col(Broadcast.id).desc()).limit(limit)
    if before_id is not None:
        query = query.where(col(Broadcast.id) < before_id)
    return list(session.scalars(query))


def runs_of(
    session: Session, *, broadcast_id: int, limit: int, before: RunKey | None = None
) -> list[BroadcastRun]:
    """A broadcast's runs, newest first, at most `limit`, after the cursor `before`."""
    due, run_id = col(BroadcastRun.due_at), col(BroadcastRun.id)
    query = select(BroadcastRun).where(col(BroadcastRun.broadcast_id) == broadcast_id)
    if before is not None:
        query = query.where(
            or_(due < before.due_at, and_(due == before.due_at, run_id < before.run_id))
        )
    return list(session.scalars(query.order_by(due.desc(), run_id.desc()).limit(limit)))


def count_runs(session: Session, *, broadcast_id: int) -> int:
    """How many runs the broadcast has had, missed ones included."""
    found = session.scalar(
        select(func.count()).where(col(BroadcastRun.broadcast_id) == broadcast_id)
    )
    return int(found or 0)


def latest_run(session: Session, *, broadcast_id: int) -> BroadcastRun | None:
    """The current or last run that sent anything (missed runs sent nothing)."""
    return session.scalars(
        select(BroadcastRun)
        .where(
            col(BroadcastRun.broadcast_id) == broadcast_id,
            col(BroadcastRun.status) != RunStatus.MISSED.value,
        )
        .order_by(col(BroadcastRun.id).desc())
        .limit(1)
    ).first()


def run_counts(session: Session, *, run_id: int) -> RunCounts:
    """A run's deliveries by outcome, and its failures by reason."""
    by_status = dict(
        session.execute(
            select(col(OutboxMessage.status), func.count())
            .where(col(OutboxMessage.run_id) == run_id)
            .group_by(col(OutboxMessage.status))
        ).all()
    )
    failures = {
        reason or "unknown": n
        for reason, n in session.execute(
            select(col(OutboxMessage.error), func.count())
            .where(
                col(OutboxMessage.run_id) == run_id,
                col(OutboxMessage.status) == OutboxStatus.FAILED.value,
            )
            .group_by(col(OutboxMessage.error))
        ).all()
    }
    return RunCounts(
        targets=sum(by_status.values()),
        sent=by_status.get(OutboxStatus.SENT.value, 0),
        failed=by_status.get(OutboxStatus.FAILED.value, 0),
        pending=sum(by_status.get(status, 0) for status in OPEN_ROWS),
        cancelled=by_status.get(OutboxStatus.CANCELLED.value, 0),
        failures=failures,
    )


def delivery_counts(db: Database) -> dict[tuple[str, ...], int]:
    """Deliveries of the runs under way (sending or paused) by channel and status, for metrics."""
    under_way = select(col(BroadcastRun.id)).where(
        col(BroadcastRun.status).in_([RunStatus.SENDING.value, RunStatus.PAUSED.value])
    )
    with db.reading() as session:
        found = session.execute(
            select(col(OutboxMessage.channel), col(OutboxMessage.status), func.count())
            .where(col(OutboxMessage.run_id).in_(under_way))
            .group_by(col(OutboxMessage.channel), col(OutboxMessage.status))
        ).all()
    return {(channel, status): n for channel, status, n in found}


def next_send_at(broadcast: Broadcast, *, settings: Settings) -> datetime | None:
    """When the broadcast's next run will go, quiet hours counted; None if no run is to come."""
    if broadcast.next_run_at is None or broadcast.status in _FINISHED:
        return None
    return release_time(broadcast.next_run_at, urgent=broadcast.urgent, settings=settings)


_FINISHED = (BroadcastStatus.DONE.value, BroadcastStatus.CANCELLED.value)


def pause_broadcast(
    session: Session, *, broadcast_id: int, actor: str = "api", now: datetime | None = None
) -> Broadcast:
    """Stop the broadcast's sends and its next runs until it is resumed."""
    broadcast = _locked(session, broadcast_id)
    if broadcast.status not in (BroadcastStatus.SCHEDULED.value, BroadcastStatus.SENDING.value):
        raise BroadcastConflict(f"a broadcast that is {broadcast.status} cannot be paused")
    for run in _runs_in(session, broadcast_id, (RunStatus.SENDING,)):
        pause_run(session, run=run, reason="paused by an operator", now=now)
    broadcast.status = BroadcastStatus.PAUSED.value
    broadcast.reason = "paused by an operator"
    record(session, broadcast_id=broadcast_id, kind="paused", actor=actor, at=now)
    return _touched(broadcast, now)


def pause_run(session: Session, *, run: BroadcastRun, reason: str, now: datetime | None) -> None:
    """Hold a run's unsent deliveries; what is in flight finishes."""
    assert run.id is not None
    move_deliveries(session, run.id, (OutboxStatus.PENDING,), OutboxStatus.HELD)
    run.status = RunStatus.PAUSED.value
    run.reason = reason


def resume_broadcast(
    session: Session, *, broadcast_id: int, actor: str = "api", now: datetime | None = None
) -> Broadcast:
    """Let a paused broadcast go on: its paused run sends again, its schedule runs again."""
    now = now or utcnow()
    broadcast = _locked(session, broadcast_id)
    if broadcast.status != BroadcastStatus.PAUSED.value:
        raise BroadcastConflict(f"a broadcast that is {broadcast.status} is not paused")
    runs = _runs_in(session, broadcast_id, (RunStatus.PAUSED,))
    for run in runs:
        # Held rows go back to pending on the next pass of the runs, unless quiet hours hold them.
        run.status = RunStatus.SENDING.value
        run.resumed_at = now
        run.reason = None
    broadcast.reason = None
    broadcast.status = settled_status(broadcast, sending=bool(runs))
    record(session, broadcast_id=broadcast_id, kind="resumed", actor=actor, at=now)
    return _touched(broadcast, now)


def cancel_broadcast(
    session: Session, *, broadcast_id: int, actor: str = "api", now: datetime | None = None
) -> Broadcast:
    """End the broadcast for good: unsent deliveries are dropped, no run follows."""
    now = now or utcnow()
    broadcast = _locked(session, broadcast_id)
    if broadcast.status in _FINISHED:
        raise BroadcastConflict(f"a broadcast that is {broadcast.status} cannot be cancelled")
    for run in _runs_in(session, broadcast_id, (RunStatus.SENDING, RunStatus.PAUSED)):
        assert run.id is not None
        move_deliveries(
            session, run.id, (OutboxStatus.PENDING, OutboxStatus.HELD), OutboxStatus.CANCELLED
        )
        run.status = RunStatus.CANCELLED.value
        run.finished_at = now
    broadcast.status = BroadcastStatus.CANCELLED.value
    broadcast.next_run_at = None
    record(session, broadcast_id=broadcast_id, kind="cancelled", actor=actor, at=now)
    return _touched(broadcast, now)


def retry_failed(
    session: Session, *, broadcast_id: int, actor: str = "api", now: datetime | None = None
) -> int:
    """Send the failed deliveries of the last run again; how many."""
    now = now or utcnow()
    broadcast = _locked(session, broadcast_id)
    if broadcast.status == BroadcastStatus.CANCELLED.value:
        raise BroadcastConflict("a cancelled broadcast cannot be retried")
    run = latest_run(session, broadcast_id=broadcast_id)
    if run is None or run.id is None:
        raise BroadcastConflict("the broadcast has not run yet")
    retried = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.run_id) == run.id,
            col(OutboxMessage.status) == OutboxStatus.FAILED.value,
        )
        .values(status=OutboxStatus.PENDING.value, attempts=0, not_before=None, finished_at=None)
    ).rowcount  # type: ignore[attr-defined]
    if not retried:
        raise BroadcastConflict("the last run has no failed deliveries")
    if broadcast.status != BroadcastStatus.PAUSED.value:
        run.status = RunStatus.SENDING.value
        broadcast.status = BroadcastStatus.SENDING.value
    else:  # stays paused: its held rows wait for resume with the rest
        move_deliveries(session, run.id, (OutboxStatus.PENDING,), OutboxStatus.HELD)
    run.resumed_at = now
    run.finished_at = None
    run.reason = None
    record(
        session,
        broadcast_id=broadcast_id,
        kind="retried",
        actor=actor,
        run_id=run.id,
        at=now,
        deliveries=int(retried),
    )
    _touched(broadcast, now)
    return int(retried)


def settled_status(broadcast: Broadcast, *, sending: bool) -> str:
    """What a broadcast is once nothing changes: sending, scheduled (a run to come) or done."""
    if sending:
        return BroadcastStatus.SENDING.value
    if broadcast.next_run_at is not None:
        return BroadcastStatus.SCHEDULED.value
    return BroadcastStatus.DONE.value


def _locked(session: Session, broadcast_id: int) -> Broadcast:
    broadcast = session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None:
        raise BroadcastNotFound(f"no broadcast {broadcast_id}")
    return broadcast


def _runs_in(
    session: Session, broadcast_id: int, statuses: Sequence[RunStatus]
) -> list[BroadcastRun]:
    return list(
        session.scalars(
            select(BroadcastRun).where(
                col(BroadcastRun.broadcast_id) == broadcast_id,
                col(BroadcastRun.status).in_([status.value for status in statuses]),
            )
        )
    )


def move_deliveries(
    session: Session, run_id: int, from_: Sequence[OutboxStatus], to: OutboxStatus
) -> int:
    """Move a run's deliveries in the given states to another; how many moved."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.run_id) == run_id,
            col(OutboxMessage.status).in_([status.value for status in from_]),
        )
        .values(status=to.value)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _touched(broadcast: Broadcast, now: datetime | None) -> Broadcast:
    broadcast.updated_at = now or utcnow()
    return broadcast
