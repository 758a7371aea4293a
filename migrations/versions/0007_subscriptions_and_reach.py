"""subscriptions, and groups' member counts for the reach of broadcasts

Residents subscribe in a private chat to an area's broadcasts; a group remembers how many
members the platform last said it has, and when that was asked.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("chat_ref", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("heard_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["areas.id"],
            name=op.f("fk_subscriptions_area_id_areas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["chat_ref"],
            ["chats.id"],
            name=op.f("fk_subscriptions_chat_ref_chats"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_subscriptions_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint(
            "person_id", "area_id", name=op.f("uq_subscriptions_person_id_area_id")
        ),
    )
    for column in ("area_id", "chat_ref", "person_id"):
        op.create_index(op.f(f"ix_subscriptions_{column}"), "subscriptions", [column], unique=False)
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("members", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("members_counted_at", UTC, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_column("members_counted_at")
        batch_op.drop_column("members")
    for column in ("person_id", "chat_ref", "area_id"):
        op.drop_index(op.f(f"ix_subscriptions_{column}"), table_name="subscriptions")
    op.drop_table("subscriptions")
