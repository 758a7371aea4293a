"""What the broadcast benchmarks share: settings, a database with groups, a broadcast, its run."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from _common import ROOT  # noqa: F401  (puts the repository on sys.path)
from _country import build_country, telegram_group
from sender import BROADCAST
from sqlalchemy import select
from sqlmodel import col

from broadcasts.models import BroadcastRun
from broadcasts.plans import BroadcastRequest
from broadcasts.service import create_broadcast
from core.db import Database
from core.settings import Settings
from migrations.runner import upgrade_to_head
from tests.harness import make_settings


def settings_for(url: str, workdir: Path, **more: Any) -> Settings:
    """The service's settings for a run: no quiet hours, so that it is timed at any hour."""
    return make_settings(url, workdir, quiet_hours="", **more)


def fresh_db(url: str, n: int, *, noise: bool) -> tuple[Database, list[str], list[str]]:
    """A migrated database with n Telegram community groups in one province; (db, codes, ids)."""
    db = Database(url)
    upgrade_to_head(db)
    country = build_country(
        db, provinces=1, wards_per_province=max(1, n // 100), hamlets_per_ward=5, groups=n,
        noise=noise,
    )  # fmt: skip
    return db, country.province_codes, [telegram_group(i) for i in range(n)]


def create(db: Database, settings: Settings, areas: list[str] | None, due: datetime) -> int:
    """A one-off broadcast of BROADCAST to the areas, as the API creates it."""
    request = BroadcastRequest(
        areas=None if areas is None else tuple(areas), text=BROADCAST, send_at=due
    )
    with db.session() as session:
        broadcast = create_broadcast(session, request, settings=settings)
        assert broadcast.id is not None
        return broadcast.id


def run_row(db: Database) -> BroadcastRun:
    """The newest run."""
    with db.reading() as session:
        run = session.scalars(select(BroadcastRun).order_by(col(BroadcastRun.id).desc())).first()
    assert run is not None
    return run
