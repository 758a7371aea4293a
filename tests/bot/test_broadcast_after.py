"""Broadcasts from a triage group: test sends, corrections of a run, expiry of waiting ones."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.broadcasting.expiry import expire_broadcast_waits
from core.db import utcnow
from tests.bot.broadcast_support import (
    AUTH,
    CA_GROUP,
    GROUP,
    WARD_TRIAGE,
    ZALO_GROUP,
    api_broadcast,
    broadcasts,
    done,
    hung,
    last_message,
    last_text,
    runs,
    until,
    ward_serving,
)
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running
from tests.people import texts_to

WORDS = "Cảnh giác với cuộc gọi giả danh công an yêu cầu chuyển tiền."
FIXED = "Cảnh giác với cuộc gọi giả danh công an yêu cầu chuyển tiền hoặc cài ứng dụng lạ."


async def confirmed(running: Running, words: str = WORDS) -> int:
    """Hùng composes a broadcast of his own words to Tô Hiệu, now, and confirms it."""
    for answer in ["/phatthanh", words, "1", "1", "1"]:
        await hung(running).says(answer, group=WARD_TRIAGE)
    await until(lambda: bool(broadcasts(running)), what="the broadcast confirmed")
    return int(broadcasts(running)[-1]["id"])


async def test_test_send_reaches_only_the_officers_own_group_and_is_no_run(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    async with ward_serving(database_url, tmp_path, platforms) as running:
        await hung(running).says("/phatthanh test", group=WARD_TRIAGE)
        await hung(running).says(WORDS, group=WARD_TRIAGE)
        await running.settle()
        assert last_text(telegram, WARD_TRIAGE) == (
            "🧪 THỬ NGHIỆM — chỉ gửi trong nhóm công an này, không gửi đến nhóm dân cư nào"
            f"\n\n{WORDS}"
        )
        response = await running.client.post(
            "/api/v1/broadcasts",
            json={
                "text": WORDS,
                "areas": ["SL-TH-T3"],
                "send_at": utcnow().isoformat(),
                "test": True,
            },
            headers=AUTH,
        )
        assert response.status_code == 200, response.text
        assert response.json()["triage_groups"] == [f"telegram:{WARD_TRIAGE}"]
        everyone = {"text": WORDS, "areas": "all", "send_at": utcnow().isoformat(), "test": True}
        refused = await running.client.post("/api/v1/broadcasts", json=everyone, headers=AUTH)
        assert refused.status_code == 422 and "names its areas" in refused.text
        await running.settle()
        assert texts_to(telegram, WARD_TRIAGE)[-1].startswith("🧪 THỬ NGHIỆM")
        assert broadcasts(running) == [] and runs(running) == []
        assert texts_to(telegram, GROUP) == []
        assert texts_to(zalo, ZALO_GROUP) == [] and texts_to(zalo, CA_GROUP) == []


async def test_correction_reaches_exactly_the_runs_groups_and_edits_them_on_telegram(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    async with ward_serving(database_url, tmp_path, platforms, broadcast_approval=False) as running:
        await hung(running).says("/dinhchinh 1 " + FIXED, group=WARD_TRIAGE)
        await running.settle()
        assert last_text(telegram, WARD_TRIAGE) == "Không có tin phát thanh 1."
        number = await confirmed(running)
        await done(running, number)
        sent_id, _sent = last_message(telegram, GROUP)
        await hung(running).says(f"/dinhchinh {number} {FIXED}", group=WARD_TRIAGE)
        await running.settle()
        assert "sẽ gửi đến 2 nhóm" in last_text(telegram, WARD_TRIAGE)
        (correction,) = texts_to(zalo, ZALO_GROUP)[1:]
        assert correction.startswith("✏️ ĐÍNH CHÍNH tin phát thanh lúc ")
        assert correction.endswith(f"\n\n{FIXED}")
        assert texts_to(telegram, GROUP)[1] == correction
        edited = telegram.messages[(str(GROUP), sent_id)]
        assert edited["text"] == f"✏️ Đã đính chính:\n\n{FIXED}"
        assert texts_to(zalo, CA_GROUP) == [] and texts_to(telegram, WARD_TRIAGE)[-1] != correction
        found = await api_broadcast(running, number)
        corrected = found["events"][-1]
        assert (corrected["kind"], corrected["actor"]) == ("corrected", "telegram:880001")
        assert (corrected["details"]["groups"], corrected["details"]["edited"]) == (2, 1)
        assert len(runs(running)) == 1  # a correction is no run


async def test_correction_goes_where_the_old_message_can_no_longer_be_edited(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    async with ward_serving(database_url, tmp_path, platforms, broadcast_approval=False) as running:
        number = await confirmed(running)
        await done(running, number)
        sent_id, _sent = last_message(telegram, GROUP)
        telegram.fail_next(GROUP, "400_cant_edit")  # the edit comes first in the group
        await hung(running).says(f"/dinhchinh {number} {FIXED}", group=WARD_TRIAGE)
        await running.settle()
        assert telegram.messages[(str(GROUP), sent_id)]["text"] == WORDS
        assert texts_to(telegram, GROUP)[-1].endswith(FIXED)


async def test_waiting_broadcast_expires_after_a_day_with_a_note(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    async with ward_serving(database_url, tmp_path, platforms) as running:
        number = await confirmed(running)
        await running.settle()
        card_id, _card = last_message(telegram, WARD_TRIAGE)
        settings = running.service.settings
        assert expire_broadcast_waits(running.db, settings=settings, now=utcnow()) == 0
        later = utcnow() + timedelta(hours=24, minutes=1)
        assert expire_broadcast_waits(running.db, settings=settings, now=later) == 1
        await running.settle()
        note = f"Tin phát thanh {number} đã hết hạn: không có cán bộ thứ hai duyệt trong 24 giờ."
        assert last_text(telegram, WARD_TRIAGE).startswith(note)
        card = telegram.messages[(str(WARD_TRIAGE), card_id)]
        assert card["text"].startswith(f"📣 Tin phát thanh {number} · đã huỷ")
        assert "reply_markup" not in card or not card["reply_markup"]
        found = await api_broadcast(running, number)
        assert found["status"] == "cancelled"
        assert found["events"][-1]["kind"] == "expired"
        await hung(running).says(f"/duyet {number}", group=WARD_TRIAGE)
        await running.settle()
        assert last_text(telegram, WARD_TRIAGE) == (
            f"Tin phát thanh {number} không ở trạng thái chờ duyệt."
        )


async def test_an_idle_composition_expires_with_a_note(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    async with ward_serving(database_url, tmp_path, platforms) as running:
        await hung(running).says("/phatthanh", group=WARD_TRIAGE)
        await running.settle()
        settings = running.service.settings
        later = utcnow() + timedelta(hours=1, minutes=1)
        assert expire_broadcast_waits(running.db, settings=settings, now=later) == 1
        await running.settle()
        assert "đã hết hạn sau một giờ" in last_text(telegram, WARD_TRIAGE)
        await hung(running).says("1", group=WARD_TRIAGE)  # no dialogue: nothing answers
        await running.settle()
        assert "đã hết hạn sau một giờ" in last_text(telegram, WARD_TRIAGE)


async def test_a_waiting_broadcast_cancelled_by_the_api_closes_its_card_in_the_chat(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    async with ward_serving(database_url, tmp_path, platforms) as running:
        number = await confirmed(running)
        await running.settle()
        card_id, card = last_message(telegram, WARD_TRIAGE)
        assert card.get("reply_markup")  # approve and refuse, waiting for a second officer
        cancelled = await running.client.post(f"/api/v1/broadcasts/{number}/cancel", headers=AUTH)
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        await running.settle()
        note = f"Tin phát thanh {number} đã bị cán bộ vận hành hủy. Tin này sẽ không được gửi thêm."
        assert last_text(telegram, WARD_TRIAGE) == note
        card = telegram.messages[(str(WARD_TRIAGE), card_id)]
        assert card["text"].startswith(f"📣 Tin phát thanh {number} · đã huỷ")
        assert note in card["text"]
        assert not card.get("reply_markup")  # nothing left to approve
        found = await api_broadcast(running, number)
        assert found["events"][-1]["kind"] == "cancelled"
