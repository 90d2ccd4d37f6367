"""How each person is reached (people.reach: chat or email) and the
keyworker's revocations of emailed one-action links (issue 14).

Revision ID: 0012
Revises: 0013 (after the information governance tables)
Create Date: 2026-12-04 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("reach", sa.String(8), nullable=False, server_default="chat"))
    op.create_table(
        "link_revocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"], ["actions.id"], name=op.f("fk_link_revocations_action_id_actions")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_link_revocations_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["people.id"], name=op.f("fk_link_revocations_revoked_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_revocations")),
    )
    op.create_index(
        "ix_link_revocations_action_person", "link_revocations", ["action_id", "person_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_link_revocations_action_person", table_name="link_revocations")
    op.drop_table("link_revocations")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("reach")
