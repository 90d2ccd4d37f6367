"""`teamaround export actions`: every action, machine-readable.

Fields (the outside contract): id, network reference, text, owner email,
agency, due date (ISO), status, escalation stage, created and closed times.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Action

FIELDS = (
    "id",
    "network_reference",
    "text",
    "owner_email",
    "agency",
    "due_date",
    "status",
    "escalation_stage",
    "created_at",
    "closed_at",
)


def row(action: Action) -> dict[str, Any]:
    return {
        "id": action.id,
        "network_reference": action.network.young_person.reference,
        "text": action.text,
        "owner_email": action.owner.email,
        "agency": action.agency.name,
        "due_date": action.due_date.isoformat(),
        "status": action.status,
        "escalation_stage": action.escalation_stage,
        "created_at": action.created_at.isoformat(),
        "closed_at": action.closed_at.isoformat() if action.closed_at else None,
    }


async def rows(session: AsyncSession, *, batch: int = 1000) -> AsyncIterator[dict[str, Any]]:
    """Every action in id order, read in batches (keyset pagination)."""
    last = 0
    while True:
        page = (
            await session.scalars(
                select(Action).where(Action.id > last).order_by(Action.id).limit(batch)
            )
        ).all()
        for action in page:
            yield row(action)
        if len(page) < batch:
            return
        last = page[-1].id
        session.expunge_all()


async def export(session: AsyncSession, *, fmt: str) -> str:
    items = [r async for r in rows(session)]
    if fmt == "json":
        return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow({k: "" if v is None else v for k, v in item.items()})
    return buffer.getvalue()
