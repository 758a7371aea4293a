"""Webhook ingress: verify, bound, parse, store, and only then answer 200.

Plain ASGI apps on Starlette routes, not FastAPI ones: a webhook needs no dependency
solving, no response model, no Request object and no Response rendering, and under a burst
that machinery cost as much CPU as storing the update.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import Any

from prometheus_client import Counter
from pydantic import SecretStr
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.telegram.updates import update_keys as telegram_keys
from bot.zalo.updates import update_keys as zalo_keys
from bot.zalo_oa.updates import update_keys as zalo_oa_keys
from bot.zalo_oa.updates import verify_signature
from domain.chats.models import Channel
from domain.inbox.service import NewUpdate
from webhooks.security import header, read_body, secret_matches
from webhooks.state import AppState

KeyReader = Callable[[Any], tuple[str, str]]
# A refusal to send, or None once the update is stored.
Handler = Callable[[Scope, Receive], Awaitable[Response | None]]

# What Response(b'{"ok":true}', media_type="application/json") sends, without building it.
OK_BODY = b'{"ok":true}'
OK_HEADERS = ((b"content-length", b"11"), (b"content-type", b"application/json"))


def endpoints(state: AppState) -> dict[str, ASGIApp]:
    """The webhooks' POST endpoints by path, one per channel, over the given state."""
    telegram = _Ingress(state, Channel.TELEGRAM, telegram_keys)
    zalo = _Ingress(state, Channel.ZALO, zalo_keys)
    zalo_oa = _Ingress(state, Channel.ZALO_OA, zalo_oa_keys)
    return {
        "/webhooks/telegram": _Webhook(telegram.telegram_webhook),
        "/webhooks/zalo": _Webhook(zalo.zalo_webhook),
        "/webhooks/zalo-oa": _Webhook(zalo_oa.zalo_oa_webhook),
    }


def routes(webhooks: dict[str, ASGIApp]) -> list[BaseRoute]:
    """Routes for the endpoints: what answers other methods (405) and other paths."""
    return [Route(path, app, methods=["POST"]) for path, app in webhooks.items()]


class _Webhook:
    """A webhook as an ASGI app: 200 once stored, else the handler's refusal."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one request."""
        refusal = await self._handler(scope, receive)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200, "headers": list(OK_HEADERS)})
        await send({"type": "http.response.body", "body": OK_BODY})


def _detail(code: int, detail: str) -> JSONResponse:
    """An error as FastAPI's HTTPException handler writes it."""
    return JSONResponse({"detail": detail}, status_code=code)


class _Ingress:
    """One channel's webhook: its checks, its counters and its store."""

    def __init__(self, state: AppState, channel: Channel, keys: KeyReader) -> None:
        self._state = state
        self._channel = channel
        self._keys = keys

    @cached_property
    def _counters(self) -> tuple[Counter, Counter, Counter]:
        """Received, stored, duplicate: bound on first use (a channel never used shows none)."""
        # Once, not per request: a labels() lookup is measurable at burst rates.
        metrics, channel = self._state.metrics, self._channel.value
        return (
            metrics.updates_received.labels(channel),
            metrics.updates_stored.labels(channel),
            metrics.updates_duplicate.labels(channel),
        )

    async def telegram_webhook(self, scope: Scope, receive: Receive) -> Response | None:
        """Store a Telegram update; any object with an integer update_id is one."""
        settings = self._state.settings
        if not settings.telegram_on:
            return _detail(404, "Telegram is not enabled on this server")
        return await self._with_secret(
            scope, receive, settings.telegram_webhook_secret, b"x-telegram-bot-api-secret-token"
        )

    async def zalo_webhook(self, scope: Scope, receive: Receive) -> Response | None:
        """Store a Zalo Bot Platform update, wrapped or flat."""
        settings = self._state.settings
        if not settings.zalo_on:
            return _detail(404, "Zalo Bot is not enabled on this server")
        return await self._with_secret(
            scope, receive, settings.zalo_webhook_secret, b"x-bot-api-secret-token"
        )

    async def _with_secret(
        self, scope: Scope, receive: Receive, secret: SecretStr | None, name: bytes
    ) -> Response | None:
        """Store the update when header `name` carries the secret (compared in constant time)."""
        if secret is None or not secret_matches(header(scope, name), secret.get_secret_value()):
            return self._refuse(401, "secret", "wrong secret")
        raw = await self._read(scope, receive)
        return raw if isinstance(raw, Response) else await self._accept(raw)

    async def zalo_oa_webhook(self, scope: Scope, receive: Receive) -> Response | None:
        """Store a Zalo Official Account event whose signature holds."""
        settings = self._state.settings
        if not settings.zalo_oa_on:
            return _detail(404, "Zalo OA is not enabled on this server")
        raw = await self._read(scope, receive)
        if isinstance(raw, Response):
            return raw
        key = settings.zalo_oa_secret_key
        signed = key is not None and verify_signature(
            raw,
            header(scope, b"x-zevent-signature"),
            app_id=settings.zalo_oa_app_id or "",
            oa_secret_key=key.get_secret_value(),
        )
        if not signed:
            return self._refuse(401, "signature", "bad signature")
        return await self._accept(raw)

    def _refuse(self, code: int, reason: str, detail: str) -> JSONResponse:
        self._state.metrics.updates_rejected.labels(self._channel.value, reason).inc()
        return _detail(code, detail)

    async def _read(self, scope: Scope, receive: Receive) -> bytes | Response:
        try:
            return await read_body(scope, receive)
        except HTTPException as error:
            return self._refuse(error.status_code, "size", error.detail)

    async def _accept(self, raw: bytes) -> Response | None:
        try:
            update_key, chat_key = self._keys(json.loads(raw))
        except (ValueError, TypeError, RecursionError):
            # json.JSONDecodeError and NotAnUpdate are both ValueErrors.
            return self._refuse(400, "shape", "not an update")
        received, stored, duplicate = self._counters
        received.inc()
        update = NewUpdate(
            channel=self._channel.value,
            update_key=update_key,
            chat_key=chat_key,
            payload=raw.decode("utf-8", errors="replace"),
        )
        try:
            is_new = await self._state.writer.store(update)
        except Exception:  # not stored: 503 makes the platform send it again
            return _detail(503, "could not store the update")
        (stored if is_new else duplicate).inc()
        return None
