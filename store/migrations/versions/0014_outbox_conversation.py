"""Where a sent message landed (``outbox.platform_conversation_id``): a
direct message's conversation is known only from the platform's answer, and
the chat-copies job needs it to delete the copy once the case record is
transferred (issue 16).

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("platform_conversation_id", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("platform_conversation_id")
