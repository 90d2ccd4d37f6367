"""the DSR register: rating history, admissions, keyworker and transition

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rating_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(length=8), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_rating_changes_young_person_id_young_people"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_rating_changes_actor_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_changes")),
    )
    with op.batch_alter_table("rating_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rating_changes_young_person_id"), ["young_person_id"], unique=False
        )

    op.create_table(
        "admissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("setting", sa.String(length=120), nullable=False),
        sa.Column("out_of_area", sa.Boolean(), nullable=False),
        sa.Column("discharged_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_admissions_young_person_id_young_people"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["people.id"], name=op.f("fk_admissions_recorded_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admissions")),
    )
    with op.batch_alter_table("admissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_admissions_young_person_id"), ["young_person_id"], unique=False
        )

    with op.batch_alter_table("young_people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keyworker_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("transition_month", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("archive_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_young_people_keyworker_id_people"), "people", ["keyworker_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("young_people", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_young_people_keyworker_id_people"), type_="foreignkey"
        )
        batch_op.drop_column("archive_reason")
        batch_op.drop_column("rated_at")
        batch_op.drop_column("transition_month")
        batch_op.drop_column("keyworker_id")
    with op.batch_alter_table("admissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admissions_young_person_id"))
    op.drop_table("admissions")
    with op.batch_alter_table("rating_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_changes_young_person_id"))
    op.drop_table("rating_changes")
