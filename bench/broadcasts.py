"""Broadcasts end to end: fan-out at Telegram's limit, a kill -9 mid-run, sender capacity, scale.

1. fan-out: a broadcast created by broadcasts.service.create_broadcast to the N community
   groups of a province, started by the leader's clock (BroadcastClock, APScheduler, and
   advance_broadcasts) when it falls due, delivered by the real Sender and TelegramTransport to
   FakeTelegram with Telegram's limits, in a process of its own. ratio = (N - 1)/30 s over the
   time from the run's start (its started_at) to the fake receiving the last message. Just
   before, bench/sender.py's N plain outbox rows: the baseline, in the same minute.
2. crash: the same through `tinbao serve` as a child process, killed with SIGKILL a third of the
   way and started again; repeats per group against the sends in flight (bench/_crash.py).
3. capacity: N rows of one run sent by one Sender as fast as it can, to FakeTelegram without
   limits and with the pacer set to 1,000,000 a second (TINBAO_TELEGRAM_MESSAGES_PER_SECOND);
   against the fake's own rate for a plain httpx loop and for raw HTTP/1.1 on as many
   connections (bench/_capacity.py).
4. national: one advance_broadcasts pass that starts a run for 100,000 groups of 34 provinces,
   timed, and its process's peak resident memory (bench/_national.py, bench/_country.py).

Results and commands: docs/benchmarks.md, section 4.

    .venv/bin/python bench/broadcasts.py --postgres
    .venv/bin/python bench/broadcasts.py --only capacity --postgres --clients service,inflight16 \
        --py-spy /tmp/pyspy/bin/py-spy
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from _capacity import baseline, capacity
from _common import ROOT, machine, scheduling_seconds, write_results
from _country import build_country
from _fake_process import FakeTelegramProcess
from _report import print_report
from _runs import create, fresh_db, run_row, settings_for
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sender import (
    BROADCAST,
    PER_SECOND,
    TOKEN,
    CountingTransport,
    measure,
    run_broadcast,
    unfinished,
)

from bot.sender.loop import Sender
from bot.sender.telegram import TelegramTransport
from bot.telegram.client import make_bot
from broadcasts.scheduled import BroadcastClock
from core.db import Database, utcnow
from core.leadership import acquire_leadership
from core.metrics import Metrics
from migrations.runner import upgrade_to_head
from tinbao.startup import settle_heap

LEAD = 1.5  # seconds from creating a broadcast to its due time


async def fan_out(url: str, fake: FakeTelegramProcess, n: int, workdir: Path) -> dict[str, Any]:
    """Broadcast to n groups through the leader's clock and the Sender; measure from the run's start."""
    db, codes, chats = fresh_db(url, n, noise=True)
    settings = settings_for(url, workdir)
    bot = make_bot(token=TOKEN, api_url=fake.url)
    await bot.initialize()
    fake.reset()
    lease = acquire_leadership(db, name="leader", holder="bench", ttl=timedelta(hours=1))
    assert lease is not None
    transport = CountingTransport(TelegramTransport(bot, per_second=PER_SECOND))
    sender = Sender(db, {"telegram": transport}, Metrics(), lambda: lease)
    # (wall, monotonic) at each time the clock was read: the run's started_at is one of them.
    stamps: list[tuple[datetime, float]] = []

    def clock() -> datetime:
        now = utcnow()
        stamps.append((now, time.monotonic()))
        return now

    scheduler = AsyncIOScheduler(timezone=settings.timezone)
    scheduler.start()
    clock_ = BroadcastClock(
        db, settings=settings, scheduler=scheduler, on_outbox=sender.notify, clock=clock
    )
    tasks = [asyncio.create_task(sender.run()), asyncio.create_task(clock_.run())]
    give_up = time.monotonic() + 3 * n / PER_SECOND + 60
    sched_before = scheduling_seconds()
    try:
        due = utcnow() + timedelta(seconds=LEAD)
        await asyncio.to_thread(create, db, settings, codes, due)
        clock_.wake()  # as the API does after creating one
        while transport.delivered < n and time.monotonic() < give_up:
            transport.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(transport.changed.wait(), 0.5)
        delivered_at = time.monotonic()
        while time.monotonic() < give_up and await asyncio.to_thread(unfinished, db) > 0:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        recorded_at = time.monotonic()
        sched_after = scheduling_seconds()
    finally:
        sender.stop()
        clock_.stop()
        for task in tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 30)
        scheduler.shutdown(wait=False)
        await bot.shutdown()
    run = run_row(db)
    left = await asyncio.to_thread(unfinished, db)
    db.dispose()
    assert run.started_at is not None
    started = min(stamps, key=lambda s: abs((s[0] - run.started_at).total_seconds()))[1]  # type: ignore[operator]
    calls, violations = fake.calls()
    result = measure(
        calls, violations, n, chats, False, (started, None, delivered_at, recorded_at), left
    )
    last = started + result["wall_start_to_last_call_s"]
    bound = (n - 1) / PER_SECOND
    return result | {
        "run_targets": run.targets,
        "run_status_after": run.status,
        "due_to_run_start_s": round((run.started_at - due).total_seconds(), 3),
        "run_start_to_last_s": round(last - started, 3),
        "ratio_from_run_start": round(bound / (last - started), 4),
        # This process's threads during the fan-out: on a core, and runnable but waiting.
        "on_core_s": round(sched_after[0] - sched_before[0], 2),
        "waiting_for_core_s": round(sched_after[1] - sched_before[1], 2),
    }


def national(url: str, workdir: Path, groups: int) -> list[dict[str, Any]]:
    """Start a run for `groups` groups of 34 provinces, twice: to `all`, then to each province."""
    from _national import start_run

    db = Database(url)
    upgrade_to_head(db)
    setup = time.monotonic()
    country = build_country(
        db, provinces=34, wards_per_province=100, hamlets_per_ward=10, groups=groups, zalo_every=3
    )
    settings = settings_for(url, workdir)
    first = utcnow() + timedelta(minutes=1)
    create(db, settings, None, first)
    create(db, settings, country.province_codes, first + timedelta(minutes=1))
    db.dispose()
    setup_s = time.monotonic() - setup
    results = []
    for label, now in (
        ("all", first + timedelta(seconds=1)),
        ("34 provinces (after the first run's rows)", first + timedelta(minutes=1, seconds=1)),
    ):
        found = start_run(url, now, workdir)
        results.append(
            found | {
                "audience": label, "targets": country.targets, "others": country.others,
                "areas": 34 + country.wards + country.hamlets, "setup_s": round(setup_s, 1),
            }
        )  # fmt: skip
        print(f"  {label}: {found['pass_s']} s, peak {found['peak_rss_mb']} MB", file=sys.stderr)
    return results


async def run_all(
    args: argparse.Namespace, engines: dict[str, Any], workdir: Path
) -> dict[str, Any]:
    """Every part asked for, on every engine, each on fresh databases."""
    out: dict[str, Any] = {
        "fan_out_direct": [],
        "fan_out": [],
        "crash": [],
        "capacity": [],
        "baseline": [],
        "national": [],
    }
    limited = FakeTelegramProcess(TOKEN)
    unlimited = FakeTelegramProcess(TOKEN, limits=False)
    try:
        for engine, make_url in engines.items():
            extra = {"engine": engine}
            if "fanout" in args.only:
                for n in args.groups:
                    print(f"{engine}: fan-out to {n} groups ...", file=sys.stderr, flush=True)
                    # The baseline, just before: bench/sender.py's N outbox rows, no broadcast.
                    direct = await run_broadcast(
                        make_url(f"direct{n}"), limited, n, with_reply=False,
                        give_up_after=3 * n / PER_SECOND + 30,
                    )  # fmt: skip
                    out["fan_out_direct"].append(direct | extra | _load())
                    found = await fan_out(make_url(f"fan{n}"), limited, n, workdir)
                    out["fan_out"].append(found | extra | _load())
                    print(
                        f"  ratio {found['ratio_from_run_start']}, direct rows {direct['ratio']}",
                        file=sys.stderr,
                    )
            if "crash" in args.only:
                from _crash import crash_run

                print(f"{engine}: kill -9 mid fan-out ...", file=sys.stderr, flush=True)
                found = await asyncio.to_thread(
                    crash_run, make_url("crash"), limited, TOKEN, args.crash_groups,
                    workdir / f"crash-{engine}", BROADCAST,
                )  # fmt: skip
                out["crash"].append(found | extra | _load())
            if "capacity" in args.only:
                print(f"{engine}: capacity, {args.capacity} deliveries ...", file=sys.stderr)
                out["baseline"].append(await baseline(unlimited, args.capacity) | extra | _load())
                for client in args.clients:
                    found = await capacity(
                        make_url(f"capacity_{client}"), unlimited, args.capacity, workdir,
                        args.py_spy, client,
                    )  # fmt: skip
                    out["capacity"].append(found | extra | _load())
                    print(f"  {client}: {found['recorded_per_s']} recorded/s", file=sys.stderr)
            if "national" in args.only:
                print(f"{engine}: national scale ...", file=sys.stderr, flush=True)
                for found in await asyncio.to_thread(
                    national, make_url("national"), workdir, args.national
                ):
                    out["national"].append(found | extra | _load())
    finally:
        limited.stop()
        unlimited.stop()
    return out


def _load() -> dict[str, float]:
    return {"loadavg_1m_after": round(os.getloadavg()[0], 2)}


def main() -> None:
    """Parse options, start the databases, run, report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="fanout,crash,capacity,national", help="parts to run")
    parser.add_argument("--groups", default="300,1000", help="fan-out sizes N")
    parser.add_argument("--crash-groups", type=int, default=300)
    parser.add_argument("--capacity", type=int, default=5000, help="deliveries in the capacity run")
    parser.add_argument(
        "--clients",
        default="service",
        help="capacity: Telegram clients, of service (make_bot), keepalive, poolN (e.g. pool8)",
    )
    parser.add_argument("--national", type=int, default=100_000, help="groups in the national run")
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--pg-fast", action="store_true", help="PostgreSQL with fsync=off")
    parser.add_argument("--py-spy", help="path to py-spy: profile the capacity run (GIL)")
    parser.add_argument("--out", type=Path, help="results file")
    args = parser.parse_args()
    args.groups = [int(x) for x in args.groups.split(",")]
    args.only = set(args.only.split(","))
    args.clients = args.clients.split(",")
    info = machine()
    print(f"machine: {info}")
    workdir = Path(tempfile.mkdtemp(prefix="tinbao-bench-broadcasts-"))
    pg = None
    engines: dict[str, Any] = {}
    try:
        if not args.no_sqlite:
            engines["sqlite"] = lambda name: f"sqlite:///{workdir / name}.db"
        if args.postgres:
            from _postgres import start_postgres

            pg = start_postgres(workdir / "pg", durable=not args.pg_fast)
            info["postgres"] = {
                k: pg.setting(k) for k in ("server_version", "fsync", "synchronous_commit")
            }

            def pg_url(name: str) -> str:
                pg.create_database(name)
                return pg.url(name)

            engines["postgresql"] = pg_url
        settle_heap()  # as `tinbao serve` does before serving
        results = asyncio.run(run_all(args, engines, workdir))
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print_report(results)
    settings = {
        k: sorted(v) if isinstance(v, set) else v for k, v in vars(args).items() if k != "out"
    }
    info["loadavg_at_end"] = os.getloadavg()
    path = write_results("broadcasts", {"machine": info, "settings": settings} | results, args.out)
    print(f"\nresults: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
