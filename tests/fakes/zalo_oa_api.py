"""FakeZaloOa: a local Zalo OA Open API and OAuth server speaking the real wire format, for tests."""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl

from ._server import JSON, load_fixture
from .zalo_oa_groups import (
    GET_PATHS,
    GROUP_ERRORS,
    GROUP_SEND_PATH,
    OaGroup,
    answer_get,
    group_of,
    send_group,
)

# FakeServer's machinery hands subclasses no request headers, and the OA API authenticates by
# header (access_token, secret_key): hence this small server of its own.

APP_ID: str = load_fixture("zalo/oa_test_keys.json")["app_id"]
APP_SECRET = "oa-app-secret-for-tests"
REFRESH_TOKEN = "oa-refresh-token-0-for-tests"
SEND_PATH = "/v3.0/oa/message/cs"
OAUTH_PATH = "/v4/oa/access_token"
# Send errors as Zalo answers them: HTTP 200 with a non-zero `error`.
SEND_ERRORS: dict[str, tuple[int, str]] = {
    "-216": (-216, "Access token is invalid"),
    "-220": (-220, "Access token has expired"),
    "-32": (-32, "Request exceeded the rate limit of the app"),
    "-230": (-230, "User has not interacted with the OA in the last 7 days"),
    "-232": (-232, "User has not interacted with the OA in the last 7 days"),
    "-213": (-213, "User has not followed the OA"),
    "-201": (-201, "Parameters are invalid"),
}
ERRORS = frozenset([*SEND_ERRORS, *GROUP_ERRORS, "500", "timeout"])
WINDOW_MS = 7 * 86_400_000  # consultation messages reach only who wrote within 7 days
REFRESH_ERRORS = frozenset({"oauth", "500", "timeout"})


def oauth_error(reason: str, code: int = -14014) -> JSON:
    """An OAuth refusal as Zalo words it (the numeric codes are not documented: a guess)."""
    return {
        "error": code,
        "error_name": "Invalid parameter",
        "error_reason": reason,
        "error_description": f"{reason}. Please check your parameters.",
    }


@dataclass
class OaCall:
    """One request as the fake received it."""

    path: str
    params: JSON  # the JSON body of a send, the form of a refresh
    token: str | None  # the access_token header of a send, the refresh_token of a refresh
    user_id: str | None
    at: float  # time.monotonic() when received
    status: int = 0  # 0 while unanswered, and for good when the fake never answered
    error: int = 0  # Zalo's `error` in the answer


class FakeZaloOa:
    """Fake openapi.zalo.me (message/cs, GMF groups) and oauth.zaloapp.com at one root."""

    def __init__(
        self,
        *,
        app_id: str = APP_ID,
        app_secret: str = APP_SECRET,
        refresh_token: str = REFRESH_TOKEN,
        expires_in: int = 90000,
    ) -> None:
        self.app_id, self.app_secret, self.expires_in = app_id, app_secret, expires_in
        self.timeout_delay = 10.0  # how long a scripted "timeout" keeps the client waiting
        self.calls: list[OaCall] = []
        self.access_tokens: list[str] = []  # issued, oldest first
        self.refresh_tokens: list[str] = [refresh_token]  # the configured one, then issued
        self.internal_errors: list[str] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._live_refresh = {refresh_token}  # single use: spent once traded
        self._access: dict[str, str] = {}  # token -> "valid", "expired" or "revoked"
        self._scripted: dict[str | None, deque[tuple[str, float | None]]] = {}
        self._refresh_scripted: deque[str] = deque()
        self._server: ThreadingHTTPServer | None = None
        self.groups: dict[str, OaGroup] = {}
        # Who wrote to the OA when (ms): with `enforce_window`, sends to others answer -230.
        self.last_message: dict[str, int] = {}
        self.enforce_window = False

    @property
    def url(self) -> str:
        """Root URL of both APIs, e.g. http://127.0.0.1:PORT."""
        if self._server is None:
            raise RuntimeError("FakeZaloOa is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        """Listen on a random loopback port and serve from background threads."""
        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving; scripted timeouts end at once."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def sent(self, user_id: str | None = None) -> list[OaCall]:
        """Messages delivered (error 0), optionally to one person."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.path == SEND_PATH and c.status == 200 and c.error == 0
                if user_id in (None, c.user_id)
            ]

    def sent_to_group(self, group_id: str | None = None) -> list[OaCall]:
        """Group messages delivered (error 0), optionally into one group."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.path == GROUP_SEND_PATH and c.status == 200 and c.error == 0
                if group_id in (None, c.user_id)
            ]

    def group_texts(self, group_id: str) -> list[str]:
        """Texts the OA wrote into a group, in order."""
        return [str(c.params["message"]["text"]) for c in self.sent_to_group(group_id)]

    def texts_to(self, user_id: str) -> list[str]:
        """Texts the OA wrote to a person, in order."""
        return [str(c.params["message"]["text"]) for c in self.sent(user_id)]

    def add_group(self, group_id: str, name: str, **details: Any) -> OaGroup:
        """A GMF group of the OA (members, max_member, expires_at in ms, total_member)."""
        with self._lock:
            group = self.groups[group_id] = OaGroup(group_id, name, **details)
            return group

    def user_wrote(self, user_id: str, *, days_ago: float = 0.0) -> None:
        """Record that the person wrote to the OA (opening Zalo's 7-day window)."""
        with self._lock:
            self.last_message[user_id] = _ms() - int(days_ago * 86_400_000)

    def refreshes(self) -> list[OaCall]:
        """Every token refresh asked for, answered or not."""
        with self._lock:
            return [c for c in self.calls if c.path == OAUTH_PATH]

    def fail_next(
        self, error: str, times: int = 1, *, user_id: str | None = None, delay: float | None = None
    ) -> None:
        """Answer the next `times` sends (to user_id, or to anyone) with a named error."""
        if error not in ERRORS:
            raise ValueError(f"unknown Zalo OA error {error!r}; expected one of {sorted(ERRORS)}")
        with self._lock:
            self._scripted.setdefault(user_id, deque()).extend([(error, delay)] * times)

    def fail_next_refresh(self, error: str, times: int = 1) -> None:
        """Answer the next `times` refreshes with "oauth" (HTTP 200 refusal), "500" or "timeout"."""
        if error not in REFRESH_ERRORS:
            raise ValueError(f"unknown refresh error {error!r}; one of {sorted(REFRESH_ERRORS)}")
        with self._lock:
            self._refresh_scripted.extend([error] * times)

    def expire_access_token(self) -> None:
        """Expire every access token issued so far: sends with them answer -220."""
        with self._lock:
            for token in self._access:
                self._access[token] = "expired"

    def answer(self, path: str, headers: dict[str, str], data: bytes) -> tuple[int, bytes, float]:
        """(HTTP status, JSON body, seconds of silence before closing: then no answer)."""
        call = OaCall(path, {}, None, None, time.monotonic())
        with self._lock:
            self.calls.append(call)
            try:
                if path in (SEND_PATH, GROUP_SEND_PATH):
                    status, body, silence = self._send(call, headers, data)
                elif path == OAUTH_PATH:
                    status, body, silence = self._refresh(call, headers, data)
                else:
                    status, body, silence = 404, {"error": 404, "message": "Not Found"}, 0.0
            except Exception as exc:  # a bug in the fake must fail tests visibly
                self.internal_errors.append(f"{path}: {exc!r}")
                status, body, silence = 500, {"error": -1, "message": repr(exc)}, 0.0
            if not silence:
                call.status, call.error = status, int(str(body.get("error") or 0))
        return status, json.dumps(body, ensure_ascii=False).encode(), silence

    def _send(self, call: OaCall, headers: dict[str, str], data: bytes) -> tuple[int, JSON, float]:
        token = call.token = headers.get("access_token")
        try:
            call.params = json.loads(data or b"{}")
        except ValueError:
            return 200, _error("-201"), 0.0
        recipient = call.params.get("recipient")
        call.user_id = str(recipient.get("user_id")) if isinstance(recipient, dict) else None
        if call.path == GROUP_SEND_PATH:
            call.user_id = group_of(call.params)  # the group, for scripting and reading
        state = self._access.get(token or "", "revoked")
        if state != "valid":
            return 200, _error("-220" if state == "expired" else "-216"), 0.0
        scripted = self._take(call.user_id)
        if scripted is not None:
            name, delay = scripted
            if name == "timeout":
                return 0, {}, self.timeout_delay if delay is None else delay
            if name == "500":
                return 500, {"error": -500, "message": "Internal Server Error"}, 0.0
            if name in ("-216", "-220"):  # the token really stops working
                self._access[token or ""] = "revoked" if name == "-216" else "expired"
            return 200, _error(name), 0.0
        if call.path == GROUP_SEND_PATH:
            return 200, send_group(self.groups, call.params), 0.0
        if self.enforce_window and call.user_id is not None:
            wrote = self.last_message.get(call.user_id)
            if wrote is None or _ms() - wrote > WINDOW_MS:
                return 200, _error("-230"), 0.0
        message = call.params.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        if not call.user_id or not isinstance(text, str) or not 1 <= len(text) <= 2000:
            return 200, _error("-201"), 0.0
        data_ = {"message_id": uuid.uuid4().hex, "user_id": call.user_id, "sent_time": _ms()}
        return 200, {"data": data_, "error": 0, "message": "Success"}, 0.0

    def answer_get(self, path: str, headers: dict[str, str], query: str) -> tuple[int, bytes]:
        """(HTTP status, JSON body) of a GMF read, authenticated by the access_token header."""
        call = OaCall(path, dict(parse_qsl(query)), headers.get("access_token"), None, _now())
        with self._lock:
            self.calls.append(call)
            call.user_id = call.params.get("group_id")
            if path not in GET_PATHS:
                status, body = 404, {"error": 404, "message": "Not Found"}
            elif self._access.get(call.token or "", "revoked") != "valid":
                state = self._access.get(call.token or "")
                status, body = 200, _error("-220" if state == "expired" else "-216")
            else:
                status, body = 200, answer_get(self.groups, path, call.params)
            call.status, call.error = status, int(str(body.get("error") or 0))
        return status, json.dumps(body, ensure_ascii=False).encode()

    def _refresh(
        self, call: OaCall, headers: dict[str, str], data: bytes
    ) -> tuple[int, JSON, float]:
        call.params = dict(parse_qsl(data.decode(), keep_blank_values=True))
        used = call.token = call.params.get("refresh_token")
        if self._refresh_scripted:
            name = self._refresh_scripted.popleft()
            if name == "timeout":
                return 0, {}, self.timeout_delay
            if name == "500":
                return 500, {"error": -500, "message": "Internal Server Error"}, 0.0
            return 200, oauth_error("Invalid refresh token"), 0.0
        if headers.get("secret_key") != self.app_secret:
            return 200, oauth_error("Invalid secret key", -14002), 0.0
        if call.params.get("app_id") != self.app_id:
            return 200, oauth_error("Invalid app id", -14001), 0.0
        if call.params.get("grant_type") != "refresh_token":
            return 200, oauth_error("Invalid grant type", -14003), 0.0
        if used not in self._live_refresh:  # unknown, or spent already: single use
            return 200, oauth_error("Invalid refresh token"), 0.0
        self._live_refresh.discard(used)
        n = len(self.access_tokens) + 1
        access, refresh = (
            f"oa-access-{n}-{secrets.token_hex(8)}",
            f"oa-refresh-{n}-{secrets.token_hex(8)}",
        )
        self._access[access] = "valid"
        self._live_refresh.add(refresh)
        self.access_tokens.append(access)
        self.refresh_tokens.append(refresh)
        body = {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": str(self.expires_in),
        }
        return 200, body, 0.0

    def _take(self, user_id: str | None) -> tuple[str, float | None] | None:
        # An error scripted for this person wins over one scripted for anyone (None).
        for key in dict.fromkeys((user_id, None)):
            queue = self._scripted.get(key)
            if queue:
                return queue.popleft()
        return None


def _error(name: str) -> JSON:
    code, message = SEND_ERRORS.get(name) or GROUP_ERRORS[name]
    return {"error": code, "message": message}


def _now() -> float:
    return time.monotonic()


def _ms() -> int:
    return int(time.time() * 1000)


def _handler(fake: FakeZaloOa) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects

        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, silence = fake.answer(self.path.partition("?")[0], headers, data)
            if silence:  # a scripted timeout: hold the line, then hang up without answering
                fake._stopping.wait(silence)
                self.close_connection = True
                return
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body = fake.answer_get(path, headers, query)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet: tests read the recorded calls instead."""

    return Handler
