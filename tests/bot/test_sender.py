"""The sender against fake Telegram and Zalo servers: limits, retries, moved and gone chats."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from bot.sender.loop import MAX_ATTEMPTS, Sender, Transport
from bot.sender.outcomes import backoff
from bot.sender.telegram import TelegramTransport
from bot.sender.zalo import ZaloTransport
from bot.telegram.client import make_bot
from bot.zalo.client import ZaloBotClient
from core.db import Database, utcnow
from core.leadership import Leadership, acquire_leadership
from core.metrics import Metrics
from domain.chats.service import get_chat, record_chat
from domain.outbox.delivery import requeue_stale_sending
from domain.outbox.messages import MessageKind, Outgoing
from domain.outbox.models import Lane, OutboxMessage, OutboxStatus
from domain.outbox.service import enqueue
from tests.factories import make_area
from tests.fakes import Call, FakeTelegram, FakeZalo

PRIVATE, GROUP, OTHER_GROUP = "770001", "-1001000000111", "-1001000000222"
ZALO_USER, ZALO_OTHER = "5810000000001234567", "5810000000007654321"
SETTLED = (OutboxStatus.SENT.value, OutboxStatus.FAILED.value)
# Extra seconds allowed to latency bounds on a loaded test machine (TINBAO_TIMING_SLACK).
SLACK = float(os.environ.get("TINBAO_TIMING_SLACK", "0.5"))


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    """A fake Telegram enforcing its real limits."""
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def zalo() -> Iterator[FakeZalo]:
    """A fake Zalo Bot Platform."""
    with FakeZalo() as fake:
        yield fake


def lead(db: Database, holder: str = "test") -> Leadership:
    """The leader lease, held by `holder`."""
    lease = acquire_leadership(db, name="leader", holder=holder, ttl=timedelta(minutes=5))
    assert lease is not None
    return lease


@asynccontextmanager
async def telegram_transport(fake: FakeTelegram, timeout: float = 5.0) -> AsyncIterator[Transport]:
    """A TelegramTransport over a real PTB Bot pointed at the fake."""
    bot = make_bot(token=fake.token, api_url=fake.url, timeout=timeout)
    await bot.initialize()
    try:
        yield TelegramTransport(bot)
    finally:
        await bot.shutdown()


@asynccontextmanager
async def zalo_transport(
    fake: FakeZalo,
    *,
    token: str | None = None,
    timeout: float = 5.0,
    per_second: float = 20.0,
    per_chat_per_second: float = 5.0,
    retry_seconds: float = 5.0,
) -> AsyncIterator[Transport]:
    """A ZaloTransport over the httpx client pointed at the fake."""
    client = ZaloBotClient(token=token or fake.token, api_url=fake.url, timeout=timeout)
    try:
        yield ZaloTransport(
            client,
            per_second=per_second,
            per_chat_per_second=per_chat_per_second,
            retry_seconds=retry_seconds,
        )
    finally:
        await client.close()


@asynccontextmanager
async def sending(
    db: Database,
    transports: Mapping[str, Transport],
    *,
    lease: Leadership | None = None,
    metrics: Metrics | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    retry_delay: Callable[[int], float] = backoff,
) -> AsyncIterator[Sender]:
    """A Sender running as a task for the duration of the block, then stopped and drained."""
    lease = lease or lead(db)
    sender = Sender(
        db,
        transports,
        metrics or Metrics(),
        lambda: lease,
        max_attempts=max_attempts,
        retry_delay=retry_delay,
    )
    task = asyncio.create_task(sender.run())
    try:
        yield sender
    finally:
        sender.stop()
        await asyncio.wait_for(task, 10)


def put(
    db: Database,
    chat_id: str,
    *texts: str,
    channel: str = "telegram",
    lane: Lane = Lane.INTERACTIVE,
) -> list[int]:
    """Queue texts for a chat in one transaction; return the new rows' ids."""
    with db.session() as session:
        rows = [
            row
            for text in texts
            for row in enqueue(
                session, channel=channel, chat_id=chat_id, message=Outgoing(text=text), lane=lane
            )
        ]
        session.flush()
        return [row.id for row in rows if row.id is not None]


def put_each(
    db: Database,
    chat_ids: list[str],
    text: str,
    *,
    channel: str = "telegram",
    lane: Lane = Lane.INTERACTIVE,
) -> None:
    """Queue one text for each chat, as a broadcast does, in one transaction."""
    with db.session() as session:
        for chat_id in chat_ids:
            enqueue(
                session, channel=channel, chat_id=chat_id, message=Outgoing(text=text), lane=lane
            )


def rows(db: Database) -> list[OutboxMessage]:
    """Every outbox row, oldest first."""
    with db.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def statuses(db: Database) -> dict[int, str]:
    """Each outbox row's status by id."""
    return {row.id: row.status for row in rows(db) if row.id is not None}


async def settle(
    db: Database, done: Callable[[list[OutboxMessage]], bool] | None = None, timeout: float = 10.0
) -> list[OutboxMessage]:
    """Poll until `done(rows)` (default: every row sent or failed); return the rows."""
    done = done or (lambda found: all(row.status in SETTLED for row in found))
    deadline = time.monotonic() + timeout
    while True:
        found = await asyncio.to_thread(rows, db)
        if done(found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox did not settle: {[(r.id, r.status) for r in found]}")
        await asyncio.sleep(0.05)


def texts(calls: list[Call]) -> list[str]:
    """The texts of calls, in the order the fake received them."""
    return [str(call.params.get("text")) for call in calls]


def counter(metrics: Metrics, name: str, **labels: str) -> float:
    """A counter's value (0 when never counted)."""
    return metrics.registry.get_sample_value(f"{name}_total", labels) or 0.0


async def test_sender_keeps_within_telegram_limits(db: Database, telegram: FakeTelegram) -> None:
    groups = [f"-100200000{n:04d}" for n in range(28)]
    put_each(db, groups, "Cảnh báo lừa đảo", lane=Lane.BULK)
    private = put(db, PRIVATE, *[f"riêng {n}" for n in range(3)])
    busy = put(db, GROUP, *[f"nhóm {n}" for n in range(23)], lane=Lane.BULK)
    async with telegram_transport(telegram) as transport, sending(db, {"telegram": transport}):
        found = await settle(db, lambda found: sum(r.status == "sent" for r in found) >= 51)
        await asyncio.sleep(0.3)  # the group's last 3 must wait for its minute, not go now
    status = statuses(db)
    assert telegram.violations == []
    assert len(telegram.sent("sendMessage")) == 51 == sum(r.status == "sent" for r in found)
    assert all(status[row_id] == "sent" for row_id in private + busy[:20])
    assert [status[row_id] for row_id in busy[20:]] == ["pending"] * 3
    assert {call.chat_id for call in telegram.sent()} >= set(groups)


async def test_sender_keeps_within_zalo_pace(db: Database) -> None:
    with FakeZalo(max_per_sec=10, per_chat_per_sec=4) as fake:
        chats = [f"58100000000000000{n:02d}" for n in range(10)]
        put_each(db, chats, "Thông báo phòng cháy", channel="zalo", lane=Lane.BULK)
        put(db, ZALO_USER, "một", "hai", "ba", "bốn", channel="zalo")
        async with (
            zalo_transport(fake, per_second=10, per_chat_per_second=4) as transport,
            sending(db, {"zalo": transport}),
        ):
            await settle(db)
    assert fake.violations == []
    assert texts(fake.sent("sendMessage", ZALO_USER)) == ["một", "hai", "ba", "bốn"]
    assert len(fake.sent("sendMessage")) == 14


async def test_sender_honours_retry_after_for_that_chat_only(
    db: Database, telegram: FakeTelegram
) -> None:
    telegram.fail_next(PRIVATE, "429", retry_after=2)
    [waiting] = put(db, PRIVATE, "Đã nhận tin báo")
    others = [f"-100300000{n:04d}" for n in range(15)]
    put_each(db, others, "tin nhóm")
    metrics = Metrics()
    async with (
        telegram_transport(telegram) as transport,
        sending(db, {"telegram": transport}, metrics=metrics),
    ):
        await settle(db)
    refused, delivered = [c for c in telegram.calls if c.chat_id == PRIVATE]
    assert (refused.status, delivered.status) == (429, 200)
    assert delivered.at - refused.at >= 1.95
    # The others went on meanwhile: held back, they would follow the older retried row.
    meanwhile = [c for c in telegram.calls if c.chat_id in others]
    assert [c.status for c in meanwhile] == [200] * 15
    assert max(c.at for c in meanwhile) < delivered.at
    assert statuses(db)[waiting] == "sent"
    assert counter(metrics, "tinbao_rate_limited", channel="telegram") == 1


async def test_sender_retries_server_errors_and_timeouts_with_backoff(
    db: Database, telegram: FakeTelegram
) -> None:
    for error in ("500", "502"):
        telegram.fail_next(GROUP, error)
    telegram.fail_next(GROUP, "timeout", delay=0.6)
    [row_id] = put(db, GROUP, "Công an phường đã tiếp nhận")
    later = put(db, GROUP, "tin sau")
    metrics = Metrics()
    async with (
        telegram_transport(telegram, timeout=0.3) as transport,
        sending(db, {"telegram": transport}, metrics=metrics, retry_delay=lambda n: 0.1 * n),
    ):
        found = await settle(db)
    calls = [c for c in telegram.calls if c.chat_id == GROUP]
    assert [c.status for c in calls] == [500, 502, 0, 200, 200]
    assert texts(calls[3:]) == ["Công an phường đã tiếp nhận", "tin sau"]  # order kept
    gaps = [b.at - a.at for a, b in itertools.pairwise(calls[:4])]
    # Backoff of 0.1 s per attempt; the timeout took 0.3 s before its 0.3 s of backoff.
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19 and gaps[2] >= 0.55
    assert [r.status for r in found] == ["sent", "sent"] and found[0].attempts == 4
    assert found[0].id == row_id and found[1].id == later[0]
    assert counter(metrics, "tinbao_outbox_retries", channel="telegram") == 3


async def test_sender_gives_up_after_max_attempts(db: Database, telegram: FakeTelegram) -> None:
    telegram.fail_next(GROUP, "500", times=3)
    [given_up, after] = put(db, GROUP, "không tới", "tới")
    async with (
        telegram_transport(telegram) as transport,
        sending(db, {"telegram": transport}, max_attempts=3, retry_delay=lambda _: 0.05),
    ):
        found = await settle(db)
    assert [c.status for c in telegram.calls if c.chat_id == GROUP] == [500, 500, 500, 200]
    assert [(r.id, r.status) for r in found] == [(given_up, "failed"), (after, "sent")]
    assert found[0].attempts == 3 and "Internal Server Error" in (found[0].error or "")


async def test_sender_follows_migrated_group(db: Database, telegram: FakeTelegram) -> None:
    old, new = "-4000000001", "-1001000000999"
    with db.session() as session:
        area = make_area(session, code="P-CHIENG-LE", name="Phường Chiềng Lề")
        chat = record_chat(session, channel="telegram", chat_id=old, kind="group", title="Tổ 5")
        chat.area_id, chat.role, chat.linked_at = area.id, "community", utcnow()
        area_id = area.id
    telegram.migrate_chat(old, int(new))
    put(db, old, "một", "hai", "ba")
    async with telegram_transport(telegram) as transport, sending(db, {"telegram": transport}):
        await settle(db)
        put(db, old, "bốn")
        found = await settle(db)
    assert [c.status for c in telegram.calls if c.chat_id == old] == [400]  # asked once
    assert texts(telegram.sent("sendMessage", new)) == ["một", "hai", "ba", "bốn"]
    assert {(r.chat_id, r.status, r.attempts) for r in found} == {(new, "sent", 1)}
    with db.session() as session:
        moved = get_chat(session, channel="telegram", chat_id=new)
        placeholder = get_chat(session, channel="telegram", chat_id=old)
        assert moved is not None and (moved.area_id, moved.role) == (area_id, "community")
        assert moved.active and moved.title == "Tổ 5"
        assert placeholder is not None and placeholder.migrated_to == new
        assert not placeholder.active


async def test_sender_deactivates_chats_that_are_gone(db: Database, telegram: FakeTelegram) -> None:
    gone = {  # chat -> (kind, the platform's answer, the reason kept)
        PRIVATE: ("private", "403_blocked", "blocked by the user"),
        GROUP: ("group", "403_kicked", "kicked"),
        "770002": ("private", "400_chat_not_found", "chat not found"),
    }
    with db.session() as session:
        for chat_id, (kind, _, _) in gone.items():
            record_chat(session, channel="telegram", chat_id=chat_id, kind=kind)
    for chat_id, (_, error, _) in gone.items():
        telegram.fail_next(chat_id, error)
        put(db, chat_id, "một", "hai", "ba")
    put(db, OTHER_GROUP, "nhóm khác")
    async with telegram_transport(telegram) as transport, sending(db, {"telegram": transport}):
        await settle(db)
        for chat_id in gone:
            put(db, chat_id, "sau khi bị chặn")
        found = await settle(db)
    assert texts(telegram.sent("sendMessage")) == ["nhóm khác"]
    refused = [c for c in telegram.calls if c.method == "sendMessage" and c.status != 200]
    assert sorted(c.chat_id or "" for c in refused) == sorted(gone)  # one call each, no more
    assert {r.status for r in found if r.chat_id in gone} == {"failed"}
    assert len(found) == 13
    with db.session() as session:
        for chat_id, (_, _, reason) in gone.items():
            chat = get_chat(session, channel="telegram", chat_id=chat_id)
            assert chat is not None and not chat.active
            assert reason in (chat.inactive_reason or "").lower()


async def test_sender_cant_initiate_fails_row_but_keeps_chat(
    db: Database, telegram: FakeTelegram
) -> None:
    with db.session() as session:
        record_chat(session, channel="telegram", chat_id=PRIVATE, kind="private")
    telegram.fail_next(PRIVATE, "403_cant_initiate")
    put(db, PRIVATE, "chưa mở chat", "đã mở chat")
    async with telegram_transport(telegram) as transport, sending(db, {"telegram": transport}):
        found = await settle(db)
    assert [r.status for r in found] == ["failed", "sent"]
    assert "can't initiate" in (found[0].error or "")
    with db.session() as session:
        chat = get_chat(session, channel="telegram", chat_id=PRIVATE)
        assert chat is not None and chat.active


async def test_sender_serves_interactive_lane_during_bulk(
    db: Database, telegram: FakeTelegram
) -> None:
    put_each(db, [f"-100400000{n:04d}" for n in range(300)], "Cảnh báo ma túy", lane=Lane.BULK)
    async with (
        telegram_transport(telegram) as transport,
        sending(db, {"telegram": transport}) as sender,
    ):
        await settle(db, lambda found: sum(r.status == "sent" for r in found) >= 10)
        enqueued = time.monotonic()
        put(db, PRIVATE, "Đã nhận tin báo của bạn")
        sender.notify()
        await settle(db, lambda found: found[-1].status == "sent", timeout=5)
    [reply] = telegram.sent("sendMessage", PRIVATE)
    bulk_meanwhile = [c for c in telegram.sent("sendMessage") if enqueued < c.at < reply.at]
    # Only the bulk sends already booked (a quarter second ahead, ~8) may go first.
    assert len(bulk_meanwhile) <= 15 and reply.at - enqueued < 0.5 + SLACK
    assert sum(status == "pending" for status in statuses(db).values()) > 200
    assert telegram.violations == []


async def test_sender_keeps_each_chats_order(db: Database, telegram: FakeTelegram) -> None:
    for n in range(8):
        put(db, GROUP, f"nhóm {n}")
        put(db, OTHER_GROUP, f"khác {n}", lane=Lane.BULK)
    async with telegram_transport(telegram) as transport, sending(db, {"telegram": transport}):
        await settle(db)
    assert texts(telegram.sent("sendMessage", GROUP)) == [f"nhóm {n}" for n in range(8)]
    assert texts(telegram.sent("sendMessage", OTHER_GROUP)) == [f"khác {n}" for n in range(8)]


async def test_sender_sends_coalesced_edits_once(db: Database, telegram: FakeTelegram) -> None:
    key = "card:report:K7QX2"
    for text in ("Tin báo K7QX2: mới", "Tin báo K7QX2: đã nhận", "Tin báo K7QX2: đã xử lý"):
        with db.session() as session:
            enqueue(
                session,
                channel="telegram",
                chat_id=GROUP,
                message=Outgoing(text=text, target_message_id="17"),
                kind=MessageKind.EDIT_TEXT,
                coalesce_key=key,
            )
    async with telegram_transport(telegram) as transport, sending(db, {"telegram": transport}):
        found = await settle(db)
    [edit] = telegram.sent("editMessageText", GROUP)
    assert edit.params["text"] == "Tin báo K7QX2: đã xử lý" and edit.params["message_id"] == 17
    assert [r.status for r in found] == ["sent"]


async def test_sender_counts_unmodified_edit_as_sent(db: Database, telegram: FakeTelegram) -> None:
    telegram.fail_next(GROUP, "400_not_modified")
    with db.session() as session:
        enqueue(
            session,
            channel="telegram",
            chat_id=GROUP,
            message=Outgoing(text="Tin báo K7QX2: đã nhận", target_message_id="17"),
            kind=MessageKind.EDIT_TEXT,
        )
    async with telegram_transport(telegram) as transport, sending(db, {"telegram": transport}):
        found = await settle(db)
    assert [c.status for c in telegram.calls if c.chat_id == GROUP] == [400]
    assert [(r.status, r.platform_message_id) for r in found] == [("sent", "17")]


def test_enqueue_coalesces_only_into_a_row_still_pending(db: Database) -> None:
    def edit(text: str) -> OutboxMessage:
        with db.session() as session:
            [row] = enqueue(
                session,
                channel="telegram",
                chat_id=GROUP,
                message=Outgoing(text=text, target_message_id="17"),
                kind=MessageKind.EDIT_TEXT,
                coalesce_key="card:report:K7QX2",
            )
            session.flush()
            return row

    first = edit("v1")
    with db.session() as session:  # the sender took it meanwhile: it goes out with v1
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == first.id)
            .values(status=OutboxStatus.SENDING.value)
        )
    edit("v2")
    edit("v3")
    found = rows(db)
    assert [(r.status, Outgoing.from_json(r.body).text) for r in found] == [
        ("sending", "v1"),
        ("pending", "v3"),
    ]


async def test_sender_splits_long_text_in_order(
    db: Database, telegram: FakeTelegram, zalo: FakeZalo
) -> None:
    words = [f"câu{n:05d}" for n in range(1400)]  # 12,599 characters
    put(db, GROUP, " ".join(words))
    put(db, ZALO_USER, " ".join(words), channel="zalo")
    async with (
        telegram_transport(telegram) as tg,
        zalo_transport(zalo, per_chat_per_second=20) as za,
        sending(db, {"telegram": tg, "zalo": za}),
    ):
        found = await settle(db)
    assert [r.status for r in found] == ["sent"] * (4 + 7)
    for fake, chat, limit in ((telegram, GROUP, 4096), (zalo, ZALO_USER, 2000)):
        pieces = texts(fake.sent("sendMessage", chat))
        assert len(pieces) == -(-12599 // limit) and all(len(p) <= limit for p in pieces)
        assert " ".join(pieces).split() == words


async def test_zalo_sender_treats_ok_false_as_error(db: Database, zalo: FakeZalo) -> None:
    zalo.errors_with_http_200 = True
    zalo.fail_next(ZALO_USER, "500")
    zalo.fail_next(ZALO_OTHER, "403")
    with db.session() as session:
        record_chat(session, channel="zalo", chat_id=ZALO_OTHER, kind="private")
    put(db, ZALO_USER, "thử lại", channel="zalo")
    put(db, ZALO_OTHER, "bị chặn", "cũng bị chặn", channel="zalo")
    async with (
        zalo_transport(zalo) as transport,
        sending(db, {"zalo": transport}, retry_delay=lambda _: 0.1),
    ):
        found = await settle(db)
    assert [c.status for c in zalo.calls if c.chat_id == ZALO_USER] == [200, 200]
    assert texts(zalo.calls)[-1] == "thử lại"
    assert [(r.chat_id, r.status, r.attempts) for r in found] == [
        (ZALO_USER, "sent", 2),
        (ZALO_OTHER, "failed", 1),
        (ZALO_OTHER, "failed", 0),
    ]
    with db.session() as session:
        chat = get_chat(session, channel="zalo", chat_id=ZALO_OTHER)
        assert chat is not None and not chat.active and "blocked" in (chat.inactive_reason or "")


async def test_zalo_sender_retries_timeout_without_leaking_token(
    db: Database, zalo: FakeZalo, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.fail_next(ZALO_USER, "timeout", delay=0.6)
    put(db, ZALO_USER, "Đã nhận tin báo", channel="zalo")
    async with (
        zalo_transport(zalo, timeout=0.3) as transport,
        sending(db, {"zalo": transport}, retry_delay=lambda _: 0.1),
    ):
        [row] = await settle(db)
    assert [c.status for c in zalo.calls] == [0, 200]
    assert (row.status, row.attempts, row.error) == ("sent", 2, "ReadTimeout calling sendMessage")
    assert all(zalo.token not in record.getMessage() for record in caplog.records)


async def test_zalo_sender_pauses_channel_on_401_keeping_rows(
    db: Database, zalo: FakeZalo, telegram: FakeTelegram
) -> None:
    ids = put(db, ZALO_USER, "một", "hai", channel="zalo")
    ids += put(db, ZALO_OTHER, "ba", channel="zalo")
    put(db, PRIVATE, "Telegram vẫn chạy")
    async with (
        zalo_transport(zalo, token="revoked-token") as transport,
        telegram_transport(telegram) as tg,
        sending(db, {"zalo": transport, "telegram": tg}),
    ):
        await settle(db, lambda found: found[-1].status == "sent")
        await asyncio.sleep(0.5)
    calls = [c for c in zalo.calls if c.method == "sendMessage"]
    assert [c.status for c in calls] == [401, 401]  # the head of each chat, once
    assert all("revoked-token" not in (r.error or "") for r in rows(db))
    assert [statuses(db)[row_id] for row_id in ids] == ["pending"] * 3
    assert all(r.attempts == 0 for r in rows(db) if r.channel == "zalo")


async def test_zalo_sender_retries_after_429(db: Database, zalo: FakeZalo) -> None:
    zalo.fail_next(ZALO_USER, "429")
    put(db, ZALO_USER, "một", "hai", channel="zalo")
    metrics = Metrics()
    async with (
        zalo_transport(zalo, retry_seconds=0.5) as transport,
        sending(db, {"zalo": transport}, metrics=metrics),
    ):
        found = await settle(db)
    refused, *delivered = [c for c in zalo.calls if c.chat_id == ZALO_USER]
    assert [refused.status] + [c.status for c in delivered] == [429, 200, 200]
    assert delivered[0].at - refused.at >= 0.45 and texts(delivered) == ["một", "hai"]
    assert [r.status for r in found] == ["sent", "sent"] and found[0].attempts == 1
    assert counter(metrics, "tinbao_rate_limited", channel="zalo") == 1


async def test_sender_pauses_telegram_on_invalid_token(
    db: Database, telegram: FakeTelegram
) -> None:
    [row_id] = put(db, PRIVATE, "không gửi được")
    async with telegram_transport(telegram) as transport:
        telegram.token = "123:ANOTHER"  # the token was revoked after the bot started
        async with sending(db, {"telegram": transport}):
            while not telegram.calls[1:]:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)
    assert [c.status for c in telegram.calls if c.method == "sendMessage"] == [401]
    assert statuses(db)[row_id] == "pending"


async def test_sender_deposed_leader_marks_and_sends_nothing(
    db: Database, telegram: FakeTelegram
) -> None:
    long_ago = utcnow() - timedelta(minutes=10)
    stale = acquire_leadership(
        db, name="leader", holder="old", ttl=timedelta(minutes=5), now=long_ago
    )
    assert stale is not None
    assert lead(db, holder="new").token == stale.token + 1  # took over after expiry
    put(db, PRIVATE, "một")
    put(db, GROUP, "hai")
    async with (
        telegram_transport(telegram) as transport,
        sending(db, {"telegram": transport}, lease=stale),
    ):
        await asyncio.sleep(0.5)
    assert telegram.sent("sendMessage") == []
    assert set(statuses(db).values()) == {"pending"}
    assert all(r.attempts == 0 and r.sending_at is None for r in rows(db))


async def test_requeue_stale_sending_repeats_only_what_was_in_flight(
    db: Database, telegram: FakeTelegram
) -> None:
    dead = acquire_leadership(
        db,
        name="leader",
        holder="dead",
        ttl=timedelta(minutes=1),
        now=utcnow() - timedelta(hours=1),
    )
    assert dead is not None
    lease = lead(db)
    [dead_leaders] = put(db, PRIVATE, "đang gửi khi sập")
    [stuck] = put(db, ZALO_USER, "treo lâu", channel="zalo")
    [ours] = put(db, OTHER_GROUP, "vừa đánh dấu")
    [done] = put(db, GROUP, "đã gửi")
    with db.session() as session:
        for row_id, status, token, ago in (
            (dead_leaders, "sending", dead.token, 0),
            (stuck, "sending", lease.token, 10),
            (ours, "sending", lease.token, 0),
            (done, "sent", dead.token, 10),
        ):
            session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row_id)
                .values(
                    status=status,
                    leader_token=token,
                    sending_at=utcnow() - timedelta(minutes=ago),
                    attempts=1,
                )
            )
    assert requeue_stale_sending(db, leadership=lease, older_than=timedelta(minutes=1)) == 2
    expected = {dead_leaders: "pending", stuck: "pending", ours: "sending", done: "sent"}
    assert statuses(db) == expected
    async with (
        telegram_transport(telegram) as transport,
        sending(db, {"telegram": transport}, lease=lease),
    ):
        await settle(db, lambda found: found[0].status == "sent")
        await asyncio.sleep(0.3)
    assert [c.chat_id for c in telegram.sent("sendMessage")] == [PRIVATE]
    assert statuses(db) == expected | {dead_leaders: "sent"}
    assert requeue_stale_sending(db, leadership=lease, older_than=timedelta(minutes=1)) == 0


async def test_sender_drops_a_button_answer_too_old_to_make_sense(
    db: Database, telegram: FakeTelegram
) -> None:
    with db.session() as session:
        [old] = enqueue(
            session,
            channel="telegram",
            chat_id=PRIVATE,
            message=Outgoing(callback_id="cb-old"),
            kind=MessageKind.ANSWER_BUTTON,
        )
        old.created_at = utcnow() - timedelta(minutes=16)
        [fresh] = enqueue(
            session,
            channel="telegram",
            chat_id=PRIVATE,
            message=Outgoing(callback_id="cb-fresh"),
            kind=MessageKind.ANSWER_BUTTON,
        )
        [text] = enqueue(session, channel="telegram", chat_id=PRIVATE, message=Outgoing("sau"))
        text.created_at = utcnow() - timedelta(hours=2)  # late, but still worth sending
    metrics = Metrics()
    async with (
        telegram_transport(telegram) as transport,
        sending(db, {"telegram": transport}, metrics=metrics),
    ):
        found = await settle(db, lambda rs: all(r.status in ("sent", "cancelled") for r in rs))
    by_id = {row.id: row for row in found}
    assert (by_id[old.id].status, by_id[old.id].error) == ("cancelled", "stale: too old to send")
    assert by_id[fresh.id].status == by_id[text.id].status == "sent"
    answered = [c.params.get("callback_query_id") for c in telegram.sent("answerCallbackQuery")]
    assert answered == ["cb-fresh"]
    assert (
        counter(
            metrics, "tinbao_outbox_failed", channel="telegram", lane="interactive", reason="stale"
        )
        == 1
    )


@pytest.mark.parametrize("how", ["502", "silent"])
async def test_sender_sends_everything_once_after_telegram_comes_back(
    db: Database, telegram: FakeTelegram, how: str
) -> None:
    ids = put(db, PRIVATE, "một", "hai") + put(db, GROUP, "ba")
    async with telegram_transport(telegram) as transport:
        telegram.go_down(how)
        async with sending(db, {"telegram": transport}, retry_delay=lambda n: 0.1 * n):
            # Down for several attempts of each chat's first row: none gives up, none is sent.
            first = (ids[0], ids[2])
            await settle(db, lambda rs: all(r.attempts >= 3 for r in rs if r.id in first))
            assert telegram.sent("sendMessage") == []
            telegram.come_back()
            found = await settle(db)
    assert {row.status for row in found} == {"sent"}
    assert texts(telegram.sent("sendMessage", PRIVATE)) == ["một", "hai"]
    assert texts(telegram.sent("sendMessage", GROUP)) == ["ba"]


async def test_zalo_sender_sends_everything_once_after_zalo_comes_back(
    db: Database, zalo: FakeZalo
) -> None:
    ids = put(db, ZALO_USER, "một", "hai", channel="zalo")
    async with zalo_transport(zalo) as transport:
        zalo.go_down("502")
        async with sending(db, {"zalo": transport}, retry_delay=lambda n: 0.1 * n):
            await settle(db, lambda rs: all(r.attempts >= 3 for r in rs if r.id == ids[0]))
            assert zalo.sent("sendMessage") == []
            zalo.come_back()
            found = await settle(db)
    assert {row.status for row in found} == {"sent"}
    assert texts(zalo.sent("sendMessage", ZALO_USER)) == ["một", "hai"]
