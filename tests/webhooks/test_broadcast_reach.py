"""The reach of a run in the admin API: groups by area, their members, subscribers, failures."""

from __future__ import annotations

from datetime import timedelta

from bot.broadcasting.figures import figure_lines
from bot.telegram.members import count_members
from broadcasts.models import BroadcastRun
from core.db import utcnow
from tests.bot import test_subscriptions
from tests.bot.reporting_support import GROUP
from tests.bot.test_subscriptions import broadcast, subscriptions
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import Running
from tests.people import TelegramPerson
from tests.webhooks.test_broadcasts_api import get

running = test_subscriptions.running  # Sơn La's groups on Telegram and Zalo, no quiet hours
oa = test_subscriptions.oa


async def test_reach_counts_groups_members_subscribers_and_failures(
    running: Running, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _ = platforms
    telegram.member_counts[GROUP] = 57
    bot = running.service.telegram_bot
    assert bot is not None
    assert await count_members(running.db, bot) == 1  # the one Telegram community group
    assert len(telegram.sent("getChatMemberCount")) == 1
    lan, minh = TelegramPerson(running), TelegramPerson(running, user_id=770002)
    await lan.says("/dangky Tô Hiệu")
    await minh.says("/dangky Tổ 3")
    await running.settle()
    assert sorted(subscriptions(running)) == ["SL-TH", "SL-TH-T3"]
    telegram.block_chat(minh.user_id)
    done = await broadcast(running, ["SL-TH"])
    (run,) = (await get(running, f"/{done['id']}/runs"))["items"]
    reach = run["reach"]
    assert reach["by_area"] == [
        {"area_code": "SL-TH", "area_name": "Tô Hiệu", "groups": 2, "members": 57, "counted": 1}
    ]
    assert (reach["groups"], reach["people"], reach["counted"]) == (2, 57, 1)
    assert reach["subscribers"] == 1  # Lan; Minh blocked the bot, and is unsubscribed
    assert reach["subscriptions"] == [
        {"area_code": "SL-TH", "area_name": "Tô Hiệu", "subscribers": 1}
    ]
    assert reach["failures"] == {"Forbidden: bot was blocked by the user": 1}
    assert run["effect"] is None  # typed words carry no tag
    detail = await get(running, f"/{done['id']}")
    assert detail["reach"] == reach
    with running.db.reading() as session:
        shown = session.get(BroadcastRun, run["id"])
        assert shown is not None
        lines = figure_lines(session, shown, "vi")
    assert lines == [
        "Số nhóm đã nhận: 2 (Tô Hiệu: 2)",
        "Số người trong các nhóm: khoảng 57 (trong 1 nhóm biết được số thành viên)",
        "Số người đăng ký đã nhận riêng: 1",
        "Số đăng ký ở các địa bàn này: Tô Hiệu: 1",
        "Gửi không được: 1 (Forbidden: bot was blocked by the user: 1)",
    ]

    # A second run the same day: the member count is not asked again.
    telegram.member_counts[GROUP] = 60
    assert await count_members(running.db, bot) == 0
    second = await broadcast(running, ["SL-TH"], "Tin thứ hai")
    (run,) = (await get(running, f"/{second['id']}/runs"))["items"]
    assert run["reach"]["people"] == 57
    assert len(telegram.sent("getChatMemberCount")) == 1
    # A day later it is.
    assert await count_members(running.db, bot, now=utcnow() + timedelta(days=1, minutes=1)) == 1
    assert len(telegram.sent("getChatMemberCount")) == 2
    (run,) = (await get(running, f"/{second['id']}/runs"))["items"]
    assert run["reach"]["people"] == 60
