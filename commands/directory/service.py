"""The directory of professionals: CSV import and single additions.

CSV columns (the outside contract): ``name,email,agency,role,line_manager_email``.
Re-importing updates people by email; it never duplicates them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from store import audit, queries
from store.models import Agency, Person

COLUMNS = ("name", "email", "agency", "role", "line_manager_email")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


async def ensure_agency(session: AsyncSession, *, name: str, now: datetime) -> Agency:
    agency = await queries.agency_by_name(session, name=name)
    if agency is None:
        agency = Agency(name=name.strip(), kind="other", created_at=now)
        session.add(agency)
        await session.flush()
    return agency


async def upsert_person(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    agency: str,
    role: str,
    manager_email: str | None,
    now: datetime,
    actor_label: str,
) -> str:
    """Add or update one person. Returns "added", "updated" or "unchanged"."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise UserError(f"{email!r} is not an email address.")
    if not name.strip():
        raise UserError(f"{email}: a name is needed.")
    if not agency.strip():
        raise UserError(f"{email}: an agency is needed.")
    agency_row = await ensure_agency(session, name=agency, now=now)
    manager = None
    if manager_email and manager_email.strip():
        manager = await queries.person_by_email(session, email=manager_email)
        if manager is None:
            raise UserError(
                f"{email}: line manager {manager_email.strip()} is not in the "
                "directory; add them first (or list them earlier in the file)."
            )
    person = await queries.person_by_email(session, email=email)
    after: dict[str, str | None] = {
        "name": name.strip(),
        "agency": agency_row.name,
        "role": role.strip(),
        "line_manager": manager.email if manager else None,
    }
    if person is None:
        person = Person(
            email=email,
            name=name.strip(),
            agency_id=agency_row.id,
            role=role.strip(),
            line_manager_id=manager.id if manager else None,
            created_at=now,
            updated_at=now,
        )
        session.add(person)
        await session.flush()
        audit.record(
            session,
            at=now,
            actor=None,
            actor_label=actor_label,
            verb="directory.add",
            object_type="person",
            object_id=person.id,
            after={"email": email, **after},
        )
        return "added"
    before = {
        "name": person.name,
        "agency": person.agency.name,
        "role": person.role,
        "line_manager": await _email_of(session, person.line_manager_id),
    }
    if before == after:
        return "unchanged"
    person.name, person.agency_id, person.role = name.strip(), agency_row.id, role.strip()
    person.line_manager_id = manager.id if manager else None
    person.updated_at = now
    await session.flush()
    session.expire(person, ["agency"])
    audit.record(
        session,
        at=now,
        actor=None,
        actor_label=actor_label,
        verb="directory.update",
        object_type="person",
        object_id=person.id,
        before=before,
        after=after,
    )
    return "updated"


async def _email_of(session: AsyncSession, person_id: int | None) -> str | None:
    if person_id is None:
        return None
    return await session.scalar(select(Person.email).where(Person.id == person_id))


async def import_csv(
    session: AsyncSession, *, text: str, now: datetime, actor_label: str
) -> ImportReport:
    """Import a directory CSV. Rows are processed in order; bad rows are reported
    and skipped, good rows are kept."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise UserError(
            f"The CSV needs the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)}."
        )
    report = ImportReport()
    for row in reader:
        line = reader.line_num  # the file's own line number, blank lines included
        try:
            async with session.begin_nested():
                outcome = await upsert_person(
                    session,
                    email=row["email"] or "",
                    name=row["name"] or "",
                    agency=row["agency"] or "",
                    role=row["role"] or "",
                    manager_email=row["line_manager_email"],
                    now=now,
                    actor_label=actor_label,
                )
        except UserError as exc:
            report.problems.append(f"line {line}: {exc.message}")
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report
