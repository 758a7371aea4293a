"""Broadcasts across whole `tinbao serve` processes: a kill -9 mid fan-out repeats at most the
sends in flight, and two processes on one database send each run once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text

from core.db import Database
from domain.areas.models import AreaKind
from tests.factories import make_area, make_group
from tests.fakes import FakeTelegram
from tests.harness import ADMIN_TOKEN
from tests.processes.serve import CLEAN_EXITS, Launcher, ServeProcess, telegram_env
from tests.processes.test_crash_and_scale import wait_until

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def community_groups(database_url: str, count: int) -> list[str]:
    """A ward whose hamlet has `count` community groups on Telegram; their ids."""
    groups = [str(-1003000000000 - i) for i in range(count)]
    db = Database(database_url)
    try:
        with db.session() as session:
            province = make_area(session, code="SL", name="Sơn La", kind=AreaKind.PROVINCE)
            ward = make_area(session, code="SL-TOHIEU", name="Tô Hiệu", parent=province)
            for group in groups:
                make_group(session, area=ward, chat_id=group)
    finally:
        db.dispose()
    return groups


async def schedule(target: ServeProcess, text_: str, *, after: float = 1.0) -> int:
    """Create a broadcast to the ward through the admin API; its id."""
    send_at = (datetime.now(UTC) + timedelta(seconds=after)).isoformat()
    body: dict[str, Any] = {"text": text_, "areas": ["SL-TOHIEU"], "send_at": send_at}
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(f"{target.url}/api/v1/broadcasts", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    broadcast_id: int = response.json()["id"]
    return broadcast_id


def rows(sql: Engine, query: str) -> Counter[str]:
    with sql.connect() as connection:
        return Counter({str(k): int(n) for k, n in connection.execute(text(query)).all()})


def run_rows(sql: Engine) -> Counter[str]:
    return rows(sql, "SELECT broadcast_id, count(*) FROM broadcast_runs GROUP BY broadcast_id")


def delivery_statuses(sql: Engine) -> Counter[str]:
    return rows(sql, "SELECT status, count(*) FROM outbox WHERE run_id IS NOT NULL GROUP BY status")


def env_without_quiet_hours(
    database_url: str, telegram: FakeTelegram, workdir: Path
) -> dict[str, str]:
    # Tests run at any hour: no quiet hours to hold the fan-out.
    return telegram_env(database_url, telegram.url, workdir) | {"TINBAO_QUIET_HOURS": ""}


async def test_broadcast_killed_mid_fan_out_repeats_at_most_the_sends_in_flight(
    database_url: str, tmp_path: Path, launcher: Launcher, telegram: FakeTelegram, sql: Engine
) -> None:
    groups = community_groups(database_url, 300)
    env = env_without_quiet_hours(database_url, telegram, tmp_path)
    first = launcher.start(env, name="first")
    await schedule(first, "Cảnh giác lừa đảo: công an không gọi điện đòi chuyển tiền.")
    # About 3 s of sending at Telegram's 30 messages a second.
    await wait_until(
        lambda: len(telegram.sent("sendMessage")) >= 90, timeout=30, what="the fan-out under way"
    )
    first.kill()
    in_flight = delivery_statuses(sql)["sending"]
    restarted = launcher.start(env, name="restarted")
    await wait_until(
        lambda: delivery_statuses(sql) == Counter(sent=len(groups)),
        timeout=60,
        what="the rest of the run after the restart",
        state=lambda: delivery_statuses(sql),
    )
    per_group = Counter(str(call.chat_id) for call in telegram.sent("sendMessage"))
    repeats = sum(count - 1 for count in per_group.values())
    print(f"\n[broadcast] kill -9 mid fan-out: {repeats} repeated of {in_flight} in flight")
    assert set(per_group) == set(groups)
    assert repeats <= in_flight
    assert telegram.violations == []
    assert list(run_rows(sql).values()) == [1]
    await wait_until(
        lambda: (
            rows(sql, "SELECT status, count(*) FROM broadcast_runs GROUP BY status")
            == Counter(done=1)
        ),
        timeout=15,
        what="the run recorded as done",
    )
    assert restarted.terminate() in CLEAN_EXITS


async def test_broadcast_two_processes_on_one_database_send_each_run_once(
    database_url: str, tmp_path: Path, launcher: Launcher, telegram: FakeTelegram, sql: Engine
) -> None:
    groups = community_groups(database_url, 20)
    env = env_without_quiet_hours(database_url, telegram, tmp_path)
    processes = [launcher.start(env, name="a"), launcher.start(env, name="b")]
    # Created through either process: only the leader runs them, each once.
    ids = [
        await schedule(processes[i % 2], f"Thông báo số {i}: khóa cổ xe máy.", after=2.0)
        for i in range(3)
    ]
    await wait_until(
        lambda: delivery_statuses(sql) == Counter(sent=len(groups) * len(ids)),
        timeout=40,
        what="every run delivered",
        state=lambda: delivery_statuses(sql),
    )
    assert run_rows(sql) == Counter({str(i): 1 for i in ids})
    per_group_and_text = Counter(
        (str(call.chat_id), call.params["text"]) for call in telegram.sent("sendMessage")
    )
    assert set(per_group_and_text.values()) == {1}
    assert telegram.violations == []
    assert len(per_group_and_text) == len(groups) * len(ids)
    for process in processes:
        assert process.terminate() in CLEAN_EXITS
