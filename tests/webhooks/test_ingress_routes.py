"""The webhook routes answer as FastAPI routes did: bodies, headers, methods and counters."""

from __future__ import annotations

import json
from typing import Any

import httpx
from starlette.types import Receive, Scope, Send

from tests.conftest import FIXTURES
from tests.harness import TELEGRAM_SECRET, ZALO_SECRET, Running, load_json


async def test_webhook_answers_ok_as_json(running: Running) -> None:
    response = await running.post_telegram(load_json(FIXTURES, "telegram/private_start.json"))
    assert response.status_code == 200
    assert response.content == b'{"ok":true}'
    assert response.headers["content-type"] == "application/json"


async def test_webhook_refusals_carry_a_detail(running: Running) -> None:
    wrong = await running.post_telegram({"update_id": 1}, secret="wrong-secret-value")
    junk = await running.client.post(
        "/webhooks/telegram",
        content=b"[]",
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "wrong secret"})
    assert (junk.status_code, junk.json()) == (400, {"detail": "not an update"})


async def test_webhook_refuses_other_methods_with_405(running: Running) -> None:
    response = await running.client.get("/webhooks/telegram")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert response.headers["allow"] == "POST"


async def test_webhook_counts_what_it_received_stored_and_refused(running: Running) -> None:
    update = load_json(FIXTURES, "telegram/private_start.json")
    await running.post_telegram(update)
    await running.post_telegram(update)
    await running.post_telegram(update, secret=None)
    lines = (await running.client.get("/metrics")).text.splitlines()
    assert 'tinbao_updates_received_total{channel="telegram"} 2.0' in lines
    assert 'tinbao_updates_stored_total{channel="telegram"} 1.0' in lines
    assert 'tinbao_updates_duplicate_total{channel="telegram"} 1.0' in lines
    assert 'tinbao_updates_rejected_total{channel="telegram",reason="secret"} 1.0' in lines
    assert not any('channel="zalo-oa"' in line for line in lines)  # never used: no series


async def test_webhook_posts_answer_as_the_router_does(running: Running) -> None:
    app = running.service.app()
    stack = app.build_middleware_stack()

    async def routed(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = app
        await stack(scope, receive, send)

    async def answers(transport: httpx.ASGITransport, first_id: int) -> list[tuple[Any, ...]]:
        telegram = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        zalo = {"X-Bot-Api-Secret-Token": ZALO_SECRET}
        new = json.dumps({"update_id": first_id, "message": {"chat": {"id": 5}}}).encode()
        requests = [
            ("POST", "/webhooks/telegram", new, telegram),
            ("POST", "/webhooks/telegram", new, telegram),  # a duplicate
            ("POST", "/webhooks/telegram", new, {}),
            ("POST", "/webhooks/telegram", b"[]", telegram),
            ("POST", "/webhooks/telegram", b"x" * (1024 * 1024 + 1), telegram),
            ("POST", "/webhooks/zalo", b"{", zalo),
            ("POST", "/webhooks/zalo", b"{}", {}),
            ("POST", "/webhooks/zalo-oa", b"{}", {}),
            ("GET", "/webhooks/telegram", b"", telegram),
            ("HEAD", "/webhooks/zalo", b"", zalo),
            ("POST", "/webhooks/telegram/", new, telegram),
            ("POST", "/webhooks/nowhere", new, telegram),
        ]
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            seen = []
            for method, path, body, headers in requests:
                response = await client.request(method, path, content=body, headers=headers)
                seen.append(
                    (response.status_code, response.headers.multi_items(), response.content)
                )
            return seen

    direct = await answers(httpx.ASGITransport(app), 900_001)
    assert direct[0][0] == 200 and direct[1][0] == 200
    assert direct == await answers(httpx.ASGITransport(routed), 900_002)
