"""information governance: consent events, the record's transfer and
erasure, chat-copy deletion and membership reviews

- ``consent_events``: consent re-checks and withdrawals, dated, with who.
- ``young_people.consent_reviewed_on``, ``record_transferred_at``,
  ``record_transferred_by``, ``erased_at``.
- ``networks.chat_copies_deleted_at``, ``members_reviewed_at``.
- ``membership_review_items``: who a keyworker was asked about, and the answer.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("young_people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_reviewed_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("record_transferred_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("record_transferred_by", sa.String(length=254), nullable=True)
        )
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("chat_copies_deleted_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("members_reviewed_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("basis", sa.String(length=24), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_consent_events_actor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_consent_events_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_events_young_person_id"), ["young_person_id"], unique=False
        )
    op.create_table(
        "membership_review_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=12), nullable=False),
        sa.Column("asked_on", sa.Date(), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["people.id"],
            name=op.f("fk_membership_review_items_answered_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["networks.id"],
            name=op.f("fk_membership_review_items_network_id_networks"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_membership_review_items_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_review_items")),
        sa.UniqueConstraint(
            "network_id",
            "person_id",
            "asked_on",
            name=op.f("uq_membership_review_items_network_id_person_id_asked_on"),
        ),
    )
    with op.batch_alter_table("membership_review_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_membership_review_items_network_id"), ["network_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("membership_review_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_review_items_network_id"))
    op.drop_table("membership_review_items")
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_events_young_person_id"))
    op.drop_table("consent_events")
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.drop_column("members_reviewed_at")
        batch_op.drop_column("chat_copies_deleted_at")
    with op.batch_alter_table("young_people", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("record_transferred_by")
        batch_op.drop_column("record_transferred_at")
        batch_op.drop_column("consent_reviewed_on")
