"""Teams conversation references (service URL, tenant, team, channel, 1:1 chats)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams_conversations",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("service_url", sa.String(length=300), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=200), nullable=True),
        sa.Column("channel_id", sa.String(length=200), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams_conversations")),
        sa.UniqueConstraint("user_id", name=op.f("uq_teams_conversations_user_id")),
    )
    op.create_index(
        op.f("ix_teams_conversations_updated_at"), "teams_conversations", ["updated_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_teams_conversations_updated_at"), table_name="teams_conversations")
    op.drop_table("teams_conversations")
