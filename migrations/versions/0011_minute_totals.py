"""running totals of the times to claim and resolve, instead of their day and month counts

A median of any area over any period read the counts of every bucket in every month and
day of the period (tens of thousands of rows for a province's two years); it now reads two
running totals per bucket, whatever the period. Filled from the reports; the day and month
counts are removed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.reports.figures import REPORTS
from domain.reports.minutes import bucket_sql, closure, day_of, month_sql, rebuild_minutes
from domain.reports.models import EVERYWHERE, NO_AREA

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_minute_totals",
        sa.Column("area_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "area_id", "kind", "bucket", "day", name=op.f("pk_report_minute_totals")
        ),
        sqlite_with_rowid=False,
    )
    op.drop_table("report_minute_counts")
    rebuild_minutes(op.get_bind())


def downgrade() -> None:
    op.drop_table("report_minute_totals")
    minute_counts = op.create_table(
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
    # 0010's minute counts, by UTC day ("d") and month ("m"), counted again from the reports.
    connection = op.get_bind()
    dialect = connection.dialect.name
    r = REPORTS.c
    tree = closure()
    parts = []
    for kind, column in (("claim", r.claim_minutes), ("resolve", r.resolve_minutes)):
        for unit, start in (
            ("d", day_of(r.created_at, dialect)),
            ("m", month_sql(r.created_at, dialect)),
        ):
            fields = (
                sa.literal(unit).label("unit"),
                sa.literal(kind).label("kind"),
                start.label("start"),
                bucket_sql(column, dialect).label("bucket"),
            )
            has = column.is_not(None)
            parts += [
                sa.select(tree.c.under.label("area_id"), *fields)
                .select_from(REPORTS.join(tree, tree.c.area_id == r.area_id))
                .where(has),
                sa.select(sa.literal(NO_AREA).label("area_id"), *fields).where(
                    has, r.area_id.is_(None)
                ),
                sa.select(sa.literal(EVERYWHERE).label("area_id"), *fields).where(has),
            ]
    every = sa.union_all(*parts).subquery()
    c = every.c
    keys = (c.area_id, c.unit, c.kind, c.start, c.bucket)
    counted = sa.select(*keys, sa.func.count()).group_by(*keys)
    connection.execute(
        minute_counts.insert().from_select(
            ["area_id", "unit", "kind", "start", "bucket", "reports"], counted
        )
    )
