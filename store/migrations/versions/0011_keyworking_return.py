"""the keyworking return: preventive support, and the workforce table's
directory columns

- ``young_people.preventive_only``: a young person known only for preventive
  keyworking support, never on the DSR (existing rows: false).
- ``young_people.support``: the kind of keyworking support recorded now
  ("preventive" or empty), and ``support_changes``, its dated history.
- ``people.grade`` and ``people.part_time``: the directory's optional
  columns, for the workforce table.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("young_people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("preventive_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("support", sa.String(length=16), nullable=True))
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grade", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("part_time", sa.Boolean(), nullable=True))
    op.create_table(
        "support_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_support_changes_actor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_support_changes_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_changes")),
    )
    with op.batch_alter_table("support_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_changes_young_person_id"), ["young_person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("support_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_changes_young_person_id"))
    op.drop_table("support_changes")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("part_time")
        batch_op.drop_column("grade")
    with op.batch_alter_table("young_people", schema=None) as batch_op:
        batch_op.drop_column("support")
        batch_op.drop_column("preventive_only")
