"""The leader's pass over broadcasts: start due runs, record missed ones, keep runs in step."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from broadcasts.cron import parse_cron
from broadcasts.models import Broadcast, BroadcastRun, BroadcastStatus, RunStatus
from broadcasts.plans import BroadcastError, audience_of_broadcast, lateness, release_time
from broadcasts.service import OPEN_ROWS, move_deliveries, pause_run, run_counts, settled_status
from broadcasts.targets import UnknownAreas, write_deliveries
from broadcasts.texts import broadcast_text
from broadcasts.timeline import SYSTEM, record
from core.db import Database, utcnow
from core.settings import Settings
from domain.chats.models import Chat, ChatKind
from domain.outbox.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

# Sends in flight when a run was cancelled may come back pending (a 429) for this long.
RECENTLY = timedelta(hours=1)
# However long an outage, one pass records at most this many missed occurrences of a broadcast.
MAX_CATCH_UP = 500


@dataclass
class Pass:
    """What one pass did: runs started, missed, finished and paused; rows released."""

    started: int = 0
    missed: int = 0
    finished: int = 0
    paused: int = 0
    released: int = 0
    sending: int = 0  # runs still sending after the pass

    @property
    def outbox_changed(self) -> bool:
        """Whether the sender has new rows to look at."""
        return bool(self.started or self.released)


def advance_broadcasts(db: Database, *, settings: Settings, now: datetime | None = None) -> Pass:
    """Start the runs that fell due and keep the runs under way in step; one pass."""
    now = now or utcnow()
    done = Pass()
    with db.reading() as session:
        due: list[int] = list(
            session.scalars(
                select(col(Broadcast.id)).where(
                    col(Broadcast.status).in_(
                        [BroadcastStatus.SCHEDULED.value, BroadcastStatus.SENDING.value]
                    ),
                    col(Broadcast.next_run_at) <= now,
                )
            )
        )
    for broadcast_id in due:
        try:
            with db.session() as session:
                _start_due(session, broadcast_id, settings=settings, now=now, done=done)
        except IntegrityError:  # another leader started this run a moment ago
            log.warning("broadcast %s: its run was already started elsewhere", broadcast_id)
    with db.reading() as session:
        under_way = session.execute(
            select(col(BroadcastRun.id), col(BroadcastRun.status)).where(
                col(BroadcastRun.status).in_([RunStatus.SENDING.value, RunStatus.PAUSED.value])
                | (
                    (col(BroadcastRun.status) == RunStatus.CANCELLED.value)
                    & (col(BroadcastRun.finished_at) > now - RECENTLY)
                )
            )
        ).all()
    for run_id, status in under_way:
        with db.session() as session:
            if status == RunStatus.SENDING.value:
                _keep_in_step(session, run_id, settings=settings, now=now, done=done)
            else:
                # A send that met a 429 while its run was paused or cancelled came back
                # pending: it must not go out.
                to = (
                    OutboxStatus.HELD
                    if status == RunStatus.PAUSED.value
                    else OutboxStatus.CANCELLED
                )
                move_deliveries(session, run_id, (OutboxStatus.PENDING,), to)
    return done


def _start_due(
    session: Session, broadcast_id: int, *, settings: Settings, now: datetime, done: Pass
) -> None:
    broadcast = session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.status not in (
        BroadcastStatus.SCHEDULED.value,
        BroadcastStatus.SENDING.value,
    ):
        return
    late_by = settings.broadcast_max_late
    for _ in range(MAX_CATCH_UP):
        due = broadcast.next_run_at
        if due is None or due > now:
            return
        if now < release_time(due, urgent=broadcast.urgent, settings=settings):
            return  # quiet hours: it goes when they end
        following = _following(broadcast, due, settings=settings)
        if following is not None and following <= now:
            # Several occurrences fell due while no leader ran: only the newest may still go.
            _record_missed(session, broadcast, due, "a later run of it was due", now, done)
        elif lateness(due, urgent=broadcast.urgent, settings=settings, now=now) > late_by:
            reason = f"no leader ran in time: more than {late_by} late (TINBAO_BROADCAST_MAX_LATE)"
            _record_missed(session, broadcast, due, reason, now, done)
        else:
            _start_run(session, broadcast, due, settings=settings, now=now, done=done)
        broadcast.next_run_at = following
        if following is None and broadcast.status == BroadcastStatus.SCHEDULED.value:
            broadcast.status = BroadcastStatus.DONE.value
        broadcast.updated_at = now


def _following(broadcast: Broadcast, due: datetime, *, settings: Settings) -> datetime | None:
    if broadcast.cron is None:
        return None
    return parse_cron(broadcast.cron).next_after(due, settings.zone)


def _record_missed(
    session: Session, broadcast: Broadcast, due: datetime, reason: str, now: datetime, done: Pass
) -> None:
    assert broadcast.id is not None
    log.warning("broadcast %s: the run due at %s is missed (%s)", broadcast.id, due, reason)
    run = BroadcastRun(
        broadcast_id=broadcast.id,
        due_at=due,
        status=RunStatus.MISSED.value,
        urgent=broadcast.urgent,
        reason=reason,
        created_at=now,
        finished_at=now,
    )
    session.add(run)
    session.flush()
    record(
        session,
        broadcast_id=broadcast.id,
        kind="run_missed",
        actor=SYSTEM,
        run_id=run.id,
        at=now,
        due_at=due.isoformat(),
        reason=reason,
    )
    done.missed += 1


def _start_run(
    session: Session,
    broadcast: Broadcast,
    due: datetime,
    *,
    settings: Settings,
    now: datetime,
    done: Pass,
) -> None:
    """Write the run and one delivery per target group, in the caller's transaction."""
    assert broadcast.id is not None
    run = BroadcastRun(
        broadcast_id=broadcast.id,
        due_at=due,
        status=RunStatus.SENDING.value,
        urgent=broadcast.urgent,
        created_at=now,
        started_at=now,
    )
    session.add(run)
    session.flush()  # the unique (broadcast, due time) refuses a second run here
    assert run.id is not None
    try:
        run.text = broadcast_text(session, broadcast, locale=settings.locale)
        run.targets = write_deliveries(
            session,
            run_id=run.id,
            audience=audience_of_broadcast(broadcast),
            text=run.text,
            urgent=broadcast.urgent,
            now=now,
        )
    except (BroadcastError, UnknownAreas) as error:  # its message or an area was removed since
        run.status = RunStatus.CANCELLED.value
        run.reason = f"could not start: {error}"
        run.finished_at = now
        log.error("broadcast %s could not start its run: %s", broadcast.id, error)
        record(
            session,
            broadcast_id=broadcast.id,
            kind="run_failed",
            actor=SYSTEM,
            run_id=run.id,
            at=now,
            reason=run.reason,
        )
        return
    record(
        session,
        broadcast_id=broadcast.id,
        kind="run_started",
        actor=SYSTEM,
        run_id=run.id,
        at=now,
        due_at=due.isoformat(),
        targets=run.targets,
    )
    done.started += 1
    log.info("broadcast %s: run %s started for %d groups", broadcast.id, run.id, run.targets)
    if run.targets == 0:
        run.status = RunStatus.DONE.value
        run.reason = "no community group in its areas yet"
        run.finished_at = now
        done.finished += 1
        return
    broadcast.status = BroadcastStatus.SENDING.value


def _keep_in_step(
    session: Session, run_id: int, *, settings: Settings, now: datetime, done: Pass
) -> None:
    """Hold or release for quiet hours, pause after failures in a row, finish when drained."""
    run = session.get(BroadcastRun, run_id, with_for_update=True)
    if run is None or run.status != RunStatus.SENDING.value:
        return
    quiet = settings.quiet
    if not run.urgent and quiet is not None and quiet.end_if_quiet(now) is not None:
        move_deliveries(session, run_id, (OutboxStatus.PENDING,), OutboxStatus.HELD)
    else:
        done.released += move_deliveries(
            session, run_id, (OutboxStatus.HELD,), OutboxStatus.PENDING
        )
    if streak := _failures_in_a_row(session, run, limit=settings.broadcast_max_errors):
        reason = f"{settings.broadcast_max_errors} deliveries failed in a row; the last: {streak}"
        pause_run(session, run=run, reason=reason, now=now)
        record(
            session,
            broadcast_id=run.broadcast_id,
            kind="run_paused",
            actor=SYSTEM,
            run_id=run_id,
            at=now,
            reason=reason,
        )
        broadcast = session.get(Broadcast, run.broadcast_id)
        if broadcast is not None and broadcast.status == BroadcastStatus.SENDING.value:
            broadcast.status = BroadcastStatus.PAUSED.value
            broadcast.reason = reason
            broadcast.updated_at = now
        log.error("broadcast run %s paused itself: %s", run_id, reason)
        done.paused += 1
        return
    still_open = session.execute(
        select(
            exists().where(
                col(OutboxMessage.run_id) == run_id, col(OutboxMessage.status).in_(OPEN_ROWS)
            )
        )
    ).scalar_one()
    if still_open:
        done.sending += 1
        return
    run.status = RunStatus.DONE.value
    run.finished_at = now
    done.finished += 1
    counts = run_counts(session, run_id=run_id)
    record(
        session,
        broadcast_id=run.broadcast_id,
        kind="run_done",
        actor=SYSTEM,
        run_id=run_id,
        at=now,
        sent=counts.sent,
        failed=counts.failed,
        cancelled=counts.cancelled,
    )
    broadcast = session.get(Broadcast, run.broadcast_id)
    if broadcast is not None and broadcast.status == BroadcastStatus.SENDING.value:
        others = session.execute(
            select(
                exists().where(
                    col(BroadcastRun.broadcast_id) == run.broadcast_id,
                    col(BroadcastRun.id) != run_id,
                    col(BroadcastRun.status) == RunStatus.SENDING.value,
                )
            )
        ).scalar_one()
        if not others:
            broadcast.status = settled_status(broadcast, sending=False)
            broadcast.updated_at = now


def _failures_in_a_row(session: Session, run: BroadcastRun, *, limit: int) -> str | None:
    """The last failure's reason when the run's newest `limit` outcomes all failed."""
    since = run.resumed_at or run.started_at or run.created_at
    # A subscriber who blocked the bot fails alone and is unsubscribed: only the groups' outcomes
    # can tell that something is wrong with the whole run.
    private = exists().where(
        col(Chat.channel) == col(OutboxMessage.channel),
        col(Chat.chat_id) == col(OutboxMessage.chat_id),
        col(Chat.kind) == ChatKind.PRIVATE.value,
    )
    outcomes = session.execute(
        select(col(OutboxMessage.status), col(OutboxMessage.error))
        .where(
            col(OutboxMessage.run_id) == run.id,
            col(OutboxMessage.finished_at) >= since,
            col(OutboxMessage.status).in_([OutboxStatus.SENT.value, OutboxStatus.FAILED.value]),
            ~private,
        )
        .order_by(col(OutboxMessage.finished_at).desc())
        .limit(limit)
    ).all()
    if len(outcomes) < limit or any(s != OutboxStatus.FAILED.value for s, _ in outcomes):
        return None
    return outcomes[0][1] or "unknown"
