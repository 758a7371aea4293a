"""The playground's endpoints: absent on `serve`, and under the demo a webhook like any other."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from PIL import Image
from sqlalchemy import text

from tests.harness import Running, free_port
from tinbao.demo.run import Demo

PATHS = [
    ("GET", "/"),
    ("POST", "/playground/updates"),
    ("POST", "/playground/photos"),
    ("GET", "/playground/feed"),
    ("POST", "/playground/reset"),
    ("GET", "/playground/reports/ABCDEF"),
    ("GET", "/playground/static/playground.js"),
]


async def test_playground_endpoints_are_refused_on_serve(running: Running) -> None:
    for method, path in PATHS:
        response = await running.client.request(method, path, json={"update_id": "u"})
        assert response.status_code == 404, path
    assert "playground" not in running.service.sender._transports


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[tuple[Demo, httpx.AsyncClient]]:
    """A demo served in this process on a loopback port."""
    running = Demo(tmp_path / "demo")
    config = uvicorn.Config(
        running.app(), host="127.0.0.1", port=free_port(), log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    url = f"http://127.0.0.1:{config.port}"
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        try:
            yield running, client
        finally:
            running.feed.close()
            server.should_exit = True
            await task


def png() -> bytes:
    """A small photo, as a person would pick on their computer."""
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 60)).save(picture, format="PNG")
    return picture.getvalue()


def update(**fields: Any) -> dict[str, Any]:
    """What the page posts when Lan types in her private chat."""
    return {
        "update_id": uuid.uuid4().hex,
        "chat": {"id": "lan", "kind": "private"},
        "from": {"id": "lan", "name": "Nguyễn Thị Lan"},
        "message_id": "p-" + uuid.uuid4().hex,
        **fields,
    }


async def bot_said(demo: Demo, chat: str, words: str, timeout: float = 20.0) -> dict[str, Any]:
    """The first message of the bot in the chat that has these words, once it is delivered."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for item in demo.feed.after(0):
            if item["chat"] == chat and item.get("from_bot") and words in item.get("text", ""):
                return item
        await demo.feed.wait(0.5)
    raise AssertionError(f"the bot did not say {words!r} in {chat}")


async def test_playground_update_is_stored_once_and_handled_like_a_webhook(
    demo: tuple[Demo, httpx.AsyncClient],
) -> None:
    running, client = demo
    body = update(text="/report")
    first = await client.post("/playground/updates", json=body)
    again = await client.post("/playground/updates", json=body)
    assert (first.status_code, first.json()) == (200, {"ok": True})
    assert again.status_code == 200
    with running.db.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT count(*) FROM inbox WHERE channel = 'playground'")
        ).scalar_one()
    assert stored == 1
    question = await bot_said(running, "lan", "1. ")
    assert question["buttons"], "buttons where Telegram would show them"
    person = [i for i in running.feed.after(0) if i["chat"] == "lan" and not i["from_bot"]]
    assert [i["text"] for i in person] == ["/report"]  # the person's words, shown once


async def test_playground_refuses_what_is_not_an_update(
    demo: tuple[Demo, httpx.AsyncClient],
) -> None:
    _running, client = demo
    for junk in (b"[]", b"not json", b'{"update_id": "x"}', b'{"chat": {"id": "lan"}}'):
        response = await client.post("/playground/updates", content=junk)
        assert response.status_code == 400


async def test_playground_photo_is_kept_and_reaches_the_report(
    demo: tuple[Demo, httpx.AsyncClient],
) -> None:
    running, client = demo
    refused = await client.post("/playground/photos?name=a.txt", content=b"plain text")
    assert refused.status_code == 415
    kept = await client.post(
        "/playground/photos?name=p.png", content=png(), headers={"content-type": "image/png"}
    )
    assert kept.status_code == 200
    assert (running.settings.media_dir / kept.json()["path"]).is_file()
    media = await client.get("/playground/media/" + kept.json()["path"])
    assert media.status_code == 200
    assert (await client.get("/playground/media/../tinbao.db")).status_code == 404


async def test_playground_reset_puts_the_demo_back(demo: tuple[Demo, httpx.AsyncClient]) -> None:
    running, client = demo
    await client.post("/playground/updates", json=update(text="/report"))
    await bot_said(running, "lan", "1. ")
    epoch = running.feed.epoch
    answer = await client.post("/playground/reset")
    assert answer.status_code == 200 and answer.json()["epoch"] != epoch
    assert not [i for i in running.feed.after(0) if i["chat"] == "lan"]
    card = await bot_said(running, "group-police", "Honda Wave")  # the seeded reports again
    assert card["buttons"]
    with running.db.engine.connect() as connection:
        reports = connection.execute(text("SELECT count(*) FROM reports")).scalar_one()
        drafts = connection.execute(text("SELECT count(*) FROM drafts")).scalar_one()
    assert (reports, drafts) == (3, 0)
