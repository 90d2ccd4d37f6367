"""The directory of professionals: CSV import and single additions.

CSV columns (the outside contract): ``name,email,agency,role,line_manager_email``
(``role`` and ``line_manager_email`` may be left out; column names are read
however an HR system writes them, "Line manager email" included). Re-importing
updates people by email; it never duplicates them. Agencies are matched by
their case-folded name (``Agency.name_key``), accents and all.

Optional columns for the quarterly return's workforce table: ``grade`` (the
pay grade, "Band 6"), ``part_time`` (yes or no) and ``agency_kind`` (who
employs them: nhs, local-authority, third-sector, independent or other, set
on the agency; ``bot.employers``). And ``reach``: ``chat`` (Slack or Teams,
and email when they have no account there) or ``email`` (always email; for
people who prefer it). An empty cell, or a column left out, leaves what the
directory has.

An import is all or nothing: every row is checked first (each problem with
its line number), and anything wrong means nothing is written. Line managers
are resolved once every row has been read, so people may come before their
managers. With ``leavers``, people of the file's agencies who are not in it
are marked as left (``commands.directory.leavers``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar import WorkingCalendar
from bot.employers import WORDS as EMPLOYER_WORDS
from bot.employers import employer_kind
from bot.errors import UserError
from bot.folding import fold
from bot.policy import Policy
from bot.privacy import refuse_identifiers
from bot.routing import REACH_CHOICES
from commands.csv_files import CsvTable, Row, identifier_problems
from commands.directory.leavers import Leaver, mark_left
from store import audit, queries
from store.models import Agency, Person

COLUMNS = ("name", "email", "agency", "role", "line_manager_email")
OPTIONAL = ("grade", "part_time", "agency_kind", "reach")
REQUIRED = ("name", "email", "agency")
# Other names HR systems give our columns (after commands.csv_files.column_name).
ALIASES = {
    "full_name": "name",
    "e_mail": "email",
    "email_address": "email",
    "work_email": "email",
    "organisation": "agency",
    "organization": "agency",
    "employer": "agency",
    "job_title": "role",
    "line_manager": "line_manager_email",
    "manager_email": "line_manager_email",
    "line_manager_e_mail": "line_manager_email",
    "pay_grade": "grade",
    "pay_band": "grade",
    "parttime": "part_time",
    "part_time_yes_no": "part_time",
    "agency_type": "agency_kind",
    "organisation_type": "agency_kind",
    "organization_type": "agency_kind",
    "employer_type": "agency_kind",
    "sector": "agency_kind",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WIDTHS = {
    "email": 254,
    "name": 120,
    "agency": 120,
    "role": 120,
    "line_manager_email": 254,
    "grade": 40,
}
_PART_TIME = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "part-time": True,
    "part time": True,
    "pt": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
    "full-time": False,
    "full time": False,
    "ft": False,
}


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    left: list[Leaver] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Wanted:
    """One person as the file (or `directory add`) says they should be."""

    email: str
    name: str
    agency: str
    role: str
    manager: str | None  # the line manager's email
    line: int = 0
    # None: leave what the directory has (the column is empty or left out).
    grade: str | None = None
    part_time: bool | None = None
    agency_kind: str | None = None
    reach: str | None = None  # "chat" or "email" (bot.routing.REACH_CHOICES)


def _checked(row: Row, problems: list[str]) -> Wanted | None:
    """The row as a person, or None with its problems added (every one)."""
    found = identifier_problems(row)
    line = f"line {row.line}"
    email = row.get("email").lower()
    manager = row.get("line_manager_email").lower() or None
    if not email:
        found.append(f"{line}: an email address is needed.")
    elif not _EMAIL.match(email):
        found.append(f"{line}: {email!r} is not an email address.")
    for column, what in (("name", "a name"), ("agency", "an agency")):
        if not row.get(column):
            found.append(f"{line}: {email or 'this person'} needs {what}.")
    for column, width in _WIDTHS.items():
        if len(row.get(column)) > width:
            found.append(f"{line}: the {column.replace('_', ' ')} is over {width} characters.")
    if manager is not None and not _EMAIL.match(manager):
        found.append(f"{line}: line manager {manager!r} is not an email address.")
    elif manager is not None and manager == email:
        found.append(f"{line}: {email} can't be their own line manager.")
    part_time = row.get("part_time").lower()
    if part_time and part_time not in _PART_TIME:
        found.append(f"{line}: part_time is yes or no, not {row.get('part_time')!r}.")
    reach = row.get("reach").lower() or None
    if reach is not None and reach not in REACH_CHOICES:
        found.append(f"{line}: reach is chat or email, not {row.get('reach')!r}.")
    kind_text = row.get("agency_kind")
    kind = employer_kind(kind_text) if kind_text else None
    if kind_text and kind is None:
        found.append(f"{line}: I don't know the agency kind {kind_text!r}; use {EMPLOYER_WORDS}.")
    problems.extend(found)
    if found:
        return None
    return Wanted(
        email=email,
        name=" ".join(row.get("name").split()),
        agency=" ".join(row.get("agency").split()),
        role=" ".join(row.get("role").split()),
        manager=manager,
        line=row.line,
        grade=" ".join(row.get("grade").split()) or None,
        part_time=_PART_TIME[part_time] if part_time else None,
        agency_kind=kind,
        reach=reach,
    )


async def import_csv(
    session: AsyncSession,
    *,
    table: CsvTable,
    now: datetime,
    actor_label: str,
    check: bool = False,
    leavers: bool = False,
    policy: Policy | None = None,
    calendar: WorkingCalendar | None = None,
) -> ImportReport:
    """Check every row, then (unless ``check`` or anything is wrong) write
    them all. ``policy`` and ``calendar`` are needed for ``leavers`` (who is
    told, and when)."""
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise UserError(
            f"The CSV needs the columns {', '.join(COLUMNS)} (role and line_manager_email may "
            f"be left out); missing: {', '.join(missing)}."
        )
    report = ImportReport(problems=list(table.problems))
    if table.note:
        report.notes.append(table.note)
    wanted: list[Wanted] = []
    first_line: dict[str, int] = {}
    kinds: dict[str, tuple[str | None, int]] = {}  # agency key → its kind, and where
    for row in table.rows:
        person = _checked(row, report.problems)
        if person is None:
            continue
        if person.email in first_line:
            report.problems.append(
                f"line {row.line}: {person.email} is also on line {first_line[person.email]}; "
                "give each person once."
            )
            continue
        first_line[person.email] = row.line
        kind_line = kinds.setdefault(fold(person.agency), (person.agency_kind, row.line))
        if person.agency_kind and kind_line[0] and person.agency_kind != kind_line[0]:
            report.problems.append(
                f"line {row.line}: {person.agency} is {kind_line[0]} on line {kind_line[1]}; "
                "give each agency one agency_kind."
            )
            continue
        if person.agency_kind and not kind_line[0]:
            kinds[fold(person.agency)] = (person.agency_kind, row.line)
        wanted.append(person)
    in_file = set(first_line)
    known = set(
        (
            await session.scalars(
                select(Person.email).where(
                    Person.email.in_({w.manager for w in wanted if w.manager})
                )
            )
        ).all()
    )
    for person in wanted:
        if person.manager and person.manager not in in_file | known:
            report.problems.append(
                f"line {person.line}: line manager {person.manager} is neither in this file nor "
                "in the directory."
            )
    if report.problems:
        return report
    outcomes = await write_people(session, wanted, now=now, actor_label=actor_label, dry_run=check)
    for outcome in outcomes.values():
        setattr(report, outcome, getattr(report, outcome) + 1)
    if leavers:
        assert policy is not None and calendar is not None
        report.left = await mark_left(
            session,
            keep=in_file,
            agencies={fold(w.agency) for w in wanted},
            now=now,
            actor_label=actor_label,
            policy=policy,
            calendar=calendar,
            dry_run=check,
        )
    return report


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
    grade: str | None = None,
    part_time: bool | None = None,
    reach: str | None = None,
) -> str:
    """Add or update one person (someone marked as left comes back); a
    ``grade``, ``part_time`` or ``reach`` left out keeps what the directory has.
    Returns "added", "updated" or "unchanged"."""
    for value in (email, name, agency, role, manager_email or "", grade or ""):
        refuse_identifiers(value)
    if grade is not None and len(grade) > _WIDTHS["grade"]:
        raise UserError(f"{email}: the grade is over {_WIDTHS['grade']} characters.")
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise UserError(f"{email!r} is not an email address.")
    if not name.strip():
        raise UserError(f"{email}: a name is needed.")
    if not agency.strip():
        raise UserError(f"{email}: an agency is needed.")
    if reach is not None and reach not in REACH_CHOICES:
        raise UserError(f"{email}: reach is chat or email, not {reach!r}.")
    manager = (manager_email or "").strip().lower() or None
    if manager is not None and await queries.person_by_email(session, email=manager) is None:
        raise UserError(
            f"{email}: line manager {manager} is not in the directory; add them first (or "
            "import them in the same file)."
        )
    wanted = Wanted(
        email=email,
        name=" ".join(name.split()),
        agency=" ".join(agency.split()),
        role=" ".join(role.split()),
        manager=manager,
        grade=" ".join(grade.split()) or None if grade is not None else None,
        part_time=part_time,
        reach=reach,
    )
    outcomes = await write_people(session, [wanted], now=now, actor_label=actor_label)
    return outcomes[email]


async def ensure_agency(session: AsyncSession, *, name: str, now: datetime) -> Agency:
    agency = await queries.agency_by_name(session, name=name)
    if agency is None:
        agency = Agency(name=" ".join(name.split()), kind="other", created_at=now)
        session.add(agency)
        await session.flush()
    return agency


def _state(
    *,
    name: str,
    agency: str,
    role: str,
    manager: str | None,
    active: bool,
    grade: str | None,
    part_time: bool | None,
    reach: str,
) -> dict[str, str | bool | None]:
    return {
        "name": name,
        "agency": agency,
        "role": role,
        "line_manager": manager,
        "active": active,
        "grade": grade,
        "part_time": part_time,
        "reach": reach,
    }


async def write_people(
    session: AsyncSession,
    wanted: Sequence[Wanted],
    *,
    now: datetime,
    actor_label: str,
    dry_run: bool = False,
) -> dict[str, str]:
    """Make the directory say what ``wanted`` says (line managers must be in
    it or in ``wanted``), each change with its audit event. Returns each
    email's outcome: "added", "updated" or "unchanged". A fixed number of
    queries, however many people."""
    keys = {fold(w.agency) for w in wanted}
    agencies = {
        a.name_key: a
        for a in (await session.scalars(select(Agency).where(Agency.name_key.in_(keys)))).all()
    }
    emails = {w.email for w in wanted} | {w.manager for w in wanted if w.manager}
    people = {
        p.email: p
        for p in (await session.scalars(select(Person).where(Person.email.in_(emails)))).all()
    }
    manager_ids = {p.line_manager_id for p in people.values() if p.line_manager_id}
    email_of: dict[int, str] = {
        person_id: email
        for person_id, email in (
            await session.execute(select(Person.id, Person.email).where(Person.id.in_(manager_ids)))
        ).all()
    }
    outcomes: dict[str, str] = {}
    changed: list[tuple[Wanted, Person, dict[str, str | bool | None] | None]] = []
    kinds_changed: list[tuple[Agency, str]] = []  # an agency's kind set by the file, and before
    for w in wanted:
        key = fold(w.agency)
        if key not in agencies:  # the file's first spelling of a new agency
            agencies[key] = Agency(name=w.agency, kind=w.agency_kind or "other", created_at=now)
            if not dry_run:
                session.add(agencies[key])
        agency = agencies[key]
        if w.agency_kind and agency.kind != w.agency_kind and agency.id is not None:
            kinds_changed.append((agency, agency.kind))
            if not dry_run:
                agency.kind = w.agency_kind
        person = people.get(w.email)
        grade = w.grade if w.grade is not None else (person.grade if person else None)
        part_time = (
            w.part_time if w.part_time is not None else (person.part_time if person else None)
        )
        reach = w.reach or (person.reach if person else "chat")
        after = _state(
            name=w.name,
            agency=agency.name,
            role=w.role,
            manager=w.manager,
            active=True,
            grade=grade,
            part_time=part_time,
            reach=reach,
        )
        if person is None:
            outcomes[w.email] = "added"
            if dry_run:
                continue
            person = Person(
                email=w.email,
                name=w.name,
                agency=agency,
                role=w.role,
                grade=grade,
                part_time=part_time,
                reach=reach,
                active=True,
                created_at=now,
                updated_at=now,
            )
            session.add(person)
            people[w.email] = person
            changed.append((w, person, None))
            continue
        before = _state(
            name=person.name,
            agency=person.agency.name,
            role=person.role,
            manager=email_of.get(person.line_manager_id) if person.line_manager_id else None,
            active=person.active,
            grade=person.grade,
            part_time=person.part_time,
            reach=person.reach,
        )
        if before == after:
            outcomes[w.email] = "unchanged"
            continue
        outcomes[w.email] = "updated"
        if dry_run:
            continue
        person.name, person.agency, person.role = w.name, agency, w.role
        person.grade, person.part_time, person.reach = grade, part_time, reach
        person.active, person.updated_at = True, now
        changed.append((w, person, before))
    if dry_run:
        return outcomes
    for agency, kind_before in {a.id: (a, k) for a, k in kinds_changed}.values():
        audit.record(
            session,
            at=now,
            actor=None,
            actor_label=actor_label,
            verb="directory.agency",
            object_type="agency",
            object_id=agency.id,
            before={"name": agency.name, "kind": kind_before},
            after={"name": agency.name, "kind": agency.kind},
        )
    if not changed:
        return outcomes
    await session.flush()  # new agencies and people get their ids
    for w, person, was in changed:
        person.line_manager_id = people[w.manager].id if w.manager else None
        now_is = _state(
            name=person.name,
            agency=person.agency.name,
            role=person.role,
            manager=w.manager,
            active=True,
            grade=person.grade,
            part_time=person.part_time,
            reach=person.reach,
        )
        audit.record(
            session,
            at=now,
            actor=None,
            actor_label=actor_label,
            verb="directory.add" if was is None else "directory.update",
            object_type="person",
            object_id=person.id,
            before=was,
            after={"email": person.email, **now_is} if was is None else now_is,
        )
    await session.flush()
    return outcomes
