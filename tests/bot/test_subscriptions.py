"""Residents subscribe privately, receive broadcasts, and stop them: through the webhooks."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.reporting.expiry import expire_drafts
from core.db import utcnow
from tests.bot.reporting_support import GROUP, make_wards
from tests.bot.test_zalo_oa_sending import USER as OA_USER
from tests.bot.test_zalo_oa_sending import signed_oa_text
from tests.factories import make_area
from tests.fakes import FakeTelegram, FakeZalo, FakeZaloOa
from tests.fakes.zalo_oa_api import APP_ID, APP_SECRET, REFRESH_TOKEN
from tests.harness import Running, make_settings, serving, with_platforms
from tests.people import TelegramPerson, ZaloPerson, texts_to
from tests.webhooks.test_broadcasts_api import post, soon, wait_for_status

_oa_messages = itertools.count(1)
WARNING = "Công an phường Tô Hiệu: cảnh giác cuộc gọi giả danh ngân hàng."


@pytest.fixture
def oa() -> Iterator[FakeZaloOa]:
    with FakeZaloOa() as fake:
        yield fake


@pytest.fixture
async def running(
    database_url: str,
    tmp_path: Path,
    platforms: tuple[FakeTelegram, FakeZalo],
    oa: FakeZaloOa,
) -> AsyncIterator[Running]:
    """Telegram, the Zalo Bot and the Zalo OA on, no quiet hours; Sơn La's wards and groups."""
    from tests.bot.test_zalo_oa_sending import OA_KEYS

    settings = make_settings(
        database_url,
        tmp_path,
        quiet_hours="",
        zalo_oa_app_id=APP_ID,
        zalo_oa_secret_key=OA_KEYS["oa_secret_key"],
        zalo_oa_app_secret=APP_SECRET,
        zalo_oa_refresh_token=REFRESH_TOKEN,
        zalo_oa_api_url=oa.url,
        zalo_oauth_url=oa.url,
        **with_platforms(platforms),
    )
    async with serving(settings) as service:
        make_wards(service.db)
        yield service


def subscriptions(running: Running) -> list[str]:
    """The area codes of every subscription, in order."""
    query = "SELECT a.code FROM subscriptions s JOIN areas a ON a.id = s.area_id ORDER BY s.id"
    with running.db.engine.connect() as connection:
        return [row[0] for row in connection.execute(text(query))]


async def broadcast(running: Running, areas: list[str], words: str = WARNING) -> dict[str, Any]:
    """Send a broadcast through the admin API and wait until its run is done."""
    # Two seconds ahead: on a loaded machine the request itself may take most of one.
    created = await post(running, "", {"text": words, "areas": areas, "send_at": soon(2)})
    assert created.status_code == 201, created.text
    done = await wait_for_status(running, created.json()["id"], "done")
    await running.settle()
    return done


async def oa_says(running: Running, words: str, event_name: str = "user_send_text") -> None:
    msg_id = f"oa-subscriber-{next(_oa_messages)}"
    raw, signature = signed_oa_text(words, msg_id=msg_id, event_name=event_name)
    answer = await running.client.post(
        "/webhooks/zalo-oa", content=raw, headers={"X-ZEvent-Signature": signature}
    )
    assert answer.status_code == 200
    await running.settle()


async def test_subscription_on_telegram_with_a_sure_place_receives_and_stops(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    lan = TelegramPerson(running)
    await lan.says("/dangky phường Chiềng Lề")  # the former name of phường Tô Hiệu
    await running.settle()
    assert texts_to(telegram, lan.user_id)[-1].startswith(
        "Xong: anh/chị sẽ nhận các tin cảnh báo an ninh của công an cho Tô Hiệu, Sơn La"
    )
    assert subscriptions(running) == ["SL-TH"]
    done = await broadcast(running, ["SL-TH"])
    # The ward's Telegram and Zalo groups, and Lan privately: once each.
    assert (done["targets"], done["sent"]) == (3, 3)
    assert texts_to(telegram, lan.user_id).count(WARNING) == 1
    assert texts_to(telegram, GROUP) == [WARNING]
    await lan.says("/huydangky")
    await running.settle()
    assert texts_to(telegram, lan.user_id)[-1].startswith(
        "Xong: anh/chị sẽ không nhận tin phát thanh của:\n- Tô Hiệu, Sơn La"
    )
    assert subscriptions(running) == []
    await broadcast(running, ["SL-TH"], "Tin thứ hai")
    assert "Tin thứ hai" not in texts_to(telegram, lan.user_id)
    assert texts_to(telegram, GROUP)[-1] == "Tin thứ hai"


async def test_subscription_with_an_unsure_place_asks_which_and_reaches_the_hamlet(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    with running.db.session() as session:
        from domain.areas.service import get_area

        chieng_an = get_area(session, code="SL-CA")
        assert chieng_an is not None
        make_area(session, code="SL-CA-T3", name="Tổ 3", kind="hamlet", parent=chieng_an)
    lan = TelegramPerson(running)
    await lan.says("/subscribe")
    await running.settle()
    assert texts_to(telegram, lan.user_id)[-1].startswith("Anh/chị muốn nhận tin phát thanh")
    await lan.says("tổ 3")
    await running.settle()
    question = texts_to(telegram, lan.user_id)[-1]
    assert "Tổ 3, Tô Hiệu, Sơn La" in question and "Tổ 3, Chiềng An, Sơn La" in question
    assert subscriptions(running) == []  # nothing until the resident chooses
    lines = question.splitlines()
    number = next(line for line in lines if "Tô Hiệu" in line).split(".")[0]
    await lan.says(number)
    await running.settle()
    assert subscriptions(running) == ["SL-TH-T3"]
    # A broadcast to the ward reaches a subscriber of its hamlet; one to Chiềng An does not.
    await broadcast(running, ["SL-TH"])
    await broadcast(running, ["SL-CA"], "Chỉ cho Chiềng An")
    received = texts_to(telegram, lan.user_id)
    assert received.count(WARNING) == 1 and "Chỉ cho Chiềng An" not in received


async def test_subscription_on_zalo_receives_privately_and_stops_by_a_word(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    _, zalo = platforms
    hoa = ZaloPerson(running)
    await hoa.says("/dangky Tô Hiệu")
    await running.settle()
    assert subscriptions(running) == ["SL-TH"]
    await broadcast(running, ["SL"])
    assert texts_to(zalo, hoa.user_id).count(WARNING) == 1
    await hoa.says("Dừng")
    await running.settle()
    assert subscriptions(running) == []
    assert texts_to(zalo, hoa.user_id)[-1].startswith("Xong: anh/chị sẽ không nhận tin")


async def test_subscription_on_the_zalo_oa_receives_privately_and_stops_by_a_word(
    running: Running, oa: FakeZaloOa
) -> None:
    await oa_says(running, "/dangky phuong to hieu")
    assert subscriptions(running) == ["SL-TH"]
    await broadcast(running, ["SL-TH"])
    texts = [call.params["message"]["text"] for call in oa.sent(OA_USER)]
    assert texts.count(WARNING) == 1
    await oa_says(running, "huỷ đăng ký")
    assert subscriptions(running) == []


@pytest.mark.parametrize("word", ["STOP", "stop", "dừng", "DUNG", "huỷ đăng ký", "Hủy đăng ký!"])
async def test_subscription_ends_by_each_stop_word(running: Running, word: str) -> None:
    lan = TelegramPerson(running)
    await lan.says("/dangky Tô Hiệu")
    await lan.says(word)
    await running.settle()
    assert subscriptions(running) == []


async def test_subscription_stop_word_in_a_dialogue_is_its_answer(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    lan = TelegramPerson(running)
    await lan.says("/dangky Tô Hiệu")
    await lan.says("/baocao")
    await lan.says("dừng")  # the report dialogue asked for a category: not a stop
    await running.settle()
    assert subscriptions(running) == ["SL-TH"]
    assert texts_to(telegram, lan.user_id)[-2].startswith("Xin lỗi, tôi chưa hiểu.")


async def test_subscription_of_a_resident_who_blocked_the_bot_ends(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    lan = TelegramPerson(running)
    await lan.says("/dangky Tô Hiệu")
    await running.settle()
    telegram.block_chat(lan.user_id)
    done = await broadcast(running, ["SL-TH"])
    assert (done["sent"], done["failed"]) == (2, 1)
    assert subscriptions(running) == []
    # The next broadcast does not try again.
    calls = len(telegram.calls)
    await broadcast(running, ["SL-TH"], "Tin thứ hai")
    tried = [c for c in telegram.calls[calls:] if c.chat_id == str(lan.user_id)]
    assert tried == []


async def test_subscription_unsubscribe_names_one_of_several(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    lan = TelegramPerson(running)
    await lan.says("/dangky Tô Hiệu")
    await lan.says("/dangky Chiềng An")
    await lan.says("/huydangky 9")
    await running.settle()
    assert "1. Tô Hiệu, Sơn La\n2. Chiềng An, Sơn La" in texts_to(telegram, lan.user_id)[-1]
    await lan.says("/huydangky 2")
    await running.settle()
    assert subscriptions(running) == ["SL-TH"]


async def test_subscription_commands_in_a_group_point_to_the_private_chat(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    await TelegramPerson(running).says("/dangky Tô Hiệu", group=GROUP)
    await running.settle()
    assert texts_to(telegram, GROUP)[-1].startswith("Muốn nhận riêng các tin cảnh báo")
    assert subscriptions(running) == []


async def test_subscription_help_and_first_contact_mention_subscribing(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    lan = TelegramPerson(running)
    await lan.says("/start")
    await lan.says("/help")
    await running.settle()
    first, help_text = texts_to(telegram, lan.user_id)[-2:]
    assert "/dangky" in first and "/dangky ĐỊA BÀN" in help_text and "/huydangky" in help_text


async def test_subscription_question_left_unanswered_expires_without_a_note(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    lan = TelegramPerson(running)
    await lan.says("/dangky")
    await running.settle()
    asked = len(texts_to(telegram, lan.user_id))
    later = utcnow() + timedelta(days=2)
    assert expire_drafts(running.db, settings=running.service.settings, now=later) == 1
    await running.settle()
    assert len(texts_to(telegram, lan.user_id)) == asked
    await lan.says("Tô Hiệu")  # no question waits: this is no answer
    await running.settle()
    assert subscriptions(running) == []


async def test_subscription_of_a_zalo_resident_who_blocked_the_bot_ends(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    _, zalo = platforms
    hoa = ZaloPerson(running)
    await hoa.says("/dangky Tô Hiệu")
    await running.settle()
    zalo.fail_next(hoa.user_id, "403")
    done = await broadcast(running, ["SL-TH"])
    assert (done["sent"], done["failed"]) == (2, 1)
    assert subscriptions(running) == []


async def test_subscription_ends_when_the_resident_unfollows_the_zalo_oa(running: Running) -> None:
    await oa_says(running, "/dangky Tô Hiệu")
    assert subscriptions(running) == ["SL-TH"]
    await oa_says(running, "", event_name="unfollow")
    assert subscriptions(running) == []
