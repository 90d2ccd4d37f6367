"""Index the outbox by card and id: the relay finds a card's earlier and newer
versions on every card delivery (issue 13: a card's versions in order).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_card_key_id", "outbox", ["card_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_card_key_id", table_name="outbox")
