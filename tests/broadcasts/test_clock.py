"""The leader's clock: one APScheduler wake-up per broadcast to come, rebuilt from the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from broadcasts.plans import BroadcastRequest
from broadcasts.scheduled import BroadcastClock
from broadcasts.service import cancel_broadcast, create_broadcast
from core.db import Database
from domain.areas.models import AreaKind
from tests.factories import make_area
from tests.harness import make_settings

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


async def test_clock_wakeups_follow_the_table_and_survive_a_restart(
    db: Database, tmp_path: Path
) -> None:
    settings = make_settings(db.url, tmp_path)  # quiet hours 21:30-06:30
    tomorrow = (datetime.now(HANOI) + timedelta(days=1)).date()
    at_noon = datetime.combine(tomorrow, datetime.min.time(), HANOI).replace(hour=12)
    at_night = at_noon.replace(hour=23)
    with db.session() as session:
        make_area(session, code="SL", name="Sơn La", kind=AreaKind.PROVINCE)
        ids: list[int] = []
        for when, urgent in ((at_noon, False), (at_night, False), (at_night, True)):
            request = BroadcastRequest(areas=("SL",), text="Khóa xe.", send_at=when, urgent=urgent)
            created = create_broadcast(session, request, settings=settings).id
            assert created is not None
            ids.append(created)

    def wakeups(clock_scheduler: AsyncIOScheduler) -> dict[str, datetime]:
        return {job.id: job.next_run_time for job in clock_scheduler.get_jobs()}

    for _ in range(2):  # the first leader, then a restarted one: the same wake-ups
        scheduler = AsyncIOScheduler(timezone=HANOI)
        scheduler.start()
        try:
            clock = BroadcastClock(
                db, settings=settings, scheduler=scheduler, on_outbox=lambda: None
            )
            await clock.pass_once()
            found = wakeups(scheduler)
        finally:
            scheduler.shutdown(wait=False)
        assert found[f"broadcast-{ids[0]}"] == at_noon
        # Routine at 23:00 wakes at the end of quiet hours; urgent at 23:00 sharp.
        assert found[f"broadcast-{ids[1]}"] == datetime.combine(
            tomorrow + timedelta(days=1), datetime.min.time(), HANOI
        ).replace(hour=6, minute=30)
        assert found[f"broadcast-{ids[2]}"] == at_night
        assert all(moment.tzinfo is not None for moment in found.values())

    with db.session() as session:
        cancel_broadcast(session, broadcast_id=ids[0])
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start()
    try:
        clock = BroadcastClock(db, settings=settings, scheduler=scheduler, on_outbox=lambda: None)
        await clock.pass_once()
        assert f"broadcast-{ids[0]}" not in wakeups(scheduler)
        assert f"broadcast-{ids[1]}" in wakeups(scheduler)
    finally:
        scheduler.shutdown(wait=False)
