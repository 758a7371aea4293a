"""Broadcasts composed in a triage group: the dialogue, the preview, a second officer's approval."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from broadcasts.contents.service import list_contents
from tests.bot.broadcast_support import (
    CA_GROUP,
    GROUP,
    TRIAGE,
    WARD_TRIAGE,
    ZALO_GROUP,
    ZALO_TRIAGE,
    api_broadcast,
    broadcasts,
    buttons,
    done,
    hung,
    lan,
    last_message,
    last_text,
    minh,
    runs,
    until,
    ward_serving,
)
from tests.bot.triage_support import button_answers, press
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running
from tests.people import TelegramPerson, texts_to


async def test_broadcast_from_the_library_is_previewed_approved_by_a_second_officer_and_sent(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    async with ward_serving(database_url, tmp_path, platforms) as running:
        author, second = hung(running), lan(running)
        await author.says("/phatthanh", group=WARD_TRIAGE)
        await running.settle()
        question_id, question = last_message(telegram, WARD_TRIAGE)
        assert "Tin phát thanh nói gì?" in question["text"]
        assert "b:m:1" in buttons(question)
        await author.says("lừa đảo", group=WARD_TRIAGE, reply_to=question_id)
        await running.settle()
        with running.db.session() as session:
            scam = list_contents(session, tag="scam")[0]
        question_id, question = last_message(telegram, WARD_TRIAGE)
        assert f"1. {scam.title.vi}" in question["text"]
        assert "Cháy" not in question["text"]  # the fire messages are no longer offered
        await press(running, author, "b:m:1", message_id=question_id, chat_id=WARD_TRIAGE)
        await running.settle()
        question_id, question = last_message(telegram, WARD_TRIAGE)
        assert "1. Tô Hiệu\n2. Tổ 3" in question["text"]
        await author.says("1", group=WARD_TRIAGE, reply_to=question_id)
        await running.settle()
        question_id, question = last_message(telegram, WARD_TRIAGE)
        assert question["text"].startswith("Gửi khi nào?")
        await press(running, author, "b:w:1", message_id=question_id, chat_id=WARD_TRIAGE)
        await running.settle()
        preview_id, preview = last_message(telegram, WARD_TRIAGE)
        assert preview["text"].startswith("📣 Xem trước tin phát thanh")
        assert scam.text.vi in preview["text"]
        assert "Số nhóm: 2 (Tô Hiệu: 1 trên Telegram, 1 trên Zalo)" in preview["text"]
        assert buttons(preview) == ["b:k:1", "b:k:2"]
        assert broadcasts(running) == []  # nothing is scheduled before it is confirmed
        await press(running, author, "b:k:1", message_id=preview_id, chat_id=WARD_TRIAGE)
        await running.settle()
        (row,) = broadcasts(running)
        number = row["id"]
        assert row["status"] == "awaiting_approval"
        card_id, card = last_message(telegram, WARD_TRIAGE)
        assert card["text"].startswith(f"📣 Tin phát thanh {number} · chờ duyệt")
        assert "Người soạn: Hùng Trần" in card["text"]
        assert "Địa bàn: Tô Hiệu (hiện có 2 nhóm)" in card["text"]
        assert buttons(card) == [f"b:y:{number}", f"b:n:{number}"]

        await press(running, author, f"b:y:{number}", message_id=card_id, chat_id=WARD_TRIAGE)
        await running.settle()
        assert button_answers(telegram)[-1]["text"] == (
            f"Anh/chị là người soạn tin phát thanh {number}: cần một cán bộ khác duyệt."
        )
        await minh(running).says(f"/duyet {number}", group=ZALO_TRIAGE)
        await running.settle()
        assert last_text(zalo, ZALO_TRIAGE) == (
            f"Tin phát thanh {number} không thuộc địa bàn của nhóm này."
        )
        stranger = TelegramPerson(running, user_id=880009, first_name="Khách")
        telegram.members[(WARD_TRIAGE, 880009)] = "left"
        await stranger.says(f"/duyet {number}", group=WARD_TRIAGE)
        await running.settle()
        assert "Chỉ thành viên" in last_text(telegram, WARD_TRIAGE)
        assert broadcasts(running)[0]["status"] == "awaiting_approval"
        assert texts_to(telegram, GROUP) == [] and texts_to(zalo, ZALO_GROUP) == []

        await second.says(f"/duyet {number}", group=WARD_TRIAGE)
        finished = await done(running, number)
        assert (finished["targets"], finished["sent"], finished["failed"]) == (2, 2, 0)
        assert texts_to(telegram, GROUP)[-1] == finished["text"]
        assert texts_to(zalo, ZALO_GROUP)[-1] == finished["text"]
        assert texts_to(zalo, CA_GROUP) == []  # Chiềng An was not targeted
        card = telegram.messages[(str(WARD_TRIAGE), card_id)]
        assert card["text"].startswith(f"📣 Tin phát thanh {number} · ")
        assert f"Tin phát thanh {number}: Lan Phạm đã duyệt" in card["text"]
        assert buttons(card) == []
        events = [(e["kind"], e["actor"], e["chat"]) for e in finished["events"]]
        assert events[:2] == [
            ("created", "telegram:880001", f"telegram:{WARD_TRIAGE}"),
            ("approved", "telegram:880002", f"telegram:{WARD_TRIAGE}"),
        ]
        assert [kind for kind, _actor, _chat in events[2:]] == ["run_started", "run_done"]
        assert finished["events"][-1]["details"]["sent"] == 2

        await second.says("/dsphatthanh", group=WARD_TRIAGE)
        await running.settle()
        listing = last_text(telegram, WARD_TRIAGE)
        assert f"#{number} · đã gửi · " in listing and "2 đã gửi, 0 lỗi" in listing
        await second.says(f"/dsphatthanh {number}", group=WARD_TRIAGE)
        await running.settle()
        shown = last_text(telegram, WARD_TRIAGE)
        assert "2 nhóm, 2 đã gửi, 0 lỗi, 0 đang chờ" in shown
        assert "đã duyệt — Lan Phạm" in shown


async def test_broadcast_of_own_words_on_zalo_by_typed_answers_approved_from_the_province(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    words = "Công an phường Chiềng An: tối nay kiểm tra an toàn cháy nổ các nhà trọ."
    async with ward_serving(database_url, tmp_path, platforms) as running:
        officer = minh(running)
        await officer.says("/phatthanh", group=ZALO_TRIAGE)
        await running.settle()
        assert "1. " in last_text(zalo, ZALO_TRIAGE)
        await officer.says("hả", group=ZALO_TRIAGE)  # an odd answer: the question again
        await running.settle()
        assert last_text(zalo, ZALO_TRIAGE).startswith("Tôi chưa hiểu câu trả lời này.")
        await officer.says("Cảnh giác " * 210, group=ZALO_TRIAGE)  # 2,100 characters
        await running.settle()
        assert last_text(zalo, ZALO_TRIAGE).startswith("Nội dung có 2099 ký tự; ")
        await officer.says(words, group=ZALO_TRIAGE)
        await running.settle()
        assert "Gửi đến địa bàn nào?" in last_text(zalo, ZALO_TRIAGE)
        await officer.says("Tô Hiệu", group=ZALO_TRIAGE)  # another ward: never outside
        await running.settle()
        assert "Không tìm thấy địa bàn “Tô Hiệu”" in texts_to(zalo, ZALO_TRIAGE)[-2]
        await officer.says("Chiềng An", group=ZALO_TRIAGE)
        await running.settle()
        assert last_text(zalo, ZALO_TRIAGE).startswith("Gửi khi nào?")
        await officer.says("thứ 2 8h", group=ZALO_TRIAGE)
        await running.settle()
        weekly = last_text(zalo, ZALO_TRIAGE)
        assert "hằng tuần vào Thứ hai, lần đầu 08:00" in weekly
        await officer.says("/huy", group=ZALO_TRIAGE)
        await running.settle()
        assert last_text(zalo, ZALO_TRIAGE) == "Đã huỷ: chưa có tin nào được lên lịch."
        assert broadcasts(running) == []

        for answer in ["/phatthanh", words, "1", "1"]:
            await officer.says(answer, group=ZALO_TRIAGE)
        await running.settle()
        preview = texts_to(zalo, ZALO_TRIAGE)[-1]
        assert words in preview and "Số nhóm: 1 (Chiềng An: 1 trên Zalo)" in preview
        await officer.says("1", group=ZALO_TRIAGE)
        await running.settle()
        (row,) = broadcasts(running)
        number = row["id"]
        card = last_text(zalo, ZALO_TRIAGE)
        assert card.endswith(f"Duyệt: /duyet {number} · Không duyệt: /khongduyet {number} lý do")
        await officer.says(f"/duyet {number}", group=ZALO_TRIAGE)
        await running.settle()
        assert "cần một cán bộ khác duyệt" in last_text(zalo, ZALO_TRIAGE)
        province = TelegramPerson(running, user_id=880100, first_name="Tuấn", last_name="Võ")
        await province.says(f"/duyet {number}", group=TRIAGE)  # the police above the ward
        finished = await done(running, number)
        assert texts_to(zalo, CA_GROUP) == [words]
        assert texts_to(telegram, GROUP) == [] and texts_to(zalo, ZALO_GROUP) == []
        assert f"Tin phát thanh {number}: Tuấn Võ đã duyệt" in last_text(zalo, ZALO_TRIAGE)
        assert finished["events"][1]["chat"] == f"telegram:{TRIAGE}"
        assert len(runs(running)) == 1


async def test_refusal_needs_a_reason_and_sends_nothing(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    async with ward_serving(database_url, tmp_path, platforms) as running:
        author, second = hung(running), lan(running)
        for answer in ["/phatthanh", "Cảnh giác với cuộc gọi giả danh công an", "1", "1", "1"]:
            await author.says(answer, group=WARD_TRIAGE)
        await running.settle()
        number = broadcasts(running)[0]["id"]
        card_id, _card = last_message(telegram, WARD_TRIAGE)
        await second.says(f"/khongduyet {number}", group=WARD_TRIAGE)
        await running.settle()
        assert "lý do" in last_text(telegram, WARD_TRIAGE)
        await press(running, second, f"b:n:{number}", message_id=card_id, chat_id=WARD_TRIAGE)
        await running.settle()
        prompt_id, prompt = last_message(telegram, WARD_TRIAGE)
        assert f"lý do không duyệt tin phát thanh {number}" in prompt["text"]
        await second.says("Nội dung chưa rõ địa chỉ", group=WARD_TRIAGE, reply_to=prompt_id)
        await running.settle()
        assert broadcasts(running)[0]["status"] == "cancelled"
        card = telegram.messages[(str(WARD_TRIAGE), card_id)]
        assert "Lan Phạm không duyệt. Lý do: Nội dung chưa rõ địa chỉ" in card["text"]
        found = await api_broadcast(running, number)
        assert found["events"][-1]["kind"] == "refused"
        assert found["events"][-1]["details"]["reason"] == "Nội dung chưa rõ địa chỉ"
        assert runs(running) == [] and texts_to(telegram, GROUP) == []


async def test_without_approval_a_confirmed_broadcast_is_scheduled_at_once(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    async with ward_serving(database_url, tmp_path, platforms, broadcast_approval=False) as running:
        author = hung(running)
        for answer in ["/phatthanh", "Cảnh giác với cuộc gọi giả danh công an", "1", "1", "1"]:
            await author.says(answer, group=WARD_TRIAGE)
        number = (await until_created(running))["id"]
        finished = await done(running, number)
        assert finished["sent"] == 2
        assert texts_to(zalo, ZALO_GROUP) == ["Cảnh giác với cuộc gọi giả danh công an"]
        assert [e["kind"] for e in finished["events"]][:2] == ["created", "run_started"]
        assert "không cần cán bộ thứ hai duyệt" in texts_to(telegram, WARD_TRIAGE)[-1]


async def test_urgent_broadcast_is_approved_by_its_author_only_when_the_setting_allows(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    answers = ["/phatthanh khan", "Mất điện diện rộng, đề phòng trộm cắp", "1", "1", "1"]
    async with ward_serving(database_url, tmp_path, platforms, urgent_self_approve=True) as running:
        author = hung(running)
        for answer in answers:
            await author.says(answer, group=WARD_TRIAGE)
        await running.settle()
        number = broadcasts(running)[0]["id"]
        assert broadcasts(running)[0]["urgent"]
        await author.says(f"/duyet {number}", group=WARD_TRIAGE)
        finished = await done(running, number)
        approved = finished["events"][1]
        assert (approved["kind"], approved["actor"]) == ("approved", "telegram:880001")
        assert approved["details"]["self_approved"] is True
        assert texts_to(telegram, GROUP) == [answers[1]]


async def until_created(running: Running) -> dict[str, Any]:
    """The first broadcast once it exists."""
    await until(lambda: bool(broadcasts(running)), what="a broadcast created")
    return broadcasts(running)[0]


async def test_second_officer_approves_by_the_cards_button(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, zalo = platforms
    words = "Cảnh giác với cuộc gọi giả danh công an"
    async with ward_serving(database_url, tmp_path, platforms) as running:
        for answer in ["/phatthanh", words, "1", "1", "1"]:
            await hung(running).says(answer, group=WARD_TRIAGE)
        await running.settle()
        number = broadcasts(running)[0]["id"]
        card_id, _card = last_message(telegram, WARD_TRIAGE)
        await press(running, lan(running), f"b:y:{number}", message_id=card_id, chat_id=WARD_TRIAGE)
        await done(running, number)
        assert button_answers(telegram)[-1]["text"].startswith(
            f"Tin phát thanh {number}: Lan Phạm đã duyệt; gửi lúc "
        )
        assert texts_to(telegram, GROUP) == [words] and texts_to(zalo, ZALO_GROUP) == [words]
        assert buttons(telegram.messages[(str(WARD_TRIAGE), card_id)]) == []
