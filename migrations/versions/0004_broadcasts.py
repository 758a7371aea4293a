"""broadcasts

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title_vi", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=True),
        sa.Column("text_vi", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("image", sa.String(length=500), nullable=True),
        sa.Column("retired_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contents")),
        sa.UniqueConstraint("key", name=op.f("uq_contents_key")),
    )
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("content_key", sa.String(length=64), nullable=True),
        sa.Column("areas", sa.Text(), nullable=False),
        sa.Column("channels", sa.Text(), nullable=True),
        sa.Column("send_at", UTC, nullable=True),
        sa.Column("cron", sa.String(length=120), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("next_run_at", UTC, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index("ix_broadcasts_due", "broadcasts", ["status", "next_run_at"], unique=False)
    op.create_table(
        "broadcast_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("targets", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("resumed_at", UTC, nullable=True),
        sa.Column("finished_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_broadcast_runs_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_runs")),
        sa.UniqueConstraint(
            "broadcast_id", "due_at", name=op.f("uq_broadcast_runs_broadcast_id_due_at")
        ),
    )
    op.create_index(
        op.f("ix_broadcast_runs_broadcast_id"), "broadcast_runs", ["broadcast_id"], unique=False
    )
    op.create_index("ix_broadcast_runs_status", "broadcast_runs", ["status"], unique=False)
    op.create_table(
        "broadcast_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=96), nullable=False),
        sa.Column("chat", sa.String(length=96), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_broadcast_events_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_events")),
    )
    op.create_index(
        op.f("ix_broadcast_events_broadcast_id"), "broadcast_events", ["broadcast_id"], unique=False
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_id", sa.BigInteger(), nullable=True))
        batch_op.create_index("uq_outbox_run_chat", ["run_id", "channel", "chat_id"], unique=True)
        batch_op.create_index("ix_outbox_run_status", ["run_id", "status"], unique=False)
        batch_op.create_index("ix_outbox_run_finished", ["run_id", "finished_at"], unique=False)
    # Urgent broadcasts got a lane of their own between replies and routine broadcasts.
    op.execute("UPDATE outbox SET lane = 2 WHERE lane = 1")


def downgrade() -> None:
    op.execute("UPDATE outbox SET lane = 1 WHERE lane = 2")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_run_finished")
        batch_op.drop_index("ix_outbox_run_status")
        batch_op.drop_index("uq_outbox_run_chat")
        batch_op.drop_column("run_id")
    op.drop_index(op.f("ix_broadcast_events_broadcast_id"), table_name="broadcast_events")
    op.drop_table("broadcast_events")
    op.drop_index("ix_broadcast_runs_status", table_name="broadcast_runs")
    op.drop_index(op.f("ix_broadcast_runs_broadcast_id"), table_name="broadcast_runs")
    op.drop_table("broadcast_runs")
    op.drop_index("ix_broadcasts_due", table_name="broadcasts")
    op.drop_table("broadcasts")
    op.drop_table("contents")
