"""Zalo OA group (GMF) events: the group in each documented place, echoes, unknown shapes."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.events import ChatRef, Command, Media, Person, TextMessage
from bot.zalo_oa.updates import oa_events, update_keys
from tests.bot import JSON, PROPERTY, check_adapter
from tests.fakes.zalo_oa_events import GROUP_SHAPES, OA_ID, group_event, photo

GROUP, RESIDENT = "gmf_5501", "4462276093349011405"
IDS = st.text("0123456789abc_", min_size=1, max_size=12)


@pytest.mark.parametrize("shape", GROUP_SHAPES)
def test_group_text_comes_from_the_group_and_the_sender_in_every_shape(shape: str) -> None:
    body = group_event("user_send_group_text", GROUP, RESIDENT, text="Có trộm xe", shape=shape)
    [event] = oa_events(body)
    assert isinstance(event, TextMessage) and event.text == "Có trộm xe"
    assert event.chat == ChatRef("zalo-oa", GROUP, "group")
    assert event.sender == Person(RESIDENT, None, None)
    assert update_keys(body) == (body["message"]["msg_id"], GROUP)


def test_group_command_needs_no_mention() -> None:
    body = group_event("user_send_group_text", GROUP, RESIDENT, text="/link AB12CD")
    [event] = oa_events(body)
    assert isinstance(event, Command) and (event.name, event.args) == ("link", "AB12CD")


def test_group_photo_is_media_of_the_group() -> None:
    body = group_event("user_send_group_image", GROUP, RESIDENT, text="ở đây", attachments=photo())
    [event] = oa_events(body)
    assert isinstance(event, Media) and event.kind == "photo" and event.caption == "ở đây"
    assert event.chat.chat_id == GROUP


def test_group_id_wins_over_conversation_id_over_recipient_id() -> None:
    body = group_event("user_send_group_text", "g1", RESIDENT, text="x", shape="recipient_id")
    body["message"]["conversation_id"] = "g2"
    assert oa_events(body)[0].chat.chat_id == "g2"
    body["recipient"]["group_id"] = "g3"
    assert oa_events(body)[0].chat.chat_id == "g3"


@pytest.mark.parametrize("name", ["oa_send_group_text", "oa_send_group_image"])
def test_echoes_of_the_oa_in_a_group_are_ignored(name: str) -> None:
    assert oa_events(group_event(name, GROUP, OA_ID, text="Tin báo 7KQ2MX")) == []


def test_group_event_of_unknown_shape_is_logged_without_ids_or_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = group_event("user_send_group_text", GROUP, RESIDENT, text="Nhà số 5 bị trộm")
    body["recipient"] = {"conversation": {"key": GROUP}}
    with caplog.at_level(logging.WARNING, logger="bot.zalo_oa.updates"):
        assert oa_events(body) == []
    [record] = caplog.records
    assert "unknown shape" in record.getMessage()
    assert not any(secret in record.getMessage() for secret in (GROUP, RESIDENT, "trộm"))


GROUP_EVENTS = st.fixed_dictionaries(
    {
        "event_name": st.sampled_from(["user_send_group_text", "user_send_group_image"]),
        "sender": JSON | st.fixed_dictionaries({"id": IDS}),
        "recipient": JSON | st.fixed_dictionaries({"id": IDS}, optional={"group_id": IDS}),
        "message": JSON
        | st.fixed_dictionaries({"text": st.text()}, optional={"conversation_id": IDS}),
        "timestamp": JSON,
    }
)


@PROPERTY
@given(body=JSON | GROUP_EVENTS)
def test_group_events_of_any_json_raise_only_not_an_update(body: object) -> None:
    check_adapter(update_keys, oa_events, body)


@PROPERTY
@given(group=IDS, conversation=st.none() | IDS, recipient=IDS, sender=IDS, text=st.text(min_size=1))
def test_group_events_take_the_first_id_present(
    group: str, conversation: str | None, recipient: str, sender: str, text: str
) -> None:
    body: dict[str, Any] = group_event("user_send_group_text", recipient, sender, text=text)
    body["recipient"] = {"id": recipient, "group_id": group}
    if conversation is not None:
        body["message"]["conversation_id"] = conversation
    expected = group
    for events in (oa_events(body), None):
        if events is None:  # again without recipient.group_id
            del body["recipient"]["group_id"]
            expected = conversation or recipient
            events = oa_events(body)
        if expected == sender:  # a "group" that is the sender is no group: ignored
            assert events == []
            continue
        assert all(e.chat.chat_id == expected and e.chat.kind == "group" for e in events)
        assert all(e.sender is not None and e.sender.user_id == sender for e in events)
