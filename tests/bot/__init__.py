"""Tests of the chat side; hypothesis strategies shared by the adapters' property tests."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot.events import Event, NotAnUpdate, is_well_typed
from tests.conftest import FIXTURES

# No example database: a run does not depend on what earlier runs left on disk.
# TINBAO_PROPERTY_EXAMPLES raises the count for a longer search.
PROPERTY = settings(
    max_examples=int(os.environ.get("TINBAO_PROPERTY_EXAMPLES", "150")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Field names of the platforms' bodies, so that random objects often look like updates.
_KEYS = st.sampled_from(
    [
        "update_id", "message", "edited_message", "callback_query", "my_chat_member",
        "chat_member", "channel_post", "chat", "id", "type", "from", "text", "date",
        "entities", "photo", "file_id", "caption", "location", "latitude", "longitude",
        "ok", "result", "event_name", "message_id", "chat_type", "display_name", "is_bot",
        "msg_id", "sender", "recipient", "attachments", "payload", "url", "timestamp",
    ]
)  # fmt: skip
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["private", "supergroup", "GROUP", "/report x", "message.text.received"])
)
JSON = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(_KEYS | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=15,
)


def load(name: str) -> Any:
    """A fixture's JSON body, by its path under the shared fixtures."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    found = []
    for key, inner in items:
        found.append((*prefix, key))
        found.extend(_paths(inner, (*prefix, key)))
    return found


@st.composite
def mutations(draw: st.DrawFn, body: Any) -> Any:
    """A copy of a fixture with one to four fields deleted or replaced by random JSON."""
    body = copy.deepcopy(body)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(body)
        if not paths:
            break
        *parents, key = draw(st.sampled_from(paths))
        parent = body
        for step in parents:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[key]
        else:
            parent[key] = draw(JSON)
    return body


def check_adapter(
    keys: Callable[[Any], tuple[str, str]], events: Callable[[Any], list[Event]], body: Any
) -> None:
    """An adapter's keys and events accept the same bodies, refuse others with NotAnUpdate only."""
    try:
        found = keys(body)
    except NotAnUpdate:
        with pytest.raises(NotAnUpdate):
            events(body)
        return
    assert all(isinstance(key, str) and key for key in found)
    assert all(is_well_typed(event) for event in events(body))
