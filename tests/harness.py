"""A whole Tinbao service on a loopback port, wired to fake platforms, for end-to-end tests."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from core.db import Database
from core.settings import Settings
from tinbao.service import Service

TELEGRAM_SECRET = "tg-secret-for-tests_0123"
ZALO_SECRET = "zalo-secret-for-tests_0123"
ADMIN_TOKEN = "admin-token-for-tests"
OA_KEYS_FILE = "zalo/oa_test_keys.json"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a test, read from nowhere but these arguments."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": "test-secret-key-0123456789",
        "admin_token": ADMIN_TOKEN,
        "media_dir": tmp_path / "media",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def with_telegram(fake_url: str, token: str = "123:TEST") -> dict[str, Any]:
    """Settings that turn Telegram on, pointed at a fake."""
    return {
        "telegram_token": token,
        "telegram_api_url": fake_url,
        "telegram_webhook_secret": TELEGRAM_SECRET,
    }


def with_zalo(fake_url: str, token: str = "zalo-test-token") -> dict[str, Any]:
    """Settings that turn the Zalo Bot on, pointed at a fake."""
    return {"zalo_token": token, "zalo_api_url": fake_url, "zalo_webhook_secret": ZALO_SECRET}


def with_platforms(platforms: tuple[Any, Any]) -> dict[str, Any]:
    """Settings that turn Telegram and the Zalo Bot on, pointed at the (telegram, zalo) fakes."""
    telegram, zalo = platforms
    return with_telegram(telegram.url) | with_zalo(zalo.url)


@dataclass
class Running:
    """A service being served, and a client to reach it."""

    service: Service
    client: httpx.AsyncClient
    url: str

    @property
    def db(self) -> Database:
        """The service's database."""
        return self.service.db

    async def post_telegram(
        self, body: Any, *, secret: str | None = TELEGRAM_SECRET
    ) -> httpx.Response:
        """POST an update as Telegram would."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.client.post("/webhooks/telegram", json=body, headers=headers)

    async def post_zalo(self, body: Any, *, secret: str | None = ZALO_SECRET) -> httpx.Response:
        """POST an update as the Zalo Bot Platform would."""
        headers = {"X-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.client.post("/webhooks/zalo", json=body, headers=headers)

    async def settle(self, *, timeout: float = 10.0) -> None:
        """Wait until every stored update is handled and every message has left the outbox."""
        from sqlalchemy import text

        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            with self.db.engine.connect() as connection:
                busy = connection.execute(
                    text(
                        "SELECT (SELECT count(*) FROM inbox WHERE status = 'pending')"
                        " + (SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
                        " AND (not_before IS NULL OR not_before <= :now))"
                    ),
                    {"now": _now_for(self.db)},
                ).scalar_one()
            if busy == 0 and self.service.sender.in_flight == 0:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the service did not settle in time")


def _now_for(db: Database) -> Any:
    from core.db import utcnow

    now = utcnow()
    return now.replace(tzinfo=None) if db.is_sqlite else now


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Running]:
    """Run the service on a loopback port for the duration of the block."""
    service = Service(settings)
    port = free_port()
    config = uvicorn.Config(
        service.app(), host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        try:
            yield Running(service=service, client=client, url=url)
        finally:
            server.should_exit = True
            await task


def load_json(fixtures: Path, name: str) -> Any:
    """A wire-format fixture as JSON."""
    return json.loads((fixtures / name).read_text(encoding="utf-8"))
