"""``teamaround audit export --from DATE --to DATE [--format csv|json]``:
the audit log and the access log (verb ``access.read``) for an IG review,
oldest first, each row with who, when, what and, for a young person's
records, their reference."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar import WorkingCalendar
from bot.errors import UserError
from bot.policy import Policy
from bot.spreadsheets import csv_row
from commands.authority import Verb
from commands.records import operator
from store import audit
from store.models import AuditEvent, YoungPerson

FIELDS = ("at", "actor", "verb", "object_type", "object_id", "reference", "detail")


def check_period(start: date, end: date) -> None:
    if end < start:
        raise UserError(
            "--to is before --from.",
            hint="For example: teamaround audit export --from 2026-10-01 --to 2026-12-31",
        )


async def rows(
    session: AsyncSession, *, start: date, end: date, calendar: WorkingCalendar
) -> list[dict[str, Any]]:
    """Every audit event from the local day ``start`` to ``end``, both included."""
    first = calendar.at_local(start, time(0, 0))
    after = calendar.at_local(end + timedelta(days=1), time(0, 0))
    events = (
        await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.at >= first, AuditEvent.at < after)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    ).all()
    ids = {int(e.object_id) for e in events if e.object_type == "young_person"}
    found = await session.execute(
        select(YoungPerson.id, YoungPerson.reference).where(YoungPerson.id.in_(ids))
    )
    references = {yp_id: reference for yp_id, reference in found.all()}
    return [
        {
            "at": calendar.local_time(event.at).isoformat(),
            "actor": event.actor_label,
            "verb": event.verb,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "reference": references.get(int(event.object_id))
            if event.object_type == "young_person"
            else None,
            "detail": event.after,
        }
        for event in events
    ]


def render(items: list[dict[str, Any]], *, fmt: Literal["csv", "json"]) -> str:
    if fmt == "json":
        return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDS)
    for item in items:
        detail = item["detail"]
        values = [item[f] for f in FIELDS[:-1]]
        values.append("" if detail is None else json.dumps(detail, ensure_ascii=False))
        writer.writerow(csv_row("" if v is None else v for v in values))
    return buffer.getvalue()


async def export(
    session: AsyncSession,
    *,
    start: date,
    end: date,
    fmt: Literal["csv", "json"],
    as_email: str | None,
    operator_label: str,
    policy: Policy,
    calendar: WorkingCalendar,
    now: datetime,
) -> str:
    """The period's audit and access log (admins); the export is itself audited."""
    check_period(start, end)
    who = await operator.caller(
        session, as_email=as_email, operator=operator_label, policy=policy, verb=Verb.AUDIT_EXPORT
    )
    items = await rows(session, start=start, end=end, calendar=calendar)
    audit.record(
        session,
        at=now,
        actor=who.person,
        actor_label=who.label,
        verb="export.audit",
        object_type="audit",
        object_id=f"{start.isoformat()}..{end.isoformat()}",
        after={"format": fmt, "events": len(items)},
    )
    return render(items, fmt=fmt)
