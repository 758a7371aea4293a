"""Zalo OA webhook events: the signature, inbox keys, and channel-neutral events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.events import (
    BotAdded,
    BotRemoved,
    ChatRef,
    Command,
    Event,
    Location,
    Media,
    NotAnUpdate,
    Person,
    TextMessage,
)
from bot.zalo_oa.updates import oa_events, update_keys, verify_signature
from tests.bot import JSON, PROPERTY, check_adapter, load, mutations
from tests.conftest import FIXTURES

RAW = (FIXTURES / "zalo" / "oa_user_send_location.body").read_bytes()
HEADER = (FIXTURES / "zalo" / "oa_user_send_location.headers").read_text().split(":", 1)[1].strip()
KEYS = load("zalo/oa_test_keys.json")
APP_ID, SECRET = KEYS["app_id"], KEYS["oa_secret_key"]
USER = "4462276093349011405"
OA = "579745863508352884"
SENT = datetime.fromtimestamp(1795300000, UTC)
RECEIVED = datetime(2026, 11, 21, 22, 30, tzinfo=UTC)


def _verify(
    raw: bytes = RAW, header: str | None = HEADER, *, app_id: str = APP_ID, key: str = SECRET
) -> bool:
    return verify_signature(raw, header, app_id=app_id, oa_secret_key=key)


def test_verify_signature_holds_for_the_fixture() -> None:
    assert _verify()
    assert _verify(header="  " + HEADER.upper() + " ")


@pytest.mark.parametrize("index", [0, 10, len(RAW) // 2, len(RAW) - 2])
def test_verify_signature_fails_on_a_flipped_byte(index: int) -> None:
    flipped = RAW[:index] + bytes([RAW[index] ^ 0x01]) + RAW[index + 1 :]
    assert not _verify(flipped)


@pytest.mark.parametrize(
    ("app_id", "key"), [(APP_ID, SECRET + "x"), (APP_ID, ""), ("999", SECRET), ("", SECRET)]
)
def test_verify_signature_fails_with_wrong_keys(app_id: str, key: str) -> None:
    assert not _verify(app_id=app_id, key=key)


@pytest.mark.parametrize("header", [None, "", "mac=", HEADER[:-1] + "0", HEADER[4:], "mac=ø"])
def test_verify_signature_fails_without_the_right_header(header: str | None) -> None:
    assert not _verify(header=header)


@PROPERTY
@given(
    raw=st.binary(max_size=200) | JSON.map(lambda v: json.dumps(v).encode()),
    header=st.none() | st.text(max_size=80),
)
def test_verify_signature_of_anything_is_a_bool(raw: bytes, header: str | None) -> None:
    assert _verify(raw, header) is False


def test_update_keys_of_the_fixture() -> None:
    assert update_keys(json.loads(RAW)) == ("96d3cdf3af150460909", USER)


def _event(event_name: str, message: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(RAW)
    body["event_name"] = event_name
    if message is None:
        del body["message"]
    else:
        body["message"] = message
    body.update(fields)
    return body


def test_update_keys_without_msg_id_use_event_sender_and_time() -> None:
    follow = _event("follow", follower={"id": USER}, sender=None, recipient=None)
    assert update_keys(follow) == (f"follow:{USER}:1795300000000", USER)
    seen = _event(
        "user_seen_message", {"msg_ids": ["a"]}, sender={"id": OA}, recipient={"id": USER}
    )
    assert update_keys(seen) == (f"user_seen_message:{OA}:1795300000000", USER)


def test_update_keys_of_oa_sent_events_name_the_person() -> None:
    sent = _event(
        "oa_send_text",
        {"msg_id": "m1", "text": "Cảm ơn"},
        sender={"id": OA},
        recipient={"id": USER},
    )
    assert update_keys(sent) == ("m1", USER)


@pytest.mark.parametrize(
    "body", [[], "x", None, {}, {"event_name": ""}, {"event_name": 3}], ids=repr
)
def test_zalo_oa_junk_is_not_an_update(body: object) -> None:
    with pytest.raises(NotAnUpdate):
        update_keys(body)
    with pytest.raises(NotAnUpdate):
        oa_events(body)


def _fields(message_id: str | None = "96d3cdf3af150460909") -> dict[str, Any]:
    return {
        "chat": ChatRef("zalo-oa", USER, "private"),
        "sender": Person(USER, None, None),
        "message_id": message_id,
        "sent_at": SENT,
    }


def events_of(body: Any) -> list[Event]:
    """The events of a body, received at RECEIVED."""
    return oa_events(body, received_at=RECEIVED)


def test_oa_location_event_is_a_location() -> None:
    assert events_of(json.loads(RAW)) == [
        Location(latitude=21.327081, longitude=103.914037, **_fields())
    ]


def test_oa_text_and_commands() -> None:
    text = _event("user_send_text", {"msg_id": "m1", "text": "Có trộm"})
    assert events_of(text) == [TextMessage(text="Có trộm", **_fields("m1"))]
    command = _event("user_send_text", {"msg_id": "m2", "text": "/tracuu K7QX2"})
    assert events_of(command) == [Command(name="tracuu", args="K7QX2", **_fields("m2"))]


def test_oa_media_one_per_attachment_with_caption_once() -> None:
    photos = [{"type": "image", "payload": {"url": f"https://x.invalid/{n}.jpg"}} for n in (1, 2)]
    body = _event("user_send_image", {"msg_id": "m3", "text": "hai ảnh", "attachments": photos})
    assert events_of(body) == [
        Media(kind="photo", file_ref="https://x.invalid/1.jpg", caption="hai ảnh", **_fields("m3")),
        Media(kind="photo", file_ref="https://x.invalid/2.jpg", **_fields("m3")),
    ]


def test_oa_file_keeps_name_and_size() -> None:
    file = {
        "type": "file",
        "payload": {"url": "https://x.invalid/f", "name": "a.pdf", "size": "2048"},
    }
    [event] = events_of(_event("user_send_file", {"msg_id": "m4", "attachments": [file]}))
    assert isinstance(event, Media)
    assert (event.kind, event.file_name, event.size) == ("document", "a.pdf", 2048)


def test_oa_follow_and_unfollow() -> None:
    follow = _event("follow", follower={"id": USER}, sender=None)
    assert events_of(follow) == [BotAdded(as_admin=False, **_fields(None))]
    unfollow = _event("unfollow", follower={"id": USER}, sender=None)
    assert events_of(unfollow) == [BotRemoved(reason="blocked", **_fields(None))]


def test_oa_other_events_are_ignored() -> None:
    assert (
        events_of(_event("oa_send_text", {"msg_id": "m1", "text": "x"}, recipient={"id": USER}))
        == []
    )
    assert events_of(_event("oa_send_group_text", {"msg_id": "m1", "text": "x"})) == []
    assert events_of(_event("user_send_location", {"msg_id": "m1", "attachments": []})) == []


_EVENT_NAMES = ["user_send_text", "user_send_image", "user_send_location", "follow"]
EVENTS = st.fixed_dictionaries(
    {
        "event_name": st.sampled_from(_EVENT_NAMES),
        "sender": JSON,
        "message": JSON,
        "timestamp": JSON,
    }
)


@PROPERTY
@given(body=JSON | EVENTS)
def test_zalo_oa_events_of_any_json_raise_only_not_an_update(body: object) -> None:
    check_adapter(update_keys, events_of, body)


@PROPERTY
@given(data=st.data())
def test_zalo_oa_events_of_mutated_fixture_raise_only_not_an_update(data: st.DataObject) -> None:
    check_adapter(update_keys, events_of, data.draw(mutations(json.loads(RAW))))
