"""Storing webhook updates: once per (channel, key), in arrival order, payloads exact."""

from __future__ import annotations

from sqlmodel import col, select

from core.db import Database
from domain.inbox.models import InboxStatus, InboxUpdate
from domain.inbox.service import NewUpdate, store_updates


def update(key: str, *, channel: str = "telegram", payload: str = "{}") -> NewUpdate:
    """An update of chat 7."""
    return NewUpdate(channel=channel, update_key=key, chat_key="7", payload=payload)


def test_store_updates_keeps_arrival_order_and_payloads(db: Database) -> None:
    payloads = ['{"text":"Tối qua \\"xe\\" lạ"}', '{"a":[1,2,{"b":null}]}', "\\u0041 ' \\n"]
    keys = [str(k) for k in (30, 4, 1000, 2, 17, 5, 9, 11, 12, 13)]
    batch = [update(key, payload=payloads[n % 3]) for n, key in enumerate(keys)]
    assert store_updates(db, batch) == {("telegram", key) for key in keys}
    with db.reading() as session:
        rows = session.scalars(select(InboxUpdate).order_by(col(InboxUpdate.id))).all()
    assert [row.update_key for row in rows] == keys
    assert [row.payload for row in rows] == [u.payload for u in batch]
    assert {(row.status, row.attempts, row.chat_key) for row in rows} == {
        (InboxStatus.PENDING.value, 0, "7")
    }
    assert all(row.received_at.tzinfo is not None for row in rows)


def test_store_updates_stores_a_duplicate_once(db: Database) -> None:
    assert store_updates(db, [update("1"), update("1"), update("1", channel="zalo")]) == {
        ("telegram", "1"),
        ("zalo", "1"),
    }
    assert store_updates(db, [update("1"), update("2")]) == {("telegram", "2")}
    assert store_updates(db, []) == set()
    with db.reading() as session:
        stored = session.execute(select(InboxUpdate.channel, InboxUpdate.update_key)).all()
    assert sorted(stored) == [("telegram", "1"), ("telegram", "2"), ("zalo", "1")]
