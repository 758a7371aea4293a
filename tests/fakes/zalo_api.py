"""FakeZalo: a local Zalo Bot Platform API server speaking the real wire format, for tests."""

from __future__ import annotations

import time
import uuid
from collections import deque

from ._server import (
    JSON,
    FakeServer,
    Reply,
    SlidingWindow,
    error_body,
    json_reply,
    load_fixture,
    ok,
)

BOT_INFO: JSON = {
    "id": "1459232241454765289",
    "account_name": "bot.tinbao",
    "account_type": "BASIC",
    "can_join_groups": False,
}
# Error bodies come from the shared wire-format fixtures where one exists.
_FIXTURES = {"429": "bot_api_error_429.json", "401": "bot_api_error_401.json"}
_BUILTIN = {
    "403": error_body(403, "Forbidden: user blocked the bot"),
    "404_chat": error_body(400, "Bad Request: chat not found"),
    "500": error_body(500, "Internal Server Error"),
}
ERRORS = frozenset([*_FIXTURES, *_BUILTIN, "timeout"])
_METHOD_NAMES = "getMe getUpdates setWebhook deleteWebhook getWebhookInfo sendMessage sendPhoto"
_METHODS = frozenset([*_METHOD_NAMES.split(), "sendSticker", "sendChatAction"])  # case-sensitive
_POLL_TIMEOUT = error_body(408, "Request timeout")  # an empty long poll ends with 408
# Zalo documents that getUpdates fails while a webhook is set, not with which code: 409 is a guess.
_WEBHOOK_CONFLICT = error_body(409, "Conflict: webhook is active, use deleteWebhook first")


def _now_ms() -> int:
    return int(time.time() * 1000)


class FakeZalo(FakeServer):
    """Fake Zalo Bot API at /bot{token}/{method}; media bytes at /media/{name}."""

    decode_form = False  # Zalo parameters are strings (ids are long digit strings)

    def __init__(
        self,
        token: str = "zalo-test-token",
        *,
        max_per_sec: int | None = None,
        per_chat_per_sec: int | None = None,
    ) -> None:
        super().__init__(token)
        self.max_per_sec = max_per_sec  # None: no limit (Zalo publishes none)
        self.per_chat_per_sec = per_chat_per_sec
        self.errors_with_http_200 = False  # Zalo sometimes answers errors as HTTP 200 with ok:false
        self.bot_info = dict(BOT_INFO)
        self.webhook: JSON | None = None  # url, secret_token, updated_at
        self._updates: deque[JSON] = deque()
        self._media: dict[str, tuple[bytes, str]] = {}
        self._reset_state()

    def _reset_state(self) -> None:
        self._windows = (SlidingWindow(0, 1.0), SlidingWindow(0, 1.0))

    def fail_next(
        self, chat_id: int | str | None, error: str, times: int = 1, *, delay: float | None = None
    ) -> None:
        """Answer the next `times` calls for chat_id (None: any call) with a named error."""
        if error not in ERRORS:
            raise ValueError(f"unknown Zalo error {error!r}; expected one of {sorted(ERRORS)}")
        self._script(None if chat_id is None else str(chat_id), (error, delay), times)

    def error_reply(self, name: str, delay: float | None = None) -> Reply:
        """Build Zalo's answer for a named error (one of ERRORS)."""
        if name == "timeout":
            return Reply(0, b"", delay=self.timeout_delay if delay is None else delay, silent=True)
        return self._error(
            load_fixture(f"zalo/{_FIXTURES[name]}") if name in _FIXTURES else dict(_BUILTIN[name])
        )

    def queue_update(self, update: JSON) -> JSON:
        """Queue an event for getUpdates (a webhook-style {ok, result} body is unwrapped)."""
        event: JSON = update["result"] if "result" in update and "ok" in update else dict(update)
        with self._changed:
            self._updates.append(event)
            self._changed.notify_all()
        return event

    def add_media(self, name: str, data: bytes, content_type: str = "image/jpeg") -> str:
        """Serve data at /media/{name} and return its full URL (e.g. for a photo_url)."""
        with self._lock:
            self._media[name] = (data, content_type)
        return f"{self.url}/media/{name}"

    def serve_path(self, path: str) -> Reply:
        """Serve bytes added with add_media."""
        with self._lock:
            found = self._media.get(path.removeprefix("/media/"), None)
        if found is None or not path.startswith("/media/"):
            return Reply(404, b"Not Found", "text/plain")
        return Reply(200, *found)

    def answer(self, token: str, method: str, params: JSON, chat: str | None, at: float) -> Reply:
        """Check token, limits and scripted errors, then run the method."""
        if token != self.token:
            return self.error_reply("401")
        if method not in _METHODS:
            return self._error(error_body(404, "Not Found"))
        with self._lock:
            refused = self._gate(method, chat, at)
        if refused is not None:
            return refused
        if method.startswith("send") and not chat:
            return self._bad("chat_id is required")
        reply: Reply = getattr(self, f"_api_{method.lower()}")(params, chat or "")
        return reply

    def _gate(self, method: str, chat: str | None, at: float) -> Reply | None:
        """Refuse a call over a configured rate limit or scripted to fail."""
        overall, per_chat = self._windows
        rules = []
        if method.startswith("send") and self.max_per_sec is not None:
            overall.limit = self.max_per_sec  # read at call time: tests may change it between calls
            rules.append(("overall", overall, "*"))
        if method.startswith("send") and self.per_chat_per_sec is not None and chat is not None:
            per_chat.limit = self.per_chat_per_sec
            rules.append(("chat", per_chat, chat))
        if rules and self._limited(rules, chat, at):
            return self.error_reply("429")  # Zalo's 429 carries no retry_after
        scripted: tuple[str, float | None] | None = self._take_script(chat)
        return None if scripted is None else self.error_reply(*scripted)

    def _error(self, body: JSON) -> Reply:
        return json_reply(200 if self.errors_with_http_200 else body["error_code"], body)

    def _bad(self, description: str) -> Reply:
        return self._error(error_body(400, f"Bad Request: {description}"))

    def _api_getme(self, params: JSON, chat: str) -> Reply:
        return ok(self.bot_info)

    def _api_sendmessage(self, params: JSON, chat: str) -> Reply:
        text = str(params.get("text") or "")
        if not text:
            return self._bad("text is empty")
        return self._bad("text too long") if len(text) > 2000 else self._message_sent()

    def _api_sendphoto(self, params: JSON, chat: str) -> Reply:
        if not params.get("photo"):
            return self._bad("photo is required")
        if len(str(params.get("caption") or "")) > 2000:
            return self._bad("caption too long")
        return self._message_sent()

    def _api_sendsticker(self, params: JSON, chat: str) -> Reply:
        return self._message_sent() if params.get("sticker") else self._bad("sticker is required")

    def _api_sendchataction(self, params: JSON, chat: str) -> Reply:
        if params.get("action") not in ("typing", "upload_photo"):
            return self._bad("action is invalid")
        return json_reply(200, {"ok": True})  # documented answer: no result field

    def _message_sent(self) -> Reply:
        return ok({"message_id": uuid.uuid4().hex[:20], "date": _now_ms()})

    def _api_setwebhook(self, params: JSON, chat: str) -> Reply:
        url, secret = str(params.get("url") or ""), str(params.get("secret_token") or "")
        if not url:
            return self._bad("url is required")
        if not 8 <= len(secret) <= 256:
            return self._bad("secret_token must be 8-256 characters")
        with self._lock:
            self.webhook = {"url": url, "secret_token": secret, "updated_at": _now_ms()}
        return ok({"url": url, "updated_at": self.webhook["updated_at"]})

    def _api_deletewebhook(self, params: JSON, chat: str) -> Reply:
        with self._lock:
            self.webhook = None
        return ok({"url": "", "updated_at": _now_ms()})

    def _api_getwebhookinfo(self, params: JSON, chat: str) -> Reply:
        hook = self.webhook or {"url": "", "updated_at": _now_ms()}
        return ok({"url": hook["url"], "updated_at": hook["updated_at"]})

    def _api_getupdates(self, params: JSON, chat: str) -> Reply:
        """Return one queued event, waiting up to `timeout` seconds (30 by default, like Zalo)."""
        deadline = time.monotonic() + float(params.get("timeout") or 30)
        with self._changed:
            if self.webhook is not None:
                return self._error(_WEBHOOK_CONFLICT)
            while not self._updates:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping.is_set():
                    return self._error(_POLL_TIMEOUT)
                self._changed.wait(remaining)
            event = self._updates.popleft()
        reply = ok(event)
        # Zalo hands out each event once: keep it if the poller left before the answer.
        reply.on_lost = lambda: self._requeue(event)
        return reply

    def _requeue(self, event: JSON) -> None:
        with self._changed:
            self._updates.appendleft(event)
            self._changed.notify_all()
