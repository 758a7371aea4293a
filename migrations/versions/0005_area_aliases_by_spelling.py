"""area aliases unique by spelling, areas indexed by change time

Two former names that differ only by diacritics (Hương Văn, Hương Vân) are both kept, and
the resolver's index asks cheaply whether any area changed since it was built.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("area_aliases", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_area_aliases_area_id_folded"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_area_aliases_area_id_alias"), ["area_id", "alias"]
        )
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.create_index("ix_areas_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.drop_index("ix_areas_updated_at")
    # Aliases that differ only by diacritics would break the old constraint: keep the first.
    op.execute(
        "DELETE FROM area_aliases WHERE id NOT IN "
        "(SELECT min(id) FROM area_aliases GROUP BY area_id, folded)"
    )
    with op.batch_alter_table("area_aliases", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_area_aliases_area_id_alias"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_area_aliases_area_id_folded"), ["area_id", "folded"]
        )
