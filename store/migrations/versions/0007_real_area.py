"""a real area: agencies compared case-folded, imported history, admissions
brought in without a recorder

- ``agencies.name_key``: the agency's name case-folded (``bot.folding.fold``),
  unique. Agencies whose names fold to the same key (possible before, because
  SQLite's ``lower()`` folds only A-Z) are merged into the oldest: its people
  and actions move to it, and the others are deleted.
- ``imported_events``: the key of every event a register history import
  applied, so that importing the same file again changes nothing.
- ``admissions.recorded_by_id`` may be empty: an admission brought in from a
  register's history has no recorder in Teamaround (the audit log names who
  imported it).

Revision ID: 0007
Revises: 0008
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from bot.folding import fold

revision = "0007"
down_revision = "0008"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=200), nullable=True))
    connection = op.get_bind()
    keep: dict[str, int] = {}
    for agency_id, name in connection.execute(
        sa.text("SELECT id, name FROM agencies ORDER BY id")
    ).all():
        key = fold(name)
        if key in keep:
            into = keep[key]
            log.warning("merging agency %s (%r) into agency %s: same name", agency_id, name, into)
            for table in ("people", "actions"):
                connection.execute(
                    sa.text(f"UPDATE {table} SET agency_id = :into WHERE agency_id = :old"),
                    {"into": into, "old": agency_id},
                )
            connection.execute(sa.text("DELETE FROM agencies WHERE id = :old"), {"old": agency_id})
            continue
        keep[key] = agency_id
        connection.execute(
            sa.text("UPDATE agencies SET name_key = :key WHERE id = :id"),
            {"key": key, "id": agency_id},
        )
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.alter_column("name_key", existing_type=sa.String(length=200), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_agencies_name_key"), ["name_key"])

    op.create_table(
        "imported_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["registers.id"],
            name=op.f("fk_imported_events_register_id_registers"),
        ),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_imported_events_young_person_id_young_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_events")),
        sa.UniqueConstraint("register_id", "key", name=op.f("uq_imported_events_register_id_key")),
    )
    op.create_index(
        op.f("ix_imported_events_young_person_id"), "imported_events", ["young_person_id"]
    )

    with op.batch_alter_table("admissions", schema=None) as batch_op:
        batch_op.alter_column("recorded_by_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    connection = op.get_bind()
    # An imported admission has no recorder; the first person in the directory stands in.
    connection.execute(
        sa.text(
            "UPDATE admissions SET recorded_by_id = (SELECT MIN(id) FROM people) "
            "WHERE recorded_by_id IS NULL"
        )
    )
    with op.batch_alter_table("admissions", schema=None) as batch_op:
        batch_op.alter_column("recorded_by_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index(op.f("ix_imported_events_young_person_id"), table_name="imported_events")
    op.drop_table("imported_events")
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_agencies_name_key"), type_="unique")
        batch_op.drop_column("name_key")
