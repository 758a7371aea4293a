"""Webhook ingress: secrets, sizes, shapes, duplicates, and nothing stored on refusal."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import FIXTURES
from tests.harness import Running, load_json, make_settings, serving


def stored(running: Running) -> list[tuple[str, str, str]]:
    """Every inbox row as (channel, update key, status)."""
    with running.db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT channel, update_key, status FROM inbox ORDER BY id")
        ).all()
    return [(c, k, s) for c, k, s in rows]


async def test_telegram_webhook_stores_an_update_and_answers_200(running: Running) -> None:
    update = load_json(FIXTURES, "telegram/private_start.json")
    response = await running.post_telegram(update)
    assert response.status_code == 200
    assert stored(running)[0][:2] == ("telegram", str(update["update_id"]))


@pytest.mark.parametrize("secret", [None, "", "wrong-secret-value"])
async def test_telegram_webhook_refuses_a_wrong_secret_with_401(
    running: Running, secret: str | None
) -> None:
    update = load_json(FIXTURES, "telegram/private_start.json")
    response = await running.post_telegram(update, secret=secret)
    assert response.status_code == 401
    assert stored(running) == []


@pytest.mark.parametrize("secret", [None, "nope-nope-nope"])
async def test_zalo_webhook_refuses_a_wrong_secret_with_401(
    running: Running, secret: str | None
) -> None:
    response = await running.post_zalo(
        load_json(FIXTURES, "zalo/bot_text_flat.json"), secret=secret
    )
    assert response.status_code == 401
    assert stored(running) == []


async def test_webhook_refuses_a_body_over_one_mebibyte_with_413(running: Running) -> None:
    update = load_json(FIXTURES, "telegram/private_start.json")
    update["message"]["text"] = "x" * (1024 * 1024)
    response = await running.post_telegram(update)
    assert response.status_code == 413
    assert stored(running) == []


async def test_webhook_refuses_a_chunked_body_over_one_mebibyte_with_413(running: Running) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536

    response = await running.client.post(
        "/webhooks/telegram",
        content=chunks(),
        headers={"X-Telegram-Bot-Api-Secret-Token": "tg-secret-for-tests_0123"},
    )
    assert response.status_code == 413
    assert stored(running) == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'"text"',
        b"{}",
        b'{"update_id": "7"}',
        b'{"update_id": true}',
        b"\xff\xfe",
    ],
)
async def test_telegram_webhook_refuses_junk_with_400(running: Running, body: bytes) -> None:
    response = await running.client.post(
        "/webhooks/telegram",
        content=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": "tg-secret-for-tests_0123"},
    )
    assert response.status_code == 400
    assert "detail" in response.json()
    assert stored(running) == []


@pytest.mark.parametrize("body", [b"{}", b'{"ok": false}', b'{"event_name": "x"}', b"nope"])
async def test_zalo_webhook_refuses_junk_with_400(running: Running, body: bytes) -> None:
    response = await running.client.post(
        "/webhooks/zalo",
        content=body,
        headers={"X-Bot-Api-Secret-Token": "zalo-secret-for-tests_0123"},
    )
    assert response.status_code == 400
    assert stored(running) == []


async def test_telegram_update_of_an_unused_kind_is_stored_answered_and_ignored(
    running: Running,
) -> None:
    update = load_json(FIXTURES, "telegram/channel_post_ignored.json")
    assert (await running.post_telegram(update)).status_code == 200
    await running.settle()
    assert stored(running) == [("telegram", str(update["update_id"]), "ignored")]


async def test_telegram_update_of_an_unknown_future_kind_is_accepted(running: Running) -> None:
    response = await running.post_telegram({"update_id": 991, "some_future_kind": {"x": 1}})
    assert response.status_code == 200
    await running.settle()
    assert stored(running) == [("telegram", "991", "ignored")]


async def test_duplicate_update_is_stored_once_and_answered_200(running: Running) -> None:
    update = load_json(FIXTURES, "telegram/private_start.json")
    first = await running.post_telegram(update)
    second = await running.post_telegram(update)
    assert (first.status_code, second.status_code) == (200, 200)
    await running.settle()
    assert len(stored(running)) == 1


async def test_zalo_webhook_accepts_wrapped_and_flat_bodies(running: Running) -> None:
    wrapped = load_json(FIXTURES, "zalo/bot_text_wrapped.json")
    flat = load_json(FIXTURES, "zalo/bot_text_flat.json")
    assert (await running.post_zalo(wrapped)).status_code == 200
    assert (await running.post_zalo(flat)).status_code == 200
    assert [key for _, key, _ in stored(running)] == [
        wrapped["result"]["message"]["message_id"],
        flat["message"]["message_id"],
    ]


async def test_zalo_duplicate_message_id_is_stored_once(running: Running) -> None:
    wrapped = load_json(FIXTURES, "zalo/bot_text_wrapped.json")
    flat_same_id = {"event_name": "message.text.received", "message": wrapped["result"]["message"]}
    await running.post_zalo(wrapped)
    await running.post_zalo(flat_same_id)
    assert len(stored(running)) == 1


async def test_channel_that_is_off_answers_404(database_url: str, tmp_path: Path) -> None:
    async with serving(make_settings(database_url, tmp_path)) as running:
        update = load_json(FIXTURES, "telegram/private_start.json")
        assert (await running.post_telegram(update)).status_code == 404
        assert (await running.post_zalo(update)).status_code == 404
        assert (await running.client.get("/healthz")).status_code == 200


async def test_zalo_oa_webhook_checks_the_signature(database_url: str, tmp_path: Path) -> None:
    keys = load_json(FIXTURES, "zalo/oa_test_keys.json")
    body = (FIXTURES / "zalo/oa_user_send_location.body").read_bytes()
    header = (FIXTURES / "zalo/oa_user_send_location.headers").read_text().split(":", 1)[1].strip()
    settings = make_settings(
        database_url,
        tmp_path,
        zalo_oa_app_id=keys["app_id"],
        zalo_oa_secret_key=keys["oa_secret_key"],
    )
    async with serving(settings) as running:
        bad = await running.client.post(
            "/webhooks/zalo-oa", content=body, headers={"X-ZEvent-Signature": "mac=" + "0" * 64}
        )
        missing = await running.client.post("/webhooks/zalo-oa", content=body)
        good = await running.client.post(
            "/webhooks/zalo-oa", content=body, headers={"X-ZEvent-Signature": header}
        )
        again = await running.client.post(
            "/webhooks/zalo-oa", content=body, headers={"X-ZEvent-Signature": header}
        )
        assert (bad.status_code, missing.status_code) == (401, 401)
        assert (good.status_code, again.status_code) == (200, 200)
        assert len(stored(running)) == 1
        assert json.loads(body)["app_id"] == keys["app_id"]
        assert hashlib.sha256(body).hexdigest()  # the exact signed bytes were posted
