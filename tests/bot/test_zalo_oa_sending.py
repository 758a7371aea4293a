"""Sending as the Zalo OA: single-use token refresh, error mapping, secret-free failures, end to end."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select
from sqlmodel import col

from bot.sender.loop import Sender
from bot.sender.zalo_oa import ZaloOaTransport
from bot.zalo_oa.client import ZaloOaApiError, ZaloOaAuthError, ZaloOaClient, ZaloOaNetworkError
from core.db import Database
from core.leadership import acquire_leadership
from core.metrics import Metrics
from core.oa_tokens import OaTokens, SealedOaTokens, load_tokens
from core.sealing import Sealer
from domain.chats.service import get_chat, record_chat
from domain.outbox.messages import Outgoing
from domain.outbox.models import OutboxMessage
from domain.outbox.service import enqueue
from tests.conftest import FIXTURES
from tests.fakes import FakeZaloOa
from tests.fakes.zalo_oa_api import APP_ID, APP_SECRET, REFRESH_TOKEN, SEND_PATH
from tests.harness import load_json, make_settings, serving

SEALER = Sealer(b"test-secret-key-0123456789")  # the key make_settings configures
USER, OTHER = "4462276093349011405", "4462276093349011999"
OA_KEYS = load_json(FIXTURES, "zalo/oa_test_keys.json")
TEXT = "Công an phường đã nhận tin"
SPENT = "oa-refresh-spent-long-ago"
Rows = list[OutboxMessage]


@pytest.fixture
def oa() -> Iterator[FakeZaloOa]:
    """A fake Zalo OA API and OAuth server on loopback."""
    with FakeZaloOa() as fake:
        yield fake


@asynccontextmanager
async def oa_client(
    db: Database,
    fake: FakeZaloOa,
    *,
    refresh_token: str = REFRESH_TOKEN,
    app_secret: str = APP_SECRET,
    timeout: float = 5.0,
) -> AsyncIterator[ZaloOaClient]:
    """A client of the fake, as the service would build it after a (re)start."""
    client = ZaloOaClient(
        app_id=APP_ID,
        app_secret=app_secret,
        initial_refresh_token=refresh_token,
        api_url=fake.url,
        oauth_url=fake.url,
        db=db,
        sealer=SEALER,
        http=httpx.AsyncClient(timeout=timeout),
    )
    try:
        yield client
    finally:
        await client.close()


@asynccontextmanager
async def sending(db: Database, client: ZaloOaClient, **options: float) -> AsyncIterator[Sender]:
    """The sender delivering through the OA while the block runs."""
    lease = acquire_leadership(db, name="leader", holder="test", ttl=timedelta(minutes=5))
    transport = ZaloOaTransport(client, **options)
    sender = Sender(db, {"zalo-oa": transport}, Metrics(), lambda: lease, retry_delay=lambda n: 0.1)
    task = asyncio.create_task(sender.run())
    try:
        yield sender
    finally:
        sender.stop()
        await asyncio.wait_for(task, 10)


def put(db: Database, *chats: str) -> list[int | None]:
    """Queue one text for each person; return the rows' ids."""
    with db.session() as session:
        queued = [
            enqueue(session, channel="zalo-oa", chat_id=c, message=Outgoing(TEXT)) for c in chats
        ]
        session.flush()
        return [row.id for rows in queued for row in rows]


def stored(db: Database) -> OaTokens | None:
    """The token pair in the database."""
    with db.session() as session:
        return load_tokens(session, sealer=SEALER, app_id=APP_ID)


async def settle(db: Database, done: Callable[[Rows], bool] | None = None) -> Rows:
    """Poll the outbox until `done(rows)` (default: all sent or failed); return the rows."""
    done = done or (lambda rows: all(row.status in ("sent", "failed") for row in rows))
    deadline = time.monotonic() + 10.0
    while True:
        with db.session() as session:
            found = list(session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id))))
        if done(found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox did not settle: {[(r.id, r.status) for r in found]}")
        await asyncio.sleep(0.05)


async def test_zalo_oa_client_sends_and_refreshes_on_first_use(
    db: Database, oa: FakeZaloOa
) -> None:
    async with oa_client(db, oa) as client:
        message_id = await client.send_text(user_id=USER, text=TEXT)
    [refresh], [sent] = oa.refreshes(), oa.sent(USER)
    assert refresh.token == REFRESH_TOKEN and refresh.params["grant_type"] == "refresh_token"
    assert sent.token == oa.access_tokens[0] and message_id
    assert sent.params == {"recipient": {"user_id": USER}, "message": {"text": TEXT}}
    with db.session() as session:
        sealed = session.get(SealedOaTokens, APP_ID)
    assert (pair := stored(db)) is not None and sealed is not None
    assert [pair.access_token, pair.refresh_token] == [*oa.access_tokens, oa.refresh_tokens[1]]
    assert oa.refresh_tokens[1].encode() not in sealed.refresh_token  # sealed, not in clear


async def test_zalo_oa_client_restarted_continues_the_stored_chain(
    db: Database, oa: FakeZaloOa
) -> None:
    async with oa_client(db, oa) as first:
        await first.send_text(user_id=USER, text="một")
    # Restarted with the same configuration, whose refresh token is spent: the DB's pair wins.
    async with oa_client(db, oa) as second:
        await second.send_text(user_id=USER, text="hai")
        oa.expire_access_token()
        await second.send_text(user_id=USER, text="ba")
    async with oa_client(db, oa) as third:
        await third.send_text(user_id=USER, text="bốn")
    assert [c.params["message"]["text"] for c in oa.sent(USER)] == ["một", "hai", "ba", "bốn"]
    assert [c.token for c in oa.sent(USER)] == [oa.access_tokens[0]] * 2 + [oa.access_tokens[1]] * 2
    used = [c.token for c in oa.refreshes()]
    assert used == oa.refresh_tokens[:2] and all(c.error == 0 for c in oa.refreshes())
    assert (pair := stored(db)) is not None and pair.refresh_token == oa.refresh_tokens[2]


async def test_zalo_oa_client_spent_refresh_token_is_refused(db: Database, oa: FakeZaloOa) -> None:
    async with oa_client(db, oa) as first:
        await first.send_text(user_id=USER, text="một")
    with db.session() as session:
        session.execute(delete(SealedOaTokens))  # as if the new pair had not been stored
    async with oa_client(db, oa) as second:
        with pytest.raises(ZaloOaAuthError) as refused:
            await second.send_text(user_id=USER, text="hai")
    assert refused.value.code == -14014 and "Invalid refresh token" in str(refused.value)
    assert [c.token for c in oa.refreshes()] == [REFRESH_TOKEN, REFRESH_TOKEN]
    assert len(oa.sent()) == 1


@pytest.mark.parametrize("code", ["-216", "-220"])
async def test_zalo_oa_client_refreshes_and_retries_once_on_a_refused_token(
    db: Database, oa: FakeZaloOa, code: str
) -> None:
    async with oa_client(db, oa) as client:
        await client.send_text(user_id=USER, text="một")
        oa.fail_next(code)
        await client.send_text(user_id=USER, text="hai")
        oa.fail_next(code, times=2)
        with pytest.raises(ZaloOaApiError) as again:
            await client.send_text(user_id=USER, text="ba")
    sends = [(c.token, c.error) for c in oa.calls if c.path == SEND_PATH]
    first, second, third = oa.access_tokens  # one refresh per refused send, no more
    refused = int(code)
    assert sends == [(first, 0), (first, refused), (second, 0), (second, refused), (third, refused)]
    assert again.value.code == int(code) and len(oa.refreshes()) == 3


async def test_zalo_oa_sender_pauses_the_channel_when_the_refresh_fails(
    db: Database, oa: FakeZaloOa
) -> None:
    ids = put(db, USER, OTHER)
    async with oa_client(db, oa, refresh_token=SPENT) as client, sending(db, client):
        found = await settle(db, lambda rows: all(r.error for r in rows))
    assert [(r.id, r.status, r.attempts) for r in found] == [(i, "pending", 0) for i in ids]
    assert all("token refresh refused" in (r.error or "") for r in found)
    assert oa.sent() == [] and oa.refreshes()


@pytest.mark.parametrize("code", ["-213"])
async def test_zalo_oa_sender_fails_the_row_and_keeps_the_chat(
    db: Database, oa: FakeZaloOa, code: str
) -> None:
    with db.session() as session:
        record_chat(session, channel="zalo-oa", chat_id=USER, kind="private")
    oa.fail_next(code, user_id=USER)
    refused, delivered = put(db, USER, OTHER)
    async with oa_client(db, oa) as client, sending(db, client):
        found = await settle(db)
    assert [(r.id, r.status) for r in found] == [(refused, "failed"), (delivered, "sent")]
    assert (found[0].error or "").startswith(f"{code}: User has not")
    assert found[1].platform_message_id and len(oa.sent(OTHER)) == 1
    with db.session() as session:
        chat = get_chat(session, channel="zalo-oa", chat_id=USER)
    assert chat is not None and chat.active


@pytest.mark.parametrize("code", ["-230", "-232"])
async def test_zalo_oa_sender_keeps_a_message_outside_the_window_for_later(
    db: Database, oa: FakeZaloOa, code: str
) -> None:
    with db.session() as session:
        record_chat(session, channel="zalo-oa", chat_id=USER, kind="private")
    oa.fail_next(code, user_id=USER)
    waiting, delivered = put(db, USER, OTHER)
    async with oa_client(db, oa) as client, sending(db, client):
        found = await settle(
            db, lambda rows: rows[0].status == "awaiting_window" and rows[1].status == "sent"
        )
    assert [(r.id, r.status) for r in found] == [(waiting, "awaiting_window"), (delivered, "sent")]
    assert (found[0].error or "").startswith(f"{code}: User has not")
    with db.session() as session:
        chat = get_chat(session, channel="zalo-oa", chat_id=USER)
    assert chat is not None and chat.active


async def test_zalo_oa_sender_retries_later_when_rate_limited(db: Database, oa: FakeZaloOa) -> None:
    oa.fail_next("-32", user_id=USER)
    [row_id] = put(db, USER)
    async with oa_client(db, oa) as client, sending(db, client, retry_seconds=0.3):
        [row] = await settle(db)
    limited, delivered = [c for c in oa.calls if c.path == SEND_PATH]
    assert (limited.error, delivered.error) == (-32, 0)
    assert delivered.at - limited.at >= 0.3
    assert (row.id, row.status, row.attempts) == (row_id, "sent", 1)  # the wait was not an attempt


@pytest.mark.parametrize("error", ["500", "timeout"])
async def test_zalo_oa_sender_retries_server_errors_and_timeouts(
    db: Database, oa: FakeZaloOa, error: str
) -> None:
    oa.fail_next(error, user_id=USER, delay=0.5)
    put(db, USER)
    async with oa_client(db, oa, timeout=0.3) as client, sending(db, client):
        [row] = await settle(db)
    # Retried after the failure; on a loaded machine a retry may also outlast the 0.3 s timeout.
    assert row.status == "sent" and row.attempts >= 2
    assert len(oa.sent(USER)) == 1


async def test_zalo_oa_tokens_never_appear_in_errors_or_logs(
    db: Database, oa: FakeZaloOa, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    raised: list[BaseException] = []
    async with oa_client(db, oa, timeout=0.3) as client:
        await client.send_text(user_id=USER, text="một")
        for error, times in (("-216", 2), ("500", 1), ("timeout", 1)):
            oa.fail_next(error, times, delay=0.5)
        for _ in range(3):
            with pytest.raises((ZaloOaApiError, ZaloOaNetworkError)) as caught:
                await client.send_text(user_id=USER, text="hai")
            raised.append(caught.value)
    oa.expire_access_token()
    async with oa_client(db, oa, app_secret="wrong-" + APP_SECRET) as wrong:
        with pytest.raises(ZaloOaAuthError) as refused:
            await wrong.send_text(user_id=USER, text="ba")
        raised.append(refused.value)
        put(db, OTHER)  # and through the sender, whose ChannelDown is logged
        async with sending(db, wrong):
            await settle(db, lambda rows: all(r.error for r in rows))
    secrets = [APP_SECRET, *oa.access_tokens, *oa.refresh_tokens]
    shown = [*map(str, raised), *map(repr, raised), repr(stored(db)), caplog.text]
    assert len(raised) == 4 and "refused our token" in caplog.text
    assert [s for s in secrets if any(s in text for text in shown)] == []


def signed_oa_text(
    text: str, *, msg_id: str = "a1b2c3d4e5f6a7b8c9d0", event_name: str = "user_send_text"
) -> tuple[bytes, str]:
    """A person's text (or another event) to the OA as raw bytes, and its X-ZEvent-Signature."""
    body = json.loads((FIXTURES / "zalo/oa_user_send_location.body").read_bytes())
    body["event_name"] = event_name
    body["message"] = {"msg_id": msg_id, "text": text}
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    # "mac=" + sha256(app_id + body + timestamp + OA secret key), app_id and timestamp from the body
    signed = body["app_id"].encode() + raw + body["timestamp"].encode()
    return raw, "mac=" + hashlib.sha256(signed + OA_KEYS["oa_secret_key"].encode()).hexdigest()


async def test_zalo_oa_first_message_gets_the_notice_through_the_oa(
    database_url: str, tmp_path: Path, oa: FakeZaloOa
) -> None:
    settings = make_settings(
        database_url,
        tmp_path,
        zalo_oa_app_id=APP_ID,
        zalo_oa_secret_key=OA_KEYS["oa_secret_key"],
        zalo_oa_app_secret=APP_SECRET,
        zalo_oa_refresh_token=REFRESH_TOKEN,
        zalo_oa_api_url=oa.url,
        zalo_oauth_url=oa.url,
    )
    raw, signature = signed_oa_text("alo")
    async with serving(settings) as running:
        answer = await running.client.post(
            "/webhooks/zalo-oa", content=raw, headers={"X-ZEvent-Signature": signature}
        )
        assert answer.status_code == 200
        await running.settle()
    assert oa.sent(USER)[0].params["message"]["text"].startswith("Xin chào! Đây là Tin báo")
    assert [c.token for c in oa.refreshes()] == [REFRESH_TOKEN]
