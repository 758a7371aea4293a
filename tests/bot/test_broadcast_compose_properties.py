"""Whatever an officer sends while composing a broadcast, the dialogue answers and never sticks."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.bot.reporting_support import handled, link, make_wards, queued
from tests.bot.triage_support import press
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running
from tests.people import TelegramPerson

EXAMPLES = int(os.environ.get("TINBAO_DIALOGUE_EXAMPLES", "20"))
QUESTION = "Tin phát thanh nói gì?"
_groups = itertools.count(-1002000000001, -1)
_users = itertools.count(830_001)

_TEXTS = [
    *(str(n) for n in range(12)),
    "lừa đảo", "chay", "ma túy", "hả", "", "😀🔥", "Cảnh giác " * 250, "/huy", "/phatthanh",
    "/phatthanh test", "/duyet", "/duyet 1", "/khongduyet 1", "/dinhchinh 1 x", "/dsphatthanh",
    "Tô Hiệu", "Tổ 3", "Chiềng An", "Hà Nội", "@", "ngay", "24/12 08:00", "thứ 2 8h", "31/2 9h",
    "Cảnh giác với cuộc gọi giả danh công an",
]  # fmt: skip
_BUTTONS = [
    "b:m:1", "b:m:99", "b:a:1", "b:a:2", "b:w:1", "b:k:1", "b:k:2", "b:y:1", "b:n:1",
    "b:", "b:m:", "b:x:1", "b:y:abc", "b:k:3",
]  # fmt: skip
_NO_NUL = st.characters(codec="utf-8", exclude_characters="\x00")


@dataclass(frozen=True)
class Step:
    """One thing an officer does in the group: say a text, or press a button."""

    kind: str
    value: str


STEPS = st.one_of(
    st.builds(Step, st.just("says"), st.sampled_from(_TEXTS) | st.text(_NO_NUL, max_size=40)),
    st.builds(
        Step,
        st.just("presses"),
        st.sampled_from(_BUTTONS) | st.text(_NO_NUL, min_size=1, max_size=12),
    ),
)
_WALK = ["/phatthanh", "Cảnh giác với cuộc gọi giả danh công an", "1", "ngay"]


@st.composite
def sequences(draw: st.DrawFn) -> list[Step]:
    """Part of the usual walk through the dialogue, then anything."""
    walked = draw(st.integers(0, len(_WALK)))
    rest = draw(st.lists(STEPS, min_size=max(5 - walked, 1), max_size=10 - walked))
    return [*(Step("says", said) for said in _WALK[:walked]), *rest]


async def _act(officer: TelegramPerson, group: int, step: Step) -> None:
    if step.kind == "says":
        await officer.says(step.value, group=group)
    else:
        await press(officer.running, officer, step.value, message_id=1, chat_id=group)


async def test_broadcast_dialogue_never_crashes_nor_gets_stuck_whatever_an_officer_sends(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    make_wards(running.db)
    loop = asyncio.get_running_loop()

    def run(work: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(work, loop).result(timeout=60)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(steps=sequences())
    @example(steps=[Step("says", "/phatthanh"), Step("presses", "b:k:1"), Step("says", "@")])
    def check(steps: list[Step]) -> None:
        group = next(_groups)  # a triage group each: Telegram paces a group at 20 a minute
        with running.db.session() as session:
            link(session, channel="telegram", chat_id=group, area="SL-TH", role="triage")
        officer = TelegramPerson(running, user_id=next(_users), first_name="Cán bộ")
        for step in steps:
            run(_act(officer, group, step))
        run(handled(running, chat=group))
        run(officer.says("/huy", group=group))
        run(officer.says("/phatthanh", group=group))
        run(handled(running, chat=group))
        answers = queued(running.db, "telegram", group)
        assert all(said.strip() and len(said) <= 4096 for said in answers)
        assert QUESTION in answers[-1], answers[-1]

    await asyncio.to_thread(check)
    await running.settle(timeout=60)
    with running.db.engine.connect() as connection:
        unsent = connection.execute(
            text("SELECT count(*) FROM outbox WHERE status <> 'sent'")
        ).scalar_one()
    assert unsent == 0  # the platform took every message: none empty, none too long
    assert all(c.params.get("text") for c in telegram.sent("sendMessage"))
