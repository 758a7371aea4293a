"""The police's desk: cards, moves by button and by command, authority, the anonymous relay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from bot.reporting.police import route_report
from domain.areas.service import get_area
from domain.evidence import store_bytes
from tests.bot.reporting_support import GROUP, TRIAGE, ZALO_GROUP, link, make_wards, reports
from tests.bot.triage_support import (
    ZALO_TRIAGE,
    button_answers,
    buttons_of,
    card_of,
    everything_sent_to,
    press,
    zalo_texts,
)
from tests.factories import make_report
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import (
    ADMIN_TOKEN,
    Running,
    make_settings,
    serving,
    with_platforms,
)
from tests.people import TelegramPerson, ZaloPerson, texts_to

RESIDENT_ID = "5810000000001234567"  # Hoa Trần, on Zalo
CLAIMED = (
    "Công an phường đã tiếp nhận tin báo {code} của anh/chị và đang xử lý. "
    "Cảm ơn anh/chị đã báo tin."
)


@pytest.fixture
def ward(running: Running) -> Running:
    """Sơn La's police on Telegram, Chiềng An's on Zalo, Tô Hiệu's residents on both."""
    make_wards(running.db)
    with running.db.session() as session:
        link(session, channel="zalo", chat_id=ZALO_TRIAGE, area="SL-CA", role="triage")
    return running


async def file_on_zalo(
    ward: Running, words: str = "Có người lạ bán ma túy ở tổ 3", *, user_id: str = RESIDENT_ID
) -> str:
    """Hoa, who has written to the bot before, reports in her Zalo group; the report's code."""
    resident = ZaloPerson(ward, user_id=user_id)
    await resident.says("/start")
    await resident.says(f"/report {words}", group=ZALO_GROUP)
    await ward.settle()
    return str(reports(ward.db)[-1]["code"])


def status_of(ward: Running, code: str) -> str:
    """The report's status as stored."""
    return next(str(r["status"]) for r in reports(ward.db) if r["code"] == code)


def events_of(ward: Running, code: str) -> list[tuple[str, str, str | None]]:
    """The report's timeline: (kind, actor, chat)."""
    query = (
        "SELECT e.kind, e.actor, e.chat FROM report_events e JOIN reports r"
        " ON r.id = e.report_id WHERE r.code = :code ORDER BY e.id"
    )
    with ward.db.engine.connect() as connection:
        return [(row[0], row[1], row[2]) for row in connection.execute(text(query), {"code": code})]


async def test_a_card_reaches_the_police_with_its_moves_and_without_the_reporter(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    code = await file_on_zalo(ward)
    _message_id, card = card_of(telegram, TRIAGE, code)
    lines = card["text"].split("\n")
    assert lines[0] == f"🆕 Tin báo {code} · Ma túy"
    assert "Trạng thái: Mới, chưa có cán bộ nhận" in lines
    assert "Địa bàn: Tổ 3, Tô Hiệu, Sơn La" in lines
    assert "Người báo: Ẩn danh" in lines
    assert lines[-1] == "Có người lạ bán ma túy ở tổ 3"
    assert buttons_of(card) == [
        f"t:claim:{code}",
        f"t:ask:{code}",
        f"t:transfer:{code}",
        f"t:duplicate:{code}",
        f"t:reject:{code}",
    ]
    assert all(len(data.encode()) <= 64 for data in buttons_of(card))
    sent = everything_sent_to(telegram, zalo, [str(TRIAGE)])
    assert "Hoa" not in sent and RESIDENT_ID not in sent


async def test_claim_by_button_edits_the_card_and_tells_the_reporter(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    code = await file_on_zalo(ward)
    card_id, _card = card_of(telegram, TRIAGE, code)
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", last_name="Trần")
    callback = await press(ward, officer, f"t:claim:{code}", message_id=card_id, chat_id=TRIAGE)
    await ward.settle()
    assert status_of(ward, code) == "in_progress"
    _card_id, card = card_of(telegram, TRIAGE, code)
    assert card["text"].split("\n")[0] == f"🔵 Tin báo {code} · Ma túy"
    assert "Trạng thái: Đang xử lý — Hùng Trần" in card["text"]
    assert buttons_of(card)[0] == f"t:resolve:{code}"
    answer = button_answers(telegram)[-1]
    assert answer["callback_query_id"] == callback
    assert answer["text"] == f"{code}: Hùng Trần đã nhận xử lý."
    assert zalo_texts(zalo, RESIDENT_ID)[-1] == CLAIMED.format(code=code)
    assert "Hùng" not in " ".join(zalo_texts(zalo, RESIDENT_ID))
    assert events_of(ward, code)[-1] == ("claim", "telegram:880001", f"telegram:{TRIAGE}")


async def test_moves_by_command_follow_the_contract_and_refuse_the_rest(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    code = await file_on_zalo(ward)
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", last_name="Trần")
    await officer.says(f"/giaiquyet {code} Đã kiểm tra", group=TRIAGE)
    await ward.settle()
    assert texts_to(telegram, TRIAGE)[-1] == (
        f"Tin báo {code} hiện không thể đánh dấu đã giải quyết: Mới, chưa có cán bộ nhận."
    )
    assert status_of(ward, code) == "new"
    await officer.says(f"/nhan {code.lower()}", group=TRIAGE)
    await officer.says(f"/resolve {code} Đã bắt giữ 2 đối tượng, thu 5 gói heroin", group=TRIAGE)
    await ward.settle()
    assert status_of(ward, code) == "resolved"
    _card_id, card = card_of(telegram, TRIAGE, code)
    assert "Kết quả: Đã bắt giữ 2 đối tượng, thu 5 gói heroin" in card["text"]
    assert buttons_of(card) == [f"t:reopen:{code}"]
    assert zalo_texts(zalo, RESIDENT_ID)[-1].startswith(
        f"Tin báo {code} của anh/chị đã được công an phường giải quyết. "
        "Kết quả: Đã bắt giữ 2 đối tượng, thu 5 gói heroin"
    )
    await officer.says(f"/molai {code}", group=TRIAGE)
    await officer.says(f"/tuchoi {code} Không đủ thông tin để xác minh", group=TRIAGE)
    await ward.settle()
    assert status_of(ward, code) == "rejected"
    assert zalo_texts(zalo, RESIDENT_ID)[-1].startswith(
        f"Công an phường sẽ không xử lý tiếp tin báo {code} của anh/chị. "
        "Lý do: Không đủ thông tin để xác minh"
    )
    kinds = [kind for kind, _actor, _chat in events_of(ward, code)]
    assert kinds[-4:] == ["claim", "resolve", "reopen", "reject"]


async def test_a_duplicate_is_linked_and_its_reporter_told(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    first = await file_on_zalo(ward, "Có người bán ma túy ở tổ 3")
    second = await file_on_zalo(ward, "Lại thấy bán ma túy ở tổ 3 tối nay")
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", last_name="Trần")
    await officer.says(f"/trung {second} {second}", group=TRIAGE)
    await officer.says(f"/trung {second} {first}", group=TRIAGE)
    await ward.settle()
    answers = texts_to(telegram, TRIAGE)
    assert "Một tin báo không thể trùng với chính nó." in answers
    assert answers[-1] == f"✔️ {second}: Hùng Trần đã đánh dấu trùng với {first}."
    row = next(r for r in reports(ward.db) if r["code"] == second)
    original = next(r for r in reports(ward.db) if r["code"] == first)
    assert (row["status"], row["duplicate_of_id"]) == ("duplicate", original["id"])
    assert zalo_texts(zalo, RESIDENT_ID)[-1].startswith(f"Tin báo {second} của anh/chị trùng")


async def test_forged_foreign_and_stale_actions_change_nothing(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    code = await file_on_zalo(ward)
    card_id, _card = card_of(telegram, TRIAGE, code)
    stranger = TelegramPerson(ward, user_id=880099, first_name="Kẻ", last_name="Lạ")
    telegram.members[(TRIAGE, 880099)] = "left"
    taps = [
        await press(ward, stranger, f"t:claim:{code}", message_id=card_id, chat_id=TRIAGE),
        await press(
            ward, stranger, f"t:claim:{code}", message_id=card_id, chat_id=stranger.user_id
        ),
    ]
    await stranger.says(f"/nhan {code}", group=GROUP)  # a residents' group is no desk
    chieng_an = ZaloPerson(ward, user_id="5810000000009999", display_name="Mai")
    await chieng_an.says(f"/nhan {code}", group=ZALO_TRIAGE)  # another ward's police
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", last_name="Trần")
    taps.append(await press(ward, officer, "t:claim:ZZZZZZ", message_id=card_id, chat_id=TRIAGE))
    taps.append(
        await press(ward, officer, "t:claim:" + "9" * 60, message_id=card_id, chat_id=TRIAGE)
    )
    await ward.settle()
    assert status_of(ward, code) == "new"
    # Answers are sent apart from the chats' queues, so they may arrive in any order.
    alerts = {
        a["callback_query_id"]: (a.get("text"), a.get("show_alert"))
        for a in button_answers(telegram)
    }
    assert [alerts[tap] for tap in taps] == [
        ("Chỉ thành viên của nhóm tiếp nhận này mới xử lý được tin báo của nhóm.", True),
        (
            "Lệnh này chỉ dùng được trong nhóm tiếp nhận tin báo của công an đã liên kết "
            "bằng /link.",
            True,
        ),
        ("Không có tin báo ZZZZZZ.", True),
        ("Nút này không phải của Tin báo.", True),
    ]
    assert texts_to(telegram, GROUP)[-1].startswith("Lệnh này chỉ dùng được trong nhóm tiếp nhận")
    assert zalo_texts(zalo, ZALO_TRIAGE)[-1] == f"Tin báo {code} không thuộc nhóm này xử lý."
    # A tap on a card that another officer already moved: an alert, and the card catches up.
    await press(ward, officer, f"t:claim:{code}", message_id=card_id, chat_id=TRIAGE)
    await ward.settle()
    colleague = TelegramPerson(ward, user_id=880002, first_name="Minh", last_name="Lê")
    late = await press(ward, colleague, f"t:claim:{code}", message_id=card_id, chat_id=TRIAGE)
    await ward.settle()
    answers = {a["callback_query_id"]: a for a in button_answers(telegram)}
    assert answers[late]["text"] == (
        f"Tin báo {code} hiện không thể nhận xử lý: Đang xử lý — Hùng Trần."
    )
    assert events_of(ward, code)[-1][:2] == ("claim", "telegram:880001")


async def test_the_relay_carries_questions_and_answers_without_names(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    code = await file_on_zalo(ward)
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", last_name="Trần")
    await officer.says(f"/hoi {code} Anh/chị thấy mấy người, đi xe gì?", group=TRIAGE)
    await ward.settle()
    asked = zalo_texts(zalo, RESIDENT_ID)[-1]
    assert asked.startswith(f"Công an phường hỏi về tin báo {code} của anh/chị:")
    assert "Anh/chị thấy mấy người, đi xe gì?" in asked
    assert "Hùng" not in asked and "880001" not in asked
    resident = ZaloPerson(ward)
    await resident.says("Khoảng 3 người, đi xe máy Wave màu đỏ")
    await ward.settle()
    assert texts_to(telegram, TRIAGE)[-1] == (
        f"💬 Người báo tin {code} trả lời:\n\nKhoảng 3 người, đi xe máy Wave màu đỏ"
    )
    assert zalo_texts(zalo, RESIDENT_ID)[-1] == (
        f"Cảm ơn anh/chị. Câu trả lời về tin báo {code} đã được chuyển đến công an phường."
    )
    # Asking by tapping: the officer replies to the bot's prompt, with a photo.
    card_id, _card = card_of(telegram, TRIAGE, code)
    await press(ward, officer, f"t:ask:{code}", message_id=card_id, chat_id=TRIAGE)
    await ward.settle()
    prompt = max(n for chat, n in telegram.messages if chat == str(TRIAGE))
    await officer.says("Đây có phải chiếc xe đó không?", group=TRIAGE, reply_to=prompt)
    await ward.settle()
    assert "Đây có phải chiếc xe đó không?" in zalo_texts(zalo, RESIDENT_ID)[-1]
    sent = everything_sent_to(telegram, zalo, [str(TRIAGE)])
    assert "Hoa" not in sent and "Trần" not in sent.replace("Hùng Trần", "")
    assert RESIDENT_ID not in sent
    kinds = [kind for kind, _actor, _chat in events_of(ward, code)]
    assert kinds.count("asked") == 2 and kinds.count("answered") == 1


async def test_a_telegram_reporter_answers_with_a_photo_uploaded_not_forwarded(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    resident = TelegramPerson(ward, user_id=770001, first_name="Lan", username="lan_nguyen_92")
    await resident.says("/start")
    await resident.says("/report Có người lạ cạy khóa xe ở tổ 3", group=GROUP)
    await ward.settle()
    code = str(reports(ward.db)[-1]["code"])
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", last_name="Trần")
    await officer.says(f"/ask {code} Anh/chị có chụp được ảnh không?", group=TRIAGE)
    await ward.settle()
    question = max(n for chat, n in telegram.messages if chat == str(resident.user_id))
    telegram.add_file("AgACAgQAAxkBAAIBQ2", b"\xff\xd8\xff\xe0" + b"0" * 400)
    await resident.sends_photo("AgACAgQAAxkBAAIBQ2", caption="Ảnh chụp lúc 22h")
    await ward.settle()
    # Uploaded from the kept copy: a copyMessage would name the reporter's chat, their id.
    photos = telegram.sent("sendPhoto", TRIAGE)
    assert len(photos) == 1 and photos[0].params.get("caption") == code
    assert not telegram.sent("copyMessage", TRIAGE) and not telegram.sent("forwardMessage")
    assert texts_to(telegram, TRIAGE)[-1].startswith(f"💬 Người báo tin {code} trả lời:")
    assert question > 0
    sent = everything_sent_to(telegram, zalo, [str(TRIAGE)])
    for needle in ("Lan", "lan_nguyen_92", "770001", "Nguyễn"):
        assert needle not in sent


async def test_transfer_by_buttons_sends_the_card_to_zalo_police_who_work_by_command(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    code = await file_on_zalo(ward, "Nhóm thanh niên tụ tập đánh nhau ở chợ")
    card_id, _card = card_of(telegram, TRIAGE, code)
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", last_name="Trần")
    await press(ward, officer, f"t:transfer:{code}", message_id=card_id, chat_id=TRIAGE)
    await ward.settle()
    choices = max((n, m) for (chat, n), m in telegram.messages.items() if chat == str(TRIAGE))[1]
    chieng_an = next(d for d in buttons_of(choices) if d.startswith(f"t:to:{code}:"))
    assert choices["text"].startswith(f"Chuyển tin báo {code} sang địa bàn nào?")
    await press(ward, officer, chieng_an, message_id=card_id, chat_id=TRIAGE)
    await ward.settle()
    row = next(r for r in reports(ward.db) if r["code"] == code)
    assert (row["area_code"], row["status"]) == ("SL-CA", "new")
    zalo_card = zalo_texts(zalo, ZALO_TRIAGE)[-1]
    assert zalo_card.startswith(f"🆕 Tin báo {code} · ")
    assert "Địa bàn: Chiềng An, Sơn La" in zalo_card and "Ẩn danh" in zalo_card
    _card_id, card = card_of(telegram, TRIAGE, code)
    assert "Địa bàn: Chiềng An, Sơn La" in card["text"]
    assert buttons_of(card) == []  # Chiềng An's own police now hold it
    mai = ZaloPerson(ward, user_id="5810000000009999", display_name="Mai")
    await mai.says(f"/nhan {code}", group=ZALO_TRIAGE)
    await ward.settle()
    assert zalo_texts(zalo, ZALO_TRIAGE)[-1] == f"✔️ {code}: Mai đã nhận xử lý."
    assert "Đang xử lý — Mai" in card_of(telegram, TRIAGE, code)[1]["text"]
    await mai.says(f"/giaiquyet {code}", group=ZALO_TRIAGE)
    await ward.settle()
    assert zalo_texts(zalo, ZALO_TRIAGE)[-1] == (
        "Gõ /giaiquyet, mã tin báo và kết quả: /giaiquyet K7QX2M kết quả."
    )
    assert status_of(ward, code) == "in_progress"


async def test_queue_lists_open_reports_urgent_first_page_by_page(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    # Two residents: one person may file only ten reports a day.
    codes = [
        await file_on_zalo(ward, f"Mất trộm xe máy lần {n} ở tổ 3", user_id=f"58100000{n % 2}")
        for n in range(11)
    ]
    urgent = await file_on_zalo(ward, "Cháy nhà ở tổ 3, gọi 114")
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", last_name="Trần")
    await officer.says(f"/nhan {codes[0]}", group=TRIAGE)
    await officer.says("/hangcho", group=TRIAGE)
    await ward.settle()
    page = max((n, m) for (chat, n), m in telegram.messages.items() if chat == str(TRIAGE))
    lines = page[1]["text"].split("\n")
    assert lines[0] == "Tin báo đang mở: 12 (trang 1/2)"
    assert lines[1].startswith(f"🚨 {urgent} · ")
    assert lines[2].startswith(f"🔵 {codes[0]} · ") and lines[2].endswith("Hùng Trần")
    assert [line.split(" · ")[0][2:] for line in lines[3:]] == codes[1:9]
    assert buttons_of(page[1]) == ["t:q:2"]
    await press(ward, officer, "t:q:2", message_id=page[0], chat_id=TRIAGE)
    await ward.settle()
    last = max((n, m) for (chat, n), m in telegram.messages.items() if chat == str(TRIAGE))
    assert last[1]["text"].split("\n")[0] == "Tin báo đang mở: 12 (trang 2/2)"
    assert [line.split(" · ")[0][2:] for line in last[1]["text"].split("\n")[1:]] == codes[9:]


ZALO_WARD_POLICE = "g_3300445566"  # the police of phường Tô Hiệu itself, on Zalo


async def test_a_journey_with_zalo_police_and_a_telegram_resident(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    with ward.db.session() as session:
        link(session, channel="zalo", chat_id=ZALO_WARD_POLICE, area="SL-TH", role="triage")
    resident = TelegramPerson(ward, user_id=770001, first_name="Lan", username="lan_nguyen_92")
    await resident.says("/start")
    await resident.says("/report Có người lạ cạy khóa xe máy ở tổ 3 đêm qua", group=GROUP)
    await ward.settle()
    code = str(reports(ward.db)[-1]["code"])
    card = zalo_texts(zalo, ZALO_WARD_POLICE)[-1]
    assert card.startswith(f"🆕 Tin báo {code} · ") and "Người báo: Ẩn danh" in card
    assert not [m for (chat, _n), m in telegram.messages.items() if chat == str(TRIAGE)]
    officer = ZaloPerson(ward, user_id="5810000000007777", display_name="Tuấn")
    await officer.says(f"/nhan {code}", group=ZALO_WARD_POLICE)
    await officer.says(
        f"/hoi {code} Xe của anh/chị màu gì, biển số bao nhiêu?", group=ZALO_WARD_POLICE
    )
    await ward.settle()
    private = texts_to(telegram, resident.user_id)
    assert private[-2] == CLAIMED.format(code=code)
    assert "Xe của anh/chị màu gì, biển số bao nhiêu?" in private[-1]
    assert "Tuấn" not in " ".join(private)
    telegram.add_file("AgACAgQAAxkBAAIBQ9", b"\xff\xd8\xff\xe0" + b"1" * 400)
    await resident.says("Xe Wave màu xanh, biển 26B1-123.45")
    await resident.sends_photo("AgACAgQAAxkBAAIBQ9")
    await ward.settle()
    police = zalo_texts(zalo, ZALO_WARD_POLICE)
    assert police[-2] == f"💬 Người báo tin {code} trả lời:\n\nXe Wave màu xanh, biển 26B1-123.45"
    assert police[-1] == (
        f"💬 Người báo tin {code} trả lời:\nCó kèm một tệp; bản sao đã được lưu cho công an."
    )
    await officer.says(f"/giaiquyet {code} Đã tìm thấy xe, trả lại chủ", group=ZALO_WARD_POLICE)
    await ward.settle()
    assert texts_to(telegram, resident.user_id)[-1].startswith(
        f"Tin báo {code} của anh/chị đã được công an phường giải quyết. "
        "Kết quả: Đã tìm thấy xe, trả lại chủ"
    )
    sent = everything_sent_to(telegram, zalo, [ZALO_WARD_POLICE, str(TRIAGE)])
    for needle in ("Lan", "lan_nguyen_92", "770001", "Nguyễn"):
        assert needle not in sent
    response = await ward.client.get(
        f"/api/v1/reports/{code}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    detail = response.json()
    assert (detail["status"], detail["claimed_by"], detail["claimed_by_name"]) == (
        "resolved",
        "zalo:5810000000007777",
        "Tuấn",
    )
    assert detail["outcome"] == "Đã tìm thấy xe, trả lại chủ"
    timeline = [(e["kind"], e["actor"], e["chat"]) for e in detail["events"]]
    desk = f"zalo:{ZALO_WARD_POLICE}"
    assert timeline[-5:] == [
        ("claim", "zalo:5810000000007777", desk),
        ("asked", "zalo:5810000000007777", desk),
        ("answered", "reporter", desk),
        ("answered", "reporter", desk),
        ("resolve", "zalo:5810000000007777", desk),
    ]
    assert detail["evidence_count"] == 1


async def test_desk_commands_in_private_are_refused_and_membership_is_asked_once(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    code = await file_on_zalo(ward)
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", last_name="Trần")
    await officer.says(f"/nhan {code}")
    await ward.settle()
    assert texts_to(telegram, officer.user_id)[-1] == (
        "Lệnh này chỉ dùng được trong nhóm tiếp nhận tin báo của công an đã liên kết bằng /link."
    )
    assert status_of(ward, code) == "new"
    await officer.says(f"/nhan {code}", group=TRIAGE)
    await officer.says(f"/bonhan {code}", group=TRIAGE)
    await officer.says(f"/nhan {code}", group=TRIAGE)
    await ward.settle()
    assert status_of(ward, code) == "in_progress"
    asked = [c for c in telegram.sent("getChatMember", TRIAGE) if c.params["user_id"] == 880001]
    assert len(asked) == 1  # the answer is trusted for a minute


async def test_a_cards_photos_and_place_follow_it_on_telegram(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    settings = ward.service.settings
    photo = b"\xff\xd8\xff\xe0" + b"2" * 600
    with ward.db.session() as session:
        stored = store_bytes(settings.media_dir, photo, mime_type="image/jpeg", file_name=None)
        area = get_area(session, code="SL-TH-T3")
        assert area is not None
        report = make_report(
            session,
            category="fire",
            area_id=area.id,
            text="Dây điện chập cháy trước nhà số 12",
            urgent=True,
            latitude=21.3270,
            longitude=103.9130,
            evidence=[("photo", stored, None)],
        )
        route_report(session, report=report, settings=settings, sealer=ward.service.sealer)
        code = report.code
    ward.service.sender.notify()
    await ward.settle()
    _card_id, card = card_of(telegram, TRIAGE, code)
    assert card["text"].split("\n")[1] == "🚨 KHẨN"
    assert "Vị trí: 21.32700, 103.91300" in card["text"]
    photos = telegram.sent("sendPhoto", TRIAGE)
    assert [p.params.get("caption") for p in photos] == [code]
    places = telegram.sent("sendLocation", TRIAGE)
    assert [(p.params["latitude"], p.params["longitude"]) for p in places] == [(21.327, 103.913)]


@pytest.fixture
async def public_ward(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> AsyncIterator[Running]:
    """The wards of `ward`, served at a public URL, so that Zalo can fetch photos by link."""
    settings = make_settings(
        database_url, tmp_path, public_url="https://tinbao.example.vn", **with_platforms(platforms)
    )
    async with serving(settings) as running:
        make_wards(running.db)
        with running.db.session() as session:
            link(session, channel="zalo", chat_id=ZALO_TRIAGE, area="SL-CA", role="triage")
        yield running


async def test_zalo_police_see_a_reports_photos_by_signed_link(
    public_ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    _telegram, zalo = platforms
    photo = b"\xff\xd8\xff\xe0" + b"3" * 700
    service = public_ward.service
    with public_ward.db.session() as session:
        stored = store_bytes(
            service.settings.media_dir, photo, mime_type="image/jpeg", file_name=None
        )
        area = get_area(session, code="SL-CA")
        assert area is not None
        report = make_report(
            session,
            area_id=area.id,
            category="drugs",
            text="Có người bán ma túy ở chợ",
            evidence=[("photo", stored, None)],
        )
        route_report(session, report=report, settings=service.settings, sealer=service.sealer)
        code = report.code
    service.sender.notify()
    await public_ward.settle()
    assert zalo_texts(zalo, ZALO_TRIAGE)[-1].startswith(f"🆕 Tin báo {code} · ")
    [sent] = zalo.sent("sendPhoto", ZALO_TRIAGE)
    assert sent.params["caption"] == code
    link_to = urlsplit(str(sent.params["photo"]))
    assert link_to.netloc == "tinbao.example.vn"
    fetched = await public_ward.client.get(f"{link_to.path}?{link_to.query}")
    assert fetched.status_code == 200 and fetched.content == photo


async def test_help_in_a_triage_group_lists_the_desk(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    await TelegramPerson(ward, user_id=880001).says("/trogiup", group=TRIAGE)
    await ZaloPerson(ward, user_id="5810000000009999").says("/help", group=ZALO_TRIAGE)
    await ward.settle()
    for answer in (texts_to(telegram, TRIAGE)[-1], zalo_texts(zalo, ZALO_TRIAGE)[-1]):
        assert answer.startswith("Bàn tiếp nhận tin báo.")
        assert "/nhan MÃ (/claim): nhận xử lý tin báo" in answer
