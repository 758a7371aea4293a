"""Migrations: an empty database reaches the newest schema, which matches the models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

import broadcasts.models  # noqa: F401  (the broadcasts' tables)
import domain.models  # noqa: F401  (every table on the metadata)
from core.db import Database, UTCDateTime
from domain.reports.figures import count_mismatches
from domain.reports.stats import report_stats
from migrations.revision import HEAD_REVISION, current_revision
from migrations.runner import alembic_config, upgrade_to_head
from tests.conftest import ENGINES


@pytest.fixture(params=ENGINES)
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no schema at all."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'empty.db'}")
        yield database
        database.dispose()
        return
    server = request.getfixturevalue("postgres_server")
    name = "e_" + uuid.uuid4().hex[:12]
    server.create_database(name)
    database = Database(server.url(name))
    yield database
    database.dispose()
    server.drop_database(name)


def test_upgrade_brings_an_empty_database_to_head(empty_db: Database) -> None:
    assert current_revision(empty_db) is None
    upgrade_to_head(empty_db)
    assert current_revision(empty_db) == HEAD_REVISION
    tables = set(inspect(empty_db.engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


def test_the_head_serve_expects_is_the_newest_migration() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert scripts.get_current_head() == HEAD_REVISION


def test_upgrade_is_safe_to_run_again(empty_db: Database) -> None:
    upgrade_to_head(empty_db)
    upgrade_to_head(empty_db)
    assert current_revision(empty_db) == HEAD_REVISION


def test_migrated_schema_matches_the_models(empty_db: Database) -> None:
    upgrade_to_head(empty_db)
    with empty_db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_every_constraint_has_a_name(empty_db: Database) -> None:
    upgrade_to_head(empty_db)
    inspector = inspect(empty_db.engine)
    for table in SQLModel.metadata.tables:
        names = [fk["name"] for fk in inspector.get_foreign_keys(table)]
        names += [uq["name"] for uq in inspector.get_unique_constraints(table)]
        assert all(names), f"unnamed constraint on {table}"


def _upgrade_to(db: Database, revision: str) -> None:
    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_report_figures_are_backfilled_from_reports_and_their_timelines(
    empty_db: Database,
) -> None:
    _upgrade_to(empty_db, "0008")
    t0 = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)  # 1 April in Hà Nội, 31 March in UTC
    when = sa.column
    areas = sa.table(
        "areas",
        *(when(n) for n in ("id", "code", "name", "kind")),
        when("created_at", UTCDateTime),
        when("updated_at", UTCDateTime),
    )
    reports = sa.table(
        "reports",
        *(when(n) for n in ("id", "code", "category", "status", "area_id", "channel", "source")),
        *(when(n) for n in ("text", "anonymous", "urgent", "unrouted", "locale")),
        *(when(n, UTCDateTime) for n in ("claimed_at", "closed_at", "created_at", "updated_at")),
    )
    events = sa.table(
        "report_events",
        *(when(n) for n in ("report_id", "kind", "actor", "details")),
        when("at", UTCDateTime),
    )
    base: dict[str, object] = {"channel": "zalo", "source": "private", "text": "", "locale": "vi"}
    base |= {"anonymous": True, "urgent": False, "unrouted": False, "updated_at": t0}
    base |= {"claimed_at": None, "closed_at": None}
    minutes = timedelta(minutes=1)
    with empty_db.engine.begin() as connection:
        connection.execute(
            areas.insert(),
            [
                {"id": 1, "code": "W", "name": "W", "kind": "ward"}
                | {"created_at": t0, "updated_at": t0}
            ],
        )
        connection.execute(
            reports.insert(),
            [
                # Claimed after 10 minutes, released, claimed again: the first claim counts.
                base
                | {
                    "id": 1,
                    "code": "AAAAAA",
                    "category": "theft",
                    "status": "in_progress",
                    "area_id": 1,
                    "created_at": t0,
                    "claimed_at": t0 + 90 * minutes,
                },
                # Claimed after 30 minutes, resolved 2 days after filing, the next UTC day on.
                base
                | {
                    "id": 2,
                    "code": "BBBBBB",
                    "category": "drugs",
                    "status": "resolved",
                    "area_id": 1,
                    "created_at": t0 + 5 * minutes,
                    "closed_at": t0 + 5 * minutes + timedelta(days=2),
                },
                # Rejected without a claim; no area.
                base
                | {
                    "id": 3,
                    "code": "CCCCCC",
                    "category": "fraud",
                    "status": "rejected",
                    "area_id": None,
                    "created_at": t0 + timedelta(days=3),
                    "closed_at": t0 + timedelta(days=3, hours=1),
                },
            ],
        )
        connection.execute(
            events.insert(),
            [
                e | {"actor": "telegram:1", "details": "{}"}
                for e in [
                    {"report_id": 1, "kind": "claim", "at": t0 + 10 * minutes},
                    {"report_id": 1, "kind": "unclaim", "at": t0 + 20 * minutes},
                    {"report_id": 1, "kind": "claim", "at": t0 + 90 * minutes},
                    {"report_id": 2, "kind": "claim", "at": t0 + 35 * minutes},
                    {"report_id": 3, "kind": "reject", "at": t0 + timedelta(days=3, hours=1)},
                ]
            ],
        )
    upgrade_to_head(empty_db)
    with empty_db.reading() as session:
        figures = session.execute(
            sa.text("SELECT code, claim_minutes, resolve_minutes FROM reports ORDER BY code")
        ).all()
        assert [tuple(row) for row in figures] == [
            ("AAAAAA", 10.0, None),
            ("BBBBBB", 30.0, 2 * 24 * 60.0),
            ("CCCCCC", None, None),
        ]
        days = session.execute(
            sa.text(
                "SELECT day, area_id, category, status, filed, resolved "
                "FROM report_daily_counts WHERE area_id >= 0 ORDER BY day, category"
            )
        ).all()
        assert [tuple(row[1:]) for row in days] == [
            (1, "drugs", "resolved", 1, 0),
            (1, "theft", "in_progress", 1, 0),
            (1, "drugs", "resolved", 0, 1),
            (0, "fraud", "rejected", 1, 0),
        ]
        assert [str(row[0]) for row in days] == [
            "2026-03-31",
            "2026-03-31",
            "2026-04-02",
            "2026-04-03",
        ]
        months = session.execute(
            sa.text(
                "SELECT area_id, kind, start, bucket, reports FROM report_minute_counts "
                "WHERE unit = 'm' ORDER BY area_id, kind, bucket"
            )
        ).all()
        # Under the area, and everywhere (-1): the claims after 10 and 30 minutes, and the
        # resolution after two days, rounded to the hour.
        assert [(r[0], r[1], str(r[2]), r[3], r[4]) for r in months] == [
            (-1, "claim", "2026-03-01", 10, 1),
            (-1, "claim", "2026-03-01", 30, 1),
            (-1, "resolve", "2026-03-01", 2880, 1),
            (1, "claim", "2026-03-01", 10, 1),
            (1, "claim", "2026-03-01", 30, 1),
            (1, "resolve", "2026-03-01", 2880, 1),
        ]
        opened = session.execute(
            sa.text("SELECT area_id, status, reports FROM report_open_counts ORDER BY area_id")
        ).all()
        assert [tuple(row) for row in opened] == [(-1, "in_progress", 1), (1, "in_progress", 1)]
        everywhere = session.execute(
            sa.text("SELECT SUM(filed), SUM(resolved) FROM report_daily_counts WHERE area_id = -1")
        ).one()
        assert tuple(everywhere) == (3, 1)
        totals = session.execute(
            sa.text("SELECT area_id, day, filed FROM report_area_totals ORDER BY area_id, day")
        ).all()
        # Each area's own reports filed up to the end of each day one was filed on.
        assert [(r[0], str(r[1]), r[2]) for r in totals] == [
            (0, "2026-04-03", 1),
            (1, "2026-03-31", 2),
        ]
        own = session.execute(
            sa.text("SELECT COUNT(*) FROM report_month_counts WHERE scope = 'o'")
        ).scalar()
        assert own == 0
        assert count_mismatches(session.connection()) == []
        stats = report_stats(session, area_id=None, since=None, until=None)
    assert (stats.total, stats.claimed, stats.resolved) == (3, 2, 1)
    assert stats.median_minutes_to_claim == 20.0 and stats.median_minutes_to_resolve == 2880.0
