"""Channel-neutral events: commands as typed, coordinates, well-typed fields."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.events import (
    ChatRef,
    CommandParts,
    Location,
    Person,
    TextMessage,
    coordinates,
    is_well_typed,
    parse_command,
)
from tests.bot import PROPERTY

CHAT = ChatRef("telegram", "770001", "private")
WHEN = datetime(2026, 11, 21, 22, 26, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "bot_name", "loose", "expected"),
    [
        ("/start", "tinbao_demo_bot", False, CommandParts("start", "", False)),
        ("/Report", "tinbao_demo_bot", False, CommandParts("report", "", False)),
        ("/start r-K7QX2", None, False, CommandParts("start", "r-K7QX2", False)),
        (
            "/report@tinbao_demo_bot Có 2 thanh niên",
            "tinbao_demo_bot",
            False,
            CommandParts("report", "Có 2 thanh niên", True),
        ),
        ("/report@TinBao_Demo_Bot x", "@tinbao_demo_bot", False, CommandParts("report", "x", True)),
        ("/report@otherbot x", "tinbao_demo_bot", False, None),
        ("@tinbao_demo_bot /report x", "tinbao_demo_bot", False, CommandParts("report", "x", True)),
        ("@someone /report x", "tinbao_demo_bot", False, None),
        ("@Tin báo /report xe lạ", "Tin báo", True, CommandParts("report", "xe lạ", True)),
        ("@Tin báo /report xe lạ", None, True, CommandParts("report", "xe lạ", True)),
        ("@Tin báo @Hoa /baocao  xe lạ ", None, True, CommandParts("baocao", "xe lạ", True)),
        (
            "/baocao\nDòng một\nDòng hai",
            None,
            True,
            CommandParts("baocao", "Dòng một\nDòng hai", False),
        ),
        ("/tracuu K7QX2", None, True, CommandParts("tracuu", "K7QX2", False)),
        ("@Tin báo xe lạ", "Tin báo", True, None),
        ("Có trộm ở ngõ 5", None, True, None),
        ("/ report", None, True, None),
        ("/etc/passwd", None, True, None),
        ("1/2 số nhà", None, True, None),
        ("", None, True, None),
    ],
)
def test_parse_command_reads_typed_commands(
    text: str, bot_name: str | None, loose: bool, expected: CommandParts | None
) -> None:
    assert parse_command(text, bot_name=bot_name, loose_mentions=loose) == expected


_NAMES = st.from_regex(r"[A-Za-z0-9_]{1,32}", fullmatch=True)
_ARGS = st.text(max_size=60).map(str.strip)


@PROPERTY
@given(name=_NAMES, mention=st.booleans(), args=_ARGS, loose=st.booleans())
def test_parse_command_round_trips(name: str, mention: bool, args: str, loose: bool) -> None:
    text = "/" + name + ("@tinbao_demo_bot" if mention else "") + " " + args
    parts = parse_command(text, bot_name="tinbao_demo_bot", loose_mentions=loose)
    assert parts == CommandParts(name.lower(), args, mention)


@PROPERTY
@given(text=st.text(max_size=80), bot_name=st.none() | st.text(max_size=12), loose=st.booleans())
def test_parse_command_never_raises(text: str, bot_name: str | None, loose: bool) -> None:
    parts = parse_command(text, bot_name=bot_name, loose_mentions=loose)
    assert parts is None or (parts.name == parts.name.lower() and parts.args == parts.args.strip())


def test_coordinates_reads_numbers_and_text() -> None:
    assert coordinates("21.327081", "103.914037") == (21.327081, 103.914037)
    assert coordinates(21, 103.5) == (21.0, 103.5)


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (True, 1),
        (None, 1),
        ("x", 1),
        (91, 0),
        (0, 181),
        (float("nan"), 0),
        ("1e400", 0),
        (10**400, 0),
    ],
)
def test_coordinates_rejects_what_is_no_point(latitude: object, longitude: object) -> None:
    assert coordinates(latitude, longitude) is None


def _text(**changes: object) -> TextMessage:
    fields: dict[str, object] = {
        "chat": CHAT,
        "sender": Person("770001", "Lan", None),
        "message_id": "1",
        "sent_at": WHEN,
        "text": "xin chào",
    }
    fields.update(changes)
    return TextMessage(**fields)  # type: ignore[arg-type]


def test_is_well_typed_accepts_a_proper_event() -> None:
    assert is_well_typed(_text())
    assert is_well_typed(
        Location(chat=CHAT, sender=None, message_id=None, sent_at=WHEN, latitude=1, longitude=2.5)
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"text": 5},
        {"message_id": 1},
        {"sent_at": datetime(2026, 11, 21, 22, 26, 40)},
        {"sent_at": datetime(2026, 11, 21, tzinfo=timezone(timedelta(hours=7)))},
        {"sender": Person("770001", 5, None)},  # type: ignore[arg-type]
        {"chat": ChatRef("telegram", 770001, "private")},  # type: ignore[arg-type]
    ],
)
def test_is_well_typed_rejects_mistyped_fields(changes: dict[str, object]) -> None:
    assert not is_well_typed(_text(**changes))


def test_event_is_frozen_with_slots() -> None:
    event = _text()
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.text = "khác"  # type: ignore[misc]
    assert not hasattr(event, "__dict__")
