"""FakeTelegram: a local Telegram Bot API server speaking the real wire format, for tests."""

from __future__ import annotations

import math
import re
import time
from pathlib import PurePath
from typing import Any

from ._server import (
    JSON,
    FakeServer,
    Reply,
    SlidingWindow,
    Upload,
    chat_key,
    error_body,
    json_reply,
    load_fixture,
    ok,
)

BOT_ID = 7000000001
BOT_USER: JSON = dict(id=BOT_ID, is_bot=True, first_name="Tin báo", username="tinbao_demo_bot")
_BOT_FLAGS = (
    "can_read_all_group_messages supports_inline_queries can_connect_to_business has_main_web_app"
)
GET_ME: JSON = BOT_USER | {"can_join_groups": True} | dict.fromkeys(_BOT_FLAGS.split(), False)
# Error bodies come from the shared wire-format fixtures where one exists.
_FIXTURES = {
    "429": "api_error_429.json",
    "403_blocked": "api_error_403_blocked.json",
    "403_kicked": "api_error_403_kicked.json",
    "400_chat_not_found": "api_error_400_chat_not_found.json",
    "400_migrated": "api_error_400_migrated.json",
    "400_not_modified": "api_error_400_message_not_modified.json",
}
_BUILTIN = {
    "403_cant_initiate": error_body(403, "Forbidden: bot can't initiate conversation with a user"),
    "400_cant_edit": error_body(400, "Bad Request: message can't be edited"),
    "500": error_body(500, "Internal Server Error"),
}
ERRORS = frozenset([*_FIXTURES, *_BUILTIN, "502", "timeout"])
_WEBHOOK_CONFLICT = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
_POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
# Fields PTB requires for each ChatMember status, and for ChatFullInfo beyond Chat.
_ADMIN = (
    "manage_chat delete_messages manage_video_chats restrict_members change_info invite_users "
    "pin_messages post_stories edit_stories delete_stories"
)
_SEND = "messages polls other_messages audios documents photos videos video_notes voice_notes"
_RESTRICTED = (
    "change_info invite_users pin_messages add_web_page_previews manage_topics edit_tag "
    "react_to_messages"
)
_MEMBER_FIELDS: dict[str, JSON] = {
    "creator": {"is_anonymous": False},
    "administrator": {"can_be_edited": False, "is_anonymous": False, "can_promote_members": False}
    | {f"can_{right}": True for right in _ADMIN.split()},
    "restricted": {"is_member": True, "until_date": 0}
    | {
        f"can_{right}": False
        for right in _RESTRICTED.split() + [f"send_{kind}" for kind in _SEND.split()]
    },
    "kicked": {"until_date": 0},
}
_GIFTS = "unlimited_gifts limited_gifts unique_gifts premium_subscription gifts_from_channels"
_FULL_INFO: JSON = {
    "accent_color_id": 0,
    "max_reaction_count": 11,
    "accepted_gift_types": dict.fromkeys(_GIFTS.split(), False),
}
_MEDIA_FIELDS: dict[str, JSON] = {
    "photo": {"width": 1280, "height": 960},
    "video": {"width": 640, "height": 360, "duration": 1},
    "voice": {"duration": 1, "mime_type": "audio/ogg"},
    "audio": {"duration": 1},
    "document": {},
}
_CONTENT = ("text", "caption", "photo", "document", "video", "voice", "audio", "location")


def error_reply(
    name: str, retry_after: int | None = None, migrate_to: int | None = None, delay: float = 10.0
) -> Reply:
    """Build Telegram's answer for a named error (one of ERRORS)."""
    if name == "502":
        # What the nginx in front of the Bot API answers.
        return Reply(502, b"Bad Gateway", "text/plain")
    if name == "timeout":
        return Reply(0, b"", delay=delay, silent=True)
    if name not in ERRORS:
        raise ValueError(f"unknown Telegram error {name!r}; expected one of {sorted(ERRORS)}")
    body = dict(_BUILTIN[name]) if name in _BUILTIN else load_fixture(f"telegram/{_FIXTURES[name]}")
    if name == "429" and retry_after is not None:
        body |= {
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after},
        }
    if name == "400_migrated" and migrate_to is not None:
        body["parameters"] = {"migrate_to_chat_id": migrate_to}
    return json_reply(body["error_code"], body)


def _bad(description: str) -> Reply:
    return json_reply(400, error_body(400, f"Bad Request: {description}"))


def _markup(params: JSON) -> JSON:
    # The returned Message carries only inline keyboards.
    markup = params.get("reply_markup")
    inline = isinstance(markup, dict) and "inline_keyboard" in markup
    return {"reply_markup": markup} if inline else {}


def _now() -> int:
    return int(time.time())


def _keys(chat: str) -> list[int | str]:
    # Tests may key members, bot_status and chats by int or by text chat id.
    return [int(chat), chat] if chat.lstrip("-").isdigit() else [chat]


class FakeTelegram(FakeServer):
    """Fake Bot API at /bot{token}/{method}; files at /file/bot{token}/{file_path}."""

    def __init__(
        self,
        token: str = "123:TEST",
        limits: bool = True,
        *,
        overall_per_sec: int = 30,
        group_per_min: int = 20,
        private_per_sec: int = 1,
        private_burst: int = 3,
    ) -> None:
        super().__init__(token)
        self.limits = limits
        # A private chat may take `private_burst` messages within any second (1/s nominal).
        self._limits = (overall_per_sec, group_per_min, max(private_per_sec, private_burst))
        self.members: dict[tuple[int | str, int], str] = {}  # (chat_id, user_id) -> status
        self.bot_status: dict[int | str, str] = {}  # chat_id -> the bot's own status
        self.chats: dict[int | str, JSON] = {}  # chat_id -> Chat object replacing the derived one
        self.member_counts: dict[int | str, int] = {}  # chat_id -> getChatMemberCount's answer
        self.messages: dict[tuple[str, int], JSON] = {}  # (chat_id, message_id) -> Message
        self.webhook: JSON | None = None  # url, secret_token, allowed_updates, max_connections
        self.blocked: set[str] = set()
        self.migrated: dict[str, int] = {}
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, bytes)
        self._updates: list[JSON] = []
        self._last_update_id = self._polls = self._serial = 0
        self._next_message_id: dict[str, int] = {}
        self._reset_state()

    def _reset_state(self) -> None:
        overall, group, private = self._limits
        self._windows = (
            SlidingWindow(overall, 1.0),
            SlidingWindow(group, 60.0),
            SlidingWindow(private, 1.0),
        )

    def fail_next(
        self,
        chat_id: int | str | None,
        error: str,
        times: int = 1,
        *,
        retry_after: int | None = None,
        migrate_to: int | None = None,
        delay: float | None = None,
    ) -> None:
        """Answer the next `times` calls for chat_id (None: any call) with a named error."""
        reply = error_reply(
            error, retry_after, migrate_to, self.timeout_delay if delay is None else delay
        )
        self._script(chat_key(chat_id), reply, times)

    def block_chat(self, chat_id: int | str) -> None:
        """Answer later sends to chat_id with 403 (blocked by the user; kicked for groups)."""
        with self._lock:
            self.blocked.add(str(chat_id))

    def migrate_chat(self, old: int | str, new: int) -> None:
        """Answer later calls for the old group with 400 migrated to `new`."""
        with self._lock:
            self.migrated[str(old)] = new

    def queue_update(self, update: JSON) -> JSON:
        """Queue an update for getUpdates (update_id assigned when missing) and return it."""
        with self._changed:
            item = {"update_id": self._last_update_id + 1} | update
            self._last_update_id = max(self._last_update_id, int(item["update_id"]))
            self._updates.append(item)
            self._changed.notify_all()
        return item

    def add_file(self, file_id: str, data: bytes, path: str = "photos/file_1.jpg") -> None:
        """Serve data for getFile(file_id) and at /file/bot{token}/{path}."""
        with self._lock:
            self._files[file_id] = (path, data)

    def chat_object(self, chat: str) -> JSON:
        """Return the Chat object for a chat id: from self.chats, else derived from the id."""
        for key in _keys(chat):
            if key in self.chats:
                return dict(self.chats[key])
        if not chat.lstrip("-").isdigit():  # an @channelusername
            return {"id": -1009999999999, "type": "channel", "title": chat, "username": chat[1:]}
        if (cid := int(chat)) > 0:
            return {"id": cid, "type": "private", "first_name": f"User {cid}"}
        kind = "supergroup" if chat.startswith("-100") else "group"
        return {"id": cid, "type": kind, "title": f"Group {cid}"}

    def member(self, chat: str, user_id: int) -> JSON:
        """Return the ChatMember of a user (self.members) or of the bot (self.bot_status)."""
        if user_id == BOT_ID:
            found = [self.bot_status[k] for k in _keys(chat) if k in self.bot_status]
            status, user = (found or ["administrator"])[0], BOT_USER
        else:
            found = [self.members[k, user_id] for k in _keys(chat) if (k, user_id) in self.members]
            status = (found or ["member"])[0]
            user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        return {"status": status, "user": user} | _MEMBER_FIELDS.get(status, {})

    def answer(self, token: str, method: str, params: JSON, chat: str | None, at: float) -> Reply:
        """Check token, limits and scripted errors, then run the method."""
        if token != self.token:
            return json_reply(401, error_body(401, "Unauthorized"))
        name = method.lower()  # Telegram matches method names case-insensitively
        handler = getattr(self, f"_api_{name}", None)
        if handler is None:
            return json_reply(404, error_body(404, "Not Found: method not found"))
        with self._lock:
            refused = self._gate(name, chat, at)
        if refused is not None:
            return refused
        inline = "inline_message_id" in params  # edits of inline messages need no chat_id
        if chat is None and name.startswith(("send", "copy", "edit")) and not inline:
            return _bad("chat_id is empty")
        reply: Reply = handler(params, chat or "", name)
        return reply

    def serve_path(self, path: str) -> Reply:
        """Serve downloads of files added with add_file or uploaded."""
        prefix = f"/file/bot{self.token}/"
        with self._lock:
            files = dict(self._files.values())
        data = files.get(path.removeprefix(prefix)) if path.startswith(prefix) else None
        if data is None:
            return json_reply(404, error_body(404, "Not Found"))
        return Reply(200, data, "application/octet-stream")

    def _gate(self, name: str, chat: str | None, at: float) -> Reply | None:
        """Refuse a call over a rate limit, scripted to fail, or to a blocked or migrated chat."""
        sending = name.startswith(("send", "copy", "edit"))
        if self.limits and sending and name != "sendchataction":  # chat actions are not messages
            overall, group, private = self._windows
            rules = [("overall", overall, "*")]
            if chat is not None:
                rules.append(
                    ("private", private, chat) if chat.isdigit() else ("group", group, chat)
                )
            if wait := self._limited(rules, chat, at):
                return error_reply("429", retry_after=max(1, math.ceil(wait)))
        scripted: Reply | None = self._take_script(chat)
        if scripted is not None:
            return scripted
        if chat in self.migrated:
            return error_reply("400_migrated", migrate_to=self.migrated[chat])
        if sending and chat in self.blocked:
            return error_reply("403_blocked" if chat.isdigit() else "403_kicked")
        return None

    def _bare_message(self, chat: str, message_id: int) -> JSON:
        chat_object = self.chat_object(chat)
        return {"message_id": message_id, "from": BOT_USER, "chat": chat_object, "date": _now()}

    def _new_message(self, chat: str, content: JSON) -> JSON:
        with self._lock:
            number = self._next_message_id[chat] = self._next_message_id.get(chat, 0) + 1
            message = self.messages[(chat, number)] = self._bare_message(chat, number) | content
        return message

    def _media(self, kind: str, value: Any) -> Any:
        """Return the file object (PhotoSize list for a photo) for an upload, file_id or URL."""
        with self._lock:
            self._serial += 1
            known = self._files.get(value) if isinstance(value, str) else None
            file_id = value if known else f"FAKE-{kind}-{self._serial}"
            if isinstance(value, Upload):  # uploads become downloadable, as on Telegram
                path = f"{kind}s/file_{self._serial}{PurePath(value.filename).suffix}"
                self._files[file_id] = known = (path, value.data)
        info = {"file_id": file_id, "file_unique_id": f"U{file_id}"} | _MEDIA_FIELDS[kind]
        info |= {"file_size": len(known[1])} if known else {}
        if kind == "document" and isinstance(value, Upload):
            info |= {"file_name": value.filename, "mime_type": value.content_type}
        return [info | {"width": 90, "height": 67}, info] if kind == "photo" else info

    def _invalid(self, params: JSON, text: str | None = None) -> Reply | None:
        """Refuse texts, captions and button data that Telegram refuses."""
        if text is not None and not text.strip():
            return _bad("message text is empty")
        if text is not None and len(text) > 4096:
            return _bad("message is too long")
        if len(str(params.get("caption") or "")) > 1024:
            return _bad("message caption is too long")
        markup = params.get("reply_markup")
        for row in markup.get("inline_keyboard", []) if isinstance(markup, dict) else []:
            for data in (button["callback_data"] for button in row if "callback_data" in button):
                if not 1 <= len(str(data).encode()) <= 64:  # bytes: Vietnamese letters take 2-3
                    return _bad("BUTTON_DATA_INVALID")
        return None

    def _api_getme(self, params: JSON, chat: str, name: str) -> Reply:
        return ok(GET_ME)

    def _api_answercallbackquery(self, params: JSON, chat: str, name: str) -> Reply:
        return ok(True)  # also the answer of the other side-effect-free methods below

    _api_sendchataction = _api_setmycommands = _api_answercallbackquery
    _api_deletemycommands = _api_setmydescription = _api_answercallbackquery
    _api_setmyshortdescription = _api_setchatmenubutton = _api_answercallbackquery
    _api_pinchatmessage = _api_unpinchatmessage = _api_leavechat = _api_answercallbackquery

    def _api_deletemessage(self, params: JSON, chat: str, name: str) -> Reply:
        with self._lock:
            self.messages.pop((chat, int(params.get("message_id", 0))), None)
        return ok(True)

    def _api_sendmessage(self, params: JSON, chat: str, name: str) -> Reply:
        text = str(params.get("text", ""))
        if invalid := self._invalid(params, text):
            return invalid
        return ok(self._new_message(chat, {"text": text} | _markup(params)))

    def _api_sendphoto(self, params: JSON, chat: str, name: str) -> Reply:
        kind = name.removeprefix("send")
        if kind not in params:
            return _bad(f"there is no {kind} in the request")
        if invalid := self._invalid(params):
            return invalid
        caption = {"caption": params["caption"]} if params.get("caption") else {}
        content = {kind: self._media(kind, params[kind])} | caption | _markup(params)
        return ok(self._new_message(chat, content))

    _api_senddocument = _api_sendvideo = _api_sendvoice = _api_sendphoto

    def _api_sendlocation(self, params: JSON, chat: str, name: str) -> Reply:
        try:
            latitude, longitude = float(params["latitude"]), float(params["longitude"])
        except (KeyError, TypeError, ValueError):
            return _bad("wrong latitude or longitude")
        location = {"location": {"latitude": latitude, "longitude": longitude}}
        return ok(self._new_message(chat, location | _markup(params)))

    def _api_sendmediagroup(self, params: JSON, chat: str, name: str) -> Reply:
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:  # albums take 2-10 items
            return _bad("media group must contain 2-10 items")
        if any(item.get("type") not in ("photo", "video", "document", "audio") for item in media):
            return _bad("unsupported media type in a media group")  # no voice notes, no buttons
        group_id, messages = str(time.time_ns()), []
        for item in media:
            value = item.get("media")
            if isinstance(value, str) and value.startswith("attach://"):
                value = params.get(value.removeprefix("attach://"))
            content = {item["type"]: self._media(item["type"], value), "media_group_id": group_id}
            content |= {"caption": item["caption"]} if item.get("caption") else {}
            messages.append(self._new_message(chat, content))
        return ok(messages)

    def _api_copymessage(self, params: JSON, chat: str, name: str) -> Reply:
        source = (chat_key(params.get("from_chat_id")) or "", int(params.get("message_id", 0)))
        original = self.messages.get(source, {})
        content = {key: original[key] for key in _CONTENT if key in original}
        content |= {"caption": params["caption"]} if "caption" in params else {}
        if invalid := self._invalid(params):
            return invalid
        copy = self._new_message(chat, content | _markup(params) | {"copy_of": list(source)})
        return ok({"message_id": copy["message_id"]})

    def _api_editmessagetext(self, params: JSON, chat: str, name: str) -> Reply:
        field = {"editmessagetext": "text", "editmessagecaption": "caption"}.get(name)
        text = str(params.get("text", "")) if field == "text" else None
        if invalid := self._invalid(params, text):
            return invalid
        if "inline_message_id" in params:
            return ok(True)
        key = (chat, int(params.get("message_id", 0)))
        with self._lock:
            old = self.messages.get(key)  # a message the fake never sent gets edited as well
            base = old or self._bare_message(chat, key[1])
            new = {k: v for k, v in base.items() if k not in (field, "reply_markup")}
            new |= {field: params[field]} if field and params.get(field) else {}
            new |= _markup(params)  # an edit without reply_markup removes the keyboard
            if old is not None and {**old, "edit_date": 0} == {**new, "edit_date": 0}:
                return error_reply("400_not_modified")
            new = self.messages[key] = new | {"edit_date": _now()}
        return ok(new)

    _api_editmessagecaption = _api_editmessagereplymarkup = _api_editmessagetext

    def _api_getchat(self, params: JSON, chat: str, name: str) -> Reply:
        if not chat:
            return error_reply("400_chat_not_found")
        return ok(self.chat_object(chat) | _FULL_INFO)

    def _api_getchatmember(self, params: JSON, chat: str, name: str) -> Reply:
        return ok(self.member(chat, int(params.get("user_id", 0))))

    def _api_getchatmembercount(self, params: JSON, chat: str, name: str) -> Reply:
        if not chat:
            return error_reply("400_chat_not_found")
        if chat in self.blocked:
            return error_reply("403_blocked" if chat.isdigit() else "403_kicked")
        found = [self.member_counts[k] for k in _keys(chat) if k in self.member_counts]
        if found:
            return ok(found[0])
        # Unset: the known members and the bot; a private chat has the person and the bot.
        known = {user for (member_chat, user) in self.members if str(member_chat) == chat}
        return ok(len(known | {BOT_ID}) + (1 if int(chat) > 0 else 0))

    def _api_getchatadministrators(self, params: JSON, chat: str, name: str) -> Reply:
        users = [user for (member_chat, user) in self.members if str(member_chat) == chat]
        members = [self.member(chat, user) for user in dict.fromkeys([*users, BOT_ID])]
        return ok([m for m in members if m["status"] in ("creator", "administrator")])

    def _api_setwebhook(self, params: JSON, chat: str, name: str) -> Reply:
        url, secret = str(params.get("url") or ""), params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            return _bad("secret token contains unallowed characters")
        hook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": params.get("allowed_updates"),
        }
        hook["max_connections"] = params.get("max_connections", 40)
        with self._changed:
            if params.get("drop_pending_updates"):
                self._updates.clear()
            # deleteWebhook, and setWebhook with an empty url, remove the webhook.
            self.webhook = hook if name == "setwebhook" and url else None
        return ok(True)

    _api_deletewebhook = _api_setwebhook

    def _api_getwebhookinfo(self, params: JSON, chat: str, name: str) -> Reply:
        with self._lock:
            info = {"url": "", "has_custom_certificate": False}
            info["pending_update_count"] = len(self._updates)
            hook = self.webhook or {}
        # Telegram never reveals the secret token.
        return ok(info | {k: v for k, v in hook.items() if k != "secret_token" and v is not None})

    def _api_getupdates(self, params: JSON, chat: str, name: str) -> Reply:
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self._changed:
            if self.webhook is not None:
                return json_reply(409, error_body(409, _WEBHOOK_CONFLICT))
            self._polls += 1  # a newer poll ends this one with 409, as on Telegram
            poll = self._polls
            self._changed.notify_all()
            while True:
                # Updates below the offset are confirmed: Telegram forgets them.
                self._updates = [u for u in self._updates if int(u["update_id"]) >= offset]
                remaining = deadline - time.monotonic()
                if self._updates or remaining <= 0 or self._stopping.is_set():
                    return ok(self._updates[:limit])
                if poll != self._polls:
                    return json_reply(409, error_body(409, _POLL_CONFLICT))
                self._changed.wait(remaining)

    def _api_getfile(self, params: JSON, chat: str, name: str) -> Reply:
        file_id = str(params.get("file_id", ""))
        with self._lock:
            if file_id not in self._files:
                return _bad("invalid file_id")
            path, data = self._files[file_id]
        info = {"file_id": file_id, "file_unique_id": f"U{file_id}", "file_size": len(data)}
        return ok(info | {"file_path": path})
