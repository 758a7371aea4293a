"""reports gathered into the cluster of one event

A burst of reports about one event is shown to the police as one cluster card: each member
names the first report of its cluster.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cluster_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_reports_cluster_id_reports"),
            "reports",
            ["cluster_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(op.f("ix_reports_cluster_id"), ["cluster_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_reports_cluster_id"))
        batch_op.drop_constraint(op.f("fk_reports_cluster_id_reports"), type_="foreignkey")
        batch_op.drop_column("cluster_id")
