"""The demo's first state: a safety broadcast reaches its two residential groups, and no other."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from broadcasts.models import Broadcast
from broadcasts.runs import advance_broadcasts
from core.db import Database
from core.sealing import Sealer
from domain.outbox.models import OutboxMessage
from tinbao.demo.run import demo_settings
from tinbao.demo.seed import BROADCAST_AFTER, seed_demo


def test_demo_seed_schedules_a_library_broadcast_to_the_residential_groups(
    tmp_path: Path, sqlite_template: Path
) -> None:
    (tmp_path / "tinbao.db").write_bytes(sqlite_template.read_bytes())
    settings = demo_settings(tmp_path)
    db = Database(settings.database_url)
    try:
        seed_demo(db, settings=settings, sealer=Sealer(b"demo-test-key-0123456789"))
        with db.reading() as session:
            (broadcast,) = session.scalars(select(Broadcast)).all()
        assert (broadcast.content_key, broadcast.status) == ("scam-fake-police", "scheduled")
        assert broadcast.next_run_at is not None
        # Soon after the demo starts, so that a visitor sees it arrive.
        soon = broadcast.next_run_at - broadcast.created_at
        assert BROADCAST_AFTER - timedelta(seconds=5) < soon <= BROADCAST_AFTER
        advance_broadcasts(db, settings=settings, now=broadcast.next_run_at)
        with db.reading() as session:
            reached = session.execute(
                select(col(OutboxMessage.channel), col(OutboxMessage.chat_id)).where(
                    col(OutboxMessage.run_id).is_not(None)
                )
            ).all()
        assert sorted(reached) == [("playground", "group-tdp1"), ("playground", "group-tdp2")]
    finally:
        db.dispose()
