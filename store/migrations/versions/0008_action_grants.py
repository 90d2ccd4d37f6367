"""Escalation grants: access to one action for the people a stage asks

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "action_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(length=16), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"], ["actions.id"], name=op.f("fk_action_grants_action_id_actions")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_action_grants_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["people.id"], name=op.f("fk_action_grants_granted_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_grants")),
    )
    op.create_index(op.f("ix_action_grants_action_id"), "action_grants", ["action_id"])
    op.create_index("ix_action_grants_person_open", "action_grants", ["person_id", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_action_grants_person_open", table_name="action_grants")
    op.drop_index(op.f("ix_action_grants_action_id"), table_name="action_grants")
    op.drop_table("action_grants")
