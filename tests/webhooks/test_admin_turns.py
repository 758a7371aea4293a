"""Admin reads take turns, two at a time: a crowd of readers never takes every thread."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.harness import ADMIN_TOKEN, Running
from tests.people import TelegramPerson

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@contextmanager
def areas_locked(url: str) -> Iterator[None]:
    """Another connection locks the areas table against readers too, until the block ends."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as server:
        server.execute("LOCK TABLE areas IN ACCESS EXCLUSIVE MODE")
        yield
        server.rollback()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_third_read_waits_its_turn_while_two_are_stuck_and_webhooks_go_on(
    running: Running,
) -> None:
    """Only PostgreSQL can hold readers back (ACCESS EXCLUSIVE), which shows the turns."""
    with areas_locked(running.db.url):
        stuck = [
            asyncio.create_task(running.client.get("/api/v1/areas", headers=AUTH)) for _ in range(2)
        ]
        await asyncio.sleep(0.5)  # give both the time to reach the lock, if they were to pass
        third = asyncio.create_task(running.client.get("/api/v1/contents", headers=AUTH))
        # The library's table is free: only the lack of a turn keeps the third read waiting.
        done, _pending = await asyncio.wait([third], timeout=2)
        assert not done and not any(task.done() for task in stuck)
        # Webhooks are no admin reads: they are stored and answered meanwhile.
        await TelegramPerson(running).says("/start")
    answers = await asyncio.gather(*stuck, third)
    assert [a.status_code for a in answers] == [200, 200, 200]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_statistics_readings_take_turns_and_identical_questions_share_one(
    running: Running,
) -> None:
    """Two different statistics questions hold both turns; eight identical ones hold one."""
    with areas_locked(running.db.url):
        stuck = [
            asyncio.create_task(
                running.client.get("/api/v1/stats", params={"since": since}, headers=AUTH)
            )
            for since in ("2026-01-01T00:00:00+07:00", "2026-02-01T00:00:00+07:00")
        ]
        await asyncio.sleep(0.5)  # give both the time to reach the lock
        third = asyncio.create_task(running.client.get("/api/v1/contents", headers=AUTH))
        done, _pending = await asyncio.wait([third], timeout=2)
        assert not done and not any(task.done() for task in stuck)
    answers = await asyncio.gather(*stuck, third)
    assert [a.status_code for a in answers] == [200, 200, 200]

    with areas_locked(running.db.url):
        same = [
            asyncio.create_task(running.client.get("/api/v1/stats", headers=AUTH)) for _ in range(8)
        ]
        await asyncio.sleep(0.5)
        # The eight wait in one reading, which holds one turn: the other turn is free.
        other = await asyncio.wait_for(running.client.get("/api/v1/contents", headers=AUTH), 5)
        assert other.status_code == 200 and not any(task.done() for task in same)
    answers = await asyncio.gather(*same)
    assert {a.status_code for a in answers} == {200} and len({a.text for a in answers}) == 1
