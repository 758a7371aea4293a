"""Let the event loop run, for tests of what happens inside it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def spin_until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until a condition holds, for 10 s at most."""
    async with asyncio.timeout(10):
        while not condition():
            await asyncio.sleep(0)
