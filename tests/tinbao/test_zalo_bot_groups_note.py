"""At start, the log says plainly what the Zalo Bot can do in groups, by its getMe."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.fakes import FakeTelegram, FakeZalo
from tests.harness import make_settings, serving, with_platforms


@pytest.mark.parametrize(
    ("joins", "said"),
    [
        (False, "cannot be added to groups: it works in private chats only"),
        (True, "in a group Zalo shows the bot only messages that mention it"),
    ],
)
async def test_start_says_what_the_zalo_bot_can_do_in_groups(
    database_url: str,
    tmp_path: Path,
    platforms: tuple[FakeTelegram, FakeZalo],
    caplog: pytest.LogCaptureFixture,
    joins: bool,
    said: str,
) -> None:
    _, zalo = platforms
    zalo.bot_info["can_join_groups"] = joins
    with caplog.at_level(logging.INFO, logger="tinbao"):
        async with serving(make_settings(database_url, tmp_path, **with_platforms(platforms))):
            pass
    [line] = [r.getMessage() for r in caplog.records if "can_join_groups" in r.getMessage()]
    assert said in line and "Official Account" in line
