"""`teamaround export actions`: every action, machine-readable.

Fields (the outside contract): id, network reference, text, owner email,
agency, due date (ISO), status, escalation stage, created and closed times.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar import WorkingCalendar
from bot.spreadsheets import csv_cell
from commands.action.views import STATUS_LABEL, event_line
from store.models import Action, ActionEvent

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
        writer.writerow({k: "" if v is None else csv_cell(v) for k, v in item.items()})
    return buffer.getvalue()


async def action_record(
    session: AsyncSession, *, action_id: int, calendar: WorkingCalendar, today: date
) -> str | None:
    """One action's whole trail as plain text, for the young person's case
    record: what was agreed, every update, extension, reminder, chase and
    escalation (who was contacted, when, why), and the completion evidence."""
    action = await session.get(Action, action_id)
    if action is None:
        return None
    events = (
        await session.scalars(
            select(ActionEvent).where(ActionEvent.action_id == action_id).order_by(ActionEvent.id)
        )
    ).all()
    keyworker = action.network.keyworker
    lines = [
        f"Action #{action.id} — {action.network.young_person.reference}",
        f"Keyworker: {keyworker.name} ({keyworker.email})" if keyworker else "Keyworker: none",
        f"What: {action.text}",
        f"Owner: {action.owner.name} ({action.agency.name}), {action.owner.email}",
        f"Assigned by: {action.assigned_by.name} on "
        f"{calendar.local_date(action.created_at).strftime('%d/%m/%Y')}",
        f"Due: {action.due_date.strftime('%d/%m/%Y')}",
        f"Status: {STATUS_LABEL[action.status]}"
        + (
            f", escalation stage {action.escalation_stage}"
            if action.status == "open" and action.escalation_stage
            else ""
        ),
    ]
    if action.evidence:
        lines.append(f"Evidence: {action.evidence}")
    lines += ["", "History (local time):"]
    lines += [event_line(event, calendar=calendar, gap="  ") for event in events]
    lines += ["", f"Exported from Teamaround on {today.strftime('%d/%m/%Y')}."]
    return "\n".join(lines) + "\n"
