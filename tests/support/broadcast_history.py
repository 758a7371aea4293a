"""A weekly broadcast's past: its runs and timeline steps over years, as the leader left them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import col

from broadcasts.models import BroadcastEvent, BroadcastRun
from core.db import Database

FIRST_MONDAY = datetime(2024, 6, 3, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội


def is_missed(week: int) -> bool:
    """Every tenth Monday fell due while no leader ran."""
    return week % 10 == 9


def add_weekly_history(db: Database, *, broadcast_id: int, weeks: int) -> None:
    """Give the broadcast `weeks` past Mondays: a run each, and its steps; written before them."""
    with db.session() as session:
        session.execute(
            update(BroadcastEvent)
            .where(col(BroadcastEvent.broadcast_id) == broadcast_id)
            .values(at=FIRST_MONDAY - timedelta(days=3))
        )
        for week in range(weeks):
            due = FIRST_MONDAY + timedelta(weeks=week)
            missed = is_missed(week)
            run = BroadcastRun(
                broadcast_id=broadcast_id,
                due_at=due,
                status="missed" if missed else "done",
                started_at=None if missed else due,
                finished_at=None if missed else due + timedelta(minutes=2),
            )
            session.add(run)
            session.flush()
            kinds = ["run_missed"] if missed else ["run_started", "run_done"]
            for n, kind in enumerate(kinds):
                session.add(
                    BroadcastEvent(
                        broadcast_id=broadcast_id,
                        run_id=run.id,
                        kind=kind,
                        actor="system",
                        details=json.dumps({"week": week}),
                        at=due + timedelta(minutes=2 * n),
                    )
                )
