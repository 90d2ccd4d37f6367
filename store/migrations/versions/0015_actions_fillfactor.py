"""Room on each page of ``actions`` for its next version (PostgreSQL only).

An action is rewritten every time it moves: a chase sweep moves thousands on
one morning. With pages filled to the brim, each new version lands on
another page, and all five of the table's indexes get a new entry for it.
With a fifth of each page kept free, PostgreSQL writes it beside the old one
as a heap-only tuple and touches no index (none of the ladder's columns is
indexed): measured on 10,000 actions moved by one sweep, the UPDATE went from
115 ms to ~40 ms (bench/chase_sweep.py, issue 17). Rows written before this
migration get the room as they are rewritten; ``VACUUM FULL actions`` gives
it to all of them at once.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 15:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

FILLFACTOR = 80


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE actions SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE actions RESET (fillfactor)")
