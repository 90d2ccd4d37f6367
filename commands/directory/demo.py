"""`teamaround demo seed`: a small synthetic area to try Teamaround with.

Everyone here is fictional; young people are register references only.
Seeding twice changes nothing the second time. It never mixes its fictional
people into a real area: a database whose register or directory already holds
anyone else is refused, and nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from commands.context import DEMO_AREA
from commands.directory.service import ensure_agency, upsert_person
from store import audit, queries
from store.models import Person, Register, YoungPerson

AGENCIES = {
    "Keyworking Service": "nhs",
    "CAMHS": "nhs",
    "Children's Social Care": "social_care",
    "SEN Team": "education",
    "Oakfield School": "education",
    "Brightpath Care": "care_provider",
    "ICB": "icb",
}

# name, email, agency, role, line manager
PEOPLE = (
    ("Lee Grant", "lee.grant@example.org", "CAMHS", "CAMHS clinical director", ""),
    ("Morgan Reed", "morgan.reed@example.org", "CAMHS", "CAMHS team manager", ""),
    ("Rowan Ellis", "rowan.ellis@example.org", "Children's Social Care", "Team manager", ""),
    ("Dana Cole", "dana.cole@example.org", "Keyworking Service", "Keyworking lead", ""),
    ("Kim Lee", "kim.lee@example.org", "Keyworking Service", "Keyworker", "dana.cole@example.org"),
    (
        "Ade Okafor",
        "ade.okafor@example.org",
        "Keyworking Service",
        "Keyworker",
        "dana.cole@example.org",
    ),
    (
        "Sam Patel",
        "sam.patel@example.org",
        "CAMHS",
        "Clinical psychologist",
        "morgan.reed@example.org",
    ),
    (
        "Jo Hughes",
        "jo.hughes@example.org",
        "Children's Social Care",
        "Social worker",
        "rowan.ellis@example.org",
    ),
    ("Alex Morgan", "alex.morgan@example.org", "Oakfield School", "SENCo", ""),
    ("Casey Ward", "casey.ward@example.org", "SEN Team", "SEN caseworker", ""),
    ("Taylor Brown", "taylor.brown@example.org", "Brightpath Care", "Service manager", ""),
    ("Priya Shah", "priya.shah@example.org", "ICB", "DSR chair (commissioner)", ""),
    ("Chris Evans", "chris.evans@example.org", "ICB", "Admin", ""),
)

# reference, age band, EHCP, consent basis, rating
YOUNG_PEOPLE = (
    ("DSR-0042", "under-18", True, "parental", "amber"),
    ("DSR-0043", "under-18", True, "consent", "red"),
    ("DSR-0051", "18-25", False, "consent", "green"),
    ("DSR-0057", "18-25", True, "best-interests", "blue"),
    ("DSR-0063", "under-18", False, "parental", "amber"),
)


async def _refuse_a_real_area(session: AsyncSession, register: Register | None) -> None:
    """The demo is for trying the product: never beside real entries. (In the
    demo's own database, whatever people added while trying it is demo too.)"""
    if register is not None and register.area == DEMO_AREA:
        return
    demo_emails = [email for _, email, *_ in PEOPLE]
    entries = 0
    if register is not None:
        entries = (
            await session.scalar(select(func.count()).where(YoungPerson.register_id == register.id))
            or 0
        )
    people = (
        await session.scalar(
            select(func.count()).select_from(Person).where(Person.email.not_in(demo_emails))
        )
        or 0
    )
    if not entries and not people:
        return
    held = " and ".join(
        part
        for part in (
            f"{entries} young {'person' if entries == 1 else 'people'} on the register"
            if entries
            else "",
            f"{people} {'person' if people == 1 else 'people'} in the directory" if people else "",
        )
        if part
    )
    raise UserError(
        f"This database already holds a real area ({held}), so I haven't added the demo's "
        "fictional people to it; nothing was changed.",
        hint="To try the demo, give it a database of its own, for example: "
        "TEAMAROUND_DATABASE_URL=sqlite+aiosqlite:///demo.db teamaround demo seed "
        "(and the same variable for `teamaround console`).",
    )


@dataclass
class SeedReport:
    people_added: int
    young_people_added: int
    register: str


async def seed(
    session: AsyncSession, *, register_name: str, now: datetime, consent_date: date
) -> SeedReport:
    register = await queries.register_by_name(session, name=register_name)
    await _refuse_a_real_area(session, register)
    if register is None:
        register = Register(
            name=register_name, area=DEMO_AREA, timezone="Europe/London", created_at=now
        )
        session.add(register)
        await session.flush()
    register.area = DEMO_AREA
    for agency, kind in AGENCIES.items():
        row = await ensure_agency(session, name=agency, now=now)
        row.kind = kind
    added = 0
    for name, email, agency, role, manager in PEOPLE:
        outcome = await upsert_person(
            session,
            email=email,
            name=name,
            agency=agency,
            role=role,
            manager_email=manager or None,
            now=now,
            actor_label="demo seed",
        )
        added += outcome == "added"
    icb = await queries.agency_by_name(session, name="ICB")
    camhs = await queries.agency_by_name(session, name="CAMHS")
    if icb and camhs:
        icb.senior_contact_email = "priya.shah@example.org"
        camhs.stage2_contact_email = "morgan.reed@example.org"
        camhs.senior_contact_email = "lee.grant@example.org"
    yp_added = 0
    for reference, band, ehcp, basis, rating in YOUNG_PEOPLE:
        if await queries.young_person_by_ref(session, register_id=register.id, reference=reference):
            continue
        young_person = YoungPerson(
            register_id=register.id,
            reference=reference,
            age_band=band,
            ehcp=ehcp,
            consent_basis=basis,
            consent_date=consent_date,
            rating=rating,
            created_at=now,
        )
        session.add(young_person)
        await session.flush()
        audit.record(
            session,
            at=now,
            actor=None,
            actor_label="demo seed",
            verb="register.add",
            object_type="young_person",
            object_id=young_person.id,
            after={"reference": reference, "age_band": band, "consent": basis},
        )
        yp_added += 1
    return SeedReport(people_added=added, young_people_added=yp_added, register=register.name)
