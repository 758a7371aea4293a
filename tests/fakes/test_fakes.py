"""Self-tests of the fake Telegram and Zalo servers, through real clients over real sockets."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from tests.fakes import FakeTelegram, FakeZalo
from tests.fakes._server import SlidingWindow, load_fixture

# PTB 22.8 warns on every RetryAfter it builds (retry_after turns timedelta in v23), and
# the project turns warnings into errors.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)
PRIVATE, GROUP = 770001, -1001000000111
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Nhận", callback_data="take:1")]])


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    """A running FakeTelegram with default limits."""
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def zalo() -> Iterator[FakeZalo]:
    """A running FakeZalo."""
    with FakeZalo() as fake:
        yield fake


@asynccontextmanager
async def telegram_bot(fake: FakeTelegram, read_timeout: float = 5.0) -> AsyncIterator[Bot]:
    """A real PTB Bot pointed at the fake, initialized (getMe) and shut down around the block."""
    bot = Bot(
        fake.token,
        base_url=f"{fake.url}/bot",
        base_file_url=f"{fake.url}/file/bot",
        request=HTTPXRequest(read_timeout=read_timeout),
    )
    async with bot:
        yield bot


def retry_seconds(exc: RetryAfter) -> float:
    """Return RetryAfter.retry_after in seconds, whether PTB gives an int or a timedelta."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One httpx client for the module (building one costs ~40 ms of TLS setup)."""
    with httpx.Client(timeout=5) as client:
        yield client


def zalo_call(
    http: httpx.Client, fake: FakeZalo, method: str, wait: float = 5.0, **params: object
) -> httpx.Response:
    """POST a JSON body to the fake Zalo API, as the service's httpx client does."""
    return http.post(f"{fake.url}/bot{fake.token}/{method}", json=params, timeout=wait)


@pytest.mark.asyncio
async def test_telegram_send_message_returns_message(tg: FakeTelegram) -> None:
    async with telegram_bot(tg) as bot:
        assert bot.username == "tinbao_demo_bot"
        first = await bot.send_message(PRIVATE, "Xin chào", reply_markup=KEYBOARD)
        second = await bot.send_message(PRIVATE, "Lần hai")
    assert isinstance(first, Message)
    assert (first.message_id, second.message_id) == (1, 2)
    assert first.chat.id == PRIVATE and first.chat.type == "private"
    assert first.from_user is not None and first.from_user.id == 7000000001
    assert first.text == "Xin chào" and first.reply_markup == KEYBOARD
    call = tg.sent("sendMessage", PRIVATE)[0]
    assert call.params["reply_markup"] == KEYBOARD.to_dict() and call.chat_id == str(PRIVATE)


@pytest.mark.asyncio
async def test_telegram_fail_next_429_raises_retry_after(tg: FakeTelegram) -> None:
    tg.fail_next(PRIVATE, "429")
    tg.fail_next(PRIVATE, "429", retry_after=3)
    async with telegram_bot(tg) as bot:
        with pytest.raises(RetryAfter) as fixture_default:
            await bot.send_message(PRIVATE, "a")
        with pytest.raises(RetryAfter) as custom:
            await bot.send_message(PRIVATE, "b")
        await bot.send_message(PRIVATE, "c")  # scripted errors are used up
    assert retry_seconds(fixture_default.value) == 7  # from api_error_429.json
    assert retry_seconds(custom.value) == 3
    assert [c.status for c in tg.calls if c.method == "sendMessage"] == [429, 429, 200]


@pytest.mark.asyncio
async def test_telegram_migrated_raises_chat_migrated(tg: FakeTelegram) -> None:
    tg.fail_next(-4000000001, "400_migrated")
    tg.migrate_chat(-4000000002, -1001000000333)
    async with telegram_bot(tg) as bot:
        with pytest.raises(ChatMigrated) as scripted:
            await bot.send_message(-4000000001, "a")
        with pytest.raises(ChatMigrated) as migrated:
            await bot.get_chat(-4000000002)
    assert scripted.value.new_chat_id == -1001000000222
    assert migrated.value.new_chat_id == -1001000000333


@pytest.mark.asyncio
async def test_telegram_blocked_raises_forbidden(tg: FakeTelegram) -> None:
    tg.fail_next(PRIVATE, "403_blocked")
    tg.fail_next(PRIVATE, "403_cant_initiate")
    tg.block_chat(GROUP)
    async with telegram_bot(tg) as bot:
        with pytest.raises(Forbidden, match="blocked by the user"):
            await bot.send_message(PRIVATE, "a")
        with pytest.raises(Forbidden, match="can't initiate conversation"):
            await bot.send_message(PRIVATE, "b")
        with pytest.raises(Forbidden, match="kicked"):
            await bot.send_photo(GROUP, b"jpeg")
        assert (await bot.get_chat(GROUP)).type == "supergroup"  # only sends are refused


@pytest.mark.asyncio
async def test_telegram_chat_not_found_raises_bad_request(tg: FakeTelegram) -> None:
    tg.fail_next(PRIVATE, "400_chat_not_found")
    async with telegram_bot(tg) as bot:
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(PRIVATE, "a")
    assert tg.sent("sendMessage") == []


def test_telegram_error_bodies_equal_fixtures(tg: FakeTelegram, http: httpx.Client) -> None:
    errors = ["429", "403_blocked", "403_kicked", "400_chat_not_found", "400_migrated"]
    for error in [*errors, "400_not_modified"]:
        fixture = error.replace("not_modified", "message_not_modified")
        tg.fail_next(None, error)
        answer = http.post(f"{tg.url}/bot{tg.token}/getMe")
        assert answer.json() == load_fixture(f"telegram/api_error_{fixture}.json")
        assert answer.status_code == answer.json()["error_code"]
    tg.fail_next(None, "502")
    bad_gateway = http.post(f"{tg.url}/bot{tg.token}/getMe")
    assert (bad_gateway.status_code, bad_gateway.text) == (502, "Bad Gateway")


@pytest.mark.asyncio
async def test_telegram_server_errors_raise_network_error(tg: FakeTelegram) -> None:
    tg.fail_next(PRIVATE, "500")
    tg.fail_next(PRIVATE, "502")
    async with telegram_bot(tg) as bot:
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(PRIVATE, "a")
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(PRIVATE, "b")


@pytest.mark.asyncio
async def test_telegram_timeout_raises_timed_out(tg: FakeTelegram) -> None:
    tg.fail_next(PRIVATE, "timeout", delay=2.0)
    async with telegram_bot(tg, read_timeout=0.3) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(PRIVATE, "a")
        await bot.send_message(PRIVATE, "b")
    assert [c.status for c in tg.calls if c.method == "sendMessage"] == [0, 200]


@pytest.mark.asyncio
async def test_telegram_token_and_method_errors(tg: FakeTelegram, http: httpx.Client) -> None:
    requests = [HTTPXRequest(), HTTPXRequest()]  # shut down here: a Bot that failed getMe won't
    bot = Bot(
        "999:WRONG", base_url=f"{tg.url}/bot", request=requests[0], get_updates_request=requests[1]
    )
    try:
        with pytest.raises(InvalidToken):
            await bot.initialize()
    finally:
        await asyncio.gather(*(request.shutdown() for request in requests))
    unknown = http.post(f"{tg.url}/bot{tg.token}/sendTelepathy")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }


@pytest.mark.asyncio
async def test_telegram_rapid_sends_record_overall_violation(tg: FakeTelegram) -> None:
    async with telegram_bot(tg) as bot:
        for chat in range(1, 31):
            await bot.send_message(chat, "cảnh báo")
        with pytest.raises(RetryAfter) as refused:
            await bot.send_message(31, "cảnh báo")
    assert [kind for kind, _, _ in tg.violations] == ["overall"]
    assert tg.violations[0][1] == "31" and retry_seconds(refused.value) == 1
    assert len(tg.sent("sendMessage")) == 30


@pytest.mark.asyncio
async def test_telegram_group_and_private_limits() -> None:
    with FakeTelegram(group_per_min=2, private_burst=2) as fake:
        async with telegram_bot(fake) as bot:
            for _ in range(2):
                await bot.send_message(GROUP, "nhóm")
                await bot.send_message(PRIVATE, "riêng")
            with pytest.raises(RetryAfter) as group:
                await bot.send_message(GROUP, "nhóm")
            with pytest.raises(RetryAfter) as private:
                await bot.send_message(PRIVATE, "riêng")
            await bot.send_message(PRIVATE + 1, "other chat is fine")
            await bot.answer_callback_query("cq1")  # not a send: never limited
    assert [(kind, chat) for kind, chat, _ in fake.violations] == [
        ("group", str(GROUP)),
        ("private", str(PRIVATE)),
    ]
    assert 58 <= retry_seconds(group.value) <= 60 and retry_seconds(private.value) == 1


@pytest.mark.asyncio
async def test_telegram_limits_off_records_nothing() -> None:
    with FakeTelegram(limits=False) as fake:
        async with telegram_bot(fake) as bot:
            for _ in range(35):
                await bot.send_message(GROUP, "x")
    assert fake.violations == [] and len(fake.sent("sendMessage", GROUP)) == 35


def test_sliding_window_frees_after_window() -> None:
    window = SlidingWindow(limit=3, window=1.0)
    for now in (0.0, 0.1, 0.2):
        assert window.wait("c", now) == 0.0
        window.add("c", now)
    assert window.wait("c", 0.5) == pytest.approx(0.5)  # the hit at 0.0 must expire first
    assert window.wait("c", 1.0) == 0.0 and window.wait("other", 0.5) == 0.0


@pytest.mark.asyncio
async def test_telegram_get_updates_conflict_while_webhook_set(tg: FakeTelegram) -> None:
    async with telegram_bot(tg) as bot:
        await bot.set_webhook("https://tinbao.test/tg", secret_token="s3cr3t-_", allowed_updates=[])
        info = await bot.get_webhook_info()
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        await bot.delete_webhook()
        assert await bot.get_updates() == ()
    assert info.url == "https://tinbao.test/tg" and info.allowed_updates == ()
    assert tg.webhook is None and tg.sent("setWebhook")[0].params["secret_token"] == "s3cr3t-_"


@pytest.mark.asyncio
async def test_telegram_get_updates_honours_offset_and_long_poll(tg: FakeTelegram) -> None:
    first = tg.queue_update(load_fixture("telegram/private_start.json"))
    async with telegram_bot(tg) as bot:
        [update] = await bot.get_updates(timeout=5)
        assert update.update_id == first["update_id"] and update.message is not None
        assert await bot.get_updates(offset=update.update_id + 1) == ()
        timer = threading.Timer(0.2, tg.queue_update, [{"message": first["message"]}])
        timer.start()
        started = time.monotonic()
        [late] = await bot.get_updates(offset=update.update_id + 1, timeout=5)
    assert late.update_id == first["update_id"] + 1 and time.monotonic() - started < 2


@pytest.mark.asyncio
async def test_telegram_newer_poll_ends_older_with_conflict(tg: FakeTelegram) -> None:
    url = f"{tg.url}/bot{tg.token}/getUpdates"
    async with httpx.AsyncClient(timeout=5) as client:
        older = asyncio.create_task(client.post(url, data={"timeout": "3"}))
        await asyncio.sleep(0.2)
        newer = await client.post(url, data={"timeout": "0"})
        answer = await older
    assert newer.json() == {"ok": True, "result": []}
    assert answer.status_code == 409 and "terminated by other getUpdates" in answer.text


@pytest.mark.asyncio
async def test_telegram_file_download_and_upload_round_trip(tg: FakeTelegram) -> None:
    tg.add_file("AgAC-photo", b"\xff\xd8jpeg\r\n--bytes", path="photos/file_1.jpg")
    upload = bytes(range(256)) * 4
    async with telegram_bot(tg) as bot:
        file = await bot.get_file("AgAC-photo")
        downloaded = await file.download_as_bytearray()
        sent = await bot.send_photo(GROUP, upload, caption="Hiện trường")
        again = await (await bot.get_file(sent.photo[-1].file_id)).download_as_bytearray()
        with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
            await bot.get_file("nope")
    assert file.file_path == f"{tg.url}/file/bot{tg.token}/photos/file_1.jpg"
    assert bytes(downloaded) == b"\xff\xd8jpeg\r\n--bytes" and bytes(again) == upload
    assert sent.caption == "Hiện trường"


@pytest.mark.asyncio
async def test_telegram_media_group_copy_and_location(tg: FakeTelegram) -> None:
    async with telegram_bot(tg) as bot:
        album = await bot.send_media_group(
            GROUP, [InputMediaPhoto(b"one", caption="1"), InputMediaPhoto("https://x.test/2.jpg")]
        )
        copied = await bot.copy_message(PRIVATE, GROUP, album[0].message_id)
        where = await bot.send_location(PRIVATE, 21.0285, 105.8542)
        with pytest.raises(BadRequest, match="2-10 items"):
            await bot.send_media_group(GROUP, [InputMediaPhoto(b"lonely")])
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert album[0].caption == "1" and copied.message_id == 1
    assert tg.messages[(str(PRIVATE), 1)]["photo"] == album[0].to_dict()["photo"]
    assert where.location is not None and where.location.latitude == pytest.approx(21.0285)


@pytest.mark.asyncio
async def test_telegram_edits_and_not_modified(tg: FakeTelegram) -> None:
    async with telegram_bot(tg) as bot:
        sent = await bot.send_message(GROUP, "Báo cáo #1", reply_markup=KEYBOARD)
        edited = await bot.edit_message_text("Báo cáo #1 (đã nhận)", GROUP, sent.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text("Báo cáo #1 (đã nhận)", GROUP, sent.message_id)
        marked = await bot.edit_message_reply_markup(GROUP, sent.message_id, reply_markup=KEYBOARD)
        assert await bot.delete_message(GROUP, sent.message_id) is True
    assert isinstance(edited, Message) and edited.reply_markup is None  # no markup: removed
    assert isinstance(marked, Message) and marked.reply_markup == KEYBOARD
    assert (str(GROUP), sent.message_id) not in tg.messages


@pytest.mark.asyncio
async def test_telegram_validates_text_and_button_data(tg: FakeTelegram) -> None:
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="đ" * 33)]])
    async with telegram_bot(tg) as bot:
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):  # 66 bytes
            await bot.send_message(PRIVATE, "a", reply_markup=too_long)
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(PRIVATE, "a" * 4097)
        with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
            await bot.send_photo(PRIVATE, b"jpeg", caption="a" * 1025)


@pytest.mark.asyncio
async def test_telegram_chat_members_parse_in_ptb(tg: FakeTelegram) -> None:
    statuses = {1: "creator", 2: "administrator", 3: "restricted", 4: "left", 5: "kicked"}
    for user, status in statuses.items():
        tg.members[(GROUP, user)] = status
    tg.bot_status[-4000000009] = "left"
    async with telegram_bot(tg) as bot:
        members = [await bot.get_chat_member(GROUP, user) for user in range(1, 7)]
        me_admin = await bot.get_chat_member(GROUP, bot.id)
        me_left = await bot.get_chat_member(-4000000009, bot.id)
        admins = await bot.get_chat_administrators(GROUP)
    assert isinstance(members[0], ChatMemberOwner)
    assert isinstance(members[1], ChatMemberAdministrator)
    assert isinstance(members[2], ChatMemberRestricted)
    assert [m.status for m in members] == [*statuses.values(), "member"]
    assert isinstance(members[5], ChatMemberMember) and isinstance(me_left, ChatMemberLeft)
    assert isinstance(me_admin, ChatMemberAdministrator)
    assert {m.user.id for m in admins} == {1, 2, 7000000001}


@pytest.mark.asyncio
async def test_telegram_chat_member_count_parses_in_ptb_and_refuses_kicked(
    tg: FakeTelegram,
) -> None:
    tg.member_counts[GROUP] = 57
    tg.members[(-4000000009, 1)] = "member"
    async with telegram_bot(tg) as bot:
        counted = await bot.get_chat_member_count(GROUP)
        derived = await bot.get_chat_member_count(-4000000009)  # a known member and the bot
        private = await bot.get_chat_member_count(PRIVATE)
        tg.block_chat(GROUP)
        with pytest.raises(Forbidden, match=r"kicked"):
            await bot.get_chat_member_count(GROUP)
    assert (counted, derived, private) == (57, 2, 2)


def test_telegram_accepts_json_body(tg: FakeTelegram, http: httpx.Client) -> None:
    body = {"chat_id": GROUP, "text": "[1] từ JSON", "reply_markup": KEYBOARD.to_dict()}
    answer = http.post(f"{tg.url}/bot{tg.token}/sendMessage", json=body)
    assert answer.json()["result"]["text"] == "[1] từ JSON"
    assert tg.sent("sendMessage", GROUP)[0].params == body
    tg.reset()
    assert tg.calls == [] and tg.violations == []


def test_zalo_send_message_ok(zalo: FakeZalo, http: httpx.Client) -> None:
    answer = zalo_call(
        http, zalo, "sendMessage", chat_id="5810000000001234567", text="Đã nhận tin báo"
    )
    result = answer.json()["result"]
    assert answer.status_code == 200 and answer.json()["ok"] is True
    assert isinstance(result["message_id"], str) and result["date"] > 1_700_000_000_000
    assert set(result) == set(load_fixture("zalo/bot_api_send_ok.json")["result"])
    [call] = zalo.sent("sendMessage", "5810000000001234567")
    assert call.params["text"] == "Đã nhận tin báo"
    me = zalo_call(http, zalo, "getMe").json()["result"]
    assert set(me) == {"id", "account_name", "account_type", "can_join_groups"}


def test_zalo_fail_next_429(zalo: FakeZalo, http: httpx.Client) -> None:
    zalo.fail_next("u1", "429")
    refused = zalo_call(http, zalo, "sendMessage", chat_id="u1", text="a")
    assert refused.status_code == 429
    assert refused.json() == load_fixture("zalo/bot_api_error_429.json")
    assert zalo_call(http, zalo, "sendMessage", chat_id="u1", text="b").status_code == 200


def test_zalo_errors_with_http_200(zalo: FakeZalo, http: httpx.Client) -> None:
    zalo.errors_with_http_200 = True
    zalo.fail_next(None, "403")
    blocked = zalo_call(http, zalo, "sendMessage", chat_id="u1", text="a")
    wrong = http.post(f"{zalo.url}/botWRONG/getMe", json={})
    assert blocked.status_code == 200 and blocked.json()["ok"] is False
    assert blocked.json()["error_code"] == 403
    assert wrong.status_code == 200 and wrong.json() == load_fixture("zalo/bot_api_error_401.json")
    zalo.errors_with_http_200 = False
    assert http.post(f"{zalo.url}/botWRONG/getMe", json={}).status_code == 401


def test_zalo_text_length_checked(zalo: FakeZalo, http: httpx.Client) -> None:
    ok_max = zalo_call(http, zalo, "sendMessage", chat_id="u1", text="ạ" * 2000)
    too_long = zalo_call(http, zalo, "sendMessage", chat_id="u1", text="a" * 2001)
    assert ok_max.status_code == 200
    assert too_long.status_code == 400
    assert too_long.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: text too long",
    }


def test_zalo_get_updates_queue_and_long_poll(zalo: FakeZalo, http: httpx.Client) -> None:
    wrapped = load_fixture("zalo/bot_text_wrapped.json")
    zalo.queue_update(wrapped)
    zalo.queue_update(load_fixture("zalo/bot_text_flat.json"))
    first = zalo_call(http, zalo, "getUpdates", timeout="5").json()
    second = zalo_call(http, zalo, "getUpdates", timeout="5").json()
    empty = zalo_call(http, zalo, "getUpdates", timeout="0.2")
    assert first == wrapped
    assert second["result"]["message"]["text"] == "Có người bán hàng cấm ở ngõ 12"
    assert empty.status_code == 408 and empty.json()["ok"] is False
    threading.Timer(0.2, zalo.queue_update, [wrapped]).start()
    started = time.monotonic()
    assert zalo_call(http, zalo, "getUpdates", timeout="5").json() == wrapped
    assert time.monotonic() - started < 2


def test_zalo_webhook_and_get_updates_conflict(zalo: FakeZalo, http: httpx.Client) -> None:
    short = zalo_call(
        http, zalo, "setWebhook", url="https://tinbao.test/zalo", secret_token="short"
    )
    assert short.status_code == 400
    hook = zalo_call(http, zalo, "setWebhook", url="https://tinbao.test/zalo", secret_token="s" * 8)
    assert hook.json()["result"]["url"] == "https://tinbao.test/zalo"
    assert zalo.webhook is not None and zalo.webhook["secret_token"] == "s" * 8
    assert zalo_call(http, zalo, "getUpdates", timeout="1").status_code == 409
    assert zalo_call(http, zalo, "deleteWebhook").json()["result"]["url"] == ""
    assert zalo_call(http, zalo, "getWebhookInfo").json()["result"]["url"] == ""


def test_zalo_rate_limit_records_violations(http: httpx.Client) -> None:
    with FakeZalo(max_per_sec=2, per_chat_per_sec=1) as fake:
        statuses = [
            zalo_call(http, fake, "sendMessage", chat_id=c, text="x").status_code for c in "abc"
        ]
        same_chat = zalo_call(http, fake, "sendPhoto", chat_id="z", photo="https://x.test/1.jpg")
        statuses.append(zalo_call(http, fake, "sendMessage", chat_id="a", text="x").status_code)
    assert statuses == [200, 200, 429, 429] and same_chat.status_code == 429
    assert [kind for kind, _, _ in fake.violations] == ["overall", "overall", "overall", "chat"]


def test_zalo_timeout_and_media(zalo: FakeZalo, http: httpx.Client) -> None:
    url = zalo.add_media("hien-truong.jpg", b"\xff\xd8zalo", "image/jpeg")
    media = http.get(url)
    assert media.content == b"\xff\xd8zalo" and media.headers["content-type"] == "image/jpeg"
    zalo.fail_next("u1", "timeout", delay=2.0)
    with pytest.raises(httpx.ReadTimeout):
        zalo_call(http, zalo, "sendMessage", wait=0.3, chat_id="u1", text="a")
    assert zalo.calls[-1].status == 0 and zalo.sent("sendMessage") == []


def test_zalo_accepts_form_and_query_parameters(zalo: FakeZalo, http: httpx.Client) -> None:
    token_url = f"{zalo.url}/bot{zalo.token}"
    form = http.post(f"{token_url}/sendMessage", data={"chat_id": "007", "text": "1"})
    query = http.get(f"{token_url}/sendMessage", params={"chat_id": "008", "text": "2"})
    assert form.status_code == query.status_code == 200
    assert [c.params for c in zalo.sent("sendMessage")] == [
        {"chat_id": "007", "text": "1"},
        {"chat_id": "008", "text": "2"},
    ]
    unknown = zalo_call(
        http, zalo, "sendmessage", chat_id="u1", text="a"
    )  # names are case-sensitive
    assert unknown.status_code == 404


def test_zalo_get_updates_keeps_event_of_abandoned_poll(zalo: FakeZalo, http: httpx.Client) -> None:
    with pytest.raises(httpx.ReadTimeout):
        zalo_call(http, zalo, "getUpdates", wait=0.3, timeout="5")
    event = zalo.queue_update(load_fixture("zalo/bot_image.json"))  # the left poll takes it
    answer = zalo_call(http, zalo, "getUpdates", timeout="5")
    assert answer.json() == {"ok": True, "result": event}
