"""on PostgreSQL, the primary keys of the counts carry the counts, read from the index alone

A PostgreSQL table keeps its rows in the order they were written, not in their key's order
(SQLite's WITHOUT ROWID tables do): a province's minute counts of two years were 28,000 rows
on 23,000 pages of the table. Each primary key now INCLUDEs the table's counts, so that
statistics read a run of the key's own pages (an index-only scan) instead. SQLite is
unchanged.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table: (key, counts), as in domain/reports/models.py
_COVERED = {
    "report_daily_counts": ("area_id, day, category, status", "filed, resolved"),
    "report_month_counts": ("area_id, scope, month, category, status", "filed, resolved"),
    "report_minute_counts": ("area_id, unit, kind, start, bucket", "reports"),
    "report_area_totals": ("area_id, day", "filed"),
}


def _primary_keys(*, covering: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, (key, counts) in _COVERED.items():
        include = f" INCLUDE ({counts})" if covering else ""
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT pk_{table},"
            f" ADD CONSTRAINT pk_{table} PRIMARY KEY ({key}){include}"
        )


def upgrade() -> None:
    _primary_keys(covering=True)


def downgrade() -> None:
    _primary_keys(covering=False)
