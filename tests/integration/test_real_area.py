"""A real area on a fresh database, as a new user tries it: no demo data, the
register and the area's name from the policy, references that are
pseudonymous, and things that happened earlier recorded with `--on`.

The clock reads Monday 23 November 2026, 10:00 in London.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.errors import UserError
from bot.settings import Settings
from commands.directory.demo import seed
from commands.report.documents import Format, documents
from store.models import AuditEvent, KeyworkerChange, Person, RatingChange, Register, YoungPerson
from tests.conftest import MONDAY, Harness, text_of
from tests.integration.areas import Area, area_on

KIM = "kim.lee@example.org"
SAM = "sam.patel@example.org"
PRIYA = "priya.shah@example.org"
ADD = "/dsr add DSR-0100 --age-band under-18 --ehcp --consent parental --consent-date 02/11/2026"
# People listed before their line managers, as HR exports often do.
PEOPLE = (
    "name,email,agency,role,line_manager_email\n"
    f"Sam Patel,{SAM},CAMHS,Clinical psychologist,morgan.reed@example.org\n"
    f"Kim Lee,{KIM},Keyworking Service,Keyworker,dana.cole@example.org\n"
    f"Priya Shah,{PRIYA},ICB,DSR chair (commissioner),\n"
    "Morgan Reed,morgan.reed@example.org,CAMHS,CAMHS team manager,\n"
    "Dana Cole,dana.cole@example.org,Keyworking Service,Keyworking lead,\n"
)


@pytest.fixture
async def area(migrated_url: str) -> AsyncIterator[Area]:
    # The policy names the register "Northshire DSR" and the area "Northshire".
    made = await area_on(migrated_url, directory=PEOPLE)
    try:
        yield made
    finally:
        await made.app.db.dispose()


async def say(harness: Harness, email: str, line: str, channel: str = "general") -> str:
    reply = await harness.say(email, line, channel=channel)
    return "\n".join(" ".join(row.split()) for row in text_of(reply).splitlines())


async def counts(area: Area) -> tuple[int, ...]:
    async with area.app.db.reader() as session:
        return tuple(
            [
                int(await session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (Register, Person, YoungPerson, AuditEvent)
            ]
        )


async def test_a_fresh_area_works_without_the_demo_and_reports_name_it(area: Area) -> None:
    h = area.harness
    async with area.app.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Register)) == 0
    shown = await say(h, PRIYA, ADD)
    assert "Added DSR-0100 to the register" in shown, shown
    reply = await h.say(KIM, "/network open DSR-0100")
    assert reply.switch_to == "yp-dsr-0100", text_of(reply)
    shown = await say(h, KIM, "/network add @sam.patel", channel="yp-dsr-0100")
    assert "Added Sam Patel (CAMHS)" in shown, shown
    shown = await say(
        h, KIM, "/action assign @sam.patel Send the EHCP draft by Friday", channel="yp-dsr-0100"
    )
    assert "Action #1 is with Sam Patel (CAMHS), due Fri 27 Nov." in shown, shown
    async with area.app.db.reader() as session:
        [register] = (await session.scalars(select(Register))).all()
        assert (register.name, register.area) == ("Northshire DSR", "Northshire")

    report = await area.report("2026-Q3")
    assert (report.register, report.area) == ("Northshire DSR", "Northshire")
    files = {f.filename.rsplit(".", 1)[-1]: f.content for f in documents(report, Format.all)}
    assert "Area: Northshire (register: Northshire DSR)." in files["md"].decode()
    workbook = load_workbook(io.BytesIO(files["xlsx"]))
    cover = workbook["About"]
    assert "Area: Northshire (register: Northshire DSR)." in [
        row[0].value for row in cover.iter_rows()
    ]
    assert "Area: Northshire" in str(workbook["Table 1"]["A2"].value)
    assert b"synthetic" not in files["md"] + files["html"]
    agenda = await say(h, PRIYA, "/dsr agenda preview")
    assert agenda.startswith("*DSR review agenda — Northshire — Mon 23 Nov*"), agenda


async def test_the_demo_is_refused_in_a_real_area_and_changes_nothing(area: Area) -> None:
    await say(area.harness, PRIYA, ADD)
    before = await counts(area)
    async with area.app.db.transaction() as session:
        with pytest.raises(UserError) as caught:
            await seed(
                session, register_name="Northshire DSR", now=MONDAY, consent_date=MONDAY.date()
            )
    message = str(caught.value)
    assert "already holds a real area (1 young person on the register)" in message
    assert "TEAMAROUND_DATABASE_URL=sqlite+aiosqlite:///demo.db teamaround demo seed" in message
    assert await counts(area) == before


async def test_the_demo_area_is_said_to_be_synthetic_only_where_it_was_loaded(
    migrated_url: str,
) -> None:
    from tests.conftest import seeded_app

    app, _ = await seeded_app(Settings(database_url=migrated_url))
    try:
        async with app.db.reader() as session:
            register = await session.scalar(select(Register))
            assert register is not None and register.area == "Demo area (synthetic)"
        async with app.db.transaction() as session:  # seeding again is fine
            again = await seed(
                session, register_name=register.name, now=MONDAY, consent_date=MONDAY.date()
            )
        assert (again.people_added, again.young_people_added) == (0, 0)
    finally:
        await app.db.dispose()


async def test_references_that_are_not_pseudonymous_are_refused(area: Area) -> None:
    h = area.harness
    before = await counts(area)
    for reference in ("Jane-Smith-2011", "dsr-0100", "DSR-12", "Jane-2011"):
        shown = await say(h, PRIYA, ADD.replace("DSR-0100", reference))
        assert "That isn't a register reference this area uses" in shown, (reference, shown)
        assert "[A-Z]{1,6}-?[0-9]{3,9}" in shown
        assert reference not in shown
    assert await counts(area) == before
    shown = await say(h, PRIYA, ADD.replace("DSR-0100", "KM1234"))
    assert "Added KM1234" in shown


async def test_an_unknown_option_is_never_stored_in_a_rationale(area: Area) -> None:
    h = area.harness
    await say(h, PRIYA, ADD)
    before = await counts(area)
    shown = await say(h, PRIYA, '/dsr rate DSR-0100 amber "Placement at risk" --until 01/10/2026')
    assert "I don't know the option --until for `/dsr rate`" in shown
    assert await counts(area) == before
    async with area.app.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(RatingChange)) == 0


async def test_things_that_happened_earlier_are_recorded_on_their_day(area: Area) -> None:
    h = area.harness
    cal = area.app.services.calendar
    shown = await say(h, PRIYA, f"{ADD} --on 02/11/2026")
    assert "on the register since Mon 2 Nov (02/11/2026)" in shown, shown
    too_early = await say(h, PRIYA, '/dsr rate DSR-0100 amber "x" --on 01/11/2026')
    assert "DSR-0100 joined the register on 02/11/2026, so a rating can't be recorded" in (
        too_early
    )
    shown = await say(h, PRIYA, '/dsr rate DSR-0100 red "Crisis at home" --on 16/11/2026')
    assert "DSR-0100 is rated Red since Mon 16 Nov (16/11/2026)." in shown, shown
    # A rating recorded later for an earlier day goes into the history only.
    shown = await say(h, PRIYA, '/dsr rate DSR-0100 amber "First review" --on 03/11/2026')
    assert "Recorded DSR-0100 as rated Amber on Tue 3 Nov (03/11/2026) in their history" in shown
    assert "A later rating (16/11/2026) stays their current one: Red." in shown
    shown = await say(h, PRIYA, "/dsr keyworker DSR-0100 @kim.lee --on 04/11/2026")
    assert "Kim Lee is DSR-0100's keyworker since Wed 4 Nov (04/11/2026)." in shown, shown
    async with area.app.db.reader() as session:
        yp = await session.scalar(select(YoungPerson).where(YoungPerson.reference == "DSR-0100"))
        assert yp is not None
        assert cal.local_date(yp.created_at) == date(2026, 11, 2)
        assert (yp.rating, cal.local_date(yp.rated_at or MONDAY)) == ("red", date(2026, 11, 16))
        ratings = (
            await session.execute(
                select(RatingChange.rating, RatingChange.at).order_by(RatingChange.at)
            )
        ).all()
        assert [(r, cal.local_date(at)) for r, at in ratings] == [
            ("amber", date(2026, 11, 3)),
            ("red", date(2026, 11, 16)),
        ]
        [change] = (await session.scalars(select(KeyworkerChange))).all()
        assert cal.local_date(change.at) == date(2026, 11, 4)
    shown = await say(h, PRIYA, "/dsr show DSR-0100")
    assert "03/11/2026 Amber — First review (Priya Shah)" in shown
    q3 = await area.report("2026-Q3")  # as at today: Red, with a keyworker
    assert q3.red_amber_with_keyworker.under_18 == 1


async def test_consent_after_joining_and_future_days_are_refused(area: Area) -> None:
    h = area.harness
    shown = await say(h, PRIYA, f"{ADD.replace('02/11/2026', '10/11/2026')} --on 05/11/2026")
    assert "The consent date can't be after the day they joined the register" in shown
    tomorrow = (MONDAY + timedelta(days=1)).strftime("%d/%m/%Y")
    shown = await say(h, PRIYA, f"{ADD} --on {tomorrow}")
    assert "is in the future" in shown
    async with area.app.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(YoungPerson)) == 0
