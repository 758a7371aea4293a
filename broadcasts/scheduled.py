"""The leader's broadcast clock: APScheduler wakes it at each due time; the table decides."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select
from sqlmodel import col

from broadcasts.models import Broadcast, BroadcastStatus
from broadcasts.plans import release_time
from broadcasts.runs import Pass, advance_broadcasts
from core.db import Database, utcnow
from core.settings import Settings
from core.supervision import Supervised

log = logging.getLogger(__name__)

# Broadcasts created by another process reach this leader's clock within this many seconds.
IDLE_SECONDS = 5.0
# While runs are under way, their quiet hours, failures and ends are checked this often.
BUSY_SECONDS = 1.0
JOB_PREFIX = "broadcast-"


class BroadcastClock:
    """Runs passes over the broadcasts while this process leads; one instance per leadership."""

    def __init__(
        self,
        db: Database,
        *,
        settings: Settings,
        scheduler: AsyncIOScheduler,
        on_outbox: Callable[[], None],
        clock: Callable[[], datetime] = utcnow,
        pulse: Supervised | None = None,
    ) -> None:
        self._db = db
        self._settings = settings
        self._scheduler = scheduler
        self._on_outbox = on_outbox
        self._clock = clock
        self._pulse = pulse or Supervised("broadcast-clock", bound=60.0)
        self._wake = asyncio.Event()
        self._stopping = False
        self.passes = 0

    def wake(self) -> None:
        """Make the next pass now: a broadcast fell due, or one was created or changed."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the pass under way and make no more."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Pass over the broadcasts until stopped, waking at their due times."""
        quiet = self._settings.quiet
        if quiet is not None:
            # Fan-outs stop at the start of quiet hours and go on at their end, to the minute.
            for name, moment in (("start", quiet.start), ("end", quiet.end)):
                self._scheduler.add_job(
                    self.wake,
                    "cron",
                    hour=moment.hour,
                    minute=moment.minute,
                    timezone=self._settings.zone,
                    id=f"quiet-hours-{name}",
                    replace_existing=True,
                    misfire_grace_time=None,
                    coalesce=True,
                )
        while not self._stopping:
            self._wake.clear()
            try:
                done = await self.pass_once()
            except Exception as error:  # the database may be away: the table waits for us
                wait = self._pulse.failed(error)
            else:
                self._pulse.passed()
                wait = BUSY_SECONDS if done.sending else IDLE_SECONDS
            # asyncio.timeout, not wait_for: wait_for drops a cancellation that arrives just as
            # the wake-up does, and a leader stopping its duties would wait for this for ever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    async def pass_once(self) -> Pass:
        """One pass, then the wake-ups of the broadcasts still to come."""
        done = await asyncio.to_thread(
            advance_broadcasts, self._db, settings=self._settings, now=self._clock()
        )
        if done.outbox_changed:
            self._on_outbox()
        self._plan_wakeups(await asyncio.to_thread(self._upcoming))
        self.passes += 1
        return done

    def _upcoming(self) -> dict[str, datetime]:
        """When each broadcast still to come may next go, by its job id."""
        now = self._clock()
        with self._db.reading() as session:
            upcoming = session.execute(
                select(col(Broadcast.id), col(Broadcast.next_run_at), col(Broadcast.urgent)).where(
                    col(Broadcast.status).in_(
                        [BroadcastStatus.SCHEDULED.value, BroadcastStatus.SENDING.value]
                    ),
                    col(Broadcast.next_run_at).is_not(None),
                )
            ).all()
        wanted = {
            f"{JOB_PREFIX}{broadcast_id}": release_time(due, urgent=urgent, settings=self._settings)
            for broadcast_id, due, urgent in upcoming
        }
        # What is due already is the passes' business: a job in the past would fire at once.
        return {job_id: at for job_id, at in wanted.items() if at > now}

    def _plan_wakeups(self, wanted: dict[str, datetime]) -> None:
        """One APScheduler job per broadcast to come, at its time; rebuilt from the table."""
        for job in self._scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
                job.remove()
        for job_id, at in wanted.items():
            existing = self._scheduler.get_job(job_id)
            if existing is not None and existing.next_run_time == at:
                continue
            # No misfire grace limit: a wake-up late by minutes (a busy loop, a deploy) still
            # runs; the pass itself decides whether the run is late or missed.
            self._scheduler.add_job(
                self.wake,
                "date",
                run_date=at,
                id=job_id,
                replace_existing=True,
                misfire_grace_time=None,
                coalesce=True,
            )
