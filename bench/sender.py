"""Broadcast pacing: how close the sender comes to Telegram's 30 messages a second.

A broadcast of one message to each of N groups cannot finish, first call to last, faster than
(N - 1) / 30 seconds. This benchmark enqueues N bulk rows in a fresh database, runs the real
Sender (bot/sender/loop.py) in-process against FakeTelegram, which enforces Telegram's limits
and records when it received each call, and reports ratio = bound / measured (1.0 is perfect)
and the limit violations the fake saw. A second run of the same broadcast enqueues one
interactive reply half-way and measures how long it waited behind the broadcast.

The fake runs in a process of its own (bench/_fake_process.py) unless --fake-in-process:
inside the benchmarked process, the process's own pauses would also delay the fake's reading
of requests sent on time, and show as bunched arrivals Telegram would not see.

    .venv/bin/python bench/sender.py                       # 301 groups, SQLite
    .venv/bin/python bench/sender.py --groups 301,601,1201 --postgres
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import ROOT, machine, table, verdict, write_results
from _fake_process import FakeTelegramProcess, RemoteCall

from bot.sender.loop import Sender
from bot.sender.outcomes import Delivery
from bot.sender.telegram import TelegramTransport
from bot.telegram.client import make_bot
from core.db import Database
from core.leadership import acquire_leadership
from core.metrics import Metrics
from domain.outbox.messages import Outgoing
from domain.outbox.models import Lane, OutboxMessage, OutboxStatus
from domain.outbox.service import enqueue
from migrations.runner import upgrade_to_head
from tests.fakes import FakeTelegram

TOKEN = "123456:BENCH-telegram-token"
PER_SECOND = 30  # Telegram's overall limit, as FakeTelegram enforces it
TARGET_RATIO = 0.95
REPLY_CHAT = "770001"  # a resident's private chat
BROADCAST = (
    "CẢNH BÁO LỪA ĐẢO: Gần đây xuất hiện đối tượng giả danh cán bộ công an gọi điện, yêu cầu "
    "người dân chuyển tiền hoặc cài ứng dụng lạ để “xác minh” tài khoản. Công an phường không "
    "bao giờ làm việc qua điện thoại như vậy. Nếu nhận được cuộc gọi đáng ngờ, hãy báo ngay "
    "qua Tin báo hoặc gọi 113. — Công an phường"
)


def group_ids(n: int) -> list[str]:
    """N distinct supergroup ids (negative, as Telegram's are)."""
    return [str(-1002000000000 - i) for i in range(n)]


def enqueue_broadcast(db: Database, chats: list[str]) -> None:
    """One bulk row per group, in one transaction, as a broadcast's fan-out writes them."""
    with db.session() as session:
        for chat in chats:
            enqueue(
                session,
                channel="telegram",
                chat_id=chat,
                message=Outgoing(text=BROADCAST),
                lane=Lane.BULK,
            )


def enqueue_reply(db: Database) -> None:
    """One interactive reply to a resident's private chat."""
    with db.session() as session:
        enqueue(
            session,
            channel="telegram",
            chat_id=REPLY_CHAT,
            message=Outgoing(text="Cảm ơn bạn, tin báo đã được ghi nhận. Mã tin báo: K7QX2."),
            lane=Lane.INTERACTIVE,
        )


def unfinished(db: Database) -> int:
    """Outbox rows not yet recorded as sent or failed."""
    from sqlalchemy import func, select
    from sqlmodel import col

    with db.session() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    col(OutboxMessage.status).in_(
                        [OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]
                    )
                )
            )
            or 0
        )


class InProcessFake:
    """FakeTelegram in this process, answering as FakeTelegramProcess does."""

    def __init__(self, token: str) -> None:
        self._fake = FakeTelegram(token=token).start()
        self.url = self._fake.url

    def reset(self) -> None:
        """Forget calls, violations and limit windows."""
        self._fake.reset()

    def calls(self) -> tuple[list[RemoteCall], list[tuple[str, str | None, float]]]:
        """The calls and the violations recorded since the last reset."""
        with self._fake._lock:
            calls = [RemoteCall(c.method, c.chat_id, c.at, c.status) for c in self._fake.calls]
            return calls, list(self._fake.violations)

    def stop(self) -> None:
        """Stop serving."""
        self._fake.stop()


Fake = InProcessFake | FakeTelegramProcess


class CountingTransport:
    """The real Telegram transport, counting deliveries so the benchmark knows its progress."""

    def __init__(self, inner: TelegramTransport) -> None:
        self._inner = inner
        self.channel = inner.channel
        self.limits = inner.limits
        self.delivered = 0
        self.changed = asyncio.Event()

    async def deliver(self, delivery: Delivery) -> str | None:
        """Deliver through the real transport; count it when it went through."""
        message_id = await self._inner.deliver(delivery)
        self.delivered += 1
        self.changed.set()
        return message_id


async def run_broadcast(
    url: str, fake: Fake, n: int, *, with_reply: bool, give_up_after: float
) -> dict[str, Any]:
    """Send one broadcast to n groups (and, with_reply, one reply half-way); measure it."""
    db = Database(url)
    upgrade_to_head(db)
    chats = group_ids(n)
    enqueue_broadcast(db, chats)
    bot = make_bot(token=TOKEN, api_url=fake.url)
    await bot.initialize()  # getMe, as the service does at start
    fake.reset()
    lease = acquire_leadership(
        db, name="leader", holder="bench-sender", ttl=timedelta(seconds=give_up_after + 60)
    )
    assert lease is not None
    transport = CountingTransport(TelegramTransport(bot, per_second=PER_SECOND))
    sender = Sender(db, {"telegram": transport}, Metrics(), lambda: lease)
    wanted = n + (1 if with_reply else 0)
    reply_enqueued_at: float | None = None
    started = time.monotonic()
    task = asyncio.create_task(sender.run(), name="sender")
    deadline = started + give_up_after
    try:
        while transport.delivered < wanted and time.monotonic() < deadline:
            transport.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(transport.changed.wait(), 0.5)
            if with_reply and reply_enqueued_at is None and transport.delivered >= n // 2:
                reply_enqueued_at = time.monotonic()
                await asyncio.to_thread(enqueue_reply, db)
                sender.notify()  # as the inbox worker does after its transaction
        delivered_at = time.monotonic()
        # The rows are marked sent just after each call: poll the table until all are.
        while time.monotonic() < deadline and await asyncio.to_thread(unfinished, db) > 0:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        recorded_at = time.monotonic()
    finally:
        sender.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 30)
        await bot.shutdown()
    left = await asyncio.to_thread(unfinished, db)
    db.dispose()
    calls, violations = fake.calls()
    timing = (started, reply_enqueued_at, delivered_at, recorded_at)
    return measure(calls, violations, n, chats, with_reply, timing, left)


def measure(
    all_calls: list[RemoteCall],
    violations: list[tuple[str, str | None, float]],
    n: int,
    chats: list[str],
    with_reply: bool,
    timing: tuple[float, float | None, float, float],
    left: int,
) -> dict[str, Any]:
    """Read the fake's record of the calls into the benchmark's numbers."""
    started, reply_enqueued_at, delivered_at, recorded_at = timing
    calls = [c for c in all_calls if c.method == "sendMessage"]
    ok = [c for c in calls if c.status == 200]
    groups = set(chats)
    bulk = sorted(c.at for c in ok if c.chat_id in groups)
    per_chat = Counter(c.chat_id for c in ok)
    reply = [c.at for c in ok if c.chat_id == REPLY_CHAT]
    span = bulk[-1] - bulk[0] if len(bulk) > 1 else float("nan")
    messages_in_span = len([c for c in ok if bulk and bulk[0] <= c.at <= bulk[-1]])
    # (N - 1) / 30 for a broadcast alone; a reply sent inside the span takes one more slot.
    bound = (messages_in_span - 1) / PER_SECOND
    gaps = [b - a for a, b in itertools.pairwise(bulk)]
    result: dict[str, Any] = {
        "groups": n,
        "with_reply": with_reply,
        "delivered_groups": len(bulk),
        "duplicates": sum(v - 1 for v in per_chat.values() if v > 1),
        "not_ok_calls": len(calls) - len(ok),
        "violations": len(violations),
        "violation_kinds": dict(Counter(kind for kind, _, _ in violations)),
        "messages_in_span": messages_in_span,
        "bound_s": round(bound, 3),
        "first_to_last_s": round(span, 3),
        "ratio": round(bound / span, 4) if span == span and span > 0 else None,
        "start_to_first_s": round(bulk[0] - started, 3) if bulk else None,
        "wall_start_to_last_call_s": round(max(bulk + reply) - started, 3) if bulk else None,
        "wall_start_to_all_recorded_s": round(recorded_at - started, 3),
        "record_lag_after_last_delivery_s": round(recorded_at - delivered_at, 3),
        "rows_unfinished": left,
        "achieved_per_s": round((len(bulk) - 1) / span, 2) if span == span and span > 0 else None,
        "gap_ms": {
            "median": round(1000 * statistics.median(gaps), 2) if gaps else None,
            "p99": round(1000 * sorted(gaps)[int(0.99 * (len(gaps) - 1))], 2) if gaps else None,
            "max": round(1000 * max(gaps), 2) if gaps else None,
        },
    }
    if with_reply:
        result["reply_delay_ms"] = (
            round(1000 * (reply[0] - reply_enqueued_at), 1)
            if reply and reply_enqueued_at is not None
            else None
        )
    return result


async def run_all(args: argparse.Namespace, engines: dict[str, Any]) -> list[dict[str, Any]]:
    """Every (engine, N, scenario, repeat) in turn, each on a fresh database."""
    results = []
    fake: Fake = InProcessFake(TOKEN) if args.fake_in_process else FakeTelegramProcess(TOKEN)
    try:
        for engine, make_url in engines.items():
            for n in args.groups:
                for repeat in range(1, args.repeat + 1):
                    for with_reply in (False, True):
                        label = (
                            f"{engine}, {n} groups{' + reply' if with_reply else ''}, run {repeat}"
                        )
                        print(f"{label} ...", file=sys.stderr, flush=True)
                        url = make_url(f"b{n}_{int(with_reply)}_{repeat}")
                        give_up_after = 3 * n / PER_SECOND + 30
                        result = await run_broadcast(
                            url, fake, n, with_reply=with_reply, give_up_after=give_up_after
                        )
                        result |= {
                            "loadavg_1m_after": round(os.getloadavg()[0], 2),
                            "engine": engine,
                            "repeat": repeat,
                            "fake": "in-process" if args.fake_in_process else "subprocess",
                        }
                        print(
                            f"  ratio {result['ratio']}, {result['first_to_last_s']} s for bound"
                            f" {result['bound_s']} s, violations {result['violations']}"
                            + (f", reply {result['reply_delay_ms']} ms" if with_reply else ""),
                            file=sys.stderr, flush=True,
                        )  # fmt: skip
                        results.append(result)
    finally:
        fake.stop()
    return results


def print_report(results: list[dict[str, Any]]) -> None:
    """The results table, with verdicts."""
    rows = []
    for r in results:
        passed = (
            r["ratio"] is not None
            and r["ratio"] >= TARGET_RATIO
            and r["violations"] == 0
            and r["delivered_groups"] == r["groups"]
            and r["duplicates"] == 0
        )
        rows.append(
            [
                r["engine"], r["groups"], "yes" if r["with_reply"] else "no", r["repeat"],
                r["delivered_groups"], r["bound_s"], r["first_to_last_s"], r["ratio"],
                r["achieved_per_s"], r["gap_ms"]["max"], r["violations"], r["not_ok_calls"],
                r["wall_start_to_last_call_s"], r["wall_start_to_all_recorded_s"],
                r.get("reply_delay_ms", "-"), r["loadavg_1m_after"], verdict(passed),
            ]
        )  # fmt: skip
    print(
        table(
            ["engine", "N", "reply", "run", "delivered", "bound s", "measured s", "ratio", "msg/s", "max gap ms", "violations", "non-200", "wall to last call s", "wall to recorded s", "reply delay ms", "load 1m", "ratio>=0.95 & 0 violations"],
            rows,
        )
    )  # fmt: skip


def main() -> None:
    """Parse options, prepare the databases, run, report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", default="301", help="comma-separated N, e.g. 301,601,1201")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--pg-fast", action="store_true", help="PostgreSQL with fsync=off (as in tests)"
    )
    parser.add_argument(
        "--fake-in-process",
        action="store_true",
        help="serve FakeTelegram from a thread of this process (default: a process of its own)",
    )
    parser.add_argument(
        "--out", type=Path, help="results file (default bench/results/sender-<date>.json)"
    )
    args = parser.parse_args()
    args.groups = [int(x) for x in args.groups.split(",")]
    info = machine()
    print(f"machine: {info}")
    workdir = Path(tempfile.mkdtemp(prefix="tinbao-bench-sender-"))
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
        # As `tinbao serve` does before serving: a frozen heap keeps collections short.
        gc.collect()
        gc.freeze()
        results = asyncio.run(run_all(args, engines))
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print_report(results)
    settings = {k: v for k, v in vars(args).items() if k != "out"}
    path = write_results(
        "sender",
        {"machine": info, "settings": settings, "target_ratio": TARGET_RATIO, "results": results},
        args.out,
    )
    print(f"\nresults: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
