"""Zalo Bot Platform updates: both body shapes, inbox keys, and channel-neutral events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.events import (
    ChatRef,
    Command,
    Event,
    Location,
    Media,
    NotAnUpdate,
    Person,
    TextMessage,
    Unsupported,
)
from bot.zalo.updates import from_millis, unwrap, update_keys, zalo_events
from tests.bot import JSON, PROPERTY, check_adapter, load, mutations

HOA = Person("5810000000001234567", "Hoa Trần", None)
HOA_CHAT = ChatRef("zalo", "5810000000001234567", "private")
GROUP = ChatRef("zalo", "g_7788990011", "group")
SENT = datetime.fromtimestamp(1795300000, UTC)
RECEIVED = datetime(2026, 11, 21, 22, 30, tzinfo=UTC)
UPDATE_FIXTURES = [
    "bot_text_wrapped.json",
    "bot_text_flat.json",
    "bot_image.json",
    "bot_group_mention.json",
    "bot_unsupported.json",
]


def events_of(body: Any, bot_name: str | None = "Tin báo") -> list[Event]:
    """The events of a body, as the bot "Tin báo" sees them."""
    return zalo_events(body, bot_name=bot_name, received_at=RECEIVED)


def _hoa(message_id: str) -> dict[str, Any]:
    return {"chat": HOA_CHAT, "sender": HOA, "message_id": message_id, "sent_at": SENT}


def _message(event_name: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = load("zalo/bot_text_flat.json")
    body["event_name"] = event_name
    del body["message"]["text"]
    body["message"].update(fields)
    return body


def test_zalo_wrapped_text_is_a_command() -> None:
    assert events_of(load("zalo/bot_text_wrapped.json")) == [
        Command(name="report", args="", addressed=False, **_hoa("2d6bc0e4a8f1b2c3d4e5"))
    ]


def test_zalo_flat_text_is_a_text_message() -> None:
    assert events_of(load("zalo/bot_text_flat.json")) == [
        TextMessage(text="Có người bán hàng cấm ở ngõ 12", **_hoa("2d6bc0e4a8f1b2c3d4e6"))
    ]


def test_zalo_image_is_a_photo_with_its_caption() -> None:
    assert events_of(load("zalo/bot_image.json")) == [
        Media(
            kind="photo",
            file_ref="https://example.invalid/zalo/photo/abc.jpg",
            caption="ảnh hiện trường",
            **_hoa("2d6bc0e4a8f1b2c3d4e7"),
        )
    ]


@pytest.mark.parametrize("bot_name", ["Tin báo", None, "Bot MyShop"])
def test_zalo_group_mention_is_an_addressed_command(bot_name: str | None) -> None:
    assert events_of(load("zalo/bot_group_mention.json"), bot_name) == [
        Command(
            name="report",
            args="xe lạ đỗ trước cổng trường",
            addressed=True,
            mention="@Tin báo",
            chat=GROUP,
            sender=HOA,
            message_id="2d6bc0e4a8f1b2c3d4e9",
            sent_at=SENT,
        )
    ]


def test_zalo_unsupported_is_a_protected_user() -> None:
    assert events_of(load("zalo/bot_unsupported.json")) == [
        Unsupported(reason="protected_user", **_hoa("2d6bc0e4a8f1b2c3d4e8"))
    ]


@pytest.mark.parametrize("name", UPDATE_FIXTURES)
def test_update_keys_are_message_and_chat_ids(name: str) -> None:
    message = unwrap(load(f"zalo/{name}"))["message"]
    assert update_keys(load(f"zalo/{name}")) == (message["message_id"], message["chat"]["id"])


def test_unwrap_reads_wrapped_and_flat_alike() -> None:
    wrapped = load("zalo/bot_text_wrapped.json")
    assert unwrap(wrapped) == wrapped["result"]
    assert unwrap(wrapped["result"]) == wrapped["result"]


JUNK = [
    [],
    "update",
    None,
    {},
    load("zalo/bot_api_error_401.json"),
    load("zalo/bot_api_send_ok.json"),
    {"ok": False, "result": load("zalo/bot_text_wrapped.json")["result"]},
    {"ok": True, "result": []},
    {"event_name": "message.text.received"},
    {"event_name": "message.text.received", "message": {"text": "x"}},
    {"event_name": "message.text.received", "message": {"message_id": ""}},
    {"event_name": 5, "message": {"message_id": "m"}},
]


@pytest.mark.parametrize("body", JUNK, ids=repr)
def test_zalo_junk_is_not_an_update(body: object) -> None:
    with pytest.raises(NotAnUpdate):
        update_keys(body)
    with pytest.raises(NotAnUpdate):
        events_of(body)


def test_zalo_unknown_event_is_ignored() -> None:
    assert events_of(_message("message.reaction.received", reaction="like")) == []


def test_zalo_vietnamese_alias_is_returned_raw() -> None:
    [event] = events_of(_message("message.text.received", text="/BaoCao có trộm"))
    assert isinstance(event, Command) and (event.name, event.args) == ("baocao", "có trộm")


def test_zalo_sticker_voice_link_and_location() -> None:
    sticker = _message("message.sticker.received", sticker="0e07", url="https://x.invalid/s.png")
    assert events_of(sticker) == [
        Media(kind="sticker", file_ref="https://x.invalid/s.png", **_hoa("2d6bc0e4a8f1b2c3d4e6"))
    ]
    voice = _message("message.voice.received", voice_url="https://x.invalid/v.aac")
    assert events_of(voice) == [
        Media(kind="voice", file_ref="https://x.invalid/v.aac", **_hoa("2d6bc0e4a8f1b2c3d4e6"))
    ]
    link = _message("message.link.received", url="https://lua-dao.invalid")
    assert events_of(link) == [
        TextMessage(text="https://lua-dao.invalid", **_hoa("2d6bc0e4a8f1b2c3d4e6"))
    ]
    where = _message("message.location.received", location={"latitude": "21.3", "longitude": 103.9})
    assert events_of(where) == [
        Location(latitude=21.3, longitude=103.9, **_hoa("2d6bc0e4a8f1b2c3d4e6"))
    ]


def test_zalo_unconfirmed_kinds_without_their_fields_are_ignored() -> None:
    assert events_of(_message("message.voice.received")) == []
    assert events_of(_message("message.location.received", location={"latitude": "x"})) == []
    assert events_of(_message("message.image.received", photo=5)) == []


def test_zalo_chat_kind_guessed_when_missing_and_unknown_refused() -> None:
    body = load("zalo/bot_text_flat.json")
    del body["message"]["chat"]["chat_type"]
    [event] = events_of(body)
    assert event.chat == HOA_CHAT
    body["message"]["chat"]["chat_type"] = "CHANNEL"
    assert events_of(body) == []


def test_from_millis_reads_milliseconds_seconds_and_digits() -> None:
    assert from_millis(1795300000000, default=RECEIVED) == SENT
    assert from_millis("1795300000000", default=RECEIVED) == SENT
    assert from_millis(1795300000, default=RECEIVED) == SENT
    for junk in (None, True, "soon", 10**30, -(10**30)):
        assert from_millis(junk, default=RECEIVED) == RECEIVED


_EVENT_NAMES = ["message.text.received", "message.image.received", "message.location.received"]
_MESSAGE_KEYS = ["message_id", "chat", "from", "text", "date", "photo", "location"]
UPDATES = st.fixed_dictionaries(
    {
        "event_name": st.text() | st.sampled_from(_EVENT_NAMES),
        "message": st.dictionaries(st.sampled_from(_MESSAGE_KEYS), JSON),
    }
)


@PROPERTY
@given(body=JSON | UPDATES)
def test_zalo_updates_of_any_json_raise_only_not_an_update(body: object) -> None:
    check_adapter(update_keys, events_of, body)


@PROPERTY
@given(data=st.data(), name=st.sampled_from(UPDATE_FIXTURES))
def test_zalo_updates_of_mutated_fixtures_raise_only_not_an_update(
    data: st.DataObject, name: str
) -> None:
    check_adapter(update_keys, events_of, data.draw(mutations(load(f"zalo/{name}"))))
