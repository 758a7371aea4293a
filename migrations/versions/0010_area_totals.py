"""daily counts under every area above, running totals of each area's own reports

The daily counts now count a report under its area, every area above it and everywhere
(as the month and minute counts do), keyed by area first: a period's days of a province are
a few dozen rows each instead of a row per area below it. The list of areas reads running
totals of each area's own reports per UTC day (two rows per area, whatever the period)
instead of the month counts' own rows, which are removed. Both are filled from the reports.
The index by time now carries what statistics read of the reports at a period's ends.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from domain.reports.area_totals import rebuild_totals
from domain.reports.figures import COUNTS, REPORTS, rebuild_daily
from domain.reports.minutes import day_of, month_sql
from domain.reports.models import NO_AREA, OWN, Status
from domain.reports.months import MONTHS

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_BY_TIME = ("created_at", "area_id", "category", "status", "claim_minutes", "resolve_minutes")


def _daily_counts(*key: str) -> None:
    op.create_table(
        "report_daily_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("area_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filed", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_report_daily_counts")),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    op.drop_table("report_daily_counts")
    _daily_counts("area_id", "day", "category", "status")
    op.create_table(
        "report_area_totals",
        sa.Column("area_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("filed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("area_id", "day", name=op.f("pk_report_area_totals")),
        sqlite_with_rowid=False,
    )
    op.execute("DELETE FROM report_month_counts WHERE scope = 'o'")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_created_at")
        batch_op.create_index("ix_reports_created_at_figures", list(_BY_TIME), unique=False)
    connection = op.get_bind()
    rebuild_daily(connection)
    rebuild_totals(connection)


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_created_at_figures")
        batch_op.create_index("ix_reports_created_at", ["created_at"], unique=False)
    op.drop_table("report_area_totals")
    op.drop_table("report_daily_counts")
    _daily_counts("day", "area_id", "category", "status")
    # 0009's daily counts (each report under its own area only) and its month counts' own
    # rows, counted again from the reports.
    connection = op.get_bind()
    dialect = connection.dialect.name
    r = REPORTS.c
    area = sa.func.coalesce(r.area_id, NO_AREA)
    resolved = [r.status == Status.RESOLVED.value, r.closed_at.is_not(None)]
    for table, when, key in (
        (COUNTS, day_of, ["day", "area_id", "category", "status"]),
        (MONTHS, month_sql, ["month", "area_id", "scope", "category", "status"]),
    ):
        own: list[Any] = (
            [r.category, r.status]
            if table is COUNTS
            else [sa.literal(OWN), sa.literal(""), sa.literal("")]
        )
        parts = [
            sa.select(
                when(r.created_at, dialect),
                area,
                *own,
                sa.literal(1).label("f"),
                sa.literal(0).label("r"),
            ).where(r.created_at.is_not(None)),
            sa.select(
                when(r.closed_at, dialect),
                area,
                *own,
                sa.literal(0).label("f"),
                sa.literal(1).label("r"),
            ).where(*resolved),
        ]
        every = sa.union_all(*parts).subquery()
        c = list(every.c)
        keys = c[: len(key)]
        summed = sa.select(*keys, sa.func.sum(c[-2]), sa.func.sum(c[-1])).group_by(*keys)
        connection.execute(table.insert().from_select([*key, "filed", "resolved"], summed))
