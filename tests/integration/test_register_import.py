"""`teamaround register import`: a register's history brought in, over a real
database. The clock reads Monday 23 November 2026, 10:00 in London; the
quarter looked at is Q2 2026/27 (July to September 2026), long finished.
Expected figures are worked out by hand from the file, not with the code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from commands.report.figures import ByBand
from store.models import (
    Admission,
    KeyworkerChange,
    RatingChange,
    Register,
    SupportChange,
    YoungPerson,
)
from tests.conftest import LONDON, MONDAY, text_of
from tests.histories import as_command, as_csv, history
from tests.integration.areas import ADE, KIM, PRIYA, Area, area_on
from tests.nhs import reserved_numbers

HEADER = "reference,date,event,value,detail\n"
# Eight young people; what each is at the end of Q2 2026/27 (30/09/2026):
HISTORY = HEADER + (
    # A: Red, under 18, Kim.
    "DSR-0101,01/04/2026,joined,under-18,parental;ehcp\n"
    "DSR-0101,01/04/2026,rated,amber,Placement at risk\n"
    f"DSR-0101,15/04/2026,keyworker,{KIM},\n"
    "DSR-0101,10/08/2026,rated,red,Two A&E visits\n"
    # B: Green, 18-25, no keyworker.
    "DSR-0102,2026-05-01,joined,18-25,consent\n"
    "DSR-0102,2026-05-01,rated,green,Settled at college\n"
    # C: in hospital (new admission in Q2), under 18, Ade.
    "DSR-0103,01/03/2026,joined,under-18,best-interests\n"
    "DSR-0103,01/03/2026,rated,amber,Family under strain\n"
    f"DSR-0103,01/03/2026,keyworker,{ADE},\n"
    "DSR-0103,05/07/2026,admitted,Oak Ward,out-of-area\n"
    # D: in hospital again (a readmission in Q2), 18-25, no keyworker.
    "DSR-0104,01/02/2026,joined,18-25,consent\n"
    "DSR-0104,01/02/2026,rated,red,Crisis at home\n"
    "DSR-0104,01/03/2026,admitted,Birch Unit,\n"
    "DSR-0104,01/04/2026,discharged,,\n"
    "DSR-0104,01/04/2026,rated,amber,Home with support\n"
    "DSR-0104,20/08/2026,admitted,Elm Ward,\n"
    # E: stepped down in Q2 (under 18), Kim's.
    "DSR-0105,01/04/2026,joined,under-18,parental\n"
    "DSR-0105,01/04/2026,rated,amber,School placement wobbling\n"
    f"DSR-0105,01/04/2026,keyworker,{KIM},\n"
    "DSR-0105,15/09/2026,stepped-down,,Outcomes met; CAMHS lead agreed\n"
    # F: turned 18 in August 2026: Amber, 18-25, Ade.
    "DSR-0106,01/06/2026,joined,under-18,consent\n"
    "DSR-0106,01/06/2026,transition,08-2026,\n"
    "DSR-0106,01/06/2026,rated,amber,Transition to adult services\n"
    f"DSR-0106,02/06/2026,keyworker,{ADE},\n"
    # G: removed in Q2 (moved away): gone, and not a step-down.
    "DSR-0107,01/05/2026,joined,18-25,consent\n"
    "DSR-0107,01/05/2026,rated,green,Stable\n"
    "DSR-0107,01/09/2026,removed,,Moved to another area\n"
    # H: joined after the quarter.
    "DSR-0108,10/10/2026,joined,under-18,parental\n"
)


@pytest.fixture
async def area(migrated_url: str) -> AsyncIterator[Area]:
    made = await area_on(migrated_url)
    try:
        yield made
    finally:
        await made.app.db.dispose()


def bands(under_18: int, adults: int) -> ByBand:
    return ByBand(under_18=under_18, adults=adults)


async def test_a_past_quarter_shows_what_the_imported_history_implies(area: Area) -> None:
    report = await area.import_history(HISTORY)
    assert report.problems == []
    assert (report.layout, report.young_people, sum(report.applied.values())) == ("events", 8, 28)

    q2 = await area.report("2026-Q2")
    assert not q2.in_progress and q2.as_at == date(2026, 9, 30)
    assert (q2.register, q2.area) == ("Northshire DSR", "Northshire")
    assert q2.on_register == {
        "red": bands(1, 0),  # A
        "amber": bands(0, 1),  # F, 18 since August
        "green": bands(0, 1),  # B
        "blue": bands(1, 1),  # C, D in hospital
        "unrated": bands(0, 0),
    }
    assert (q2.red_amber, q2.red_amber_with_keyworker) == (bands(1, 1), bands(1, 1))
    assert (q2.inpatients, q2.inpatients_with_keyworker) == (bands(1, 1), bands(1, 0))
    assert q2.new_admissions == bands(1, 0)  # C
    assert q2.readmissions == bands(0, 1)  # D, 4½ months after a discharge
    assert q2.discharges == bands(0, 0)  # D's was in Q1
    assert q2.stepped_down == bands(1, 0)  # E; G's removal is not a step-down
    assert q2.supported == {
        "red": bands(1, 0),  # A
        "amber": bands(1, 1),  # E (as they left), F
        "blue": bands(1, 0),  # C
        "preventive": bands(0, 0),
        "other": bands(0, 0),
    }
    caseloads = {k.name: (k.caseload, k.step_downs) for k in q2.keyworkers}
    assert caseloads == {"KL": (1, 1), "AO": (2, 0)}  # Kim Lee, Ade Okafor
    assert q2.without_keyworker == bands(0, 2)  # B, D

    q1 = await area.report("2026-Q1")  # April to June: D was discharged in it
    assert q1.discharges == bands(0, 1)
    assert q1.new_admissions == bands(0, 0)


async def test_importing_the_same_file_again_changes_nothing(area: Area) -> None:
    await area.import_history(HISTORY)
    before = await area.counts()
    figures = await area.report("2026-Q2")
    for _ in range(2):
        again = await area.import_history(HISTORY)
        assert (sum(again.applied.values()), again.already, again.problems) == (0, 28, [])
    assert await area.counts() == before
    assert await area.report("2026-Q2") == figures
    # A file with a line added applies only that line.
    more = HISTORY + "DSR-0108,20/11/2026,rated,amber,New referral reviewed\n"
    added = await area.import_history(more)
    assert (dict(added.applied), added.already) == ({"rated": 1}, 28)
    after = await area.counts()
    assert after["RatingChange"] == before["RatingChange"] + 1
    assert after["ImportedEvent"] == before["ImportedEvent"] + 1


async def test_dsr_show_and_the_agenda_read_the_imported_history(area: Area) -> None:
    await area.import_history(HISTORY)
    shown = await say(area, PRIYA, "/dsr show DSR-0101")
    assert "Rating: Red since" in shown and "(10/08/2026)" in shown, shown
    assert "10/08/2026 Red — Two A&E visits (recorded before Teamaround)" in shown
    assert "01/04/2026 Amber — Placement at risk" in shown
    assert "Keyworker: Kim Lee" in shown
    shown = await say(area, PRIYA, "/dsr show DSR-0103")
    assert "In hospital: Oak Ward, out of area, since 05/07/2026 (141 days)" in shown, shown
    shown = await say(area, PRIYA, "/dsr show DSR-0105")
    assert "Stepped down: 15/09/2026" in shown
    agenda = await say(area, PRIYA, "/dsr agenda preview")
    assert agenda.startswith("*DSR review agenda — Northshire — Mon 23 Nov*"), agenda
    assert "DSR-0104 — Blue — no keyworker — keyworker needed" in agenda, agenda
    assert "admitted 20/08/2026 to Elm Ward (95 days)" in agenda
    assert "DSR-0106 — Amber — Ade Okafor — rating not reviewed since 01/06/2026" in agenda


async def say(area: Area, email: str, line: str) -> str:
    reply = await area.harness.say(email, line)
    return "\n".join(" ".join(row.split()) for row in text_of(reply).splitlines())


async def test_every_broken_rule_is_refused_by_line_and_nothing_is_written(area: Area) -> None:
    (number,) = reserved_numbers(1)
    text = HEADER + (
        "DSR-0201,01/04/2026,joined,under-18,consent\n"  # 2: fine
        "DSR-0299,02/04/2026,rated,amber,Not on the register\n"  # 3
        "DSR-0201,03/04/2026,discharged,,\n"  # 4: no admission
        "DSR-0202,01/04/2026,joined,18-25,consent\n"  # 5: fine
        "DSR-0202,05/04/2026,keyworker,nobody@example.org,\n"  # 6: not in the directory
        "DSR-0203,01/04/2026,joined,18-25,consent\n"  # 7
        "DSR-0203,02/04/2026,admitted,Oak Ward,\n"  # 8
        "DSR-0203,03/04/2026,stepped-down,,Outcomes met\n"  # 9: in hospital
        "Jane-Smith-2011,01/04/2026,joined,under-18,consent\n"  # 10: a name
        f"DSR-0204,01/04/2026,joined,under-18,consent;ehcp {number}\n"  # 11
        "DSR-0205,01/12/2026,joined,under-18,consent\n"  # 12: in the future
        "DSR-0206,01/04/2026,joined,under-18,consent\n"  # 13
        "DSR-0206,01/05/2026,rated,blue,In hospital\n"  # 14
        "DSR-0206,31/06/2026,rated,red,No such day\n"  # 15
        "DSR-0206,01/05/2026,promoted,,\n"  # 16
        "DSR-0207,01/03/2026,rated,amber,Too early\n"  # 17: before they join
        "DSR-0207,01/04/2026,joined,under-18,consent\n"  # 18
        "DSR-0207,01/02/2026,admitted,Oak Ward,\n"  # 19: already in hospital: fine
    )
    before = await area.counts()
    for check in (True, False):
        report = await area.import_history(text, check=check)
        lines = [p.split(":")[0] for p in report.problems]
        assert sorted(lines, key=lambda s: int(s.split()[1])) == [
            f"line {n}" for n in (3, 4, 6, 9, 10, 11, 12, 14, 15, 16, 17)
        ], report.problems
        said = "\n".join(report.problems)
        assert "DSR-0299 isn't on the register" in said
        assert "DSR-0201 has no open admission to end" in said
        assert "nobody@example.org isn't in the directory" in said
        assert "DSR-0203 is recorded as in hospital (Oak Ward, since 02/04/2026)" in said
        assert "That isn't a register reference this area uses" in said
        assert "Jane" not in said  # a name is never repeated back
        assert "looks like an NHS number" in said and number not in said
        assert "01/12/2026 is in the future" in said
        assert "Blue comes from an admission" in said
        assert "'31/06/2026' isn't a date" in said
        assert "I don't know the event 'promoted'" in said
        assert (
            "line 17: DSR-0207 isn't on the register on 01/03/2026: they join it on 01/04/2026 "
            "(line 18)." in said
        )
        assert await area.counts() == before


PREVENTIVE = HEADER + (
    # P: not on the DSR; preventive from May, ended in August (counted in Q2).
    f"DSR-0401,01/05/2026,preventive,under-18,{KIM};parental\n"
    "DSR-0401,20/08/2026,support-ended,,Consultation complete\n"
    # Q: Green on the DSR, preventive from June with Ade.
    "DSR-0402,01/04/2026,joined,18-25,consent\n"
    "DSR-0402,01/04/2026,rated,green,Settled\n"
    f"DSR-0402,01/06/2026,preventive,,{ADE}\n"
    # R: preventive from July (consented in June), joins the DSR on 01/09, Amber.
    f"DSR-0403,01/07/2026,preventive,18-25,{KIM};consent;consented 2026-06-20\n"
    "DSR-0403,01/09/2026,joined,18-25,consent\n"
    "DSR-0403,01/09/2026,rated,amber,Tenancy at risk\n"
)


async def test_preventive_support_is_imported_counted_and_never_on_the_dsr(area: Area) -> None:
    report = await area.import_history(PREVENTIVE)
    assert report.problems == []
    assert dict(report.applied) == {
        "preventive": 3,
        "support-ended": 1,
        "joined": 2,
        "rated": 2,
    }
    q2 = await area.report("2026-Q2")
    assert q2.on_register["green"] == bands(0, 1)  # Q
    assert q2.on_register["amber"] == bands(0, 1)  # R, on the DSR since 01/09
    assert sum(c.total for c in q2.on_register.values()) == 2  # never P
    assert q2.supported["preventive"] == bands(1, 1)  # P (ended in August), Q
    assert q2.supported["amber"] == bands(0, 1)  # R, Amber by the end
    assert {k.name: k.caseload for k in q2.keyworkers} == {"KL": 1, "AO": 1}  # R; Q
    async with area.app.db.reader() as session:
        found = {yp.reference: yp for yp in (await session.scalars(select(YoungPerson))).all()}
        assert found["DSR-0401"].preventive_only and found["DSR-0401"].support is None
        assert found["DSR-0401"].keyworker_id is None  # keyworking ended with the support
        assert not found["DSR-0403"].preventive_only
        assert found["DSR-0403"].consent_date == date(2026, 9, 1)
        assert found["DSR-0403"].support == "preventive"
    shown = await say(area, PRIYA, "/dsr show DSR-0401")
    assert "On the DSR: No: preventive keyworking support only" in shown, shown
    again = await area.import_history(PREVENTIVE)
    assert (sum(again.applied.values()), again.already) == (0, 8)


async def test_preventive_lines_obey_the_registers_rules(area: Area) -> None:
    text = HEADER + (
        f"DSR-0501,01/05/2026,preventive,under-18,{KIM}\n"  # 2: no consent basis
        "DSR-0502,01/04/2026,joined,under-18,consent\n"  # 3
        "DSR-0502,01/04/2026,rated,red,Crisis\n"  # 4
        f"DSR-0502,01/05/2026,preventive,,{KIM}\n"  # 5: Red
        f"DSR-0503,01/05/2026,preventive,18-25,{ADE};consent\n"  # 6
        "DSR-0503,01/06/2026,rated,green,Settled\n"  # 7: not on the DSR
        "DSR-0504,01/04/2026,joined,under-18,consent\n"  # 8
        "DSR-0504,20/04/2026,support-ended,,\n"  # 9: none to end
        f"DSR-0504,01/05/2026,preventive,18-25,{KIM}\n"  # 10: another band
        "Jane-Smith-2011,01/05/2026,preventive,under-18,kim.lee@example.org;consent\n"  # 11
        "DSR-0505,01/04/2026,joined,under-18,consent\n"  # 12
        f"DSR-0505,01/05/2026,preventive,18-25,{KIM}\n"  # 13: another band
    )
    before = await area.counts()
    report = await area.import_history(text)
    said = "\n".join(report.problems)
    assert sorted((p.split(":")[0] for p in report.problems), key=lambda s: int(s[5:])) == [
        f"line {n}" for n in (2, 5, 7, 9, 11, 13)
    ], said
    assert "DSR-0501 isn't on the register: for someone not on the DSR, a `preventive` line" in said
    assert "DSR-0502 is rated Red, so their keyworking counts as Red" in said
    assert (
        "DSR-0503 isn't on the DSR: they are known for preventive keyworking support only" in said
    )
    assert "DSR-0504 has no preventive keyworking support recorded" in said
    assert "(later lines for DSR-0504 were not checked)" in said
    assert "DSR-0505 is in the under-18 band then, not 18-25" in said
    assert "That isn't a register reference this area uses" in said and "Jane" not in said
    assert await area.counts() == before


async def test_check_writes_nothing_and_says_what_it_would_apply(area: Area) -> None:
    before = await area.counts()
    report = await area.import_history(HISTORY, check=True)
    assert (report.problems, sum(report.applied.values()), report.young_people) == ([], 28, 8)
    assert await area.counts() == before
    async with area.app.db.reader() as session:  # not even the register is made
        assert await session.scalar(select(func.count()).select_from(Register)) == 0


async def test_someone_already_on_the_register_gets_only_later_history(area: Area) -> None:
    reply = await say(
        area,
        PRIYA,
        "/dsr add DSR-0301 --age-band 18-25 --consent consent "
        "--consent-date 02/11/2026 --on 02/11/2026",
    )
    assert "Added DSR-0301" in reply, reply
    earlier = HEADER + "DSR-0301,01/10/2026,rated,amber,Before they joined\n"
    report = await area.import_history(earlier)
    assert report.problems == [
        "line 2: DSR-0301 already has history recorded up to 02/11/2026; an import only adds "
        "what came after (type earlier ratings and keyworkers with /dsr rate or /dsr keyworker "
        "… --on DATE)."
    ]
    later = (
        HEADER
        + "DSR-0301,10/11/2026,rated,amber,Reviewed\n"
        + ("DSR-0301,2026-11-10,joined,18-25,consent\n")
    )
    report = await area.import_history(later)
    assert report.problems == ["line 3: DSR-0301 is already on the register."]
    report = await area.import_history(later.splitlines(keepends=True)[0] + later.splitlines()[1])
    assert report.problems == []
    shown = await say(area, PRIYA, "/dsr show DSR-0301")
    assert "Rating: Amber since" in shown and "(10/11/2026)" in shown


async def test_the_sheet_of_one_row_per_person_makes_the_same_history(
    migrated_url: str,
) -> None:
    sheet = (
        "Reference,Age band,EHCP,Consent basis,Consent date,Joined on,Rating,Rated on,"
        "Rating reason,Keyworker email,Keyworker since,Admitted on,Setting,Out of area\n"
        f"DSR-0101,under-18,yes,parental,01/04/2026,01/04/2026,red,10/08/2026,Two A&E visits,"
        f"{KIM},15/04/2026,,,\n"
        f"DSR-0103,under-18,no,best-interests,20/02/2026,01/03/2026,blue,,,{ADE},01/03/2026,"
        "05/07/2026,Oak Ward,yes\n"
        "DSR-0102,18-25,,consent,,01/05/2026,green,,,,,,,\n"
    )
    events = HEADER + (
        "DSR-0101,01/04/2026,joined,under-18,parental;ehcp\n"
        f"DSR-0101,15/04/2026,keyworker,{KIM},\n"
        "DSR-0101,10/08/2026,rated,red,Two A&E visits\n"
        "DSR-0103,01/03/2026,joined,under-18,best-interests;consented 20/02/2026\n"
        f"DSR-0103,01/03/2026,keyworker,{ADE},\n"
        "DSR-0103,05/07/2026,admitted,Oak Ward,out-of-area\n"
        "DSR-0102,01/05/2026,joined,18-25,consent\n"
        "DSR-0102,01/05/2026,rated,green,Rating from the register's records (no reason recorded)\n"
    )
    sheet_area = await area_on(migrated_url, register="From the sheet")
    events_area = await area_on(migrated_url, register="From events")
    try:
        from_sheet = await sheet_area.import_history(sheet)
        assert (from_sheet.layout, from_sheet.problems) == ("sheet", [])
        from_events = await events_area.import_history(events)
        assert from_events.problems == []
        assert await history_of(sheet_area) == await history_of(events_area)
        assert [r.split(" ", 1)[1] for r in await history_of(sheet_area)][:1]  # not empty
    finally:
        await sheet_area.app.db.dispose()
        await events_area.app.db.dispose()


async def history_of(area: Area) -> list[str]:
    """The register's history, as dated facts (no ids, no instants)."""
    cal = area.app.services.calendar
    async with area.app.db.reader() as session:
        register = await session.scalar(
            select(Register).where(Register.name == area.app.policy.register_name)
        )
        assert register is not None
        people = (
            await session.scalars(
                select(YoungPerson)
                .where(YoungPerson.register_id == register.id)
                .order_by(YoungPerson.reference)
            )
        ).all()
        facts = []
        for yp in people:
            facts.append(
                f"{yp.reference} joined {cal.local_date(yp.created_at)} {yp.age_band} "
                f"ehcp={yp.ehcp} {yp.consent_basis} {yp.consent_date} rating={yp.rating} "
                f"rated={cal.local_date(yp.rated_at) if yp.rated_at else None} "
                f"kw={yp.keyworker_id} turns18={yp.transition_month} left={yp.left_on} "
                f"{yp.leaving_reason} {yp.archive_reason} preventive_only={yp.preventive_only} "
                f"support={yp.support}"
            )
            for support in (
                await session.scalars(
                    select(SupportChange)
                    .where(SupportChange.young_person_id == yp.id)
                    .order_by(SupportChange.at, SupportChange.id)
                )
            ).all():
                facts.append(f"{yp.reference} {cal.local_date(support.at)} support {support.kind}")
            for change in (
                await session.scalars(
                    select(RatingChange)
                    .where(RatingChange.young_person_id == yp.id)
                    .order_by(RatingChange.at, RatingChange.id)
                )
            ).unique():
                facts.append(
                    f"{yp.reference} {cal.local_date(change.at)} rated {change.rating} "
                    f"{change.rationale}"
                )
            for kw in (
                await session.scalars(
                    select(KeyworkerChange)
                    .where(KeyworkerChange.young_person_id == yp.id)
                    .order_by(KeyworkerChange.at, KeyworkerChange.id)
                )
            ).all():
                facts.append(f"{yp.reference} {cal.local_date(kw.at)} keyworker {kw.keyworker_id}")
            for admission in (
                await session.scalars(
                    select(Admission)
                    .where(Admission.young_person_id == yp.id)
                    .order_by(Admission.admitted_on)
                )
            ).all():
                facts.append(
                    f"{yp.reference} admitted {admission.admitted_on} {admission.setting} "
                    f"out={admission.out_of_area} discharged {admission.discharged_on}"
                )
        return facts


async def test_an_imported_history_is_the_history_the_commands_write(migrated_url: str) -> None:
    """The same made-up history, typed day by day with `/dsr` into one register
    and imported as a file into another: the same rows, the same reports."""
    typed = await area_on(migrated_url, register="Typed")
    imported = await area_on(migrated_url, register="Imported")
    try:
        lines = history(
            young_people=14,
            months=9,
            today=MONDAY.date(),
            keyworkers=(KIM, ADE),
            seed=11,
            preventive=True,
        )
        assert {line.event for line in lines} >= {
            "joined",
            "rated",
            "keyworker",
            "admitted",
            "discharged",
            "stepped-down",
            "transition",
            "preventive",
            "support-ended",
        }
        harness = typed.harness
        for n, line in enumerate(lines):
            typed.clock.set(
                datetime.combine(line.on, time(12, 0, n % 60), tzinfo=LONDON)
                if line.on < MONDAY.date()
                else MONDAY
            )
            reply = await harness.say(PRIYA, as_command(line))
            assert reply.message.tone != "error", (as_command(line), text_of(reply))
        typed.clock.set(MONDAY)
        report = await imported.import_history(as_csv(lines, uk_dates=False))
        assert report.problems == []
        assert await history_of(typed) == await history_of(imported)
        for quarter in ("2026-Q1", "2026-Q2", "2026-Q3"):
            by_typing = dataclasses.replace(await typed.report(quarter), register="")
            by_import = dataclasses.replace(await imported.report(quarter), register="")
            assert by_typing == by_import, quarter
    finally:
        await typed.app.db.dispose()
        await imported.app.db.dispose()


async def test_someone_in_hospital_before_they_joined_is_blue_from_joining(area: Area) -> None:
    text = HEADER + (
        "DSR-0401,01/05/2026,joined,18-25,best-interests\n"
        "DSR-0401,03/01/2023,admitted,Cedar House,out-of-area\n"  # a long stay
    )
    report = await area.import_history(text)
    assert report.problems == []
    shown = await say(area, PRIYA, "/dsr show DSR-0401")
    assert "In hospital: Cedar House, out of area, since 03/01/2023" in shown, shown
    assert "01/05/2026 Blue — Admitted to Cedar House" in shown
    q1 = await area.report("2026-Q1")
    assert q1.inpatients == bands(0, 1)
    assert q1.new_admissions == bands(0, 0)  # admitted years before this quarter
