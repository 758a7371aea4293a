"""The supervisor: failures logged once by kind and backed off, restarts counted, stops honest."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from core.supervision import MAX_DELAY, Supervised, Supervisor

SECRET = "bot123:SECRET-TOKEN"


class Flaky:
    """Work that fails `failures` times (with a secret in the message), then passes until told."""

    def __init__(self, record: Supervised, failures: int, kind: type[Exception] = OSError) -> None:
        self.record, self.failures, self.kind = record, failures, kind
        self.calls = 0
        self.passes = asyncio.Event()

    async def __call__(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.kind(f"connect to https://api.telegram.org/{SECRET} failed")
        self.record.passed()
        self.passes.set()
        await asyncio.Event().wait()  # runs until cancelled or stopped


async def test_supervisor_restarts_failing_work_and_logs_each_kind_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = Supervisor()
    record = supervisor.register("sender", bound=5)
    work = Flaky(record, failures=3)
    with caplog.at_level(logging.INFO, logger="core.supervision"):
        supervisor.spawn(record, work)
        await asyncio.wait_for(work.passes.wait(), 10)
        assert await supervisor.stop(grace=0.1) == ["sender"]  # it never ends on its own
    assert (record.restarts, record.failures, record.last_error) == (3, 0, "OSError")
    assert record.last_pass is not None
    failures = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1
    assert "sender failed (OSError at tests/domain/test_supervision.py:" in failures[0]
    assert SECRET not in caplog.text
    assert "works again after 3 failed passes" in caplog.text


async def test_supervisor_restarts_work_that_ends_unexpectedly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = Supervisor()
    record = supervisor.register("inbox-worker", bound=5)
    runs = asyncio.Queue[int]()

    async def returns_at_once() -> None:
        runs.put_nowait(1)

    supervisor.spawn(record, returns_at_once)
    for _ in range(3):
        await asyncio.wait_for(runs.get(), 10)
    await supervisor.stop(grace=1)
    assert record.restarts >= 2
    assert "inbox-worker ended unexpectedly; restarting it" in caplog.text


async def test_supervisor_lets_work_end_that_may_end() -> None:
    supervisor = Supervisor()
    record = supervisor.register("bot-profiles", bound=5)
    done = asyncio.Event()

    async def once() -> None:
        done.set()

    supervisor.spawn(record, once, ends=True)
    await asyncio.wait_for(done.wait(), 5)
    assert await supervisor.stop(grace=1) == []
    assert record.restarts == 0


async def test_supervisor_stop_names_only_what_did_not_finish() -> None:
    supervisor = Supervisor()
    stopping = asyncio.Event()

    async def polite() -> None:
        await stopping.wait()

    async def stubborn() -> None:
        await asyncio.Event().wait()

    supervisor.spawn(supervisor.register("polite", bound=1), polite)
    supervisor.spawn(supervisor.register("stubborn", bound=1), stubborn)
    supervisor.stopping()
    stopping.set()
    assert await supervisor.stop(grace=0.5) == ["stubborn"]


def test_supervised_is_late_only_past_its_bound_while_it_owes_work() -> None:
    owed = {"now": True}
    record = Supervised("inbox-worker", bound=10, owed=lambda: owed["now"])
    record.passed()
    assert record.last_pass is not None
    assert not record.late(record.last_pass + timedelta(seconds=9))
    assert record.late(record.last_pass + timedelta(seconds=11))
    owed["now"] = False  # nothing waits: an idle worker is not late
    assert not record.late(record.last_pass + timedelta(seconds=11))


def test_supervised_counts_as_late_when_the_database_cannot_say_whether_work_waits() -> None:
    def database_away() -> bool:
        raise OSError("connection refused")

    record = Supervised("sender", bound=1, owed=database_away)
    assert record.late(record.started_at + timedelta(seconds=2))


def test_supervised_is_never_late_where_it_is_not_expected_to_run() -> None:
    record = Supervised("sender", bound=1, expected=lambda: False)
    assert not record.late(record.started_at + timedelta(hours=1))


def test_supervised_backoff_grows_with_jitter_and_stays_capped() -> None:
    record = Supervised("leader", bound=1)
    delays = [record.failed(ConnectionError()) for _ in range(12)]
    assert 0.25 <= delays[0] <= 0.5
    assert all(MAX_DELAY / 2 <= d <= MAX_DELAY for d in delays[-3:])
    assert len(set(delays)) > 1


def test_supervisor_refuses_two_tasks_of_one_name() -> None:
    supervisor = Supervisor()
    supervisor.register("sender", bound=1)
    with pytest.raises(ValueError, match="sender"):
        supervisor.register("sender", bound=1)


async def test_supervisor_stop_cancels_at_once_what_is_ended_by_cancelling() -> None:
    supervisor = Supervisor()

    async def long_poll() -> None:
        await asyncio.Event().wait()

    supervisor.spawn(
        supervisor.register("telegram-polling", bound=1), long_poll, cancel_on_stop=True
    )
    started = asyncio.get_running_loop().time()
    assert await supervisor.stop(grace=5) == []
    assert asyncio.get_running_loop().time() - started < 1


async def test_supervisor_loop_records_passes_and_backs_off_failures() -> None:
    supervisor = Supervisor()
    record = supervisor.register("broadcast-scheduler", bound=5)
    outcomes = iter([OSError("database away"), None, None])
    passes = asyncio.Queue[None]()

    async def step() -> None:
        outcome = next(outcomes, None)
        if outcome is not None:
            raise outcome
        passes.put_nowait(None)

    supervisor.spawn_loop(record, step, every=0.01)
    for _ in range(2):
        await asyncio.wait_for(passes.get(), 5)
    assert await supervisor.stop(grace=1) == []
    assert (record.last_error, record.failures, record.restarts) == ("OSError", 0, 0)
    assert record.last_pass is not None
