"""Likely duplicates on the card: named with time and place, marked in one tap, or set aside."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.bot.reporting_support import TRIAGE, ZALO_GROUP, link, make_wards, reports
from tests.bot.triage_support import ZALO_TRIAGE, button_answers, buttons_of, card_of, press
from tests.factories import make_area
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running
from tests.people import TelegramPerson, ZaloPerson, texts_to


@pytest.fixture
def ward(running: Running) -> Running:
    """Sơn La's police on Telegram; Tô Hiệu's residents on Zalo; Chiềng An far away on Zalo."""
    make_wards(running.db)
    with running.db.session() as session:
        link(session, channel="zalo", chat_id=ZALO_TRIAGE, area="SL-CA", role="triage")
    return running


async def resident_reports(ward: Running, words: str, user: int) -> str:
    """A resident of Tô Hiệu reports in the Zalo group; the new report's code."""
    await ZaloPerson(ward, user_id=f"58100000000{user:08d}").says(
        f"/report {words}", group=ZALO_GROUP
    )
    await ward.settle()
    return str(reports(ward.db)[-1]["code"])


def kinds_of_events(ward: Running, code: str) -> list[str]:
    """The kinds of the report's timeline events, in order."""
    query = (
        "SELECT e.kind FROM report_events e JOIN reports r ON r.id = e.report_id"
        " WHERE r.code = :code ORDER BY e.id"
    )
    with ward.db.engine.connect() as connection:
        return [row[0] for row in connection.execute(text(query), {"code": code})]


async def test_duplicate_suggestion_named_on_the_card_and_marked_in_one_tap(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    first = await resident_reports(ward, "Cháy lớn ở chợ Tô Hiệu, khói bốc cao lắm", 1)
    other = await resident_reports(ward, "Có người trộm xe máy ở tổ 3", 2)
    second = await resident_reports(ward, "chay o cho To Hieu anh chi oi, khoi boc cao qua", 3)
    _id, first_card = card_of(telegram, TRIAGE, first)
    assert "Có thể trùng" not in first_card["text"]
    assert "Có thể trùng" not in card_of(telegram, TRIAGE, other)[1]["text"]
    card_id, card = card_of(telegram, TRIAGE, second)
    assert f"🔁 Có thể trùng với {first} (0 phút trước)" in card["text"].split("\n")
    assert buttons_of(card)[:2] == [f"t:same:{second}:{first}", f"t:notsame:{second}"]
    assert kinds_of_events(ward, second)[-2:] == ["duplicate_suggested", "routed"]
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", last_name="Trần")
    await press(ward, officer, f"t:same:{second}:{first}", message_id=card_id, chat_id=TRIAGE)
    await ward.settle()
    status = {r["code"]: (r["status"]) for r in reports(ward.db)}
    assert status[second] == "duplicate" and status[first] == "new"
    assert button_answers(telegram)[-1]["text"] == (
        f"{second}: Hùng Trần đã đánh dấu trùng với {first}."
    )
    assert "suggestion_accepted" in kinds_of_events(ward, second)
    _id, card = card_of(telegram, TRIAGE, second)
    assert "Có thể trùng" not in card["text"]
    await officer.says("/thongke", group=TRIAGE)
    await ward.settle()
    assert texts_to(telegram, TRIAGE)[-1].endswith(
        "Tin trùng: 1 tin báo đã đánh dấu trùng; gợi ý trùng: đã hiện 1, được chấp nhận 1, bị bác 0"
    )


async def test_duplicate_suggestion_set_aside_is_recorded_and_leaves_the_card(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    first = await resident_reports(ward, "Đánh nhau có dao ở quán karaoke đường Trần Phú", 1)
    second = await resident_reports(ward, "danh nhau co dao o quan karaoke Tran Phu", 2)
    card_id, card = card_of(telegram, TRIAGE, second)
    assert f"t:same:{second}:{first}" in buttons_of(card)
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", last_name="Trần")
    await press(ward, officer, f"t:notsame:{second}", message_id=card_id, chat_id=TRIAGE)
    await ward.settle()
    _id, card = card_of(telegram, TRIAGE, second)
    assert "Có thể trùng" not in card["text"]
    assert not any(data.startswith("t:same:") for data in buttons_of(card))
    assert "suggestion_rejected" in kinds_of_events(ward, second)


async def test_duplicate_suggestion_never_crosses_to_a_ward_far_away(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    with ward.db.session() as session:
        from domain.areas.service import get_area

        province = get_area(session, code="SL")
        make_area(session, code="SL-MS", name="Mường Sang", parent=province, lat=20.8, lon=104.6)
        link(session, channel="zalo", chat_id="g_far_residents", area="SL-MS", role="community")
    first = await resident_reports(ward, "Cháy lớn ở chợ, khói bốc cao lắm", 1)
    await ZaloPerson(ward, user_id="5810000000099999999").says(
        "/report Cháy lớn ở chợ, khói bốc cao lắm", group="g_far_residents"
    )
    await ward.settle()
    far = str(reports(ward.db)[-1]["code"])
    assert far != first
    _id, card = card_of(telegram, TRIAGE, far)
    assert "Có thể trùng" not in card["text"]
