"""Webhook ingress: verify, bound, parse, store, and only then answer 200."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse

from bot.telegram.updates import update_keys as telegram_keys
from bot.zalo.updates import update_keys as zalo_keys
from bot.zalo_oa.updates import update_keys as zalo_oa_keys
from bot.zalo_oa.updates import verify_signature
from domain.chats.models import Channel
from domain.inbox.service import NewUpdate
from webhooks.security import read_body, secret_matches
from webhooks.state import AppState, StateDep

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

KeyReader = Callable[[Any], tuple[str, str]]


def _refuse(
    state: AppState, channel: Channel, code: int, reason: str, detail: str
) -> HTTPException:
    state.metrics.updates_rejected.labels(channel.value, reason).inc()
    return HTTPException(code, detail)


def _parse(state: AppState, channel: Channel, raw: bytes, keys: KeyReader) -> tuple[str, str]:
    try:
        body = json.loads(raw)
        return keys(body)
    except (ValueError, TypeError, RecursionError):
        # json.JSONDecodeError and NotAnUpdate are both ValueErrors.
        raise _refuse(
            state, channel, status.HTTP_400_BAD_REQUEST, "shape", "not an update"
        ) from None


async def _accept(state: AppState, channel: Channel, raw: bytes, keys: KeyReader) -> JSONResponse:
    update_key, chat_key = _parse(state, channel, raw, keys)
    state.metrics.updates_received.labels(channel.value).inc()
    update = NewUpdate(
        channel=channel.value,
        update_key=update_key,
        chat_key=chat_key,
        payload=raw.decode("utf-8", errors="replace"),
    )
    try:
        is_new = await state.writer.store(update)
    except Exception:  # not stored: 503 makes the platform send it again
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "could not store the update"
        ) from None
    counter = state.metrics.updates_stored if is_new else state.metrics.updates_duplicate
    counter.labels(channel.value).inc()
    return JSONResponse({"ok": True})


def _require_on(enabled: bool, name: str) -> None:
    if not enabled:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{name} is not enabled on this server")


@router.post("/telegram")
async def telegram_webhook(request: Request, state: StateDep) -> JSONResponse:
    """Store a Telegram update; any object with an integer update_id is one."""
    settings = state.settings
    _require_on(settings.telegram_on, "Telegram")
    secret = settings.telegram_webhook_secret
    given = request.headers.get("x-telegram-bot-api-secret-token")
    if secret is None or not secret_matches(given, secret.get_secret_value()):
        raise _refuse(
            state, Channel.TELEGRAM, status.HTTP_401_UNAUTHORIZED, "secret", "wrong secret"
        )
    raw = await _read(state, Channel.TELEGRAM, request)
    return await _accept(state, Channel.TELEGRAM, raw, telegram_keys)


@router.post("/zalo")
async def zalo_webhook(request: Request, state: StateDep) -> JSONResponse:
    """Store a Zalo Bot Platform update, wrapped or flat."""
    settings = state.settings
    _require_on(settings.zalo_on, "Zalo Bot")
    secret = settings.zalo_webhook_secret
    given = request.headers.get("x-bot-api-secret-token")
    if secret is None or not secret_matches(given, secret.get_secret_value()):
        raise _refuse(state, Channel.ZALO, status.HTTP_401_UNAUTHORIZED, "secret", "wrong secret")
    raw = await _read(state, Channel.ZALO, request)
    return await _accept(state, Channel.ZALO, raw, zalo_keys)


@router.post("/zalo-oa")
async def zalo_oa_webhook(request: Request, state: StateDep) -> JSONResponse:
    """Store a Zalo Official Account event whose signature holds."""
    settings = state.settings
    _require_on(settings.zalo_oa_on, "Zalo OA")
    raw = await _read(state, Channel.ZALO_OA, request)
    key = settings.zalo_oa_secret_key
    signed = key is not None and verify_signature(
        raw,
        request.headers.get("x-zevent-signature"),
        app_id=settings.zalo_oa_app_id or "",
        oa_secret_key=key.get_secret_value(),
    )
    if not signed:
        raise _refuse(
            state, Channel.ZALO_OA, status.HTTP_401_UNAUTHORIZED, "signature", "bad signature"
        )
    return await _accept(state, Channel.ZALO_OA, raw, zalo_oa_keys)


async def _read(state: AppState, channel: Channel, request: Request) -> bytes:
    try:
        return await read_body(request)
    except HTTPException as error:
        state.metrics.updates_rejected.labels(channel.value, "size").inc()
        raise error
