"""Supervised background work: every long-running task logs, backs off and goes on, visibly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from core.db import utcnow

log = logging.getLogger(__name__)

FIRST_DELAY = 0.5
MAX_DELAY = 30.0
_ROOT = Path(__file__).resolve().parents[1]


def _always() -> bool:
    return True


@dataclass
class Supervised:
    """One background task's record: its last good pass, its failures, its restarts.

    `bound` is how long the task may go without a good pass while `expected()` (it should
    run here: the sender only on the leader) and `owed()` (it has work: updates wait).
    """

    name: str
    bound: float
    expected: Callable[[], bool] = _always
    owed: Callable[[], bool] = _always
    started_at: datetime = field(default_factory=utcnow)
    last_pass: datetime | None = None
    last_error: str | None = None
    failures: int = 0  # in a row
    restarts: int = 0

    def passed(self) -> None:
        """Record a pass that did its work."""
        if self.failures:
            log.info("%s works again after %d failed passes", self.name, self.failures)
        self.failures = 0
        self.last_pass = utcnow()

    def failed(self, error: BaseException) -> float:
        """Record a failed pass, log it once per kind, and return the seconds to back off."""
        kind = type(error).__name__
        if self.failures == 0 or kind != self.last_error:
            # The kind and where, never the message: it may quote a token or a reporter's text.
            log.error("%s failed (%s at %s); retrying with backoff", self.name, kind, origin(error))
        self.failures += 1
        self.last_error = kind
        return self.delay()

    def delay(self) -> float:
        """Capped exponential backoff with jitter, by the failures in a row."""
        ceiling = min(MAX_DELAY, FIRST_DELAY * 2 ** max(self.failures - 1, 0))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not secrecy)

    def begin(self) -> None:
        """Start the clock anew: the task is (again) expected to run from now on."""
        self.started_at = utcnow()

    def age(self, now: datetime | None = None) -> float:
        """Seconds since the last good pass, or since the task began, whichever is later."""
        since = max(self.last_pass or self.started_at, self.started_at)
        return max(((now or utcnow()) - since).total_seconds(), 0.0)

    def late(self, now: datetime | None = None) -> bool:
        """Whether the task owes work here and has done no good pass within its bound."""
        if self.age(now) <= self.bound or not self.expected():
            return False
        try:
            return self.owed()
        except Exception:  # the database cannot tell: a task this late counts as late
            return True

    def describe(self, now: datetime | None = None) -> dict[str, object]:
        """The record as JSON for /healthz."""
        return {
            "last_pass": self.last_pass.isoformat() if self.last_pass else None,
            "age_seconds": round(self.age(now), 3),
            "bound_seconds": self.bound,
            "failures_in_a_row": self.failures,
            "last_error": self.last_error,
            "restarts": self.restarts,
        }


def origin(error: BaseException) -> str:
    """The innermost frame of our own code that the error passed through, as file:line."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if f.filename.startswith(str(_ROOT)) and ".venv" not in f.filename]
    if not (ours or frames):
        return "?"
    frame = (ours or frames)[-1]
    path = Path(frame.filename)
    with contextlib.suppress(ValueError):
        path = path.relative_to(_ROOT)
    return f"{path}:{frame.lineno}"


class Supervisor:
    """Registers background tasks, keeps them running, and says which are late."""

    def __init__(self) -> None:
        self.tasks: dict[str, Supervised] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._cancel_on_stop: set[str] = set()
        self._stopping = asyncio.Event()

    def register(
        self,
        name: str,
        *,
        bound: float,
        expected: Callable[[], bool] = _always,
        owed: Callable[[], bool] = _always,
    ) -> Supervised:
        """Add a task's record (a name and its bound for readiness) and return it."""
        if name in self.tasks:
            raise ValueError(f"a task named {name!r} is registered already")
        record = Supervised(name=name, bound=bound, expected=expected, owed=owed)
        self.tasks[name] = record
        return record

    def spawn(
        self,
        record: Supervised,
        work: Callable[[], Awaitable[None]],
        *,
        ends: bool = False,
        cancel_on_stop: bool = False,
    ) -> None:
        """Run `work` as the record's task; restart it if it fails, or ends unless `ends`.

        `cancel_on_stop`: stop() cancels it at once, as the normal way to end it (a long poll,
        whose offset confirms only what was stored).
        """
        self._stopping.clear()
        task = asyncio.create_task(self._keep(record, work, ends), name=record.name)
        self._running[record.name] = task
        if cancel_on_stop:
            self._cancel_on_stop.add(record.name)

    def spawn_loop(
        self, record: Supervised, step: Callable[[], Awaitable[object]], *, every: float
    ) -> None:
        """Run `step` every `every` seconds as the record's task, its passes recorded.

        The shape of most periodic work (a scheduler's wake-up): a failed step is logged by
        kind and tried again after the backoff instead of the interval.
        """

        async def loop() -> None:
            while not self._stopping.is_set():
                try:
                    await step()
                except Exception as error:
                    delay = record.failed(error)
                else:
                    record.passed()
                    delay = every
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)

        self.spawn(record, loop)

    async def _keep(
        self, record: Supervised, work: Callable[[], Awaitable[None]], ends: bool
    ) -> None:
        while True:
            try:
                await work()
            except Exception as error:
                delay = record.failed(error)
            else:
                if ends or self._stopping.is_set():
                    return
                log.error("%s ended unexpectedly; restarting it", record.name)
                delay = record.delay()
            if self._stopping.is_set():
                return
            record.restarts += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            if self._stopping.is_set():
                return

    async def cancel(self, name: str) -> None:
        """End one task now (a leader's duty when leadership is lost)."""
        task = self._running.pop(name, None)
        if task is None:
            return
        # asyncio.wait_for inside the task may swallow one cancellation (one that arrives as
        # its wait ends): ask again until the task has ended.
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        with contextlib.suppress(asyncio.CancelledError, Exception):
            task.result()

    def stopping(self) -> None:
        """Tell the supervisor that tasks ending from now on end on purpose."""
        self._stopping.set()

    async def stop(self, *, grace: float) -> list[str]:
        """Wait up to `grace` seconds for the tasks to end; cancel the rest; name those."""
        self._stopping.set()
        for name in self._cancel_on_stop & set(self._running):
            await self.cancel(name)
        running = dict(self._running)
        self._running.clear()
        if not running:
            return []
        _, late = await asyncio.wait(running.values(), timeout=grace)
        for task in late:
            task.cancel()
        unfinished = []
        for name, task in running.items():
            try:
                await task
            except asyncio.CancelledError:
                unfinished.append(name)
            except Exception as error:  # _keep catches everything: a bug of ours, then
                log.error("%s could not stop (%s)", name, type(error).__name__)
                unfinished.append(name)
        return unfinished

    def late(self) -> list[str]:
        """The names of the tasks that owe work and are past their bound."""
        now = utcnow()
        return [name for name, record in self.tasks.items() if record.late(now)]

    def describe(self) -> dict[str, dict[str, object]]:
        """Every task's record, for /healthz."""
        now = utcnow()
        return {name: record.describe(now) for name, record in self.tasks.items()}
