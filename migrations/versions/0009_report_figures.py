"""report figures: times to claim and resolve on the report, daily counts, indexes

Statistics read figures kept when they happen instead of loading reports: the minutes to the
first claim and to the resolution on each report, and reports filed and resolved per UTC day
by area, category and status (and per UTC month, under each area above too), reports per bucket of their times to claim and resolve
per UTC day and month by area (and every area above it), and the open reports per area
(and every area above it). All are backfilled from the existing reports and timelines.
Indexes serve the lists by area, status and category, the chart and the overdue sweep.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.reports.figures import REPORTS
from domain.reports.minutes import rebuild_minutes
from domain.reports.models import ReportEvent, Status
from domain.reports.months import rebuild_months
from domain.reports.open_counts import rebuild_open
from domain.reports.triage import minutes_between

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
OVERDUE = "escalated_at IS NULL"
OPEN_QUEUE = "status IN ('in_progress', 'new')"


def upgrade() -> None:
    op.create_table(
        "report_daily_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("area_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filed", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "area_id", "category", "status", name=op.f("pk_report_daily_counts")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_minute_counts",
        sa.Column("area_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("unit", sa.String(length=1), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "area_id", "unit", "kind", "start", "bucket", name=op.f("pk_report_minute_counts")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_month_counts",
        sa.Column("area_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("scope", sa.String(length=1), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filed", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "area_id",
            "scope",
            "month",
            "category",
            "status",
            name=op.f("pk_report_month_counts"),
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_open_counts",
        sa.Column("area_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("area_id", "status", name=op.f("pk_report_open_counts")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_minutes", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("resolve_minutes", sa.Float(), nullable=True))
        batch_op.create_index("ix_reports_area_id_id", ["area_id", "id"], unique=False)
        batch_op.create_index(
            "ix_reports_area_figures",
            ["area_id", "created_at", "claim_minutes", "resolve_minutes"],
            unique=False,
        )
        batch_op.create_index("ix_reports_status_id", ["status", "id"], unique=False)
        batch_op.create_index(
            "ix_reports_category_created_at", ["category", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_reports_open_queue",
            ["urgent", "created_at", "id"],
            unique=False,
            sqlite_where=sa.text(OPEN_QUEUE),
            postgresql_where=sa.text(OPEN_QUEUE),
        )
        batch_op.create_index(
            "ix_reports_status_closed_at", ["status", "closed_at", "area_id"], unique=False
        )
        batch_op.create_index(
            "ix_reports_claim_overdue",
            ["status", "claim_due_at"],
            unique=False,
            sqlite_where=sa.text(OVERDUE),
            postgresql_where=sa.text(OVERDUE),
        )
        batch_op.create_index(
            "ix_reports_resolve_overdue",
            ["status", "resolve_due_at"],
            unique=False,
            sqlite_where=sa.text(OVERDUE),
            postgresql_where=sa.text(OVERDUE),
        )
    connection = op.get_bind()
    _backfill_minutes(connection)
    # The daily counts are filled by 0010, which gives them their present form.
    rebuild_minutes(connection)
    rebuild_open(connection)
    rebuild_months(connection)


def _backfill_minutes(connection: sa.Connection) -> None:
    """Minutes to the first claim (the timeline's, or claimed_at) and to a standing resolution."""
    events = ReportEvent.__table__.c  # type: ignore[attr-defined]
    r = REPORTS.c
    first_claim = (
        sa.select(sa.func.min(events.at))
        .where(events.report_id == r.id, events.kind == "claim")
        .correlate(REPORTS)
        .scalar_subquery()
    )
    after = 0
    while True:
        rows = connection.execute(
            sa.select(r.id, r.created_at, r.claimed_at, first_claim, r.status, r.closed_at)
            .where(r.id > after)
            .order_by(r.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changes = []
        for report_id, created, claimed, claim_event, status, closed in rows:
            firsts = [t for t in (claimed, claim_event) if t is not None]
            resolved = status == Status.RESOLVED.value and closed is not None
            changes.append(
                {
                    "key": report_id,
                    "claim": minutes_between(created, min(firsts)) if firsts else None,
                    "resolve": minutes_between(created, closed) if resolved else None,
                }
            )
        connection.execute(
            REPORTS.update()
            .where(r.id == sa.bindparam("key"))
            .values(claim_minutes=sa.bindparam("claim"), resolve_minutes=sa.bindparam("resolve")),
            changes,
        )
        after = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        for name in (
            "ix_reports_resolve_overdue",
            "ix_reports_claim_overdue",
            "ix_reports_status_closed_at",
            "ix_reports_open_queue",
            "ix_reports_category_created_at",
            "ix_reports_status_id",
            "ix_reports_area_figures",
            "ix_reports_area_id_id",
        ):
            batch_op.drop_index(name)
        batch_op.drop_column("resolve_minutes")
        batch_op.drop_column("claim_minutes")
    op.drop_table("report_open_counts")
    op.drop_table("report_month_counts")
    op.drop_table("report_minute_counts")
    op.drop_table("report_daily_counts")
