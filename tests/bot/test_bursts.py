"""Bursts of reports against Telegram's 20 messages a minute into a group: none is ever unseen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from tests.bot.burst_support import (
    burst,
    digests_in,
    refused_for_limits,
    until_visible,
    visible_codes,
)
from tests.bot.reporting_support import TRIAGE, handled, link, make_wards, reports
from tests.bot.triage_support import ZALO_TRIAGE, buttons_of, card_of, press, zalo_texts
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running
from tests.people import TelegramPerson, ZaloPerson, texts_to

FIRE = [
    "Cháy lớn ở chợ Tô Hiệu, khói bốc cao lắm",
    "chay o cho To Hieu anh chi oi khoi nhieu lam",
    "Chợ Tô Hiệu đang cháy, lửa to",
    "cháy chợ tô hiệu rồi, gọi cứu hỏa",
    "Khói đen bốc lên từ chợ Tô Hiệu, hình như cháy",
]
# Sixteen events that nobody would take for one another.
DISTINCT = [
    "Có người lạ bán ma túy ở hẻm 45 Trần Phú",
    "Bị lừa chuyển khoản 5 triệu qua Zalo giả danh ngân hàng",
    "Mất trộm điện thoại ở quán cà phê Hoa Ban",
    "Xe tải đỗ chắn lối đi trường tiểu học",
    "Nhóm thanh niên tụ tập nẹt pô ở cầu Trắng lúc nửa đêm",
    "Người đàn ông lạ lảng vảng nhìn vào các nhà ở tổ 7",
    "Mất cắp xe đạp trước cổng trường",
    "Có tiếng nổ lớn ở trạm biến áp đường Chu Văn Thịnh",
    "Trẻ em đi lạc ở công viên, mặc áo đỏ",
    "Nhà hàng xóm mở nhạc to suốt đêm",
    "Cây đổ chắn ngang đường Lê Duẩn",
    "Chó thả rông cắn người ở bản Hài",
    "Đường ống nước vỡ tràn ra phố",
    "Đối tượng tàng trữ súng tự chế ở tổ 2",
    "Bán hàng giả ở chợ đêm",
    "Xe container vượt đèn đỏ ở ngã ba Quyết Thắng",
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


def clusters_in(telegram: FakeTelegram) -> list[str]:
    """The current texts of the cluster cards in the police's group."""
    return [
        str(m.get("text"))
        for (chat, _id), m in telegram.messages.items()
        if chat == str(TRIAGE) and " tin báo trong " in str(m.get("text", "")).split("\n")[0]
    ]


async def until_true(check: Callable[[], bool], *, timeout: float = 30) -> None:
    """Wait until what the police see passes the check."""
    for _ in range(int(timeout / 0.1)):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the police never saw it")


async def test_burst_about_one_event_is_one_cluster_card(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    codes = await burst(ward, [FIRE[n % len(FIRE)] for n in range(30)])
    assert len(codes) == 30
    seconds = await until_visible(telegram, TRIAGE, codes)
    assert seconds < 20
    await until_true(lambda: any("30 tin báo trong" in c for c in clusters_in(telegram)))
    (cluster,) = clusters_in(telegram)
    lines = cluster.split("\n")
    assert lines[0].startswith("🔥 Cháy nổ, PCCC · 30 tin báo trong ")
    assert lines[0].endswith(" · Tô Hiệu, Sơn La")
    assert "🚨 KHẨN" in lines  # thirty residents writing "cháy": one urgent card
    assert f"Tin báo đầu tiên ({codes[0]}):" in lines and FIRE[0] in lines
    assert all(code in cluster for code in codes)
    # The first two came as cards (the second naming the first); the rest only in the cluster.
    assert len(telegram.sent("sendMessage", TRIAGE)) <= 4
    assert refused_for_limits(telegram) == 0


async def test_burst_about_several_events_in_one_ward_is_a_cluster_each(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    codes = await burst(ward, [SEVERAL[n % 3] for n in range(24)])
    await until_visible(telegram, TRIAGE, codes)
    await until_true(lambda: sum("8 tin báo trong" in c for c in clusters_in(telegram)) == 3)
    event_of = {code: n % 3 for n, code in enumerate(codes)}
    for cluster in clusters_in(telegram):
        listed = {code for code in codes if code in cluster}
        assert len(listed) == 8 and len({event_of[code] for code in listed}) == 1
    assert refused_for_limits(telegram) == 0


async def test_burst_of_distinct_reports_is_listed_in_a_digest_within_the_limit(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    codes = await burst(ward, DISTINCT)
    seconds = await until_visible(telegram, TRIAGE, codes)
    assert seconds < 20
    digests = digests_in(telegram, TRIAGE)
    assert digests, "a burst past half the group's minute is listed in a digest"
    carded = [c for c in codes if not any(c in d for d in digests)]
    assert len(carded) <= 10  # half of Telegram's 20 a minute: the rest for digests and answers
    assert not clusters_in(telegram)
    assert refused_for_limits(telegram) == 0


async def test_burst_digest_opens_a_report_as_its_full_card(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    codes = await burst(ward, DISTINCT[:14])
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
        # The group's minute may be full: the card waits its turn.
        await until_true(
            lambda code=code: any(  # type: ignore[misc]
                str(m.get("text", "")).startswith(f"🆕 Tin báo {code} · ")
                for m in list(telegram.messages.values())
            ),
            timeout=75,
        )
        _id, card = card_of(telegram, TRIAGE, code)
        assert f"t:claim:{code}" in buttons_of(card)
    assert refused_for_limits(telegram) == 0


async def test_burst_cluster_marks_the_rest_as_duplicates_in_one_confirmed_step(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    codes = await burst(ward, [FIRE[n % len(FIRE)] for n in range(5)], introduced=True)
    await until_true(lambda: any("5 tin báo trong" in c for c in clusters_in(telegram)))
    cluster_id, cluster = next(
        (message_id, m)
        for (chat, message_id), m in telegram.messages.items()
        if chat == str(TRIAGE) and "5 tin báo trong" in str(m.get("text", ""))
    )
    assert buttons_of(cluster)[0] == f"t:merge:{codes[0]}"
    assert f"t:show:{codes[3]}" in buttons_of(cluster)
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", last_name="Trần")
    await press(ward, officer, f"t:merge:{codes[0]}", message_id=cluster_id, chat_id=TRIAGE)
    await ward.settle()
    question_id, question = max(
        (message_id, m)
        for (chat, message_id), m in telegram.messages.items()
        if chat == str(TRIAGE) and str(m.get("text", "")).startswith("Đánh dấu 4 tin báo")
    )
    assert buttons_of(question) == [f"t:mergeok:{codes[0]}"]
    assert {r["status"] for r in reports(ward.db)} == {"new"}  # nothing before the confirmation
    await press(ward, officer, f"t:mergeok:{codes[0]}", message_id=question_id, chat_id=TRIAGE)
    await ward.settle()
    status = {r["code"]: r["status"] for r in reports(ward.db)}
    assert status[codes[0]] == "new"
    assert all(status[code] == "duplicate" for code in codes[1:])
    _id, card = card_of(telegram, TRIAGE, codes[1])
    assert f"Trùng với tin báo {codes[0]}" in card["text"]
    assert any("Đang mở: 1/5" in c for c in clusters_in(telegram))
    await ward.settle()
    told = texts_to(zalo, "5820000000000000005")
    assert any(codes[4] in t and "đã nắm" in t for t in told)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_burst_digest_turns_back_into_cards_when_the_backlog_clears(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    codes = await burst(ward, DISTINCT[:14])
    await until_visible(telegram, TRIAGE, codes)
    assert digests_in(telegram, TRIAGE)
    await asyncio.sleep(62)  # Telegram's minute for the group: nothing to wait for but time
    later = await burst(ward, [DISTINCT[15]], first_user=100)
    await until_visible(telegram, TRIAGE, later)
    assert later[0] not in "\n".join(digests_in(telegram, TRIAGE))
    _id, card = card_of(telegram, TRIAGE, later[0])
    assert card["text"].endswith(DISTINCT[15])
    assert visible_codes(telegram, TRIAGE) >= set(codes + later)
    assert refused_for_limits(telegram) == 0


async def test_burst_urgent_report_goes_ahead_in_the_digest_without_waiting(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    routine = [t for n, t in enumerate(DISTINCT) if n not in (7, 13)]  # none of them urgent
    codes = await burst(ward, routine[:13])
    urgent = await burst(ward, ["Cháy nhà số 99 tổ 8, có người mắc kẹt"], first_user=50)
    await until_visible(telegram, TRIAGE, codes + urgent)
    digest = next(d for d in digests_in(telegram, TRIAGE) if urgent[0] in d)
    listed = [line for line in digest.split("\n")[2:] if " · " in line]
    assert listed[0].startswith(f"🚨 {urgent[0]} · Cháy nổ, PCCC · ")
    assert not any(line.startswith("🚨") for line in listed[1:])
    assert refused_for_limits(telegram) == 0


async def test_burst_on_zalo_police_is_one_cluster_message_opened_by_command(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    _telegram, zalo = platforms
    with ward.db.session() as session:
        link(session, channel="zalo", chat_id=ZALO_TRIAGE, area="SL-CA", role="triage")
        link(session, channel="zalo", chat_id="g_chieng_an", area="SL-CA", role="community")
    for number in range(6):
        await ZaloPerson(ward, user_id=f"58300000000{number:08d}").says(
            f"/report {FIRE[number % len(FIRE)]}", group="g_chieng_an"
        )
    await handled(ward)
    codes = [str(r["code"]) for r in reports(ward.db)]
    await ward.settle(timeout=30)
    texts = zalo_texts(zalo, ZALO_TRIAGE)
    clusters = [t for t in texts if " tin báo trong " in t.split("\n")[0]]
    assert clusters and all(code in clusters[-1] for code in codes)
    assert "6 tin báo trong" in clusters[-1]
    assert len(texts) < len(codes) + 2  # fewer messages than a card each, with no edits
    officer = ZaloPerson(ward, user_id="5810000000009999", display_name="Mai")
    await officer.says(f"/xem {codes[4]}", group=ZALO_TRIAGE)
    await ward.settle(timeout=30)
    assert zalo_texts(zalo, ZALO_TRIAGE)[-1].startswith(f"🆕 Tin báo {codes[4]} · Cháy nổ")
