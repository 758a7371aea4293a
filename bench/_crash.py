"""A kill -9 in the middle of a broadcast's fan-out: how many groups get the run twice.

`tinbao serve` runs as a real child process (tests/processes/serve.py) against FakeTelegram in
a process of its own, with Telegram's limits. The broadcast is created through the service
layer before the start; the leader's clock starts its run when it falls due. Once a third of
the groups have their message, the process gets SIGKILL; the rows it left 'sending' are the
sends in flight. A second process takes over (after the 3 s lease) and finishes the run. The
fake's record of sendMessage per chat gives the repeats, which must not exceed those in flight.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import ROOT  # noqa: F401  (puts the repository on sys.path)
from _fake_process import FakeTelegramProcess
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from broadcasts.plans import BroadcastRequest
from broadcasts.service import create_broadcast
from core.db import Database, utcnow
from migrations.runner import upgrade_to_head
from tests.harness import make_settings
from tests.processes.serve import ServeProcess, telegram_env

KILL_AT = 1 / 3  # of the groups delivered
TIMEOUT = 120.0


def crash_run(
    url: str, fake: FakeTelegramProcess, token: str, n: int, workdir: Path, text_: str
) -> dict[str, Any]:
    """Start a fan-out to n groups in `tinbao serve`, kill it mid-way, restart it; count repeats."""
    from _country import build_country

    workdir.mkdir(parents=True, exist_ok=True)
    db = Database(url)
    upgrade_to_head(db)
    country = build_country(
        db, provinces=1, wards_per_province=max(1, n // 100), hamlets_per_ward=5, groups=n
    )
    settings = make_settings(url, workdir, quiet_hours="")
    with db.session() as session:
        create_broadcast(
            session,
            BroadcastRequest(
                areas=tuple(country.province_codes),
                text=text_,
                send_at=utcnow() + timedelta(seconds=2),
            ),
            settings=settings,
        )
    db.dispose()
    env = telegram_env(url, fake.url, workdir) | {
        "TINBAO_TELEGRAM_TOKEN": token,
        "TINBAO_QUIET_HOURS": "",
    }
    engine = create_engine(url, poolclass=NullPool)
    fake.reset()
    first = ServeProcess(name="first", env=env, workdir=workdir)
    second: ServeProcess | None = None
    try:
        first.wait_healthy()
        _wait(lambda: _sent(fake) >= n * KILL_AT, what="a third of the fan-out")
        first.kill()
        killed_at = time.monotonic()
        delivered_at_kill = _sent(fake)
        at_kill = _statuses(engine)
        second = ServeProcess(name="restarted", env=env, workdir=workdir)
        second.wait_healthy()
        _wait(lambda: _statuses(engine) == Counter(sent=n), what="the rest of the fan-out")
        finished = time.monotonic() - killed_at
        calls, violations = fake.calls()
        exit_code = second.terminate()
    finally:
        for served in (first, second):
            if served is not None and served.alive:
                served.kill()
        engine.dispose()
    per_chat = Counter(c.chat_id for c in calls if c.method == "sendMessage" and c.status == 200)
    after_kill = sorted(c.at for c in calls if c.method == "sendMessage" and c.at > killed_at)
    return {
        "groups": n,
        "delivered_at_kill": delivered_at_kill,
        "outbox_at_kill": dict(at_kill),
        "in_flight_at_kill": at_kill["sending"],
        "groups_reached": len(per_chat),
        "repeats": sum(count - 1 for count in per_chat.values()),
        "repeated_groups": sorted(chat for chat, count in per_chat.items() if count > 1),
        "violations": len(violations),
        "first_send_after_kill_s": round(after_kill[0] - killed_at, 2) if after_kill else None,
        "done_after_kill_s": round(finished, 2),
        "restarted_exit": exit_code,
    }


def _sent(fake: FakeTelegramProcess) -> int:
    calls, _ = fake.calls()
    return sum(1 for c in calls if c.method == "sendMessage" and c.status == 200)


def _statuses(engine: Any) -> Counter[str]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT status, count(*) FROM outbox GROUP BY status"))
        return Counter({status: count for status, count in rows})


def _wait(condition: Any, *, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {TIMEOUT:.0f} s")
        time.sleep(0.2)  # the fake answers these polls between the sends it times
