"""Lanes: replies before urgent broadcasts, urgent broadcasts before routine ones."""

from __future__ import annotations

from core.db import Database
from domain.outbox.models import Lane
from tests.bot.test_sender import put, put_each, sending, settle, telegram_transport, texts
from tests.fakes import FakeTelegram


async def test_sender_serves_replies_then_urgent_then_routine_broadcasts(db: Database) -> None:
    # Queued in the opposite order: only the lanes can put them right.
    with FakeTelegram() as telegram:
        routine = [f"-100300000{n:04d}" for n in range(6)]
        urgent = [f"-100400000{n:04d}" for n in range(3)]
        put_each(db, routine, "Khóa cổ xe máy khi đỗ xe.", lane=Lane.BULK)
        put_each(db, urgent, "Cháy ở chợ Trung tâm: tránh xa khu vực.", lane=Lane.URGENT)
        put(db, "770001", "Cảm ơn anh/chị đã báo tin.")
        async with (
            telegram_transport(telegram) as transport,
            sending(db, {"telegram": transport}),
        ):
            await settle(db, timeout=20)
    sent = texts(telegram.sent("sendMessage"))
    assert sent[0] == "Cảm ơn anh/chị đã báo tin."
    assert sent[1:4] == ["Cháy ở chợ Trung tâm: tránh xa khu vực."] * 3
    assert sent[4:] == ["Khóa cổ xe máy khi đỗ xe."] * 6
