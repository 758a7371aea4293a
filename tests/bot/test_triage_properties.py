"""Whatever officers tap or type, in whatever order, the desk keeps docs/chat.md's table of moves."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from collections.abc import Coroutine
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from domain.reports.models import Status
from domain.reports.triage import MOVES, Move
from tests.bot.reporting_support import TRIAGE, ZALO_GROUP, handled, make_wards, reports
from tests.bot.triage_support import press
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running
from tests.people import TelegramPerson, ZaloPerson

EXAMPLES = int(os.environ.get("TINBAO_DESK_EXAMPLES", "20"))
NON_MEMBER = 880099
OFFICERS = (880001, 880002, NON_MEMBER)
_COMMANDS = [
    "nhan", "claim", "bonhan", "unclaim", "tuchoi", "reject", "giaiquyet", "resolve",
    "trung", "duplicate", "chuyen", "transfer", "molai", "reopen", "hoi", "ask", "hangcho",
]  # fmt: skip
_WORDS = ["", "Đã xử lý xong", "Chiềng An", "chieng an", "Hà Nội", "K7QX2M", "😀", "x" * 300]

TAPS = st.tuples(
    st.just("tap"),
    st.sampled_from(OFFICERS),
    st.sampled_from([m.value for m in Move] + ["ask", "to", "tp", "q", "junk"]),
    st.integers(0, 1),
    st.text(max_size=12),
)
COMMANDS = st.tuples(
    st.just("says"),
    st.sampled_from(OFFICERS),
    st.sampled_from(_COMMANDS),
    st.integers(0, 2),
    st.sampled_from(_WORDS) | st.text(max_size=20).filter(lambda t: "\x00" not in t),
)


def _data(action: str, code: str, extra: str) -> str:
    """Button data as a card carries it, or as a forger might make it up."""
    if action == "q":
        return f"t:q:{extra[:3]}"
    if action in {"to", "tp"}:
        return f"t:{action}:{code}:{extra[:8]}"
    if action == "junk":
        return ("t:" + extra)[:64]
    return f"t:{action}:{code}"


def replayed(events: list[tuple[str, str]]) -> str:
    """The status docs/chat.md's table of moves gives after the timeline's moves, checking each one."""
    status = Status.NEW
    for kind, details in events:
        if kind not in {m.value for m in Move}:
            continue
        sources, target = MOVES[Move(kind)]
        assert status in sources, f"{kind} was made from {status}"
        assert json.loads(details)["from"] == status.value
        status = target
    return status.value


async def test_the_desk_keeps_the_table_whatever_officers_do(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    make_wards(running.db)
    telegram.members[(TRIAGE, NON_MEMBER)] = "left"
    residents = itertools.count(5_810_000_000_100_000)  # one each time: ten reports a day
    loop = asyncio.get_running_loop()

    def run(work: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(work, loop).result(timeout=60)

    def run_tap(work: Coroutine[Any, Any, bool]) -> int:
        return int(asyncio.run_coroutine_threadsafe(work, loop).result(timeout=60))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(steps=st.lists(TAPS | COMMANDS, min_size=1, max_size=10))
    def check(steps: list[tuple[str, int, str, int, str]]) -> None:
        resident = ZaloPerson(running, user_id=str(next(residents)))
        run(resident.says("/report Có người lạ bán ma túy ở tổ 3", group=ZALO_GROUP))
        run(resident.says("/report Mất trộm xe máy ở tổ 3", group=ZALO_GROUP))
        run(handled(running))
        codes = [str(r["code"]) for r in reports(running.db)[-2:]] + ["ZZZZZZ"]
        answered_before = len(telegram.sent("answerCallbackQuery"))
        taps = 0
        for kind, user, action, which, extra in steps:
            officer = TelegramPerson(running, user_id=user, first_name=f"CB{user}", username=None)
            if kind == "tap":
                code = codes[which]
                taps += run_tap(_tap(running, officer, _data(action, code, extra)))
            else:
                run(officer.says(f"/{action} {codes[which]} {extra}".strip(), group=TRIAGE))
        run(handled(running))
        run(_answered(telegram, answered_before + taps))
        with running.db.engine.connect() as connection:
            for code in codes[:2]:
                rows = connection.execute(
                    text(
                        "SELECT e.kind, e.details, e.actor, r.status FROM report_events e"
                        " JOIN reports r ON r.id = e.report_id WHERE r.code = :code"
                        " ORDER BY e.id"
                    ),
                    {"code": code},
                ).all()
                assert replayed([(r.kind, r.details) for r in rows]) == rows[0].status
                assert f"telegram:{NON_MEMBER}" not in {r.actor for r in rows}

    await asyncio.to_thread(check)
    # Every button was answered once, and what the desk wrote so far Telegram accepted (the
    # rest waits for the group's pace of 20 messages a minute).
    answered = [c.params["callback_query_id"] for c in telegram.sent("answerCallbackQuery")]
    assert len(answered) == len(set(answered))
    with running.db.engine.connect() as connection:
        failed = connection.execute(
            text("SELECT count(*) FROM outbox WHERE status = 'failed'")
        ).scalar_one()
    assert failed == 0


async def _tap(running: Running, officer: TelegramPerson, data: str) -> bool:
    """Tap a button with this data; False when Telegram could carry no such button."""
    if not 1 <= len(data.encode()) <= 64:
        return False
    await press(running, officer, data, message_id=1, chat_id=TRIAGE)
    return True


async def _answered(telegram: FakeTelegram, count: int) -> None:
    """Wait until Telegram got `count` button answers in all; fail on more, or on a timeout."""
    deadline = asyncio.get_running_loop().time() + 15
    while len(telegram.sent("answerCallbackQuery")) < count:
        assert asyncio.get_running_loop().time() < deadline, "a tap went unanswered"
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)  # an answer too many would arrive about now
    assert len(telegram.sent("answerCallbackQuery")) == count
