"""`/broadcasts` (`/dsphatthanh`) in a triage group stays one readable message however long the past."""

from __future__ import annotations

from pathlib import Path

from tests.bot.broadcast_support import AUTH, WARD_TRIAGE, hung, last_text, ward_serving
from tests.fakes import FakeTelegram, FakeZalo
from tests.support.broadcast_history import add_weekly_history


async def test_broadcasts_list_shows_ten_and_says_how_many_more_and_a_long_timeline_its_end(
    database_url: str, tmp_path: Path, platforms: tuple[FakeTelegram, FakeZalo]
) -> None:
    telegram, _zalo = platforms
    async with ward_serving(database_url, tmp_path, platforms) as running:
        ids = []
        for n in range(12):
            body = {"text": f"Tin số {n}: khóa cửa.", "areas": ["SL-TH"], "cron": "0 8 * * 1"}
            created = await running.client.post("/api/v1/broadcasts", json=body, headers=AUTH)
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        add_weekly_history(running.db, broadcast_id=ids[0], weeks=130)
        officer = hung(running)

        await officer.says("/dsphatthanh", group=WARD_TRIAGE)
        await running.settle()
        listing = last_text(telegram, WARD_TRIAGE).splitlines()
        assert len(listing) == 12  # the heading, ten broadcasts, how many more
        assert listing[1].startswith(f"#{ids[-1]} · ")
        assert listing[-1] == "… còn 2 tin phát thanh cũ hơn."

        await officer.says(f"/dsphatthanh {ids[0]}", group=WARD_TRIAGE)
        await running.settle()
        shown = last_text(telegram, WARD_TRIAGE)
        timeline = shown[shown.index("Diễn biến:") :].splitlines()
        assert timeline[1] == "· … còn 236 bước trước đó"  # 248 steps: the last 12 follow
        assert len(timeline) == 14 and "lượt gửi bị lỡ" in timeline[-1]
        assert len(shown) < 4096  # one Telegram message
