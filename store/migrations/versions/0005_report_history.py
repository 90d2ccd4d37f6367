"""history for the quarterly reports: keyworker changes, dated leaving (step-downs)

Backfills from the current state, because no history was kept before:

- one keyworker change per young person who has a keyworker, dated when they
  joined the register (the best that is known);
- one rating change per rated young person with no rating history (a demo
  seed or an import), dated when the rating was last set, or when they joined;
- the day each removed entry left the register (its removal, local time), and
  whether that was a step-down (the recorded reason says "stepped down",
  "step down" or "outcomes met") or another removal.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 20:30:00
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BACKFILLED = "Rating held before Teamaround kept a history (recorded by migration 0005)"
_STEP_DOWN = re.compile(r"step(ped)?[\s-]*down|outcomes?\s+met", re.IGNORECASE)


def _aware(value: object) -> datetime | None:
    """A stored instant (SQLite gives naive UTC datetimes or text) as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def upgrade() -> None:
    op.create_table(
        "keyworker_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("young_person_id", sa.Integer(), nullable=False),
        sa.Column("keyworker_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["young_person_id"],
            ["young_people.id"],
            name=op.f("fk_keyworker_changes_young_person_id_young_people"),
        ),
        sa.ForeignKeyConstraint(
            ["keyworker_id"], ["people.id"], name=op.f("fk_keyworker_changes_keyworker_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_keyworker_changes_actor_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keyworker_changes")),
    )
    with op.batch_alter_table("keyworker_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_keyworker_changes_young_person_id"), ["young_person_id"], unique=False
        )
    with op.batch_alter_table("young_people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("leaving_reason", sa.String(length=16), nullable=True))

    connection = op.get_bind()
    connection.execute(
        sa.text(
            "INSERT INTO keyworker_changes (young_person_id, keyworker_id, actor_id, at) "
            "SELECT id, keyworker_id, NULL, created_at FROM young_people "
            "WHERE keyworker_id IS NOT NULL"
        )
    )
    connection.execute(
        sa.text(
            "INSERT INTO rating_changes (young_person_id, rating, rationale, actor_id, at) "
            "SELECT id, rating, :rationale, NULL, COALESCE(rated_at, created_at) "
            "FROM young_people WHERE rating IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM rating_changes WHERE rating_changes.young_person_id = young_people.id)"
        ),
        {"rationale": BACKFILLED},
    )
    removed = connection.execute(
        sa.text(
            "SELECT young_people.id, young_people.archived_at, young_people.archive_reason, "
            "registers.timezone FROM young_people "
            "JOIN registers ON registers.id = young_people.register_id "
            "WHERE young_people.archived_at IS NOT NULL"
        )
    ).all()
    for yp_id, archived_at, reason, timezone in removed:
        instant = _aware(archived_at)
        assert instant is not None
        left_on = instant.astimezone(ZoneInfo(timezone or "Europe/London")).date()
        leaving = "stepped-down" if reason and _STEP_DOWN.search(reason) else "removed"
        connection.execute(
            sa.text(
                "UPDATE young_people SET left_on = :left_on, leaving_reason = :leaving "
                "WHERE id = :id"
            ),
            {"left_on": left_on, "leaving": leaving, "id": yp_id},
        )


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(
        sa.text("DELETE FROM rating_changes WHERE rationale = :rationale"),
        {"rationale": BACKFILLED},
    )
    with op.batch_alter_table("young_people", schema=None) as batch_op:
        batch_op.drop_column("leaving_reason")
        batch_op.drop_column("left_on")
    with op.batch_alter_table("keyworker_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_keyworker_changes_young_person_id"))
    op.drop_table("keyworker_changes")
