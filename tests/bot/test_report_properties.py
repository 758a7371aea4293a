"""Whatever a resident sends, in whatever order, the dialogue answers and never gets stuck."""

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

from core.i18n import gettext_for
from tests.bot.reporting_support import handled, make_wards, private_update, queued
from tests.conftest import FIXTURES
from tests.factories import make_area
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running, load_json
from tests.people import TelegramPerson

# TINBAO_DIALOGUE_EXAMPLES raises the count for a longer search (with --timeout=0).
EXAMPLES = int(os.environ.get("TINBAO_DIALOGUE_EXAMPLES", "25"))
CATEGORY_QUESTION = "What would you like to report? Answer with a number:"
_users = itertools.count(820_001)

_TEXTS = [
    *(str(n) for n in range(13)),
    "xong", "bỏ qua", "😀🔥👍", "", "Có người lạ ở ngõ 5 " * 250,  # 5,000 characters
    "/baocao", "/huy", "/quaylai", "/tracuu", "/tracuu K7QX2M", "/ngonngu en", "/ngonngu vi",
    "/start", "/help", "/report", "/back", "/cancel",
    "Tô Hiệu", "to hieu", "phuong chieng le", "Tổ 3", "Chiềng An", "Hà Nội", "@Tô Hiệu", "@",
    "tối qua", "2 tiếng trước", "20/11 lúc 22h", "vừa xong", "31/02 lúc 25h",
]  # fmt: skip
# Buttons of each question, and data no button of the bot carries.
_BUTTONS = [
    "r:cat:drugs", "r:cat:theft", "r:area:2", "r:area:6", "r:when:now", "r:ev:done",
    "r:anon:yes", "r:anon:no", "r:ok:send", "r:ok:again", "r:ok:cancel", "lang:en", "lang:vi",
    "r:cat:junk", "r:area:abc", "r:area:", "r:when:later", "r:ev:x", "r:anon:", "lang:fr", "x",
]  # fmt: skip


@dataclass(frozen=True)
class Step:
    """One thing a resident does: say a text, press a button, send a sticker or a place, edit."""

    kind: str
    value: Any = None


_NO_NUL = st.characters(codec="utf-8", exclude_characters="\x00")
STEPS = st.one_of(
    # No NUL: PostgreSQL refuses it in text columns, and the adapters do not strip it yet.
    st.builds(Step, st.just("says"), st.sampled_from(_TEXTS) | st.text(_NO_NUL, max_size=40)),
    st.builds(
        Step,
        st.just("presses"),
        st.sampled_from(_BUTTONS) | st.text(_NO_NUL, min_size=1, max_size=20),
    ),
    st.builds(Step, st.just("sticker")),
    st.builds(
        Step,
        st.just("location"),
        st.tuples(st.floats(-90, 90), st.floats(-180, 180)) | st.just((21.343, 103.945)),
    ),
    st.builds(Step, st.just("edits"), st.sampled_from(_TEXTS)),
)


# Most of the way through the dialogue, so that random steps reach its later questions too.
_WALK = ["/baocao", "1", "phuong chieng le", "Có người lạ đi xe không biển số", "tối qua", "xong"]


@st.composite
def sequences(draw: st.DrawFn) -> list[Step]:
    """Six to twelve steps: part of the usual walk through the dialogue, then anything."""
    walked = draw(st.integers(0, len(_WALK)))
    rest = draw(st.lists(STEPS, min_size=max(6 - walked, 1), max_size=12 - walked))
    return [*_said(*_WALK[:walked]), *rest]


def _said(*texts: str) -> list[Step]:
    return [Step("says", said) for said in texts]


async def _act(person: TelegramPerson, step: Step) -> None:
    if step.kind == "says":
        await person.says(step.value)
    elif step.kind == "presses":
        await person.presses(step.value)
    elif step.kind == "edits":
        await person.running.post_telegram(
            private_update(person, "edited_message", text=step.value)
        )
    elif step.kind == "sticker":
        sticker = load_json(FIXTURES, "telegram/private_sticker.json")["message"]["sticker"]
        await person.running.post_telegram(private_update(person, "message", sticker=sticker))
    else:
        latitude, longitude = step.value
        await person.shares_location(latitude, longitude)


async def test_dialogue_never_crashes_nor_gets_stuck_whatever_a_resident_sends(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    make_wards(running.db)
    with running.db.session() as session:  # a second Tô Hiệu: "to hieu" asks which one
        city = make_area(session, code="HP", name="Hải Phòng", kind="province")
        make_area(session, code="HP-TH", name="Tô Hiệu", parent=city)
    loop = asyncio.get_running_loop()
    asked = {gettext_for(locale)(CATEGORY_QUESTION) for locale in ("vi", "en")}

    def run(work: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(work, loop).result(timeout=60)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(steps=sequences())
    # Inputs that once crashed the dialogue: a place typed with "@", forged button data.
    @example(steps=_said("/baocao", "1", "@Tô Hiệu", "@", "@1,2"))
    @example(steps=[*_said("/baocao", "1", "to hieu"), Step("presses", "r:area:abc")])
    @example(
        steps=[
            *_said("/baocao"),
            Step("presses", "r:cat:junk"),
            *_said("3", "phuong chieng le", "Có người lạ gọi điện", "vừa xong", "xong", "1", "1"),
        ]
    )
    def check(steps: list[Step]) -> None:
        person = TelegramPerson(running, user_id=next(_users), first_name="Cư dân", username=None)
        for step in steps:
            run(_act(person, step))
        run(handled(running, chat=person.user_id))
        run(person.says("/huy"))
        run(person.says("/baocao"))
        run(handled(running, chat=person.user_id))
        answers = queued(running.db, "telegram", person.user_id)
        assert all(said.strip() and len(said) <= 4096 for said in answers)
        assert answers[-1].split("\n")[0] in asked, answers[-1]

    # Hypothesis runs synchronously: it drives the service, on this loop, from a thread.
    await asyncio.to_thread(check)
    await running.settle(timeout=60)
    with running.db.engine.connect() as connection:
        unsent = connection.execute(
            text("SELECT count(*) FROM outbox WHERE status <> 'sent'")
        ).scalar_one()
    assert unsent == 0  # the platform took every message: none empty, none too long
    assert all(c.params.get("text") for c in telegram.sent("sendMessage"))
