"""Shared machinery of the fake chat-platform servers: HTTP plumbing, recording, limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, unquote

JSON = dict[str, Any]
Violation = tuple[str, str | None, float]  # (kind, chat_id, monotonic time received)
_STATUSES = frozenset(status.value for status in HTTPStatus)
_HUNG_UP = (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError)

# Form values under these keys are free text or opaque ids: never JSON-decode them
# (a report text "[1]" or a file id "123" must stay a string).
_STRING_KEYS = (
    "text caption title description query url secret_token file_id callback_query_id "
    "inline_message_id photo document video voice audio animation sticker video_note thumbnail "
    "parse_mode action emoji business_connection_id ip_address name address first_name "
    "last_name phone_number vcard question explanation message_effect_id"
)
STRING_KEYS = frozenset(_STRING_KEYS.split())


@dataclass
class Call:
    """One API request as the fake received it."""

    method: str
    params: JSON
    chat_id: str | None
    at: float  # time.monotonic() when received
    status: int = 0  # 0 while unanswered, and for good when the fake never answered


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Reply:
    """What the fake answers: status, body, and optional delay or silence."""

    status: int
    body: bytes
    content_type: str = "application/json"
    delay: float = 0.0
    silent: bool = False  # close the connection without answering (scripted timeout)
    on_lost: Callable[[], None] | None = None  # run when the client left before the answer


def json_reply(status: int, payload: Any) -> Reply:
    """Build a JSON reply."""
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode())


def ok(result: Any) -> Reply:
    """Build a successful Bot-API-style reply."""
    return json_reply(200, {"ok": True, "result": result})


def error_body(code: int, description: str) -> JSON:
    """Build a Bot-API-style error body."""
    return {"ok": False, "error_code": code, "description": description}


def chat_key(value: Any) -> str | None:
    """Return a chat id as text, the form calls and limits are keyed by."""
    return None if value is None or value == "" else str(value)


def load_fixture(relpath: str) -> JSON:
    """Load a body from the wire-format fixtures in tests/fixtures (TINBAO_FIXTURES_DIR overrides)."""
    root = os.environ.get("TINBAO_FIXTURES_DIR")
    base = Path(root) if root else Path(__file__).resolve().parents[1] / "fixtures"
    loaded: JSON = json.loads((base / relpath).read_text("utf-8"))
    return loaded


def parse_params(query: str, content_type: str, data: bytes, decode_form: bool) -> JSON:
    """Parameters from the query string and a form, multipart or JSON body."""
    raw: JSON = dict(parse_qsl(query, keep_blank_values=True))
    ctype = content_type.split(";")[0].strip().lower()
    body: JSON = {}
    if ctype == "application/json" or (not ctype and data.lstrip().startswith(b"{")):
        body = json.loads(data or b"{}")  # JSON values are already typed
        if not isinstance(body, dict):
            raise ValueError("JSON body is not an object")
    elif ctype == "multipart/form-data":
        raw.update(_multipart(content_type, data))
    elif data:
        raw.update(parse_qsl(data.decode(), keep_blank_values=True))
    if decode_form:
        raw = {key: _decode(key, value) for key, value in raw.items()}
    return raw | body


def _decode(key: str, value: Any) -> Any:
    # PTB sends objects, lists, numbers and booleans as JSON text inside form fields.
    if not isinstance(value, str) or key in STRING_KEYS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _multipart(content_type: str, body: bytes) -> JSON:
    # The email parser handles multipart MIME, binary parts included, byte for byte.
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("malformed multipart body")
    fields: JSON = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(data, bytes):
            continue
        filename = part.get_filename()
        fields[name] = (
            data.decode() if filename is None else Upload(filename, part.get_content_type(), data)
        )
    return fields


class SlidingWindow:
    """At most `limit` admitted calls per key within any `window` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = {}

    def wait(self, key: str, now: float) -> float:
        """Seconds until one more call under key fits; 0.0 when it fits now."""
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return 0.0 if len(hits) < self.limit else hits[len(hits) - self.limit] + self.window - now

    def add(self, key: str, now: float) -> None:
        """Count one admitted call."""
        self._hits.setdefault(key, deque()).append(now)


class FakeServer:
    """A real HTTP server on 127.0.0.1 (random port) answering from a background thread."""

    decode_form = True
    blocking_methods: frozenset[str] = frozenset({"getupdates"})

    def __init__(self, token: str) -> None:
        self.token = token
        self.latency = 0.0  # seconds added to every answer
        self.timeout_delay = 10.0  # how long a scripted "timeout" keeps the client waiting
        self.calls: list[Call] = []
        self.violations: list[Violation] = []
        self.internal_errors: list[str] = []  # bugs in the fake itself, not scripted errors
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._scripted: dict[str | None, deque[Any]] = {}
        self._outage: Reply | None = None
        self._listener: _Listener | None = None

    @property
    def url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:PORT."""
        if self._listener is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self._listener.port}"

    def start(self) -> Self:
        """Listen and serve from a background thread."""
        self._stopping.clear()
        self._listener = _Listener(self)
        return self

    def stop(self) -> None:
        """Stop serving: end long polls and delays, close every connection."""
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def sent(self, method: str | None = None, chat_id: int | str | None = None) -> list[Call]:
        """Successful (HTTP 200) calls, optionally of one method and/or chat."""
        chat = chat_key(chat_id)
        with self._lock:
            return [
                c
                for c in self.calls
                if c.status == 200 and method in (None, c.method) and chat in (None, c.chat_id)
            ]

    def reset(self) -> None:
        """Forget calls, violations, limit windows and pending scripted errors."""
        with self._lock:
            self.calls.clear()
            self.violations.clear()
            self.internal_errors.clear()
            self._scripted.clear()
            self._reset_state()

    def go_down(self, how: str = "502") -> None:
        """Answer every request, downloads too, as a platform that is down: "502" (the
        gateway's page), "500" (the API's own error) or "silent" (connection closed unanswered)."""
        replies = {
            "502": Reply(502, b"Bad Gateway", "text/plain"),
            "500": json_reply(500, error_body(500, "Internal Server Error")),
            "silent": Reply(0, b"", silent=True),
        }
        with self._lock:
            self._outage = replies[how]

    def come_back(self) -> None:
        """End an outage begun with go_down()."""
        with self._lock:
            self._outage = None

    def blocks(self, target: str) -> bool:
        """Tell whether a request may block (long polls), so it must run off the loop."""
        return target.partition("?")[0].rsplit("/", 1)[-1].lower() in self.blocking_methods

    def handle(
        self, url: str, content_type: str, data: bytes, at: float
    ) -> tuple[Reply, Call | None]:
        """Answer one request; API calls (/bot{token}/{method}) are recorded."""
        raw_path, _, query = url.partition("?")
        path = unquote(raw_path)  # PTB percent-encodes file paths, ":" of the token included
        with self._lock:
            outage = self._outage
        if outage is not None:
            method = path[4:].partition("/")[2] if path.startswith("/bot") else path
            return outage, self._record(method, {}, None, at)
        if not path.startswith("/bot"):
            return self.serve_path(path), None
        token, _, method = path[4:].partition("/")
        try:
            params = parse_params(query, content_type, data, self.decode_form)
        except ValueError:
            call = self._record(method, {}, None, at)
            return json_reply(400, error_body(400, "Bad Request: can't parse request body")), call
        chat = chat_key(params.get("chat_id"))
        call = self._record(method, params, chat, at)
        try:
            return self.answer(token, method, params, chat, at), call
        except Exception as exc:  # a bug in the fake must fail tests visibly, not hang them
            with self._lock:
                self.internal_errors.append(f"{method}: {exc!r}")
            return json_reply(500, error_body(500, f"Internal Server Error (fake): {exc!r}")), call

    def answer(self, token: str, method: str, params: JSON, chat: str | None, at: float) -> Reply:
        """Answer an API call (subclasses)."""
        raise NotImplementedError

    def serve_path(self, path: str) -> Reply:
        """Answer a non-API path such as a file download (subclasses)."""
        return Reply(404, b"Not Found", "text/plain")

    def _reset_state(self) -> None:
        """Reset subclass bookkeeping such as limit windows (called under the lock)."""

    def _record(self, method: str, params: JSON, chat: str | None, at: float) -> Call:
        call = Call(method, params, chat, at)
        with self._lock:
            self.calls.append(call)  # arrival order; the status is filled in when answered
        return call

    def _script(self, chat: str | None, item: Any, times: int) -> None:
        with self._lock:
            self._scripted.setdefault(chat, deque()).extend([item] * times)

    def _take_script(self, chat: str | None) -> Any:
        # A reply scripted for this chat wins over one scripted for any chat (None).
        for key in dict.fromkeys((chat, None)):
            queue = self._scripted.get(key)
            if queue:
                return queue.popleft()
        return None

    def _limited(
        self, rules: list[tuple[str, SlidingWindow, str]], chat: str | None, at: float
    ) -> float:
        """Admit a call under every rule, or record violations and return the wait in seconds."""
        # Rejected calls are not counted, so the wait tells exactly when the window frees.
        broken = [(kind, wait) for kind, rule, key in rules if (wait := rule.wait(key, at)) > 0]
        if not broken:
            for _, rule, key in rules:
                rule.add(key, at)
            return 0.0
        self.violations.extend((kind, chat, at) for kind, _ in broken)
        return max(wait for _, wait in broken)


class _Listener:
    """An asyncio HTTP/1.1 server on 127.0.0.1 (random port) running in its own thread."""

    # One loop thread instead of a thread per connection: in-process clients then hand the GIL
    # over far less often, which made the fake about three times faster under PTB and httpx.

    def __init__(self, fake: FakeServer) -> None:
        self.fake = fake
        self.loop = asyncio.new_event_loop()
        self.pool = ThreadPoolExecutor(32, thread_name_prefix="fake-long-poll")
        self.open: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}
        self.port = 0
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        if not ready.wait(5):
            raise RuntimeError("the fake server did not start")

    def _run(self, ready: threading.Event) -> None:
        # Set up inside the thread: the caller may be a test whose own loop is running.
        asyncio.set_event_loop(self.loop)
        self.stopped = asyncio.Event()
        start = asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=256)
        self.server = self.loop.run_until_complete(start)
        self.port = self.server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    def close(self) -> None:
        """Close the listener and every connection, then end the loop thread."""
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(5)
        self.pool.shutdown(wait=True, cancel_futures=True)  # long polls see fake._stopping
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    async def _shutdown(self) -> None:
        # Close rather than cancel: Python 3.11's streams log an error for a cancelled handler.
        self.server.close()
        self.stopped.set()
        for writer in self.open.values():
            writer.close()
        if self.open:
            await asyncio.wait(self.open, timeout=2)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.open[task] = writer
        try:
            while await self._exchange(reader, writer):
                pass
        except _HUNG_UP:
            pass  # the client hung up, or sent something that is not HTTP/1.1
        except Exception as exc:  # a bug in the fake: make it visible to the tests
            self.fake.internal_errors.append(f"HTTP layer: {exc!r}")
        finally:
            self.open.pop(task, None)  # type: ignore[arg-type]
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()  # closed now, not at garbage collection (warnings)

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; return whether the connection stays open."""
        head = await reader.readuntil(b"\r\n\r\n")
        at = time.monotonic()  # limits are measured by the time the server receives a request
        request_line, *lines = head.decode("latin-1").split("\r\n")
        _, target, version = request_line.split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
        body = await reader.readexactly(int(headers.get("content-length") or 0))
        fake, args = self.fake, (target, headers.get("content-type", ""), body, at)
        if fake.blocks(target):  # long polls wait on a condition: keep them off the loop
            reply, call = await self.loop.run_in_executor(self.pool, fake.handle, *args)
        else:
            reply, call = fake.handle(*args)
        if not await self._pause(fake.latency + reply.delay) or reply.silent:
            return False
        if reader.at_eof() and reply.on_lost is not None:  # e.g. a long poll given up
            reply.on_lost()
            return False
        if call is not None:
            call.status = reply.status  # before writing: the client may look as soon as it reads
        phrase = HTTPStatus(reply.status).phrase if reply.status in _STATUSES else "Unknown"
        writer.write(
            f"HTTP/1.1 {reply.status} {phrase}\r\nContent-Type: {reply.content_type}\r\n"
            f"Content-Length: {len(reply.body)}\r\n\r\n".encode()
            + reply.body
        )
        await writer.drain()
        return version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"

    async def _pause(self, seconds: float) -> bool:
        """Wait unless the server stops meanwhile; return whether the full time passed."""
        if seconds <= 0:
            return not self.stopped.is_set()
        try:
            await asyncio.wait_for(self.stopped.wait(), seconds)
        except TimeoutError:
            return True
        return False
