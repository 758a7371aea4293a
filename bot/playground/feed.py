"""What the playground page shows: every message into and out of its chats, in order."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from pathlib import Path
from typing import Any

Item = dict[str, Any]


class PlaygroundFeed:
    """Numbered items, kept in a file so a demo with --data shows its past after a restart."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._items: list[Item] = []
        self._changed = asyncio.Event()
        self._closed = False
        self.epoch = secrets.token_hex(4)  # changes on reset: pages start over
        if path is not None and path.is_file():
            with path.open(encoding="utf-8") as file:
                for line in file:
                    with contextlib.suppress(ValueError):  # a line torn by a kill: skip it
                        self._items.append(json.loads(line))

    @property
    def last(self) -> int:
        """The number of the newest item; 0 when there is none."""
        return len(self._items)

    def append(self, item: Item) -> Item:
        """Add an item, number it, keep it, and wake the pages waiting for it."""
        numbered = {**item, "seq": len(self._items) + 1}
        self._items.append(numbered)
        if self._path is not None:
            with self._path.open("a", encoding="utf-8") as file:
                file.write(json.dumps(numbered, ensure_ascii=False) + "\n")
        self._wake()
        return numbered

    def after(self, seq: int) -> list[Item]:
        """The items newer than `seq`."""
        return self._items[max(seq, 0) :]

    def clear(self) -> None:
        """Forget every item (the demo was reset); pages reload."""
        self._items.clear()
        self.epoch = secrets.token_hex(4)
        if self._path is not None:
            self._path.write_text("", encoding="utf-8")
        self._wake()

    @property
    def closed(self) -> bool:
        """Whether the server is stopping: streams end."""
        return self._closed

    def close(self) -> None:
        """End every stream (the server is stopping); call on the feed's event loop."""
        self._closed = True
        self._wake()

    async def wait(self, seconds: float) -> None:
        """Return when something changed, or after `seconds`."""
        if self._closed:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)

    def _wake(self) -> None:
        # Waiters of this change hold the old event; later waiters get a fresh one.
        self._changed.set()
        self._changed = asyncio.Event()
