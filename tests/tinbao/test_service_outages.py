"""The whole service through outages of real servers: PostgreSQL stopped, SQLite locked, Telegram down.

Each shows nothing acknowledged lost, nothing handled twice, /readyz turning 503 and back to 200,
and the work done after the recovery without a restart of Tinbao.
"""

from __future__ import annotations

import asyncio
import copy
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from core.db import Database
from migrations.runner import upgrade_to_head
from tests.conftest import FIXTURES
from tests.fakes import FakeTelegram
from tests.harness import Running, load_json, make_settings, serving, with_telegram
from tests.people import texts_to


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    """A fake Telegram Bot API without rate limits (the tests count messages, not pace)."""
    with FakeTelegram(limits=False) as fake:
        yield fake


def start(user_id: int) -> dict[str, Any]:
    """A /start written privately by the user, its update id derived from the user's."""
    update: dict[str, Any] = copy.deepcopy(load_json(FIXTURES, "telegram/private_start.json"))
    update["update_id"] = 600_000_000 + user_id
    update["message"]["from"]["id"] = update["message"]["chat"]["id"] = user_id
    return update


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 30.0) -> None:
    """Wait for an observable outcome (never a fixed sleep standing in for it)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.05)


async def readiness(running: Running) -> tuple[int, list[str]]:
    """/readyz's status code and the tasks it names late."""
    response = await running.client.get("/readyz")
    return response.status_code, response.json()["late"]


async def post_until_stored(running: Running, update: dict[str, Any]) -> None:
    """POST as Telegram does: again after every refusal, until the answer is 200."""

    async def stored() -> bool:
        try:
            return (await running.post_telegram(update)).status_code == 200
        except httpx.TimeoutException:
            return False

    await until(stored, f"update {update['update_id']} stored")


def inbox(db: Database) -> dict[str, list[str]]:
    """Each stored update's statuses (a list: two rows of one update would show here)."""
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT update_key, status FROM inbox")).all()
    found: dict[str, list[str]] = {}
    for key, status in rows:
        found.setdefault(key, []).append(status)
    return found


async def all_answered(running: Running, telegram: FakeTelegram, users: list[int]) -> None:
    """Wait until every update is handled and every user has the answer to /start."""

    async def done() -> bool:
        handled = inbox(running.db)
        return (
            all(handled.get(str(start(u)["update_id"])) == ["done"] for u in users)
            and all(texts_to(telegram, u) for u in users)
            and running.service.sender.in_flight == 0
        )

    try:
        await until(done, "every update handled and answered")
    except AssertionError:
        answered = {u: len(texts_to(telegram, u)) for u in users}
        raise AssertionError(f"inbox {inbox(running.db)}, answers {answered}") from None


def assert_each_answered_once(telegram: FakeTelegram, users: list[int], baseline: int) -> None:
    """Every user got exactly what one /start gets: nothing lost, nothing sent twice."""
    assert {u: len(texts_to(telegram, u)) for u in users} == dict.fromkeys(users, baseline)


async def test_service_survives_postgresql_stopped_and_started_under_load(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    from tests.support.postgres import PostgresServer, find_pg_bin

    if find_pg_bin() is None:
        pytest.skip("PostgreSQL server binaries not installed")

    class DurablePostgres(PostgresServer):
        # The test servers' fsync=off and synchronous_commit=off lose commits in a crash.
        durability = ""

    # A server of its own: stopping the session's server would break the tests beside this one.
    with DurablePostgres.start(tmp_path / "pg") as server:
        server.create_database("tinbao")
        url = server.url("tinbao")
        migrated = Database(url)
        upgrade_to_head(migrated)
        migrated.dispose()
        settings = make_settings(url, tmp_path, lease_seconds=3, **with_telegram(telegram.url))
        async with serving(settings) as running:
            await until(lambda: _ready(running), "ready at start")
            await post_until_stored(running, start(1))
            await all_answered(running, telegram, [1])
            baseline = len(texts_to(telegram, 1))
            token = running.service.leadership.token if running.service.leadership else 0

            before = list(range(2, 12))
            for user in before:  # acknowledged, then the database goes while they are handled
                assert (await running.post_telegram(start(user))).status_code == 200
            server.halt()
            refused = await running.post_telegram(start(20))
            assert refused.status_code == 503
            assert (await running.client.get("/healthz")).status_code == 503

            async def leader_late() -> bool:
                status, late = await readiness(running)
                return status == 503 and "leader" in late

            await until(leader_late, "/readyz naming the leader loop late")
            server.resume()
            await post_until_stored(running, start(20))  # the platform sends it again
            await until(lambda: _ready(running), "ready again after the outage")
            users = [1, *before, 20]
            await all_answered(running, telegram, users)
            assert_each_answered_once(telegram, users, baseline)
            tasks = (await running.client.get("/healthz")).json()["tasks"]
            for name in ("inbox-worker", "leader"):  # each met the outage, and works again
                assert (tasks[name]["last_error"], tasks[name]["failures_in_a_row"]) == (
                    "OperationalError",
                    0,
                )
            assert running.service.leadership is not None
            assert running.service.leadership.token > token  # re-taken, fencing the old term


async def test_service_waits_out_a_sqlite_database_locked_by_another_connection(
    tmp_path: Path, sqlite_template: Path, telegram: FakeTelegram
) -> None:
    path = tmp_path / "tinbao.db"
    path.write_bytes(sqlite_template.read_bytes())
    settings = make_settings(
        f"sqlite:///{path}",
        tmp_path,
        lease_seconds=3,
        sqlite_busy_seconds=0.5,
        **with_telegram(telegram.url),
    )
    async with serving(settings) as running:
        await until(lambda: _ready(running), "ready at start")
        await post_until_stored(running, start(1))
        await all_answered(running, telegram, [1])
        baseline = len(texts_to(telegram, 1))

        locker = sqlite3.connect(path, isolation_level=None, timeout=5)
        try:
            locker.execute("BEGIN EXCLUSIVE")  # another process writing for a long while
            refused = await running.post_telegram(start(2))
            assert refused.status_code == 503

            async def leader_late() -> bool:
                status, late = await readiness(running)
                return status == 503 and "leader" in late

            await until(leader_late, "/readyz naming the leader loop late")
        finally:
            locker.rollback()
            locker.close()
        await post_until_stored(running, start(2))
        await until(lambda: _ready(running), "ready again after the lock")
        await all_answered(running, telegram, [1, 2])
        assert_each_answered_once(telegram, [1, 2], baseline)


async def test_polling_starts_while_telegram_is_down_and_catches_up_when_it_returns(
    database_url: str, tmp_path: Path, telegram: FakeTelegram
) -> None:
    telegram.go_down("silent")  # unreachable from the very start, as from Vietnam
    update = telegram.queue_update(start(31))
    settings = make_settings(
        database_url,
        tmp_path,
        telegram_token=telegram.token,
        telegram_api_url=telegram.url,
        telegram_mode="polling",
    )
    async with serving(settings) as running:

        async def polling_fails() -> bool:
            tasks = (await running.client.get("/healthz")).json()["tasks"]
            return int(tasks["telegram-polling"]["failures_in_a_row"]) >= 2

        await until(polling_fails, "polling retried while Telegram is down")
        assert telegram.sent() == []
        telegram.come_back()
        await all_answered(running, telegram, [31])
        assert inbox(running.db) == {str(update["update_id"]): ["done"]}
        tasks = (await running.client.get("/healthz")).json()["tasks"]
        assert tasks["telegram-polling"]["failures_in_a_row"] == 0

        async def profiles_learnt() -> bool:  # getMe asked again, after its own backoff
            tasks = (await running.client.get("/healthz")).json()["tasks"]
            return tasks["bot-profiles"]["last_pass"] is not None

        await until(profiles_learnt, "the bot's profile learnt once Telegram is back", 60.0)
        assert "telegram" in running.service.profiles


async def _ready(running: Running) -> bool:
    return (await running.client.get("/readyz")).status_code == 200


async def test_service_stop_says_what_did_not_finish(
    tmp_path: Path, sqlite_template: Path, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tinbao.db"
    path.write_bytes(sqlite_template.read_bytes())
    settings = make_settings(
        f"sqlite:///{path}", tmp_path, sqlite_busy_seconds=0.5, **with_telegram(telegram.url)
    )
    locker = sqlite3.connect(path, isolation_level=None, timeout=5)
    try:
        async with serving(settings) as running:
            await until(lambda: _ready(running), "ready at start")
            assert running.service.leads
            locker.execute("BEGIN EXCLUSIVE")  # the lease cannot be given back now
    finally:
        locker.rollback()
        locker.close()
    stopped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("stopped")]
    assert len(stopped) == 1
    assert stopped[0].startswith("stopped, not cleanly: the leader lease was not released")
    assert "nothing acknowledged is lost" not in caplog.text
