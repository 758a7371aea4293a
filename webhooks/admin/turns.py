"""Admin reads take turns with the desk's figures (core/reading_turns.py).

Statistics take theirs inside a shared reading (webhooks/admin/stats.py): identical
questions join one reading first, then that reading waits for a turn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request

from webhooks.state import get_state


async def read_in_turn(request: Request) -> AsyncIterator[None]:
    """Hold one of the few reading turns for a GET of the admin API; other methods go at once."""
    if request.method not in ("GET", "HEAD"):
        yield
        return
    async with (await get_state(request)).reading_turns.turn():
        yield
