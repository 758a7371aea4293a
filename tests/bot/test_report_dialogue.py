"""The private report dialogue, driven through the webhooks on Telegram and Zalo."""

from __future__ import annotations

import asyncio
import hashlib
import re

import pytest
from sqlalchemy import text

from domain.chats.service import issue_link_code
from tests.bot.reporting_support import TRIAGE, make_wards, reports
from tests.factories import make_area
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running
from tests.people import TelegramPerson, ZaloPerson, texts_to

CODE = re.compile(r"\b([23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6})\b")


@pytest.fixture(autouse=True)
def ward_with_police(running: Running) -> None:
    """Sơn La with phường Tô Hiệu (formerly Chiềng Lề) and its tổ 3; police triage on Telegram."""
    make_wards(running.db)


async def test_dialogue_files_a_telegram_report_with_a_photo_and_tells_the_police(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    photo = b"\xff\xd8\xff\xe0" + b"evidence-bytes" * 50
    telegram.add_file("PHOTO-1", photo, path="photos/file_9.jpg")
    lan = TelegramPerson(running)
    for step in (
        "/baocao",
        "1",
        "phuong chieng le",
        "Có người bán ma túy ở ngõ 5, đi xe Wave đỏ",
        "tối qua lúc 22h",
    ):
        await lan.says(step)
        await running.settle()
    await lan.sends_photo("PHOTO-1", caption="ảnh chụp từ xa")
    await running.settle()
    for step in ("xong", "1", "1"):
        await lan.says(step)
        await running.settle()
    answers = texts_to(telegram, lan.user_id)
    assert answers[0].startswith("Xin chào! Đây là Tin báo")  # first contact comes first
    assert answers[1].startswith("Anh/chị muốn báo tin về việc gì?")
    assert "Đã nhận (tổng cộng 1 tệp)" in "\n".join(answers)
    summary = next(a for a in answers if a.startswith("Anh/chị vui lòng kiểm tra lại tin báo"))
    assert "Ma túy" in summary and "Tô Hiệu, Sơn La" in summary and "Ẩn danh: có" in summary
    assert answers[-1].startswith("Cảm ơn anh/chị đã báo tin. Mã tin báo:")
    code = CODE.search(answers[-1])
    assert code is not None
    [report] = reports(running.db)
    assert report["code"] == code.group(1)
    assert (report["category"], report["area_code"], report["status"]) == ("drugs", "SL-TH", "new")
    assert bool(report["anonymous"]) is True and bool(report["urgent"]) is False
    assert report["occurred_text"] == "tối qua lúc 22h" and report["occurred_at"] is not None
    police = texts_to(telegram, TRIAGE)
    assert police[-1].startswith(f"🆕 Tin báo {code.group(1)} · Ma túy")
    assert (
        "Người báo: Ẩn danh" in police[-1]
        and "Lan" not in police[-1]
        and "lan_nguyen" not in police[-1]
    )
    with running.db.engine.connect() as connection:
        sha, size, path = connection.execute(
            text("SELECT sha256, size, path FROM report_evidence")
        ).one()
    assert (sha, size) == (hashlib.sha256(photo).hexdigest(), len(photo))
    media_dir = running.service.settings.media_dir
    assert (media_dir / path).read_bytes() == photo


async def test_dialogue_works_by_buttons_and_shows_the_reporter_when_named(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    lan = TelegramPerson(running)
    await lan.says("/report")
    await running.settle()
    await lan.presses("r:cat:theft")
    await running.settle()
    await lan.shares_location(21.3430, 103.9450)  # next to Chiềng An
    await running.settle()
    await lan.says("Mất xe máy trước cửa nhà")
    await running.settle()
    await lan.presses("r:when:now")
    await running.settle()
    await lan.presses("r:ev:done")
    await running.settle()
    await lan.presses("r:anon:no")
    await running.settle()
    await lan.presses("r:ok:send")
    await running.settle()
    [report] = reports(running.db)
    assert (report["category"], report["area_code"]) == ("theft", "SL-CA")
    assert bool(report["anonymous"]) is False
    assert report["latitude"] == pytest.approx(21.3430)
    assert "Người báo: Lan Nguyễn (@lan_nguyen_92)" in texts_to(telegram, TRIAGE)[-1]
    answered = {c.params["callback_query_id"] for c in telegram.sent("answerCallbackQuery")}
    assert len(answered) == 5  # every press stopped its spinner


async def test_dialogue_on_zalo_by_numbers_and_words(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    hoa = ZaloPerson(running)
    for step in (
        "/baocao",
        "lừa đảo",
        "Tổ 3",
        "Gọi điện giả danh công an đòi chuyển tiền",
        "2 tiếng trước",
        "bỏ qua",
        "2",
        "1",
    ):
        await hoa.says(step)
        await running.settle()
    [report] = reports(running.db)
    assert (report["category"], report["area_code"], report["channel"]) == (
        "fraud",
        "SL-TH-T3",
        "zalo",
    )
    answers = texts_to(zalo, hoa.user_id)
    assert answers[-1].startswith("Cảm ơn anh/chị đã báo tin.")
    assert texts_to(telegram, TRIAGE)[-1].startswith(f"🆕 Tin báo {report['code']} · Lừa đảo")


async def test_cancel_and_back_work_at_every_step(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    lan = TelegramPerson(running)
    for step in ("/baocao", "2", "/quaylai", "3", "Tô Hiệu", "/back", "Chiềng An", "/huy"):
        await lan.says(step)
        await running.settle()
    answers = texts_to(telegram, lan.user_id)
    assert answers[-1] == "Đã huỷ: tin báo đang soạn chưa được gửi đi."
    assert (
        sum(a.startswith("Anh/chị muốn báo tin về việc gì?") for a in answers) == 2
    )  # back to category
    assert reports(running.db) == []
    await lan.says("/huy")
    await running.settle()
    assert (
        texts_to(telegram, lan.user_id)[-1]
        == "Không có tin báo nào đang soạn. Gõ /baocao để bắt đầu báo tin."
    )


async def test_emergency_words_get_the_numbers_at_once_and_mark_the_report_urgent(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    lan = TelegramPerson(running)
    for step in ("/baocao", "4", "Tô Hiệu", "Hai nhóm đang đánh nhau, có người cầm dao"):
        await lan.says(step)
        await running.settle()
    assert "113" in texts_to(telegram, lan.user_id)[-2]  # the numbers before the next question
    for step in ("vừa xong", "xong", "1", "1"):
        await lan.says(step)
        await running.settle()
    [report] = reports(running.db)
    assert bool(report["urgent"]) is True
    assert "113" in texts_to(telegram, lan.user_id)[-1]
    assert "KHẨN" in texts_to(telegram, TRIAGE)[-1]


async def test_ambiguous_place_is_confirmed_from_a_list(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    with running.db.session() as session:
        province = make_area(session, code="SL", name="Sơn La", kind="province")
        make_area(session, code="SL-TH2", name="Tô Hiệu", parent=province)  # a second Tô Hiệu
    lan = TelegramPerson(running)
    for step in ("/baocao", "7", "to hieu"):
        await lan.says(step)
        await running.settle()
    assert texts_to(telegram, lan.user_id)[-1].startswith("Anh/chị muốn nói nơi nào?")
    await lan.says("2")
    await running.settle()
    assert texts_to(telegram, lan.user_id)[-1].startswith("Anh/chị mô tả sự việc")


async def test_a_name_several_provinces_share_is_settled_by_typing_the_province(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    with running.db.session() as session:  # a nationwide deployment: no TINBAO_PROVINCES
        for code, name in (("38", "Tỉnh Thanh Hóa"), ("25", "Tỉnh Phú Thọ")):
            province = make_area(session, code=code, name=name, kind="province")
            make_area(session, code=f"{code}-TD", name="Phường Tân Dân", parent=province)
            make_area(session, code=f"{code}-X", name="Phường Hạc Thành", parent=province)
    lan = TelegramPerson(running)
    for step in ("/baocao", "7", "phường Tân Dân"):
        await lan.says(step)
        await running.settle()
    listing = texts_to(telegram, lan.user_id)[-1]
    assert "Tỉnh Thanh Hóa" in listing and "Tỉnh Phú Thọ" in listing
    assert "tỉnh/thành phố" in listing
    await lan.says("thanh hoa")  # the province, typed without diacritics
    await running.settle()
    assert texts_to(telegram, lan.user_id)[-1].startswith("Anh/chị mô tả sự việc")
    for step in ("Có người lạ đột nhập", "vừa xong", "xong", "1", "1"):
        await lan.says(step)
        await running.settle()
    [report] = reports(running.db)
    assert report["area_code"] == "38-TD"


async def test_a_numbered_ward_of_many_districts_is_settled_by_typing_the_former_district(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    with running.db.session() as session:  # seven former "phường 2", one in each quận
        city = make_area(session, code="79", name="Thành phố Hồ Chí Minh", kind="province")
        for n, ward in enumerate(["Bàn Cờ", "Bình Tây", "Cầu Kiệu", "Chợ Quán", "Gia Định",
                                  "Tân Sơn Hòa", "Vĩnh Hội"]):  # fmt: skip
            district = ["quận 3", "quận 6", "quận Phú Nhuận", "quận 5", "quận Bình Thạnh",
                        "quận Tân Bình", "quận 4"][n]  # fmt: skip
            make_area(
                session, code=f"79-{n}", name=f"Phường {ward}", parent=city,
                aliases=[f"phường 2, {district}"],
            )  # fmt: skip
    lan = TelegramPerson(running)
    for step in ("/baocao", "7", "phường 2"):
        await lan.says(step)
        await running.settle()
    listing = texts_to(telegram, lan.user_id)[-1]
    assert "Phường Tân Sơn Hòa" not in listing  # more than a page: the district settles it
    assert "quận/huyện" in listing
    await lan.says("Tân Bình")
    await running.settle()
    assert texts_to(telegram, lan.user_id)[-1].startswith("Anh/chị mô tả sự việc")
    for step in ("Trộm xe máy trước cửa nhà", "vừa xong", "xong", "1", "1"):
        await lan.says(step)
        await running.settle()
    [report] = reports(running.db)
    assert report["area_code"] == "79-5"


async def test_a_location_between_two_ward_centres_is_confirmed_and_former_names_shown(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    with running.db.session() as session:
        province = make_area(session, code="HN", name="Thành phố Hà Nội", kind="province")
        for code, name in (("HN-CD", "Xã Chương Dương"), ("HN-PX", "Xã Phú Xuyên")):
            make_area(
                session, code=code, name=name, parent=province, aliases=["xã Tô Hiệu"],
                lat=20.80 if code == "HN-CD" else 20.81, lon=105.90,
            )  # fmt: skip
    lan = TelegramPerson(running)
    for step in ("/baocao", "7"):
        await lan.says(step)
        await running.settle()
    await lan.shares_location(20.805, 105.90)  # halfway between the two centres
    await running.settle()
    pick = texts_to(telegram, lan.user_id)[-1]
    assert pick.startswith("Anh/chị muốn nói nơi nào?")
    assert "Xã Chương Dương" in pick and "Xã Phú Xuyên" in pick
    await lan.says("0")
    await running.settle()
    await lan.says("xã Tô Hiệu")  # a former xã split between the two
    await running.settle()
    listing = texts_to(telegram, lan.user_id)[-1]
    assert "Xã Chương Dương (gồm xã Tô Hiệu cũ), Thành phố Hà Nội" in listing
    await lan.says("2")
    await running.settle()
    assert texts_to(telegram, lan.user_id)[-1].startswith("Anh/chị mô tả sự việc")


async def test_status_is_told_to_the_reporter_only(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    lan = TelegramPerson(running)
    for step in ("/baocao", "9", "Tô Hiệu", "Đèn đường hỏng", "hôm qua", "xong", "1", "1"):
        await lan.says(step)
        await running.settle()
    code = str(reports(running.db)[0]["code"])
    await lan.says(f"/tracuu {code.lower()}")
    other = TelegramPerson(running, user_id=770099, first_name="Minh", username=None)
    await other.says(f"/status {code}")
    await running.settle()
    assert texts_to(telegram, lan.user_id)[-1].startswith(f"Tin báo {code} (Khác, gửi lúc")
    assert texts_to(telegram, lan.user_id)[-1].endswith("đã nhận, đang chờ cán bộ tiếp nhận.")
    assert (
        texts_to(telegram, other.user_id)[-1]
        == f"Không tìm thấy tin báo {code} của anh/chị. Anh/chị vui lòng kiểm tra lại mã."
    )


async def test_report_without_a_triage_chat_is_flagged_unrouted(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    with running.db.session() as session:
        city = make_area(session, code="HP", name="Hải Phòng", kind="province")
        make_area(session, code="HP-LC", name="Lê Chân", parent=city, aliases=["quận Lê Chân"])
    hoa = ZaloPerson(running)
    for step in ("/baocao", "8", "quan le chan", "Đua xe ban đêm", "tối qua", "xong", "1", "1"):
        await hoa.says(step)
        await running.settle()
    [report] = reports(running.db)
    assert bool(report["unrouted"]) is True
    metrics = (await running.client.get("/metrics")).text
    assert "tinbao_reports_unrouted 1.0" in metrics
    # Once the city's police link a triage group, the waiting report reaches it.
    with running.db.session() as session:
        code = issue_link_code(session, area_code="HP", role="triage").code
    await hoa.says(f"/lienket {code}", group="g_hp_police")
    await running.settle()
    _, zalo = platforms
    assert texts_to(zalo, "g_hp_police")[-1].startswith(f"🆕 Tin báo {report['code']} · Giao thông")
    assert bool(reports(running.db)[0]["unrouted"]) is False


async def test_dialogue_waits_for_a_photo_while_telegram_is_down_then_files_it(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    photo = b"\xff\xd8\xff\xe0" + b"evidence-later" * 50
    telegram.add_file("PHOTO-2", photo, path="photos/file_10.jpg")
    lan = TelegramPerson(running)
    for step in ("/baocao", "1", "phuong chieng le", "Có người lạ đập kính xe", "sáng nay"):
        await lan.says(step)
        await running.settle()
    telegram.go_down("502")
    await lan.sends_photo("PHOTO-2")

    def photo_update() -> tuple[str, int]:
        with running.db.engine.connect() as connection:
            status, attempts = connection.execute(
                text("SELECT status, attempts FROM inbox ORDER BY id DESC LIMIT 1")
            ).one()
        return status, attempts

    deadline = asyncio.get_running_loop().time() + 30
    while photo_update()[1] < 2:  # tried, and tried again after its backoff
        assert asyncio.get_running_loop().time() < deadline, photo_update()
        await asyncio.sleep(0.05)
    assert photo_update()[0] == "pending"  # waiting, not parked as failed
    telegram.come_back()
    while "Đã nhận (tổng cộng 1 tệp)" not in "\n".join(texts_to(telegram, lan.user_id)):
        assert asyncio.get_running_loop().time() < deadline + 30, photo_update()
        await asyncio.sleep(0.05)
    assert photo_update()[0] == "done"
    await running.settle()
    for step in ("xong", "1", "1"):
        await lan.says(step)
        await running.settle()
    with running.db.engine.connect() as connection:
        [sha] = connection.execute(text("SELECT sha256 FROM report_evidence")).scalars()
    assert sha == hashlib.sha256(photo).hexdigest()
