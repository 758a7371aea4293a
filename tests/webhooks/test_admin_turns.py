"""Admin reads take turns, READINGS_AT_ONCE at a time: a crowd of readers never takes every thread."""

from __future__ import annotations

import asyncio

import pytest

from core.reading_turns import READINGS_AT_ONCE
from tests.harness import ADMIN_TOKEN, Running
from tests.people import TelegramPerson
from tests.support.locks import areas_locked

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_read_waits_its_turn_while_the_turns_are_stuck_and_webhooks_go_on(
    running: Running,
) -> None:
    """Only PostgreSQL can hold readers back (ACCESS EXCLUSIVE), which shows the turns."""
    with areas_locked(running.db.url):
        stuck = [
            asyncio.create_task(running.client.get("/api/v1/areas", headers=AUTH))
            for _ in range(READINGS_AT_ONCE)
        ]
        await asyncio.sleep(0.5)  # give them the time to reach the lock, if they were to pass
        waiting = asyncio.create_task(running.client.get("/api/v1/contents", headers=AUTH))
        # The library's table is free: only the lack of a turn keeps this read waiting.
        done, _pending = await asyncio.wait([waiting], timeout=2)
        assert not done and not any(task.done() for task in stuck)
        # Webhooks are no admin reads: they are stored and answered meanwhile.
        await TelegramPerson(running).says("/start")
    answers = await asyncio.gather(*stuck, waiting)
    assert {a.status_code for a in answers} == {200}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_statistics_readings_take_turns_and_identical_questions_share_one(
    running: Running,
) -> None:
    """Different statistics questions hold every turn; identical ones wait in one reading."""
    months = [f"2026-{month:02d}-01T00:00:00+07:00" for month in range(1, READINGS_AT_ONCE + 1)]
    with areas_locked(running.db.url):
        stuck = [
            asyncio.create_task(
                running.client.get("/api/v1/stats", params={"since": since}, headers=AUTH)
            )
            for since in months
        ]
        await asyncio.sleep(0.5)  # give them the time to reach the lock
        waiting = asyncio.create_task(running.client.get("/api/v1/contents", headers=AUTH))
        done, _pending = await asyncio.wait([waiting], timeout=2)
        assert not done and not any(task.done() for task in stuck)
    answers = await asyncio.gather(*stuck, waiting)
    assert {a.status_code for a in answers} == {200}

    shared = running.service.shared_reads
    asked, readings = shared.asked, shared.readings
    with areas_locked(running.db.url):
        same = [
            asyncio.create_task(running.client.get("/api/v1/stats", headers=AUTH)) for _ in range(8)
        ]
        await asyncio.sleep(0.5)
        # The eight wait in one reading, which holds one turn, not eight.
        assert (shared.asked - asked, shared.readings - readings) == (8, 1)
        assert not any(task.done() for task in same)
    answers = await asyncio.gather(*same)
    assert {a.status_code for a in answers} == {200} and len({a.text for a in answers}) == 1
