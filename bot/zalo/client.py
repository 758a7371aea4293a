"""A thin async client of the Zalo Bot Platform: `{root}/bot{token}/{method}`, JSON in and out."""

from __future__ import annotations

import re
from typing import Any

import httpx


class ZaloApiError(Exception):
    """An answer with `ok: false` (even with HTTP 200), or an HTTP error."""

    def __init__(self, *, status: int, error_code: int | None, description: str) -> None:
        super().__init__(f"{error_code or status}: {description}")
        self.status = status
        self.error_code = error_code
        self.description = description


class ZaloNetworkError(Exception):
    """The call did not get an answer: connection refused, reset or timed out."""


_TOKEN_IN_URL = re.compile(r"/bot[^/]+/")


def scrub(text: str) -> str:
    """Remove a bot token from a URL or message, for logs and errors."""
    return _TOKEN_IN_URL.sub("/bot***/", text)


class ZaloBotClient:
    """Calls Zalo Bot Platform methods; the token never appears in what it raises."""

    def __init__(self, *, token: str, api_url: str, timeout: float = 20.0) -> None:
        self._base = f"{api_url.rstrip('/')}/bot{token}/"
        self._http = httpx.AsyncClient(
            timeout=timeout, limits=httpx.Limits(max_connections=64, max_keepalive_connections=32)
        )

    async def call(
        self, method: str, payload: dict[str, Any] | None = None, *, wait: float | None = None
    ) -> Any:
        """Call a method and return its `result`; raise ZaloApiError or ZaloNetworkError."""
        try:
            response = await self._http.post(
                self._base + method,
                json=payload or {},
                timeout=wait if wait is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as error:
            raise ZaloNetworkError(f"{type(error).__name__} calling {method}") from None
        try:
            body = response.json()
        except ValueError:
            raise ZaloApiError(
                status=response.status_code,
                error_code=None,
                description=f"{method}: not JSON ({response.status_code})",
            ) from None
        if not isinstance(body, dict) or body.get("ok") is not True or response.status_code >= 400:
            details = body if isinstance(body, dict) else {}
            code = details.get("error_code")
            raise ZaloApiError(
                status=response.status_code,
                error_code=code if isinstance(code, int) else None,
                description=scrub(str(details.get("description") or f"{method} failed")),
            )
        return body.get("result")

    async def send_message(self, *, chat_id: str, text: str) -> dict[str, Any]:
        """Send a text (1 to 2,000 characters) and return {message_id, date}."""
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        return result if isinstance(result, dict) else {}

    async def send_photo(self, *, chat_id: str, photo_url: str, caption: str) -> dict[str, Any]:
        """Send a photo that Zalo fetches from a public URL, with a caption of up to 2,000."""
        params = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption[:2000]
        result = await self.call("sendPhoto", params)
        return result if isinstance(result, dict) else {}

    async def get_me(self) -> dict[str, Any]:
        """The bot's own account."""
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    async def set_webhook(self, *, url: str, secret_token: str) -> None:
        """Have Zalo post updates to `url` with the secret header."""
        await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> None:
        """Stop webhook delivery."""
        await self.call("deleteWebhook")

    async def close(self) -> None:
        """Close the connections."""
        await self._http.aclose()
