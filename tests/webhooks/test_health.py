"""Operations routes: /healthz and /readyz tell the truth about the background work; docs offline."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from tests.harness import Running

TASKS = {"inbox-worker", "inbox-lease-heartbeat", "sender", "leader"}


async def until(running: Running, path: str, check: Any, timeout: float = 15.0) -> Any:
    """GET path until check(response) holds; return the response."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await running.client.get(path)
        if check(response):
            return response
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{path} never matched: {response.status_code} {response.text}")
        await asyncio.sleep(0.05)


async def test_healthz_shows_each_task_last_pass_and_leadership(running: Running) -> None:
    def leading_and_passed(response: Any) -> bool:
        body = response.json()
        return bool(body["leader"]) and all(
            body["tasks"][name]["last_pass"] for name in ("inbox-worker", "sender", "leader")
        )

    health = await until(running, "/healthz", leading_and_passed)
    body = health.json()
    assert (health.status_code, body["status"], body["database"]) == (200, "ok", "ok")
    assert TASKS | {"job:remind-overdue", "job:expire-drafts", "job:redact-inbox"} <= set(
        body["tasks"]
    )
    worker = body["tasks"]["inbox-worker"]
    assert datetime.fromisoformat(worker["last_pass"]).utcoffset() is not None
    assert 0 <= worker["age_seconds"] < worker["bound_seconds"]
    assert (worker["restarts"], worker["failures_in_a_row"], worker["last_error"]) == (0, 0, None)


async def test_readyz_answers_200_once_every_task_does_its_work(running: Running) -> None:
    ready = await until(running, "/readyz", lambda r: r.status_code == 200)
    assert ready.json() == {"status": "ready", "database": "ok", "late": []}


async def test_metrics_show_task_ages_restarts_and_queues(running: Running) -> None:
    await until(running, "/healthz", lambda r: r.json()["leader"])
    lines = (await running.client.get("/metrics")).text.splitlines()
    names = {line.split("{")[0].split(" ")[0] for line in lines if not line.startswith("#")}
    assert {
        "tinbao_task_last_pass_age_seconds",
        "tinbao_task_restarts_total",
        "tinbao_leader",
        "tinbao_inbox_waiting",
        "tinbao_inbox_oldest_waiting_seconds",
        "tinbao_outbox_due",
        "tinbao_outbox_oldest_due_seconds",
    } <= names
    assert 'tinbao_task_restarts_total{task="sender"} 0.0' in lines
    assert "tinbao_leader 1.0" in lines


async def test_openapi_declares_the_admin_bearer_scheme(running: Running) -> None:
    spec = (await running.client.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["adminToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The value of TINBAO_ADMIN_TOKEN",
    }
    areas = spec["paths"]["/api/v1/areas"]["get"]
    assert areas["security"] == [{"adminToken": []}]
    assert "security" not in spec["paths"]["/healthz"]["get"]


async def test_docs_and_redoc_load_their_assets_from_the_service(running: Running) -> None:
    for page, assets in {
        "/docs": ["swagger-ui-bundle.js", "swagger-ui.css"],
        "/redoc": ["redoc.standalone.js"],
    }.items():
        html = (await running.client.get(page)).text
        assert "cdn." not in html and "https://" not in html.split("<body>")[0]
        for asset in assets:
            assert f"/docs-assets/{asset}" in html
            fetched = await running.client.get(f"/docs-assets/{asset}")
            assert fetched.status_code == 200 and len(fetched.content) > 10_000
