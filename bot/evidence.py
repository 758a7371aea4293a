"""Copying residents' media from Telegram and Zalo into the media dir before the links expire."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx
from telegram import Bot, File
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut

from bot.events import Media
from domain.evidence import StoredFile, store_bytes
from domain.text import whole_number

__all__ = ["EvidenceFetcher", "FetchProblem", "FetchReason"]

log = logging.getLogger(__name__)

FetchReason = Literal["too_large", "expired", "unavailable", "unsupported"]
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # what getFile serves to bots
_MAX_REDIRECTS = 3
_TIMEOUT = 20.0
_GONE = frozenset({401, 403, 404, 410})  # an expired signed URL answers 403 or 404
_TOKEN_IN_PATH = re.compile(r"/bot[^/\s]+/")


@dataclass(frozen=True, slots=True)
class FetchProblem:
    """Why a file was not copied; "unavailable" alone is worth trying again later."""

    reason: FetchReason
    detail: str = ""  # for logs: never a URL, never a token


@dataclass(frozen=True, slots=True)
class _Body:
    data: bytes
    content_type: str | None


class _NetworkFailure(Exception):
    """A transport error worth one more try; its text names the error class only."""


class EvidenceFetcher:
    """Downloads a Media event's file, within a size cap, and stores it content-addressed."""

    def __init__(
        self,
        *,
        media_dir: Path,
        telegram_bot: Bot | None,
        http: httpx.AsyncClient | None = None,
        max_bytes: int = TELEGRAM_DOWNLOAD_LIMIT,
    ) -> None:
        self._media_dir = media_dir
        self._bot = telegram_bot
        self._http = http
        self._max_bytes = max_bytes

    async def fetch(self, channel: str, media: Media) -> StoredFile | FetchProblem:
        """Copy the file into the media dir, or say why not; OSError only if the disk fails."""
        result = await self._fetch(channel, media)
        if isinstance(result, FetchProblem):
            log.info(
                "media not copied: channel=%s kind=%s reason=%s %s",
                channel,
                media.kind,
                result.reason,
                result.detail,
            )
            return result
        mime_type = media.mime_type or result.content_type
        return await asyncio.to_thread(
            store_bytes,
            self._media_dir,
            result.data,
            mime_type=mime_type,
            file_name=media.file_name,
        )

    async def _fetch(self, channel: str, media: Media) -> _Body | FetchProblem:
        if media.kind == "sticker":
            return FetchProblem("unsupported", "a sticker is not evidence")
        if media.size is not None and media.size > self._max_bytes:
            return FetchProblem("too_large", f"{media.size} bytes announced")
        if channel == "telegram":
            return await self._from_telegram(media.file_ref)
        if channel in ("zalo", "zalo-oa"):
            return await self._download(media.file_ref)
        if channel == "playground":
            return await asyncio.to_thread(self._from_media_dir, media.file_ref)
        return FetchProblem("unsupported", f"no media from channel {channel!r}")

    def _from_media_dir(self, relative: str) -> _Body | FetchProblem:
        """A file the playground page uploaded into the media dir, read back."""
        root = self._media_dir.resolve()
        path = (root / relative).resolve()
        if not path.is_relative_to(root) or not path.is_file():  # "../" from a hand-made body
            return FetchProblem("expired", "no such uploaded file")
        if path.stat().st_size > self._max_bytes:
            return FetchProblem("too_large", "uploaded file")
        return _Body(path.read_bytes(), None)

    async def _from_telegram(self, file_id: str) -> _Body | FetchProblem:
        if self._bot is None:
            return FetchProblem("unavailable", "telegram is not configured")
        file = await self._telegram_file(self._bot, file_id)
        if isinstance(file, FetchProblem):
            return file
        if file.file_size is not None and file.file_size > self._max_bytes:
            return FetchProblem("too_large", f"{file.file_size} bytes by getFile")
        if not file.file_path:
            return FetchProblem("unavailable", "getFile gave no file_path")
        # PTB's file_path is a URL with the bot token in it: it goes nowhere but the request.
        return await self._download(file.file_path)

    async def _telegram_file(self, bot: Bot, file_id: str) -> File | FetchProblem:
        """getFile, tried twice on a network error."""
        failure = ""
        for _ in range(2):
            try:
                return await bot.get_file(file_id)
            except BadRequest as error:  # a NetworkError subclass: caught first
                text = _scrub(error.message, bot.token)
                reason: FetchReason = "too_large" if "too big" in text.lower() else "expired"
                return FetchProblem(reason, f"getFile: {text}")
            except (TimedOut, NetworkError) as error:
                failure = type(error).__name__
            except TelegramError as error:  # 429, 401, 403: nothing a second call now would fix
                return FetchProblem("unavailable", f"getFile: {type(error).__name__}")
        return FetchProblem("unavailable", f"getFile: {failure}")

    async def _download(self, url: str) -> _Body | FetchProblem:
        """GET a URL within the size cap, following up to three redirects; one retry."""
        failure = ""
        for _ in range(2):
            try:
                return await self._get(url)
            except _NetworkFailure as error:
                failure = str(error)
        return FetchProblem("unavailable", failure)

    async def _get(self, url: str) -> _Body | FetchProblem:
        async with self._client() as client:
            for _ in range(_MAX_REDIRECTS + 1):
                target = _http_url(url)
                if target is None:
                    return FetchProblem("unsupported", "not an http(s) URL")
                try:
                    async with client.stream(
                        "GET", target, follow_redirects=False, timeout=_TIMEOUT
                    ) as response:
                        if not response.is_redirect:
                            return await self._read(response)
                        url = str(target.join(response.headers.get("location", "")))
                except httpx.TransportError as error:
                    raise _NetworkFailure(type(error).__name__) from None
                except httpx.HTTPError as error:  # e.g. a body that does not decode
                    return FetchProblem("unavailable", type(error).__name__)
        return FetchProblem("unavailable", "too many redirects")

    async def _read(self, response: httpx.Response) -> _Body | FetchProblem:
        status = response.status_code
        if status in _GONE:
            return FetchProblem("expired", f"HTTP {status}")
        if status != 200:
            return FetchProblem("unavailable", f"HTTP {status}")
        announced = response.headers.get("content-length", "")
        if (whole_number(announced) or 0) > self._max_bytes:
            return FetchProblem("too_large", f"{announced} bytes announced by the server")
        chunks: list[bytes] = []
        received = 0
        async for chunk in response.aiter_bytes():
            received += len(chunk)
            if received > self._max_bytes:  # decoded bytes: a compressed body cannot get past
                return FetchProblem("too_large", f"over {self._max_bytes} bytes")
            chunks.append(chunk)
        return _Body(b"".join(chunks), response.headers.get("content-type"))

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[httpx.AsyncClient]:
        if self._http is not None:
            yield self._http
            return
        async with httpx.AsyncClient(timeout=_TIMEOUT) as client:
            yield client


def _http_url(url: str) -> httpx.URL | None:
    """The URL if it is an absolute http or https one, else None."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return None
    return parsed if parsed.scheme in ("http", "https") and parsed.host else None


def _scrub(text: str, token: str) -> str:
    """Text from Telegram with the bot token, alone or in a URL path, masked."""
    return _TOKEN_IN_PATH.sub("/bot***/", text.replace(token, "***") if token else text)
