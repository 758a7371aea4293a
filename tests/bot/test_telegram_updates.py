"""Telegram updates: inbox keys and the channel-neutral events of every fixture."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.events import (
    BotAdded,
    BotPromoted,
    BotRemoved,
    ButtonPress,
    ChatMigrated,
    ChatRef,
    Command,
    Event,
    Location,
    Media,
    MemberJoined,
    MemberLeft,
    NotAnUpdate,
    Person,
    ReplyRef,
    TextMessage,
    Unsupported,
)
from bot.telegram.updates import telegram_events, update_keys
from tests.bot import JSON, PROPERTY, check_adapter, load, mutations
from tests.conftest import FIXTURES

BOT_ID = 7000000001
BOT_USERNAME = "tinbao_demo_bot"
RECEIVED = datetime(2026, 11, 21, 22, 30, tzinfo=UTC)
SENT = datetime.fromtimestamp(1795300000, UTC)

LAN = Person("770001", "Lan Nguyễn", "lan_nguyen_92", is_bot=False, language="vi")
HUNG = Person("880001", "Hùng Trần", None, is_bot=False, language="vi")
BOT = Person("7000000001", "Tin báo", "tinbao_demo_bot", is_bot=True)
LAN_CHAT = ChatRef("telegram", "770001", "private")
GROUP = ChatRef("telegram", "-1001000000222", "group", "Camera an ninh tổ 3")
TRIAGE = ChatRef("telegram", "-1001000000111", "group", "Công an phường - tiếp nhận tin báo")


def events_of(body: Any) -> list[Event]:
    """The events of a body, as the bot tinbao_demo_bot sees them."""
    return telegram_events(body, bot_username=BOT_USERNAME, bot_id=BOT_ID, received_at=RECEIVED)


def _lan(message_id: str) -> dict[str, Any]:
    return {"chat": LAN_CHAT, "sender": LAN, "message_id": message_id, "sent_at": SENT}


def _member_change(**fields: Any) -> dict[str, Any]:
    return {"chat": GROUP, "sender": HUNG, "message_id": None, "sent_at": SENT, **fields}


EXPECTED: dict[str, list[Event]] = {
    "private_start.json": [Command(name="start", args="", addressed=False, **_lan("1"))],
    "private_deeplink_start.json": [Command(name="start", args="r-K7QX2", **_lan("2"))],
    "group_report_command.json": [
        Command(
            name="report",
            args="Có 2 thanh niên lạ đi xe không biển số lảng vảng ngõ 5",
            addressed=True,
            chat=GROUP,
            sender=LAN,
            message_id="41",
            sent_at=SENT,
        )
    ],
    "group_reply_to_bot.json": [
        TextMessage(
            text="Thêm: họ mặc áo khoác đen, đi về phía chợ",
            chat=GROUP,
            sender=LAN,
            message_id="42",
            sent_at=SENT,
            reply_to=ReplyRef("40", from_bot=True, text="Cảm ơn anh/chị, mã tin báo K7QX2."),
        )
    ],
    "private_photo_with_caption.json": [
        Media(
            kind="photo",
            file_ref="AgACAgUAAxkBAAIBc2ZlargeXYZ",
            caption="Ảnh chụp từ xa",
            size=118000,
            **_lan("3"),
        )
    ],
    "private_location.json": [Location(latitude=21.327081, longitude=103.914037, **_lan("4"))],
    "private_voice.json": [
        Media(
            kind="voice",
            file_ref="AwACAgUAAxkBAAIBdGZvoiceXYZ",
            mime_type="audio/ogg",
            size=15200,
            **_lan("5"),
        )
    ],
    "private_sticker.json": [
        Media(kind="sticker", file_ref="CAACAgIAAxkBAAIBdWZstickerXYZ", **_lan("6"))
    ],
    "edited_message.json": [
        TextMessage(text="Sửa lại: lúc 22h chứ không phải 21h", edited=True, **_lan("3"))
    ],
    "callback_query_in_triage.json": [
        ButtonPress(
            callback_id="4382bfdwdsb323b2d9",
            data="t:claim:K7QX2",
            chat=TRIAGE,
            sender=HUNG,
            message_id="77",
            sent_at=RECEIVED,
        )
    ],
    "bot_added_to_group.json": [BotAdded(as_admin=False, **_member_change())],
    "bot_removed_from_group.json": [BotRemoved(reason="kicked", **_member_change())],
    "bot_blocked_by_user.json": [
        BotRemoved(reason="blocked", chat=LAN_CHAT, sender=LAN, message_id=None, sent_at=SENT)
    ],
    "group_migrated_to_supergroup.json": [
        ChatMigrated(
            new_chat_id="-1001000000222",
            chat=ChatRef("telegram", "-4000000222", "group", "Camera an ninh tổ 3"),
            sender=HUNG,
            message_id="9",
            sent_at=SENT,
        )
    ],
    "channel_post_ignored.json": [],
}

KEYS = {
    "private_start.json": ("500000001", "770001"),
    "private_deeplink_start.json": ("500000002", "770001"),
    "group_report_command.json": ("500000003", "-1001000000222"),
    "group_reply_to_bot.json": ("500000004", "-1001000000222"),
    "private_photo_with_caption.json": ("500000005", "770001"),
    "private_location.json": ("500000006", "770001"),
    "private_voice.json": ("500000007", "770001"),
    "private_sticker.json": ("500000008", "770001"),
    "edited_message.json": ("500000009", "770001"),
    "callback_query_in_triage.json": ("500000010", "-1001000000111"),
    "bot_added_to_group.json": ("500000011", "-1001000000222"),
    "bot_removed_from_group.json": ("500000012", "-1001000000222"),
    "bot_blocked_by_user.json": ("500000013", "770001"),
    "group_migrated_to_supergroup.json": ("500000014", "-4000000222"),
    "channel_post_ignored.json": ("500000015", "-1001999"),
}
UPDATE_FIXTURES = sorted(
    path.name for path in (FIXTURES / "telegram").glob("*.json") if not path.name.startswith("api_")
)
JUNK = [[], [1], "update", None, 5, {}, {"update_id": "5"}, {"update_id": True}, {"update_id": 1.0}]


def test_telegram_fixtures_are_all_covered() -> None:
    assert sorted(EXPECTED) == UPDATE_FIXTURES == sorted(KEYS)


@pytest.mark.parametrize("name", UPDATE_FIXTURES)
def test_telegram_events_of_each_fixture(name: str) -> None:
    assert events_of(load(f"telegram/{name}")) == EXPECTED[name]


@pytest.mark.parametrize("name", UPDATE_FIXTURES)
def test_update_keys_of_each_fixture(name: str) -> None:
    assert update_keys(load(f"telegram/{name}")) == KEYS[name]


@pytest.mark.parametrize("body", JUNK, ids=repr)
def test_update_keys_rejects_what_is_no_update(body: object) -> None:
    with pytest.raises(NotAnUpdate):
        update_keys(body)


@pytest.mark.parametrize("body", JUNK, ids=repr)
def test_telegram_events_rejects_what_is_no_update(body: object) -> None:
    with pytest.raises(NotAnUpdate):
        events_of(body)


def test_update_keys_of_unknown_kinds() -> None:
    assert update_keys({"update_id": 7}) == ("7", "-")
    reaction = {"update_id": 8, "message_reaction": {"chat": {"id": -100, "type": "group"}}}
    assert update_keys(reaction) == ("8", "-100")
    inline = {"update_id": 9, "inline_query": {"id": "q", "from": {"id": 42}, "query": "x"}}
    assert update_keys(inline) == ("9", "42")


def test_telegram_events_ignore_unknown_and_malformed_kinds() -> None:
    assert events_of({"update_id": 7}) == []
    assert events_of({"update_id": 8, "poll_answer": {"poll_id": "p"}}) == []
    assert events_of({"update_id": 9, "message": {"date": "yesterday"}}) == []
    assert events_of({"update_id": 10, "message": 5}) == []


def _message(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = load("telegram/private_start.json")
    del body["message"]["text"], body["message"]["entities"]
    body["message"].update(fields)
    return body


def _in_group(**fields: Any) -> dict[str, Any]:
    body = _message(**fields)
    body["message"]["chat"] = {"id": -1001000000222, "type": "supergroup", "title": GROUP.title}
    return body


def test_telegram_command_for_another_bot_is_text() -> None:
    [event] = events_of(_in_group(text="/report@otherbot xe lạ"))
    assert event == TextMessage(
        text="/report@otherbot xe lạ", chat=GROUP, sender=LAN, message_id="1", sent_at=SENT
    )


def test_telegram_command_name_is_lower_case() -> None:
    [event] = events_of(_message(text="/Report"))
    assert isinstance(event, Command)
    assert (event.name, event.args, event.addressed) == ("report", "", False)


BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Tin báo", "username": BOT_USERNAME}
MINH_USER = {"id": 990001, "is_bot": False, "first_name": "Minh"}
MINH = Person("990001", "Minh", None)


def test_telegram_new_members_tell_the_bot_from_people() -> None:
    body = _in_group(new_chat_members=[BOT_USER, MINH_USER])
    fields: dict[str, Any] = {"chat": GROUP, "sender": LAN, "message_id": "1", "sent_at": SENT}
    assert events_of(body) == [
        BotAdded(as_admin=False, **fields),
        MemberJoined(member=MINH, **fields),
    ]


def test_telegram_left_member_is_the_bot_removed_or_a_person_leaving() -> None:
    fields: dict[str, Any] = {"chat": GROUP, "sender": LAN, "message_id": "1", "sent_at": SENT}
    removed = events_of(_in_group(left_chat_member=BOT_USER))
    assert removed == [BotRemoved(reason="kicked", **fields)]
    assert events_of(_in_group(left_chat_member=MINH_USER)) == [MemberLeft(member=MINH, **fields)]


def test_telegram_migrate_from_is_ignored() -> None:
    assert events_of(_in_group(migrate_from_chat_id=-4000000222)) == []


def _file(file_id: str, **details: Any) -> dict[str, Any]:
    return {"file_id": file_id, "file_unique_id": "u" + file_id, **details}


GIF = _file("CgAD", width=1, height=1, duration=1, mime_type="video/mp4", file_name="a.mp4")
PDF = _file("BQAC", file_name="bien-ban.pdf", mime_type="application/pdf", file_size=9000)
ROUND = _file("DQAC", length=240, duration=3, file_size=500)


@pytest.mark.parametrize(
    ("fields", "kind", "details"),
    [
        ({"animation": GIF, "document": _file("CgAD")}, "animation", ("video/mp4", None, "a.mp4")),
        ({"document": PDF}, "document", ("application/pdf", 9000, "bien-ban.pdf")),
        ({"video_note": ROUND}, "video", (None, 500, None)),
    ],
)
def test_telegram_files_keep_kind_mime_size_and_name(
    fields: dict[str, Any], kind: str, details: tuple[Any, ...]
) -> None:
    [event] = events_of(_message(caption="biên bản", **fields))
    file_id = next(iter(fields.values()))["file_id"]
    mime_type, size, file_name = details
    assert event == Media(
        kind=kind,
        file_ref=file_id,
        caption="biên bản",
        mime_type=mime_type,
        size=size,
        file_name=file_name,
        **_lan("1"),
    )


POLL = dict.fromkeys(
    ["is_closed", "allows_multiple_answers", "allows_revoting", "members_only"], False
)


def test_telegram_poll_is_unsupported() -> None:
    poll = {"id": "p", "question": "?", "options": [], "total_voter_count": 0, **POLL}
    body = _message(poll={**poll, "is_anonymous": True, "type": "regular"})
    assert events_of(body) == [Unsupported(reason="poll", **_lan("1"))]


ADMIN_RIGHTS = dict.fromkeys(
    [
        "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
        "can_manage_video_chats", "can_restrict_members", "can_promote_members",
        "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
        "can_delete_stories",
    ],
    False,
)  # fmt: skip


def _status(member: dict[str, Any], status: str) -> None:
    member["status"] = status
    if status == "administrator":
        member.update(ADMIN_RIGHTS)
    if status == "kicked":
        member["until_date"] = 0


def _my_member(old: str, new: str) -> dict[str, Any]:
    body: dict[str, Any] = load("telegram/bot_added_to_group.json")
    _status(body["my_chat_member"]["old_chat_member"], old)
    _status(body["my_chat_member"]["new_chat_member"], new)
    return body


def test_telegram_bot_promotion_and_demotion() -> None:
    assert events_of(_my_member("member", "administrator")) == [
        BotPromoted(as_admin=True, **_member_change())
    ]
    assert events_of(_my_member("administrator", "member")) == [
        BotPromoted(as_admin=False, **_member_change())
    ]
    assert events_of(_my_member("member", "member")) == []


def test_telegram_bot_added_as_admin_and_left() -> None:
    assert events_of(_my_member("kicked", "administrator")) == [
        BotAdded(as_admin=True, **_member_change())
    ]
    assert events_of(_my_member("member", "left")) == [
        BotRemoved(reason="left", **_member_change())
    ]


def test_telegram_other_members_changes_are_ignored() -> None:
    body = _my_member("left", "member")
    body["chat_member"] = body.pop("my_chat_member")
    body["chat_member"]["new_chat_member"]["user"] = MINH_USER
    assert events_of(body) == []


def test_telegram_reply_from_bot_known_by_username_or_id_alone() -> None:
    body = load("telegram/group_reply_to_bot.json")
    for username, bot_id, from_bot in [
        (BOT_USERNAME, None, True),
        (None, BOT_ID, True),
        (None, None, False),
        ("other_bot", 1, False),
    ]:
        [event] = telegram_events(copy.deepcopy(body), bot_username=username, bot_id=bot_id)
        assert event.reply_to is not None and event.reply_to.from_bot is from_bot


def test_telegram_events_leave_the_body_untouched() -> None:
    body = load("telegram/group_reply_to_bot.json")
    events_of(body)
    assert body == load("telegram/group_reply_to_bot.json")


UPDATES = st.fixed_dictionaries(
    {"update_id": st.integers()},
    optional={"message": JSON, "callback_query": JSON, "my_chat_member": JSON},
)


@PROPERTY
@given(body=JSON | UPDATES)
def test_telegram_updates_of_any_json_raise_only_not_an_update(body: object) -> None:
    check_adapter(update_keys, events_of, body)


@PROPERTY
@given(data=st.data(), name=st.sampled_from(UPDATE_FIXTURES))
def test_telegram_updates_of_mutated_fixtures_raise_only_not_an_update(
    data: st.DataObject, name: str
) -> None:
    check_adapter(update_keys, events_of, data.draw(mutations(load(f"telegram/{name}"))))
