"""Playground updates (what the demo page posts): inbox keys and channel-neutral events."""

from __future__ import annotations

import filecmp
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.events import ButtonPress, ChatRef, Command, Location, Media, NotAnUpdate, TextMessage
from bot.playground.updates import playground_events, update_keys
from tests.bot import JSON, PROPERTY, check_adapter, mutations
from tinbao.demo.seed import AREAS_CSV

RECEIVED = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
LAN = ChatRef("playground", "lan", "private")


def body(**fields: Any) -> dict[str, Any]:
    """What the page posts when Lan writes in her private chat."""
    return {
        "update_id": "u-1",
        "chat": {"id": "lan", "kind": "private"},
        "from": {"id": "lan", "name": "Nguyễn Thị Lan"},
        "message_id": "p-1",
        "date": 1796635800000,
        **fields,
    }


def test_playground_keys_are_the_update_and_the_chat() -> None:
    assert update_keys(body(text="hi")) == ("u-1", "lan")
    junks: list[object] = [
        [],
        {"update_id": "u"},
        {"update_id": 5, "chat": {"id": "lan"}},
        {"chat": {}},
    ]
    for junk in junks:
        with pytest.raises(NotAnUpdate):
            update_keys(junk)


def test_playground_text_and_commands() -> None:
    [text] = playground_events(body(text="Mất xe đạp"), received_at=RECEIVED)
    [command] = playground_events(body(text="/baocao trộm"), received_at=RECEIVED)
    assert isinstance(text, TextMessage) and text.chat == LAN and text.text == "Mất xe đạp"
    assert text.sender is not None and text.sender.display_name == "Nguyễn Thị Lan"
    assert text.sent_at == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    assert isinstance(command, Command) and (command.name, command.args) == ("baocao", "trộm")


def test_playground_press_photo_and_location() -> None:
    press = {"message_id": "b7", "data": "r:cat:theft", "callback_id": "lan~abc"}
    [pressed] = playground_events(body(press=press), received_at=RECEIVED)
    photo = {"path": "ab/cd/x.png", "mime_type": "image/png", "size": 10, "caption": "xe"}
    [media] = playground_events(body(photo=photo), received_at=RECEIVED)
    [where] = playground_events(
        body(location={"latitude": 21.3268, "longitude": 103.9125}), received_at=RECEIVED
    )
    assert isinstance(pressed, ButtonPress) and pressed.message_id == "b7"
    assert (pressed.data, pressed.callback_id) == ("r:cat:theft", "lan~abc")
    assert isinstance(media, Media) and (media.file_ref, media.caption) == ("ab/cd/x.png", "xe")
    assert isinstance(where, Location) and where.latitude == 21.3268


def test_playground_ignores_what_it_cannot_use() -> None:
    for fields in (
        {"text": "   "},
        {"press": {"data": "x"}},
        {"location": {"latitude": 200, "longitude": 0}},
        {"chat": {"id": "lan", "kind": "channel"}},
        {"from": None, "text": "hi"},
    ):
        assert playground_events(body(**fields), received_at=RECEIVED) == []


@PROPERTY
@given(st.data())
def test_playground_adapter_never_crashes(data: st.DataObject) -> None:
    mutated = data.draw(mutations(body(text="/baocao")) | JSON)
    check_adapter(update_keys, lambda b: playground_events(b, received_at=RECEIVED), mutated)


def test_demo_areas_are_shipped_as_the_example() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "demo-areas.csv"
    assert filecmp.cmp(AREAS_CSV, example, shallow=False)
