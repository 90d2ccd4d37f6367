"""The case record's export and transfer (``teamaround export record``,
``teamaround records transferred``): keyword-only services in one
transaction each, audited, the export's read in the access log."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar import WorkingCalendar
from bot.errors import UserError
from bot.policy import Policy
from commands.authority import Verb
from commands.records import access, case_record, operator, render
from store import audit, queries

RecordFormat = Literal["md", "html"]


async def export_record(
    session: AsyncSession,
    *,
    reference: str,
    fmt: RecordFormat,
    as_email: str | None,
    operator_label: str,
    policy: Policy,
    calendar: WorkingCalendar,
    now: datetime,
) -> str:
    target = await operator.caller_and_young_person(
        session,
        reference=reference,
        as_email=as_email,
        operator=operator_label,
        verb=Verb.RECORD_EXPORT,
        policy=policy,
        now=now,
    )
    who, register, young_person = target.who, target.register, target.young_person
    record = await case_record.load(
        session,
        young_person=young_person,
        register_name=register.name,
        calendar=calendar,
        today=calendar.local_date(now),
        exported_by=who.shown,
    )
    audit.record(
        session,
        at=now,
        actor=who.person,
        actor_label=who.label,
        verb="export.record",
        object_type="young_person",
        object_id=young_person.id,
        after={"format": fmt, "events": len(record.lines)},
    )
    await access.log_reads(
        session,
        at=now,
        reader=who.person,
        label=who.label,
        young_people=[young_person],
        how="case record export",
    )
    return render.markdown(record) if fmt == "md" else render.page(record)


async def record_transferred(
    session: AsyncSession,
    *,
    reference: str,
    by: str,
    as_email: str | None,
    operator_label: str,
    policy: Policy,
    now: datetime,
) -> tuple[str, bool]:
    """Record that the case record went to the case-management system,
    received by ``by`` (an email). Returns the reference and whether this
    is news (a second transfer keeps the first date)."""
    email = by.strip().lower()
    if "@" not in email or " " in email:
        raise UserError(
            f"{by!r} isn't an email address.",
            hint="Give the email of who received the record, e.g. "
            "`--by records.officer@example.org`.",
        )
    target = await operator.caller_and_young_person(
        session,
        reference=reference,
        as_email=as_email,
        operator=operator_label,
        verb=Verb.RECORD_TRANSFERRED,
        policy=policy,
        now=now,
    )
    who, young_person = target.who, target.young_person
    if young_person.record_transferred_at is not None:
        return young_person.reference, False
    receiver = await queries.person_by_email(session, email=email)
    young_person.record_transferred_at = now
    young_person.record_transferred_by = receiver.email if receiver else email
    audit.record(
        session,
        at=now,
        actor=who.person,
        actor_label=who.label,
        verb="records.transferred",
        object_type="young_person",
        object_id=young_person.id,
        after={"reference": young_person.reference, "by": young_person.record_transferred_by},
    )
    return young_person.reference, True
