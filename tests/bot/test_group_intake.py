"""Reports from community groups, adding to them in private, and the limits around intake."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.reporting.expiry import expire_drafts
from core.db import utcnow
from tests.bot.reporting_support import (
    GROUP,
    TRIAGE,
    UNLINKED,
    ZALO_GROUP,
    handled,
    make_wards,
    queued,
    reports,
)
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running, make_settings, serving, with_platforms
from tests.people import TelegramPerson, ZaloPerson, texts_to

INVITE = re.compile(r"https://t\.me/tinbao_demo_bot\?start=(add_([A-Z0-9]{6})_[A-Za-z0-9_-]+)")
RECEIVED = "Đã nhận tin báo {code}. Cảm ơn anh/chị đã báo tin!"
REFUSED = "Đường dẫn hoặc mã này không thuộc tin báo nào của anh/chị."
ADDING = "Anh/chị gửi thêm nội dung, ảnh, video hoặc tệp cho tin báo {code}. Xong thì gõ «xong»."
ADDED = "Đã bổ sung vào tin báo {code}. Anh/chị gửi tiếp, hoặc gõ «xong»."
FINISHED = "Cảm ơn anh/chị. Tin báo {code} đã có đủ những gì anh/chị gửi."
TOO_MANY = "Hôm nay anh/chị đã gửi nhiều tin báo, cảm ơn anh/chị."


@pytest.fixture
def ward(running: Running) -> Running:
    """The service, with phường Tô Hiệu's residents' groups and the province's police."""
    make_wards(running.db)
    return running


@pytest.fixture
async def strict(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> AsyncIterator[Running]:
    """The service with a limit of two reports a day per person."""
    settings = make_settings(database_url, tmp_path, reports_per_day=2, **with_platforms(platforms))
    async with serving(settings) as service:
        make_wards(service.db)
        yield service


def minh(running: Running) -> TelegramPerson:
    """A second resident of the group."""
    return TelegramPerson(running, user_id=770002, first_name="Minh", last_name="Lê", username=None)


def events_of(running: Running, code: str, kind: str) -> int:
    """How many events of a kind the report's timeline has."""
    query = text(
        "SELECT count(*) FROM report_events e JOIN reports r ON r.id = e.report_id"
        " WHERE r.code = :code AND e.kind = :kind"
    )
    with running.db.engine.connect() as connection:
        return int(connection.execute(query, {"code": code, "kind": kind}).scalar_one())


async def test_group_report_is_tagged_with_the_group_area_unless_the_text_names_a_place_inside(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    lan = TelegramPerson(ward)
    await lan.says("/report Có người lạ lảng vảng trước cổng chợ cả buổi chiều", group=GROUP)
    await lan.says("/baocao Mất trộm xe đạp ở tổ 3 đêm qua", group=GROUP)
    await lan.says("/report@tinbao_demo_bot Bên phường Chiềng An có người bán ma túy", group=GROUP)
    await ward.settle()
    filed = reports(ward.db)
    assert [r["area_code"] for r in filed] == ["SL-TH", "SL-TH-T3", "SL-TH"]
    assert [r["source"] for r in filed] == ["group"] * 3
    answers = texts_to(telegram, GROUP)
    assert len(answers) == 3
    for report, answer in zip(filed, answers, strict=True):
        assert answer.startswith(RECEIVED.format(code=report["code"]))
        assert "Lan" not in answer and "Nguyễn" not in answer and "lan_nguyen" not in answer
        invite = INVITE.search(answer)
        assert invite is not None and invite.group(2) == report["code"]
    police = texts_to(telegram, TRIAGE)
    assert [p.split(" · ")[0] for p in police] == [f"🆕 Tin báo {r['code']}" for r in filed]
    deleted = [int(c.params["message_id"]) for c in telegram.sent("deleteMessage", GROUP)]
    assert sorted(deleted) == lan.sent_message_ids  # the /report messages leave the group


async def test_group_report_stays_when_the_bot_is_not_an_admin(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    telegram.bot_status[GROUP] = "member"
    await TelegramPerson(ward).says("/report Xe tải chở gỗ lậu đi qua lúc nửa đêm", group=GROUP)
    await ward.settle()
    [report] = reports(ward.db)
    assert texts_to(telegram, GROUP)[-1].startswith(RECEIVED.format(code=report["code"]))
    assert telegram.sent("deleteMessage", GROUP) == []


async def test_invite_link_lets_the_reporter_alone_add_words_and_photos(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    photo = b"\xff\xd8\xff\xe0" + b"bien-so-xe" * 80
    telegram.add_file("PHOTO-ADD", photo, path="photos/file_21.jpg")
    lan, other = TelegramPerson(ward), minh(ward)
    await lan.says("/report Hai người đi xe máy giật túi xách ở đầu ngõ 4", group=GROUP)
    await ward.settle()
    invite = INVITE.search(texts_to(telegram, GROUP)[-1])
    assert invite is not None
    start, code = invite.groups()
    await lan.says(f"/start {start}")
    await lan.says("Xe Wave màu xanh, biển số 26B1-123.45")
    await lan.sends_photo("PHOTO-ADD")
    await lan.says("xong")
    await other.says(f"/start {start}")
    await other.says("Tôi thêm một câu vào tin báo của người khác")
    await handled(ward)
    [report] = reports(ward.db)
    assert report["text"] == (
        "Hai người đi xe máy giật túi xách ở đầu ngõ 4\n\nXe Wave màu xanh, biển số 26B1-123.45"
    )
    with ward.db.engine.connect() as connection:
        [sha] = connection.execute(text("SELECT sha256 FROM report_evidence")).scalars()
    assert sha == hashlib.sha256(photo).hexdigest()
    assert events_of(ward, code, "added") == 2
    assert queued(ward.db, "telegram", lan.user_id)[-4:] == [
        ADDING.format(code=code),
        ADDED.format(code=code),
        ADDED.format(code=code),
        FINISHED.format(code=code),
    ]
    assert REFUSED in queued(ward.db, "telegram", other.user_id)


async def test_group_reply_adds_for_its_reporter_and_files_anew_for_anyone_else(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    lan, other = TelegramPerson(ward), minh(ward)
    await lan.says("/report Có người bán hàng giả danh cán bộ điện lực", group=GROUP)
    await ward.settle()
    [first] = reports(ward.db)
    [answer_id] = [
        number
        for (chat, number), message in telegram.messages.items()
        if chat == str(GROUP) and first["code"] in str(message.get("text"))
    ]
    await lan.says("Họ đi hai người, mặc áo xanh", group=GROUP, reply_to=answer_id)
    await other.says("Nhà tôi cũng bị họ gõ cửa sáng nay", group=GROUP, reply_to=answer_id)
    await ward.settle()
    first, second = reports(ward.db)
    assert first["text"].endswith("\n\nHọ đi hai người, mặc áo xanh")
    assert second["text"] == "Nhà tôi cũng bị họ gõ cửa sáng nay"
    # The reply that filed a report leaves the group, as a /report does; the addition stays.
    deleted = [int(c.params["message_id"]) for c in telegram.sent("deleteMessage", GROUP)]
    assert sorted(deleted) == [lan.sent_message_ids[0], other.sent_message_ids[0]]
    assert second["reporter_id"] != first["reporter_id"]
    assert events_of(ward, first["code"], "added") == 1
    answers = texts_to(telegram, GROUP)
    assert f"Đã bổ sung vào tin báo {first['code']}. Cảm ơn anh/chị!" in answers
    assert answers[-1].startswith(RECEIVED.format(code=second["code"]))
    police = max(number for chat, number in telegram.messages if chat == str(TRIAGE))
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", username=None)
    await officer.says("Đã cử tổ tuần tra đến kiểm tra", group=TRIAGE, reply_to=police)
    await ward.settle()
    assert len(reports(ward.db)) == 2  # an officer answering the bot files nothing
    assert len(texts_to(telegram, TRIAGE)) == 2  # and reaches no reporter: colleagues' talk


async def test_zalo_group_report_invites_the_reporter_alone_to_add_by_code(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    _, zalo = platforms
    hoa = ZaloPerson(ward)
    tuan = ZaloPerson(ward, user_id="5810000000009999999", display_name="Tuấn Lê")
    await hoa.says("/baocao Có người lạ chụp ảnh cổng nhà dân ở tổ 3", group=ZALO_GROUP)
    await ward.settle()
    [report] = reports(ward.db)
    code = report["code"]
    assert (report["area_code"], report["channel"]) == ("SL-TH-T3", "zalo")
    [answer] = texts_to(zalo, ZALO_GROUP)
    assert answer.startswith(RECEIVED.format(code=code))
    assert f"/bosung {code}" in answer and "t.me" not in answer and "Hoa" not in answer
    await hoa.says(f"/bosung {code}")
    await hoa.says("Người đó đi xe Vision trắng")
    await hoa.says("xong")
    await tuan.says(f"/bosung {code.lower()}")
    await handled(ward)
    assert reports(ward.db)[0]["text"].endswith("\n\nNgười đó đi xe Vision trắng")
    assert queued(ward.db, "zalo", hoa.user_id)[-3:] == [
        ADDING.format(code=code),
        ADDED.format(code=code),
        FINISHED.format(code=code),
    ]
    assert queued(ward.db, "zalo", tuan.user_id)[-1] == REFUSED


async def test_group_report_explains_itself_when_empty_unlinked_or_in_the_triage_group(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    lan = TelegramPerson(ward)
    await lan.says("/report", group=GROUP)
    await lan.says("/baocao Có trộm ở ngõ 2", group=UNLINKED)
    await lan.says("/report Có trộm ở ngõ 2", group=TRIAGE)
    await ward.settle()
    assert reports(ward.db) == []
    assert texts_to(telegram, GROUP) == [
        "Anh/chị gõ /baocao kèm nội dung, ví dụ: /baocao có người lạ đi xe máy không biển số "
        "ở ngõ 5. Hoặc nhắn riêng cho tôi."
    ]
    assert texts_to(telegram, UNLINKED) == [
        "Nhóm này chưa được liên kết với địa bàn nào nên chưa nhận tin báo ở đây được. "
        "Anh/chị vui lòng nhắn riêng cho tôi."
    ]
    assert texts_to(telegram, TRIAGE) == [
        "Đây là nhóm tiếp nhận của công an: người dân báo tin trong nhóm cư dân của mình hoặc "
        "nhắn riêng cho tôi."
    ]


async def test_group_report_of_an_emergency_gives_the_numbers_and_is_urgent(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    await TelegramPerson(ward).says("/baocao Cháy nhà ở tổ 3, khói bốc lên nhiều", group=GROUP)
    await ward.settle()
    [report] = reports(ward.db)
    assert bool(report["urgent"]) is True
    [answer] = texts_to(telegram, GROUP)
    assert all(number in answer for number in ("113", "114", "115"))
    assert "KHẨN" in texts_to(telegram, TRIAGE)[-1]


async def test_report_limit_refuses_the_third_report_kindly(
    strict: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    lan = TelegramPerson(strict)
    for n in (1, 2, 3):
        await lan.says(f"/report Lần thứ {n}: xe lạ đỗ trước cổng trường", group=GROUP)
    await handled(strict)
    await lan.says("/baocao")
    await strict.settle()
    assert [r["text"] for r in reports(strict.db)] == [
        "Lần thứ 1: xe lạ đỗ trước cổng trường",
        "Lần thứ 2: xe lạ đỗ trước cổng trường",
    ]
    assert texts_to(telegram, GROUP)[-1].startswith(TOO_MANY)
    assert texts_to(telegram, lan.user_id)[-1].startswith(TOO_MANY)
    assert "113" in texts_to(telegram, GROUP)[-1]


async def test_zalo_dialogue_keeps_a_photo_with_its_hash(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    _, zalo = platforms
    photo = b"\xff\xd8\xff\xe0" + b"zalo-anh-hien-truong" * 40
    url = zalo.add_media("hien-truong.jpg", photo)
    hoa = ZaloPerson(ward)
    for step in ("/baocao", "2", "Tô Hiệu", "Mất điện thoại trên bàn quán nước", "sáng nay"):
        await hoa.says(step)
    await hoa.sends_photo(url, caption="ảnh camera")
    for step in ("xong", "1", "1"):
        await hoa.says(step)
    await handled(ward)
    [report] = reports(ward.db)
    assert (report["category"], report["area_code"]) == ("theft", "SL-TH")
    with ward.db.engine.connect() as connection:
        sha, size, path = connection.execute(
            text("SELECT sha256, size, path FROM report_evidence")
        ).one()
    assert (sha, size) == (hashlib.sha256(photo).hexdigest(), len(photo))
    assert (ward.service.settings.media_dir / path).read_bytes() == photo
    answers = queued(ward.db, "zalo", hoa.user_id)
    assert "Đã nhận (tổng cộng 1 tệp)" in "\n".join(answers)
    assert answers[-1].startswith(f"Cảm ơn anh/chị đã báo tin. Mã tin báo: {report['code']}")


async def test_draft_expires_politely_and_the_next_message_gets_help(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    lan = TelegramPerson(ward)
    await lan.says("/baocao")
    await lan.says("1")
    await handled(ward)
    later = utcnow() + timedelta(hours=25)
    assert expire_drafts(ward.db, settings=ward.service.settings, now=later) == 1
    assert queued(ward.db, "telegram", lan.user_id)[-1] == (
        "Tin báo đang soạn đã hết hạn sau một ngày không có trả lời. Khi cần, anh/chị gõ /baocao "
        "để báo tin mới."
    )
    with ward.db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM drafts")).scalar_one() == 0
    await lan.says("Tô Hiệu")  # would have answered "where?", had the draft lived
    await handled(ward)
    assert queued(ward.db, "telegram", lan.user_id)[-1].startswith("Anh/chị có thể:\n/baocao")
    assert reports(ward.db) == []


async def test_a_photo_captioned_report_in_a_group_files_a_report_with_it(
    ward: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    photo = b"\xff\xd8\xff\xe0" + b"xe-cho-go-lau" * 50
    telegram.add_file("PHOTO-GROUP", photo, path="photos/file_31.jpg")
    lan, other = TelegramPerson(ward), minh(ward)
    await other.sends_photo("PHOTO-GROUP", caption="Ảnh con đường sáng nay", group=GROUP)
    await lan.sends_photo("PHOTO-GROUP", caption="/report Xe chở gỗ lậu đi qua", group=GROUP)
    await ward.settle()
    [report] = reports(ward.db)  # the photo shared among neighbours files nothing
    assert (report["text"], report["source"]) == ("Xe chở gỗ lậu đi qua", "group")
    with ward.db.engine.connect() as connection:
        [sha] = connection.execute(text("SELECT sha256 FROM report_evidence")).scalars()
    assert sha == hashlib.sha256(photo).hexdigest()
    assert texts_to(telegram, GROUP)[-1].startswith(RECEIVED.format(code=report["code"]))
    assert [c.params["message_id"] for c in telegram.sent("deleteMessage", GROUP)] == [
        lan.sent_message_ids[-1]
    ]
