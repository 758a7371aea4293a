"""The loops' polls leave little garbage in reference cycles, which only the collector frees.

Each collection pauses the whole process, webhooks included: an alias built at each poll
left 350–450 such objects a call, and the inbox workers and the sender poll many
times a second.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from core.db import Database
from domain.inbox.service import NewUpdate, due_chats, store_updates
from domain.outbox.delivery import due_messages

CALLS = 50
AT_MOST_PER_CALL = 150  # 355 and 444 with an alias built at each call; 70 and 51 now


def cyclic_garbage_per_call(poll: Callable[[], object]) -> float:
    """Objects the collector frees per call of the poll, its statement compiled before."""
    poll()
    gc.collect()
    gc.disable()  # so that no collection runs among the calls and frees some of it unseen
    try:
        for _ in range(CALLS):
            poll()
    finally:
        gc.enable()
    return gc.collect() / CALLS


def test_polling_for_due_chats_leaves_little_cyclic_garbage(db: Database) -> None:
    store_updates(db, [NewUpdate(channel="telegram", update_key="1", chat_key="7", payload="{}")])
    assert due_chats(db) == [("telegram", "7")]
    assert cyclic_garbage_per_call(lambda: due_chats(db)) < AT_MOST_PER_CALL


def test_polling_for_due_messages_leaves_little_cyclic_garbage(db: Database) -> None:
    assert cyclic_garbage_per_call(lambda: due_messages(db, limit=20, channels=["telegram"])) < (
        AT_MOST_PER_CALL
    )
