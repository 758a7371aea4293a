"""Old buttons and edited messages do not move the report dialogue."""

from __future__ import annotations

from tests.bot.reporting_support import handled, make_wards, private_update, queued, reports
from tests.harness import Running
from tests.people import TelegramPerson

WHERE = "Việc xảy ra ở đâu? Anh/chị gõ tên phường/xã hoặc tổ dân phố (tên cũ cũng được), hoặc gửi vị trí."
WHEN = "Việc xảy ra khi nào? Ví dụ: «vừa xong», «tối qua», «2 tiếng trước», «20/11 lúc 22h»."
EVIDENCE = "Nếu có ảnh, video, ghi âm, tài liệu hoặc vị trí, anh/chị gửi ngay bây giờ"


async def test_dialogue_asks_again_when_an_old_or_forged_button_is_pressed(
    running: Running,
) -> None:
    make_wards(running.db)
    lan = TelegramPerson(running)
    for step in ("/baocao", "1", "Tô Hiệu", "Có người lạ đứng canh ở đầu ngõ"):
        await lan.says(step)
    await lan.presses("r:cat:theft")  # the category question's, pressed at "when?"
    await lan.says("tối qua")
    await lan.presses("r:when:now")  # the "when?" question's, pressed at "evidence?"
    await lan.presses("r:ev:everything")  # no button carries this
    for step in ("xong", "1", "1"):
        await lan.says(step)
    await handled(running)
    [report] = reports(running.db)
    assert (report["category"], report["occurred_text"]) == ("drugs", "tối qua")
    assert report["text"] == "Có người lạ đứng canh ở đầu ngõ"
    answers = queued(running.db, "telegram", lan.user_id)
    assert answers.count(WHEN) == 2
    assert sum(answer.startswith(EVIDENCE) for answer in answers) == 3


async def test_dialogue_takes_no_command_from_an_edited_message(running: Running) -> None:
    make_wards(running.db)
    lan = TelegramPerson(running)
    await lan.says("/baocao")
    await lan.says("1")
    command = [{"offset": 0, "length": 4, "type": "bot_command"}]
    await running.post_telegram(
        private_update(lan, "edited_message", text="/huy", entities=command)
    )
    await lan.says("Tô Hiệu")
    await handled(running)
    answers = queued(running.db, "telegram", lan.user_id)
    assert answers[-3:-1] == [WHERE, WHERE]  # asked again, not cancelled
    assert answers[-1].startswith("Anh/chị mô tả sự việc")
