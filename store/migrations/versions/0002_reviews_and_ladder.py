"""reviews (C(E)TRs), the escalation ladder's state on actions, job locks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cetrs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("chair_id", sa.Integer(), nullable=True),
        sa.Column("delegated_chair", sa.Boolean(), nullable=False),
        sa.Column("clinical_expert", sa.String(length=120), nullable=True),
        sa.Column("expert_by_experience", sa.String(length=120), nullable=True),
        sa.Column("secure_setting", sa.Boolean(), nullable=False),
        sa.Column("report_sent_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["young_person_id"], ["young_people.id"], name=op.f("fk_cetrs_young_person_id_young_people")
        ),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_cetrs_network_id_networks")),
        sa.ForeignKeyConstraint(["chair_id"], ["people.id"], name=op.f("fk_cetrs_chair_id_people")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["people.id"], name=op.f("fk_cetrs_recorded_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cetrs")),
    )
    with op.batch_alter_table("cetrs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cetrs_young_person_id"), ["young_person_id"], unique=False)

    op.create_table(
        "job_locks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_locks")),
    )

    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cetr_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("stage_since", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("paused_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("snoozed_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("reminded_for", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("flagged_for_agenda", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(batch_op.f("ix_actions_cetr_id"), ["cetr_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_actions_cetr_id_cetrs"), "cetrs", ["cetr_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_actions_cetr_id_cetrs"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_actions_cetr_id"))
        batch_op.drop_column("flagged_for_agenda")
        batch_op.drop_column("reminded_for")
        batch_op.drop_column("snoozed_until")
        batch_op.drop_column("paused_until")
        batch_op.drop_column("stage_since")
        batch_op.drop_column("cetr_id")
    op.drop_table("job_locks")
    with op.batch_alter_table("cetrs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cetrs_young_person_id"))
    op.drop_table("cetrs")
