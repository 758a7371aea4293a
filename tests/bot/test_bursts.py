"""Bursts of reports against Telegram's 20 messages a minute into a group: none is ever unseen."""

from __future__ import annotations

import asyncio

import pytest

from tests.bot.burst_support import (
    burst,
    digests_in,
    refused_for_limits,
    until_visible,
    visible_codes,
)
from tests.bot.reporting_support import TRIAGE, make_wards
from tests.bot.triage_support import buttons_of, card_of, press
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running
from tests.people import TelegramPerson

FIRE = [
    "Cháy lớn ở chợ Tô Hiệu, khói bốc cao lắm",
    "chay o cho To Hieu anh chi oi khoi nhieu lam",
    "Chợ Tô Hiệu đang cháy, lửa to",
    "cháy chợ tô hiệu rồi, gọi cứu hỏa",
    "Khói đen bốc lên từ chợ Tô Hiệu, hình như cháy",
]
SEVERAL = [
    "Cháy lớn ở chợ Tô Hiệu, khói bốc cao lắm",
    "Đánh nhau có dao ở quán karaoke đường Trần Phú",
    "Trộm xe máy trước cửa nhà số 12 Lò Văn Giá",
]


@pytest.fixture
def ward(running: Running) -> Running:
    """Sơn La's police on Telegram (20 messages a minute), Tô Hiệu's residents on Zalo."""
    make_wards(running.db)
    return running


async def test_burst_about_one_event_reaches_the_police_within_the_limit(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    codes = await burst(ward, [FIRE[n % len(FIRE)] for n in range(30)])
    assert len(codes) == 30
    seconds = await until_visible(telegram, TRIAGE, codes)
    assert seconds < 20
    assert refused_for_limits(telegram) == 0
    digests = digests_in(telegram, TRIAGE)
    assert digests, "a burst past half the group's minute is listed in a digest"
    cards = [c for c in codes if any(c in d for d in digests) is False]
    assert len(cards) <= 10  # half of Telegram's 20 a minute, the rest for digests and answers
    assert len(telegram.sent(chat_id=TRIAGE)) <= 20


async def test_burst_about_several_events_in_one_ward_shows_every_report(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    codes = await burst(ward, [SEVERAL[n % 3] for n in range(24)])
    await until_visible(telegram, TRIAGE, codes)
    assert refused_for_limits(telegram) == 0
    listed = "\n".join(digests_in(telegram, TRIAGE))
    assert "Cháy nổ" in listed or "Đánh nhau" in listed or "Trộm cắp" in listed
    # A card's suggestion names a report of the same event, never one of another.
    event_of = {code: n % 3 for n, code in enumerate(codes)}
    for code in codes:
        found = [
            m
            for (chat, _id), m in telegram.messages.items()
            if chat == str(TRIAGE) and str(m.get("text", "")).split(" · ")[0].endswith(code)
        ]
        for card in found:
            for data in buttons_of(card):
                if data.startswith(f"t:same:{code}:"):
                    assert event_of[data.split(":")[3]] == event_of[code]


async def test_burst_digest_opens_a_report_as_its_full_card(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    codes = await burst(ward, [SEVERAL[n % 3] for n in range(14)])
    await until_visible(telegram, TRIAGE, codes)
    digest_id, digest = next(
        (message_id, m)
        for (chat, message_id), m in telegram.messages.items()
        if chat == str(TRIAGE) and str(m.get("text", "")).startswith("📋 ")
    )
    listed = codes[-1]
    assert listed in digest["text"] and f"t:show:{listed}" in buttons_of(digest)
    assert "Gõ /xem MÃ (/show) để xem thẻ đầy đủ của một tin báo." in digest["text"]
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", last_name="Trần")
    await press(ward, officer, f"t:show:{listed}", message_id=digest_id, chat_id=TRIAGE)
    await officer.says(f"/xem {codes[-2]}", group=TRIAGE)
    for code in (listed, codes[-2]):
        for _ in range(300):  # the group's minute may be full: its card waits its turn
            if any(
                str(m.get("text", "")).startswith(f"🆕 Tin báo {code} · ")
                for (chat, _id), m in telegram.messages.items()
            ):
                break
            await asyncio.sleep(0.25)
        _id, card = card_of(telegram, TRIAGE, code)
        assert f"t:claim:{code}" in buttons_of(card)
    assert refused_for_limits(telegram) == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_burst_digest_turns_back_into_cards_when_the_backlog_clears(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    codes = await burst(ward, [FIRE[n % len(FIRE)] for n in range(14)])
    await until_visible(telegram, TRIAGE, codes)
    assert digests_in(telegram, TRIAGE)
    await asyncio.sleep(62)  # Telegram's minute for the group: nothing to wait for but time
    later = await burst(ward, ["Trộm xe máy trước cửa nhà số 12 Lò Văn Giá"], first_user=100)
    await until_visible(telegram, TRIAGE, later)
    assert later[0] not in "\n".join(digests_in(telegram, TRIAGE))
    _id, card = card_of(telegram, TRIAGE, later[0])
    assert card["text"].endswith("Trộm xe máy trước cửa nhà số 12 Lò Văn Giá")
    assert visible_codes(telegram, TRIAGE) >= set(codes + later)
    assert refused_for_limits(telegram) == 0
