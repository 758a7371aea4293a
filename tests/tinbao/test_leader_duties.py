"""What the leader does: register webhooks, poll Telegram when asked, and log no secrets."""

from __future__ import annotations

import copy
import io
import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from core.logs import configure_logging
from tests.conftest import FIXTURES
from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import (
    TELEGRAM_SECRET,
    ZALO_SECRET,
    Running,
    load_json,
    make_settings,
    serving,
    with_telegram,
    with_zalo,
)


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll until the condition holds."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_serve_registers_both_webhooks_at_the_public_url(
    database_url: str, tmp_path: Path
) -> None:
    with FakeTelegram() as telegram, FakeZalo() as zalo:
        settings = make_settings(
            database_url,
            tmp_path,
            public_url="https://tinbao.example.vn/",
            **with_telegram(telegram.url),
            **with_zalo(zalo.url),
        )
        async with serving(settings):
            await wait_for(lambda: telegram.webhook is not None and zalo.webhook is not None)
        assert telegram.webhook is not None and zalo.webhook is not None
        assert telegram.webhook["url"] == "https://tinbao.example.vn/webhooks/telegram"
        assert telegram.webhook["secret_token"] == TELEGRAM_SECRET
        assert sorted(telegram.webhook["allowed_updates"]) == [
            "callback_query",
            "edited_message",
            "message",
            "my_chat_member",
        ]
        assert zalo.webhook["url"] == "https://tinbao.example.vn/webhooks/zalo"
        assert zalo.webhook["secret_token"] == ZALO_SECRET


async def test_polling_mode_deletes_the_webhook_and_feeds_the_inbox(
    database_url: str, tmp_path: Path
) -> None:
    with FakeTelegram() as telegram:
        telegram.webhook = {"url": "https://old.example.vn/hook"}
        first = copy.deepcopy(load_json(FIXTURES, "telegram/private_start.json"))
        telegram.queue_update(first)
        settings = make_settings(
            database_url, tmp_path, telegram_mode="polling", **with_telegram(telegram.url)
        )
        async with serving(settings) as running:
            await wait_for(lambda: len(telegram.sent("sendMessage", 770001)) == 1)
            later = copy.deepcopy(load_json(FIXTURES, "telegram/private_sticker.json"))
            telegram.queue_update(later)
            await wait_for(lambda: _inbox_count(running) == 2)
            await running.settle()
        assert telegram.webhook is None
        assert telegram.sent("sendMessage", 770001)[0].params["text"].startswith("Xin chào!")


def _inbox_count(running: Running) -> int:
    with running.db.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM inbox")).scalar_one())


async def test_logs_carry_no_token_or_secret_even_when_calls_fail(
    database_url: str, tmp_path: Path
) -> None:
    token = "987654:SECRET-TOKEN-must-never-be-logged"
    stream = io.StringIO()
    with FakeTelegram(token="123:OTHER") as telegram:  # our token is refused: errors get logged
        settings = make_settings(
            database_url,
            tmp_path,
            public_url="https://tinbao.example.vn",
            **with_telegram(telegram.url, token=token),
        )
        configure_logging(settings)
        handler = logging.getLogger().handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(stream)
        logging.getLogger("httpx").setLevel(logging.DEBUG)  # the noisiest case: URLs logged
        try:
            async with serving(settings) as running:
                update = load_json(FIXTURES, "telegram/private_start.json")
                await running.post_telegram(update)
                await wait_for(lambda: "could not" in stream.getvalue())
        finally:
            logging.getLogger().handlers.clear()
            logging.getLogger("httpx").setLevel(logging.WARNING)
    logged = stream.getvalue()
    assert "could not reach Telegram" in logged
    for secret in (token, "SECRET-TOKEN", TELEGRAM_SECRET, "test-secret-key-0123456789"):
        assert secret not in logged


async def test_webhooks_are_registered_once_telegram_answers_after_a_down_start(
    database_url: str, tmp_path: Path
) -> None:
    with FakeTelegram() as telegram:
        telegram.go_down("502")
        settings = make_settings(
            database_url,
            tmp_path,
            public_url="https://tinbao.example.vn",
            **with_telegram(telegram.url),
        )
        async with serving(settings) as running:

            def registration() -> dict[str, object]:
                return running.service.supervisor.tasks["webhook-registration"].describe()

            await wait_for(lambda: int(str(registration()["failures_in_a_row"])) >= 2)
            assert telegram.webhook is None
            telegram.come_back()
            await wait_for(lambda: telegram.webhook is not None, timeout=30)
            await wait_for(lambda: registration()["last_pass"] is not None)
        assert telegram.webhook is not None
        assert telegram.webhook["url"] == "https://tinbao.example.vn/webhooks/telegram"
