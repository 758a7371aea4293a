"""The leader lease: only a conflict means another leads; a lapsed lease is re-taken anew."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from core.db import Database, utcnow
from core.leadership import acquire_leadership
from tests.harness import free_port

TTL = timedelta(seconds=15)


def test_acquire_leadership_renews_keeping_the_token(db: Database) -> None:
    first = acquire_leadership(db, name="leader", holder="a", ttl=TTL)
    again = acquire_leadership(db, name="leader", holder="a", ttl=TTL, current=first)
    assert first is not None and again == first
    assert acquire_leadership(db, name="leader", holder="b", ttl=TTL) is None


def test_acquire_leadership_renewed_late_keeps_the_token_when_nobody_led_between(
    db: Database,
) -> None:
    first = acquire_leadership(db, name="leader", holder="a", ttl=TTL)
    late = utcnow() + TTL * 2  # a slow renewal: still ours, nobody else took it
    again = acquire_leadership(db, name="leader", holder="a", ttl=TTL, now=late, current=first)
    assert again == first


def test_acquire_leadership_retaken_after_giving_it_up_gets_a_new_token(db: Database) -> None:
    first = acquire_leadership(db, name="leader", holder="a", ttl=TTL)
    assert first is not None
    later = utcnow() + TTL * 2  # the database was away; the process stopped leading meanwhile
    again = acquire_leadership(db, name="leader", holder="a", ttl=TTL, now=later)
    assert again is not None and again.token == first.token + 1


def test_acquire_leadership_raises_when_the_database_is_away() -> None:
    away = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/tinbao")
    try:
        with pytest.raises(OperationalError):
            acquire_leadership(away, name="leader", holder="a", ttl=TTL)
    finally:
        away.dispose()
