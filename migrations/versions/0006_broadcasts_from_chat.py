"""broadcasts composed in a triage chat: their chat, and the officers' drafts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin_chat", sa.String(length=96), nullable=True))
    op.create_table(
        "broadcast_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=96), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_drafts")),
        sa.UniqueConstraint(
            "channel", "chat_id", "author", name=op.f("uq_broadcast_drafts_channel_chat_id_author")
        ),
    )
    op.create_index(
        op.f("ix_broadcast_drafts_updated_at"), "broadcast_drafts", ["updated_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_broadcast_drafts_updated_at"), table_name="broadcast_drafts")
    op.drop_table("broadcast_drafts")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_column("origin_chat")
