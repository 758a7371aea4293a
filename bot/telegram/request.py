"""python-telegram-bot's HTTP calls made with aiohttp instead of httpx."""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# httpx spent more time keeping its pool than making the calls once a broadcast had a few
# dozen in flight: a sender capped near 300 calls a second on two cores where aiohttp makes
# several thousand against the same server (docs/benchmarks.md, sender capacity).


class AiohttpRequest(BaseRequest):
    """One aiohttp session for a Bot's calls, with PTB's timeouts and error mapping."""

    def __init__(
        self,
        *,
        connections: int = 64,
        connect_timeout: float = 20.0,
        read_timeout: float = 20.0,
        write_timeout: float = 20.0,
        pool_timeout: float = 20.0,
    ) -> None:
        self._connections = connections
        self._timeouts = {
            "connect": connect_timeout,
            "read": read_timeout,
            "write": write_timeout,
            "pool": pool_timeout,
        }
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The read timeout of calls that name none (PTB's long polls add to it)."""
        return self._timeouts["read"]

    async def initialize(self) -> None:
        """Open the session (the first call opens it too)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make one call; the status code and the body, or PTB's TimedOut and NetworkError."""
        await self.initialize()
        assert self._session is not None
        read = self._given(read_timeout, "read")
        connect = self._given(connect_timeout, "connect")
        pool = self._given(pool_timeout, "pool")
        write = self._given(write_timeout, "write")
        # aiohttp has no write timeout of its own: the whole call is bounded by all of them.
        bounds = [t for t in (read, connect, pool, write) if t is not None]
        timeout = aiohttp.ClientTimeout(
            total=sum(bounds) if len(bounds) == 4 else None,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

    def _given(self, value: Any, name: str) -> float | None:
        if isinstance(value, type(BaseRequest.DEFAULT_NONE)):
            return self._timeouts[name]
        return float(value) if value is not None else None


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as PTB sends them; files as multipart parts."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    # PTB gives each file as (file name, bytes or a file handle, MIME type).
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
