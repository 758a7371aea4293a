"""Zalo OA groups (GMF) as residents' and police groups: linking, reports, triage, authority."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.zalo_oa.members import count_oa_members
from domain.chats.service import issue_link_code
from tests.bot.oa_support import OaPerson, post_oa, with_oa
from tests.bot.reporting_support import TRIAGE, ZALO_GROUP, link, make_wards, reports
from tests.fakes import FakeTelegram, FakeZalo, FakeZaloOa
from tests.fakes.zalo_oa_events import OA_ID, group_event
from tests.harness import ADMIN_TOKEN, Running, make_settings, serving, with_platforms
from tests.people import TelegramPerson, ZaloPerson, texts_to
from tests.webhooks.test_broadcasts_api import wait_for_status

RESIDENTS = "gmf_1001"  # "Tổ 5 Chiềng An", the residents' OA group
POLICE = "gmf_2002"  # "Công an phường Chiềng An", the police's OA group
LAN, TUAN, STRANGER = "4462276093349011405", "4462276093349017777", "4462276093349019999"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
CLAIMED = (
    "Công an phường đã tiếp nhận tin báo {code} của anh/chị và đang xử lý. "
    "Cảm ơn anh/chị đã báo tin."
)
RECEIVED = "Đã nhận tin báo {code}. Cảm ơn anh/chị đã báo tin!"


@pytest.fixture
def oa() -> Iterator[FakeZaloOa]:
    """The fake OA with a residents' group and a police group (whose members Zalo lists)."""
    with FakeZaloOa() as fake:
        fake.add_group(RESIDENTS, "Tổ 5 Chiềng An", total_member=180)
        fake.add_group(POLICE, "Công an phường Chiềng An", members=[TUAN, "4462276093349018888"])
        yield fake


@pytest.fixture
async def ward(
    database_url: str,
    tmp_path: Path,
    oa: FakeZaloOa,
    platforms: tuple[FakeTelegram, FakeZalo],
) -> AsyncIterator[Running]:
    """The service with Telegram, the Zalo Bot and the OA on, and the wards of Sơn La."""
    # No quiet hours: the broadcasts here must go whatever the hour the suite runs.
    settings = make_settings(
        database_url, tmp_path, quiet_hours="", **with_platforms(platforms), **with_oa(oa)
    )
    async with serving(settings) as running:
        make_wards(running.db)
        yield running


def code_for(running: Running, area: str, role: str) -> str:
    """A fresh link code."""
    with running.db.session() as session:
        return issue_link_code(session, area_code=area, role=role).code


async def link_oa_groups(ward: Running, oa: FakeZaloOa) -> None:
    """Both OA groups linked to phường Chiềng An by /link typed in them (no mention)."""
    admin = OaPerson(ward, oa, user_id=TUAN)
    await admin.says(f"/link {code_for(ward, 'SL-CA', 'community')}", group=RESIDENTS)
    await admin.says(f"/lienket {code_for(ward, 'SL-CA', 'triage')}", group=POLICE)
    await ward.settle()


async def test_oa_groups_are_linked_by_a_code_and_listed_with_their_titles(
    ward: Running, oa: FakeZaloOa
) -> None:
    await link_oa_groups(ward, oa)
    assert oa.group_texts(RESIDENTS) == ["Đã liên kết: nhóm này nay là nhóm cư dân của Chiềng An."]
    assert oa.group_texts(POLICE) == [
        "Đã liên kết: nhóm này nay là nhóm tiếp nhận tin báo của công an của Chiềng An."
    ]
    answer = await ward.client.get(
        "/api/v1/chats", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    chats = {(c["channel"], c["chat_id"]): c for c in answer.json()["items"]}
    assert chats["zalo-oa", RESIDENTS]["title"] == "Tổ 5 Chiềng An"
    assert chats["zalo-oa", POLICE]["title"] == "Công an phường Chiềng An"
    assert chats["zalo-oa", POLICE]["role"] == "triage"


async def test_oa_residents_report_and_oa_police_work_the_card(
    ward: Running, oa: FakeZaloOa
) -> None:
    await link_oa_groups(ward, oa)
    lan = OaPerson(ward, oa, user_id=LAN)
    await lan.says(
        "/baocao Có người lạ cạy khóa xe máy ở ngõ 5 [@gmf_1001] [ @all]",
        group=RESIDENTS,
        shape="conversation_id",
    )
    await ward.settle()
    [report] = reports(ward.db)
    code = report["code"]
    assert (report["area_code"], report["source"], report["channel"]) == (
        "SL-CA",
        "group",
        "zalo-oa",
    )
    answer = oa.group_texts(RESIDENTS)[-1]
    assert answer.startswith(RECEIVED.format(code=code))
    assert f"/bosung {code}" in answer and LAN not in answer  # the code only, and a private invite
    card = oa.group_texts(POLICE)[-1]
    assert card.startswith(f"🆕 Tin báo {code} · ") and "cạy khóa xe máy" in card
    tuan = OaPerson(ward, oa, user_id=TUAN)
    stranger = OaPerson(ward, oa, user_id=STRANGER)
    await stranger.says(f"/nhan {code}", group=POLICE, shape="recipient_id")
    await ward.settle()
    assert oa.group_texts(POLICE)[-1] == (
        "Chỉ thành viên của nhóm tiếp nhận này mới xử lý được tin báo của nhóm."
    )
    assert reports(ward.db)[0]["status"] == "new"
    await tuan.says(f"/nhan {code}", group=POLICE, shape="recipient_id")
    await ward.settle()
    assert reports(ward.db)[0]["status"] == "in_progress"
    # Named as the OA's member list names him, not by his Zalo id.
    assert oa.group_texts(POLICE)[-1] == f"✔️ {code}: Thành viên 7777 đã nhận xử lý."
    await tuan.says("/hangcho", group=POLICE)
    await tuan.says("/thongke", group=POLICE)
    await ward.settle()
    queue, stats = oa.group_texts(POLICE)[-2:]
    assert code in queue and "1" in stats
    every_text = [c.params["message"]["text"] for c in oa.sent_to_group()]
    assert not any("[@" in t or "[ @" in t for t in every_text)  # nobody mentions everyone


async def test_oa_echoes_are_ignored_and_bad_signatures_refused(
    ward: Running, oa: FakeZaloOa
) -> None:
    await link_oa_groups(ward, oa)
    echo = group_event("oa_send_group_text", RESIDENTS, OA_ID, text="/report tự gửi")
    assert (await post_oa(ward, echo)).status_code == 200
    await OaPerson(ward, oa, user_id=LAN).sends_photo("https://photo.zdn.vn/x.jpg", group=RESIDENTS)
    forged = group_event("user_send_group_text", RESIDENTS, LAN, text="/report giả mạo")
    assert (await post_oa(ward, forged, signature="mac=" + "0" * 64)).status_code == 401
    await ward.settle()
    assert reports(ward.db) == []
    with ward.db.engine.connect() as connection:
        statuses: dict[str | None, str] = dict(
            connection.execute(
                text("SELECT payload, status FROM inbox WHERE channel = 'zalo-oa'")
            ).all()
        )
    [echo_status] = [v for k, v in statuses.items() if "oa_send_group_text" in (k or "")]
    assert echo_status == "ignored"
    assert not any("giả mạo" in (k or "") for k in statuses)  # the forged one was not stored
    assert oa.group_texts(RESIDENTS)[1:] == []  # the photo alone files nothing


async def test_scheduled_broadcast_reaches_oa_groups_and_an_expired_one_stops(
    ward: Running, oa: FakeZaloOa
) -> None:
    oa.add_group("gmf_3003", "Tổ 6 Chiềng An", expires_at=1_000)  # ran out long ago
    await link_oa_groups(ward, oa)
    with ward.db.session() as session:  # linked while its package still ran
        link(session, channel="zalo-oa", chat_id="gmf_3003", area="SL-CA", role="community")
    text = "Công an phường Chiềng An: không chuyển tiền cho người tự xưng công an."
    send_at = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    created = await ward.client.post(
        "/api/v1/broadcasts",
        json={"text": text, "areas": ["SL-CA"], "send_at": send_at, "channels": ["zalo-oa"]},
        headers=AUTH,
    )
    assert created.status_code == 201, created.text
    done = await wait_for_status(ward, created.json()["id"], "done")
    assert (done["targets"], done["sent"], done["failed"]) == (2, 1, 1)
    assert oa.group_texts(RESIDENTS)[-1] == text
    assert oa.group_texts(POLICE)[-1] != text  # the police's group gets no broadcast
    runs = (await ward.client.get(f"/api/v1/broadcasts/{done['id']}/runs", headers=AUTH)).json()[
        "items"
    ]
    assert list(runs[0]["failures"]) == ["the Zalo OA group's package has expired"]
    chats = (await ward.client.get("/api/v1/chats", headers=AUTH)).json()["items"]
    assert {c["chat_id"]: c["active"] for c in chats}["gmf_3003"] is False


async def test_a_runs_reach_counts_the_members_of_oa_groups_asked_at_most_daily(
    ward: Running, oa: FakeZaloOa
) -> None:
    await link_oa_groups(ward, oa)
    client = ward.service.zalo_oa
    assert client is not None
    assert await count_oa_members(ward.db, client) == 1  # the residents' group; not the police
    asked = len([c for c in oa.calls if c.path.endswith("/getgroup")])
    assert await count_oa_members(ward.db, client) == 0  # counted today already
    assert len([c for c in oa.calls if c.path.endswith("/getgroup")]) == asked
    text = "Công an phường Chiềng An: cảnh giác với cuộc gọi giả danh công an."
    send_at = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    created = await ward.client.post(
        "/api/v1/broadcasts",
        json={"text": text, "areas": ["SL-CA"], "send_at": send_at, "channels": ["zalo-oa"]},
        headers=AUTH,
    )
    assert created.status_code == 201, created.text
    done = await wait_for_status(ward, created.json()["id"], "done")
    runs = (await ward.client.get(f"/api/v1/broadcasts/{done['id']}/runs", headers=AUTH)).json()[
        "items"
    ]
    reach = runs[0]["reach"]
    assert (reach["groups"], reach["people"], reach["counted"]) == (1, 180, 1)


async def test_oa_residents_with_telegram_police(
    ward: Running, oa: FakeZaloOa, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    tuan = OaPerson(ward, oa, user_id=TUAN)
    await tuan.says(f"/link {code_for(ward, 'SL-TH', 'community')}", group=RESIDENTS)
    await ward.settle()
    lan = OaPerson(ward, oa, user_id=LAN)
    await lan.says("Chào anh chị")  # Lan has written to the OA privately before
    await lan.says("/report Hai thanh niên giật túi xách ở đầu ngõ 4 [@gmf_1001]", group=RESIDENTS)
    await ward.settle()
    code = str(reports(ward.db)[-1]["code"])
    card = texts_to(telegram, TRIAGE)[-1]
    assert card.startswith(f"🆕 Tin báo {code} · ") and "[@" not in card
    officer = TelegramPerson(ward, user_id=880001, first_name="Hùng", last_name="Trần")
    await officer.says(f"/claim {code}", group=TRIAGE)
    await officer.says(f"/ask {code} Họ đi xe máy màu gì?", group=TRIAGE)
    await ward.settle()
    private = oa.texts_to(LAN)
    assert CLAIMED.format(code=code) in private
    assert any("Họ đi xe máy màu gì?" in t for t in private) and not any(
        "Hùng" in t for t in private
    )
    await lan.says("Xe Wave màu đỏ, không biển số")
    await ward.settle()
    assert "Xe Wave màu đỏ, không biển số" in texts_to(telegram, TRIAGE)[-1]


async def test_zalo_bot_residents_with_oa_police(
    ward: Running, oa: FakeZaloOa, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    _, zalo = platforms
    tuan = OaPerson(ward, oa, user_id=TUAN)
    await tuan.says(f"/link {code_for(ward, 'SL-TH', 'triage')}", group=POLICE)
    await ward.settle()
    hoa = ZaloPerson(ward)
    await hoa.says("/start")
    await hoa.says("/report Có người lạ bán hàng giả ở chợ tổ 3 [@all]", group=ZALO_GROUP)
    await ward.settle()
    code = str(reports(ward.db)[-1]["code"])
    card = oa.group_texts(POLICE)[-1]
    assert card.startswith(f"🆕 Tin báo {code} · ") and "[@" not in card
    await tuan.says(f"/nhan {code}", group=POLICE)
    await tuan.says(f"/hoi {code} Anh/chị thấy họ lúc mấy giờ?", group=POLICE)
    await ward.settle()
    assert reports(ward.db)[-1]["status"] == "in_progress"
    private = [str(c.params.get("text")) for c in zalo.sent("sendMessage", hoa.user_id)]
    assert CLAIMED.format(code=code) in private
    assert any("Anh/chị thấy họ lúc mấy giờ?" in t for t in private)
    await hoa.says("Khoảng 9 giờ sáng [@gmf_2002]")
    await ward.settle()
    relayed = oa.group_texts(POLICE)[-1]
    assert "Khoảng 9 giờ sáng" in relayed and "[@" not in relayed


async def test_news_outside_the_seven_day_window_waits_for_the_next_message(
    ward: Running, oa: FakeZaloOa
) -> None:
    oa.enforce_window = True
    await link_oa_groups(ward, oa)
    lan = OaPerson(ward, oa, user_id=LAN)
    await lan.says("Chào anh chị")
    await ward.settle()
    hello, window = oa.texts_to(LAN)
    assert hello.startswith("Xin chào! Đây là Tin báo")
    assert "trong vòng 7 ngày" in window  # told on first contact when news can come
    await lan.says("/report Có người lạ theo dõi nhà số 12 ngõ 5", group=RESIDENTS)
    await ward.settle()
    code = str(reports(ward.db)[-1]["code"])
    oa.user_wrote(LAN, days_ago=8)  # Lan has not written to the OA for eight days
    await OaPerson(ward, oa, user_id=TUAN).says(f"/nhan {code}", group=POLICE)
    await ward.settle()
    assert CLAIMED.format(code=code) not in oa.texts_to(LAN)
    detail = (await ward.client.get(f"/api/v1/reports/{code}", headers=AUTH)).json()
    [waiting] = detail["waiting_news"]
    assert waiting["text"] == CLAIMED.format(code=code) and waiting["reason"].startswith("-230")
    await lan.says("Có tin gì chưa ạ?")
    await ward.settle()
    private = oa.texts_to(LAN)
    assert CLAIMED.format(code=code) in private
    assert private.index(CLAIMED.format(code=code)) < len(private) - 1  # before the answer
    detail = (await ward.client.get(f"/api/v1/reports/{code}", headers=AUTH)).json()
    assert detail["waiting_news"] == []


async def test_oa_triage_group_without_a_member_list_trusts_its_link(
    ward: Running, oa: FakeZaloOa
) -> None:
    oa.add_group("gmf_5005", "Công an phường Tô Hiệu")  # Zalo lists no members for it
    await OaPerson(ward, oa, user_id=TUAN).says(
        f"/link {code_for(ward, 'SL-TH', 'triage')}", group="gmf_5005"
    )
    await ward.settle()
    await OaPerson(ward, oa, user_id=LAN).says(
        f"/link {code_for(ward, 'SL-TH', 'community')}", group=RESIDENTS
    )
    await OaPerson(ward, oa, user_id=LAN).says("/report Cháy bếp ở tổ 3", group=RESIDENTS)
    await ward.settle()
    code = str(reports(ward.db)[-1]["code"])
    await OaPerson(ward, oa, user_id=STRANGER).says(f"/nhan {code}", group="gmf_5005")
    await ward.settle()
    assert reports(ward.db)[-1]["status"] == "in_progress"
    assert oa.group_texts("gmf_5005")[-1] == f"✔️ {code}: {STRANGER} đã nhận xử lý."


ADDED = "Đã bổ sung vào tin báo {code}. Cảm ơn anh/chị!"


def evidence_of(running: Running, code: str) -> list[str]:
    """The sha256 of each file kept with a report."""
    with running.db.engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT e.sha256 FROM report_evidence e JOIN reports r ON r.id = e.report_id "
                    "WHERE r.code = :code ORDER BY e.id"
                ),
                {"code": code},
            ).scalars()
        )


async def test_the_reporters_photo_and_place_posted_soon_after_are_added_to_their_report(
    ward: Running, oa: FakeZaloOa, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    """Zalo names no replied-to message: the reporter's posts minutes after /baocao stand in."""
    _, zalo = platforms
    picture = b"\xff\xd8\xff\xe0" + b"xe-may-bi-cay-khoa" * 40
    url = zalo.add_media("cay-khoa.jpg", picture)
    await link_oa_groups(ward, oa)
    lan = OaPerson(ward, oa, user_id=LAN)
    neighbour = OaPerson(ward, oa, user_id=STRANGER)
    await lan.says("/baocao Có người lạ cạy khóa xe máy ở ngõ 5", group=RESIDENTS)
    await ward.settle()
    [report] = reports(ward.db)
    code = report["code"]
    assert "trong 10 phút tới cũng sẽ được thêm vào tin báo" in oa.group_texts(RESIDENTS)[-1]
    await neighbour.sends_photo(url, group=RESIDENTS, caption="ảnh con mèo nhà tôi")
    await ward.settle()
    assert evidence_of(ward, code) == []  # a neighbour's photo is not the report's
    assert not oa.group_texts(RESIDENTS)[-1].startswith("Đã bổ sung")
    await lan.sends_photo(url, group=RESIDENTS, caption="ảnh lúc 22h")
    await lan.shares_location(21.3256, 103.9188, group=RESIDENTS)
    await ward.settle()
    assert evidence_of(ward, code) == [hashlib.sha256(picture).hexdigest()]
    [report] = reports(ward.db)
    assert report["text"].endswith("ảnh lúc 22h")
    with ward.db.engine.connect() as connection:
        place = connection.execute(
            text("SELECT latitude, longitude FROM reports WHERE code = :code"), {"code": code}
        ).one()
    assert tuple(place) == (21.3256, 103.9188)
    assert oa.group_texts(RESIDENTS)[-2:] == [ADDED.format(code=code)] * 2
    assert any(code in t and "bổ sung" in t for t in oa.group_texts(POLICE))  # police are told
    # Ten minutes on, the reporter's photos are neighbours' talk again.
    with ward.db.engine.begin() as connection:
        connection.execute(
            text("UPDATE reports SET created_at = :then WHERE code = :code"),
            {"then": datetime.now(UTC) - timedelta(minutes=11), "code": code},
        )
    await lan.sends_photo(url, group=RESIDENTS, caption="ảnh khác")
    await ward.settle()
    assert len(evidence_of(ward, code)) == 1
    assert oa.group_texts(RESIDENTS)[-1] == ADDED.format(code=code)


async def test_a_photo_captioned_baocao_files_a_report_with_the_photo(
    ward: Running, oa: FakeZaloOa, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    _, zalo = platforms
    picture = b"\xff\xd8\xff\xe0" + b"bien-so-la" * 60
    url = zalo.add_media("bien-so.jpg", picture)
    await link_oa_groups(ward, oa)
    await OaPerson(ward, oa, user_id=LAN).sends_photo(
        url, group=RESIDENTS, caption="/baocao Xe không biển số đỗ trước cổng trường"
    )
    await ward.settle()
    [report] = reports(ward.db)
    assert (report["text"], report["source"]) == (
        "Xe không biển số đỗ trước cổng trường",
        "group",
    )
    assert evidence_of(ward, report["code"]) == [hashlib.sha256(picture).hexdigest()]
    assert oa.group_texts(RESIDENTS)[-1].startswith(RECEIVED.format(code=report["code"]))
