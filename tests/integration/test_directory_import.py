"""`teamaround directory import` with files as HR systems and Excel save them,
over a real database: managers listed after their staff, Windows-1252,
accented agencies, NHS-number-shaped values, --check and --leavers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.errors import UserError
from commands.csv_files import read_csv
from commands.directory.service import ALIASES, ImportReport, import_csv, upsert_person
from integrations.sandbox.render import render
from store import queries
from store.db import Database
from store.models import Action, ActionEvent, Agency, AuditEvent, NetworkMember, Outbox, Person
from tests.conftest import MONDAY, Harness, text_of
from tests.nhs import reserved_numbers, spaced

KIM = "kim.lee@example.org"
SAM = "sam.patel@example.org"
CH = "yp-dsr-0042"
HEADER = "name,email,agency,role,line_manager_email\n"


@pytest.fixture
async def db(migrated_url: str) -> AsyncIterator[Database]:
    database = Database(migrated_url)
    try:
        yield database
    finally:
        await database.dispose()


async def run_import(db: Database, data: bytes, *, check: bool = False) -> ImportReport:
    async with db.transaction() as session:
        return await import_csv(
            session,
            table=read_csv(data, aliases=ALIASES),
            now=MONDAY,
            actor_label="cli:tester",
            check=check,
        )


async def counts(db: Database) -> tuple[int, int, int]:
    async with db.reader() as session:
        return tuple(  # type: ignore[return-value]
            [
                int(await session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (Person, Agency, AuditEvent)
            ]
        )


async def test_a_windows_1252_file_from_excel_keeps_its_accents(db: Database) -> None:
    text = (
        "Name;E-mail;Organisation;Job title;Line manager email\r\n"
        "Zoë Brontë;zoe.bronte@example.org;Équipe Santé;Infirmière;renee.dupont@example.org\r\n"
        "Renée Dupont;renee.dupont@example.org;Équipe Santé;Cheffe d'équipe;\r\n"
    )
    data = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the file really is not UTF-8
    table = read_csv(data, aliases=ALIASES)
    assert table.note is not None and "Windows-1252" in table.note and "UTF-8" in table.note
    report = await run_import(db, data)
    assert (report.added, report.problems) == (2, [])
    assert report.notes == [table.note]
    async with db.reader() as session:
        zoe = await queries.person_by_email(session, email="zoe.bronte@example.org")
        assert zoe is not None
        assert (zoe.name, zoe.agency.name, zoe.role) == ("Zoë Brontë", "Équipe Santé", "Infirmière")


def test_a_file_in_no_encoding_i_can_read_is_refused_in_one_line() -> None:
    # 0x81 is not a character in UTF-8 or in Windows-1252.
    data = HEADER.encode() + b"Kim Lee,kim.lee@example.org,Keyworking\x81,Keyworker,\n"
    with pytest.raises(UserError) as caught:
        read_csv(data)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("line 2: the file is not in UTF-8 or Windows-1252")
    assert "CSV UTF-8 (Comma delimited)" in message


def test_an_excel_workbook_is_refused_with_how_to_save_it_as_csv() -> None:
    with pytest.raises(UserError, match=r"Excel workbook \(\.xlsx\), not a CSV file"):
        read_csv(b"PK\x03\x04rest-of-a-zip")


async def test_an_accented_agency_imported_twice_in_any_case_is_one_agency(db: Database) -> None:
    first = HEADER + "Zoë Brontë,zoe.bronte@example.org,Équipe Santé,Nurse,\n"
    second = HEADER + "Renée Dupont,renee.dupont@example.org,ÉQUIPE  SANTÉ,Nurse,\n"
    assert (await run_import(db, first.encode())).added == 1
    assert (await run_import(db, second.encode())).added == 1
    async with db.reader() as session:
        names = (await session.scalars(select(Agency.name))).all()
        assert names == ["Équipe Santé"]  # the first spelling is kept
        # SQLite's lower() folds only A-Z; the stored key folds everything.
        found = await queries.agency_by_name(session, name="équipe santé")
        assert found is not None and found.name == "Équipe Santé"
        renee = await queries.person_by_email(session, email="renee.dupont@example.org")
        assert renee is not None and renee.agency.name == "Équipe Santé"


async def test_two_spellings_of_one_new_agency_in_one_file_are_one_agency(db: Database) -> None:
    text = (
        HEADER
        + "Zoë Brontë,zoe.bronte@example.org,Équipe Santé,Nurse,\n"
        + "Renée Dupont,renee.dupont@example.org,équipe santé,Nurse,\n"
    )
    assert (await run_import(db, text.encode())).added == 2
    assert (await counts(db))[1] == 1


async def test_the_workforce_columns_are_read_and_kept_when_left_out(db: Database) -> None:
    text = (
        "Name,Email,Organisation,Job title,Pay grade,Part-time,Agency type\n"
        "Kim Lee,kim.lee@example.org,Keyworking Service,Keyworker,Band 6,no,NHS trust\n"
        "Ade Okafor,ade.okafor@example.org,Keyworking Service,Keyworker,Band 5,yes,\n"
        "Sol Byrne,sol.byrne@example.org,Brightpath,Keyworker,,,charity\n"
    )
    assert (await run_import(db, text.encode())).added == 3
    async with db.reader() as session:
        people = {p.email: p for p in (await session.scalars(select(Person))).all()}
        assert (people[KIM].grade, people[KIM].part_time) == ("Band 6", False)
        assert (
            people["ade.okafor@example.org"].grade,
            people["ade.okafor@example.org"].part_time,
        ) == (
            "Band 5",
            True,
        )
        assert people["sol.byrne@example.org"].grade is None
        kinds = {a.name: a.kind for a in (await session.scalars(select(Agency))).all()}
        assert kinds == {"Keyworking Service": "nhs", "Brightpath": "third-sector"}
    # An HR export without the columns changes none of it; a new kind is audited.
    again = (
        HEADER
        + "Kim Lee,kim.lee@example.org,Keyworking Service,Keyworker,\n"
        + "Sol Byrne,sol.byrne@example.org,Brightpath,Keyworker,\n"
    )
    assert (await run_import(db, again.encode())).unchanged == 2
    moved = (
        "name,email,agency,role,agency_kind\n"
        "Kim Lee,kim.lee@example.org,Keyworking Service,Keyworker,LA\n"
    )
    assert (await run_import(db, moved.encode())).unchanged == 1
    async with db.reader() as session:
        kim = await queries.person_by_email(session, email=KIM)
        assert kim is not None and kim.grade == "Band 6" and kim.agency.kind == "local-authority"
        [event] = (
            await session.scalars(select(AuditEvent).where(AuditEvent.verb == "directory.agency"))
        ).all()
        assert (event.before, event.after) == (
            {"name": "Keyworking Service", "kind": "nhs"},
            {"name": "Keyworking Service", "kind": "local-authority"},
        )


async def test_bad_workforce_columns_are_refused_by_line(db: Database) -> None:
    text = (
        "name,email,agency,part_time,agency_kind\n"
        "Kim Lee,kim.lee@example.org,Keyworking Service,no,nhs\n"
        "Ade Okafor,ade.okafor@example.org,Keyworking Service,no,third sector\n"
        "Sol Byrne,sol.byrne@example.org,Brightpath,sometimes,hospital\n"
    )
    before = await counts(db)
    report = await run_import(db, text.encode())
    assert report.problems == [
        "line 3: Keyworking Service is nhs on line 2; give each agency one agency_kind.",
        "line 4: part_time is yes or no, not 'sometimes'.",
        "line 4: I don't know the agency kind 'hospital'; use nhs, local-authority, "
        "third-sector, independent or other.",
    ]
    assert await counts(db) == before


async def test_an_nhs_number_in_any_field_is_refused_by_line_and_nothing_is_written(
    db: Database,
) -> None:
    number, other, third = reserved_numbers(3)
    text = (
        HEADER
        + "Dana Cole,dana.cole@example.org,Keyworking Service,Keyworking lead,\n"
        + f"Pat {number},pat@example.org,CAMHS,Nurse,\n"  # line 3: in the name
        + f"Sam Patel,sam.patel@example.org,CAMHS,Psychologist ({spaced(other)}),\n"  # line 4
        + f"Jo Hughes,jo.hughes@example.org,Social Care {third},Social worker,\n"  # line 5
    )
    report = await run_import(db, text.encode())
    assert [p.split(":")[0] for p in report.problems] == ["line 3", "line 4", "line 5"]
    assert "the name field holds what looks like an NHS number" in report.problems[0]
    assert "the role field" in report.problems[1]
    assert "the agency field" in report.problems[2]
    assert all(number not in p and other not in p for p in report.problems)
    assert await counts(db) == (0, 0, 0)


async def test_directory_add_refuses_an_nhs_number_in_any_field(db: Database) -> None:
    (number,) = reserved_numbers(1)
    for fields in (
        {"name": f"Pat {spaced(number)}"},
        {"role": f"Nurse {number}"},
        {"agency": f"CAMHS {number}"},
        {"grade": f"Band {number}"},
    ):
        values = {"name": "Pat Lee", "agency": "CAMHS", "role": "Nurse", **fields}
        async with db.transaction() as session:
            with pytest.raises(UserError, match="looks like an NHS number"):
                await upsert_person(
                    session,
                    email="pat@example.org",
                    manager_email=None,
                    now=MONDAY,
                    actor_label="cli:tester",
                    **values,
                )
    assert await counts(db) == (0, 0, 0)


async def test_directory_add_sets_the_grade_and_part_time_and_keeps_them_when_left_out(
    db: Database,
) -> None:
    for grade, part_time, outcome in (
        ("Band 6", True, "added"),
        (None, None, "unchanged"),
        ("Band 7", None, "updated"),
    ):
        async with db.transaction() as session:
            said = await upsert_person(
                session,
                email=KIM,
                name="Kim Lee",
                agency="Keyworking Service",
                role="Keyworker",
                manager_email=None,
                now=MONDAY,
                actor_label="cli:tester",
                grade=grade,
                part_time=part_time,
            )
        assert said == outcome
    async with db.reader() as session:
        kim = await queries.person_by_email(session, email=KIM)
        assert kim is not None and (kim.grade, kim.part_time) == ("Band 7", True)


async def test_check_reports_every_problem_and_what_it_would_do_writing_nothing(
    db: Database,
) -> None:
    good = (
        HEADER
        + "Sam Patel,sam.patel@example.org,CAMHS,Clinical psychologist,morgan.reed@example.org\n"
        + "Morgan Reed,morgan.reed@example.org,CAMHS,Team manager,\n"
    )
    checked = await run_import(db, good.encode(), check=True)
    assert (checked.added, checked.updated, checked.problems) == (2, 0, [])
    assert await counts(db) == (0, 0, 0)
    bad = good + "Jo,jo@example,CAMHS,Nurse,\n" + "Sam Again,sam.patel@example.org,CAMHS,,\n"
    checked = await run_import(db, bad.encode(), check=True)
    assert [p.split(":")[0] for p in checked.problems] == ["line 4", "line 5"]
    assert "also on line 2" in checked.problems[1]
    assert await counts(db) == (0, 0, 0)


async def test_a_leaver_is_marked_left_taken_out_and_their_keyworker_asked_to_reassign(
    harness: Harness,
) -> None:
    h = harness
    reply = await h.say(KIM, "/network open DSR-0042")
    assert reply.switch_to == CH, text_of(reply)
    await h.say(KIM, "/network add @sam.patel @jo.hughes", channel=CH)
    for line in (
        "/action assign @sam.patel Send the EHCP draft by Friday",
        "/action assign @sam.patel Book the clinic by 11/12/2026",
        "/action assign @jo.hughes Visit the family by Friday",
    ):
        assert (await h.say(KIM, line, channel=CH)).message.tone == "success"
    await h.say(SAM, "/action update 1 Draft half written", channel=CH)
    async with h.app.db.reader() as session:
        events_before = int(
            await session.scalar(select(func.count()).select_from(ActionEvent)) or 0
        )

    # CAMHS's HR export no longer lists Sam; nobody else's agency is in it.
    camhs = (
        HEADER
        + "Lee Grant,lee.grant@example.org,CAMHS,CAMHS clinical director,\n"
        + "Morgan Reed,morgan.reed@example.org,CAMHS,CAMHS team manager,\n"
    )
    async with h.app.db.transaction() as session:
        report = await import_csv(
            session,
            table=read_csv(camhs.encode(), aliases=ALIASES),
            now=h.clock.now(),
            actor_label="cli:tester",
            leavers=True,
            policy=h.app.policy,
            calendar=h.app.services.calendar,
        )
    assert [(leaver.email, leaver.networks, leaver.open_actions) for leaver in report.left] == [
        (SAM, ("DSR-0042",), 2)
    ]
    assert report.left[0].told == (KIM,)
    await h.app.relay(worker="test").drain()
    [dm] = [d for d in h.gateway.delivered if d.op == "dm"]
    assert dm.address.email == KIM
    assert "Sam Patel (CAMHS) left" in dm.message.text
    assert (
        "#1 Send the EHCP draft" in dm.message.text
        and "/action reassign 1 @someone" in dm.message.text
    )
    assert "#2 Book the clinic" in dm.message.text
    assert "#3" not in dm.message.text  # Jo's action is nobody's business here
    [removal] = [d for d in h.gateway.delivered if d.space is not None]
    assert (removal.space.action, [m.email for m in removal.space.members]) == ("remove", [SAM])
    [card] = [d for d in h.gateway.delivered if d.key.startswith("card:network:1:leavers:")]
    assert card.op == "update"  # the network card, edited in place without Sam
    assert card.message is not None and "2 people" in card.message.text
    shown = render(card.message)
    assert "Kim Lee" in shown and "Jo Hughes" in shown and "Sam Patel" not in shown

    async with h.app.db.reader() as session:
        sam = await queries.person_by_email(session, email=SAM)
        assert sam is not None and not sam.active  # marked, not deleted
        member = await session.scalar(
            select(NetworkMember).where(NetworkMember.person_id == sam.id)
        )
        assert member is not None and member.removed_at is not None
        owned = (await session.scalars(select(Action).where(Action.owner_id == sam.id))).all()
        assert [a.status for a in owned] == ["open", "open"]  # still theirs until reassigned
        assert (
            int(await session.scalar(select(func.count()).select_from(ActionEvent)) or 0)
            == events_before
        )
        others = (await session.scalars(select(Person).where(Person.active.is_(False)))).all()
        assert [p.email for p in others] == [SAM]  # other agencies are left alone
        verbs = (
            await session.scalars(
                select(AuditEvent.verb).where(AuditEvent.actor_label == "cli:tester")
            )
        ).all()
        assert sorted(verbs) == ["directory.leave", "network.member_remove"]

    refused = await h.say(KIM, "/action assign @sam.patel Ring the GP by Friday", channel=CH)
    assert "marked as having left" in text_of(refused)
    moved = await h.say(KIM, "/action reassign 1 @jo.hughes Sam has left", channel=CH)
    assert moved.message.tone == "success", text_of(moved)
    shown = text_of(await h.say(KIM, "/action show 1", channel=CH))
    assert "Draft half written" in shown  # Sam's update is still in the trail


async def test_a_leaver_who_was_the_keyworker_is_reported_to_the_chair(harness: Harness) -> None:
    h = harness
    reply = await h.say("ade.okafor@example.org", "/network open DSR-0043")
    channel = reply.switch_to
    assert channel, text_of(reply)
    keyworkers = (
        HEADER
        + "Dana Cole,dana.cole@example.org,Keyworking Service,Keyworking lead,\n"
        + "Kim Lee,kim.lee@example.org,Keyworking Service,Keyworker,dana.cole@example.org\n"
    )
    async with h.app.db.transaction() as session:
        report = await import_csv(
            session,
            table=read_csv(keyworkers.encode(), aliases=ALIASES),
            now=h.clock.now(),
            actor_label="cli:tester",
            leavers=True,
            policy=h.app.policy,
            calendar=h.app.services.calendar,
        )
    [ade] = report.left
    assert (ade.email, ade.told) == ("ade.okafor@example.org", ("priya.shah@example.org",))
    await h.app.relay(worker="test").drain()
    [dm] = [d for d in h.gateway.delivered if d.op == "dm"]
    assert "Ade Okafor was the keyworker: name a new one with /dsr keyworker DSR-0043" in (
        dm.message.text
    )
    shown = text_of(await h.say("priya.shah@example.org", "/dsr show DSR-0043"))
    assert "Keyworker: none" in shown


async def test_someone_marked_as_left_who_is_back_in_the_file_is_active_again(
    db: Database,
) -> None:
    text = HEADER + "Sam Patel,sam.patel@example.org,CAMHS,Psychologist,\n"
    await run_import(db, text.encode())
    async with db.transaction() as session:
        sam = await queries.person_by_email(session, email=SAM)
        assert sam is not None
        sam.active = False
    report = await run_import(db, text.encode())
    assert report.updated == 1
    async with db.reader() as session:
        sam = await queries.person_by_email(session, email=SAM)
        assert sam is not None and sam.active


async def test_no_outbox_rows_without_leavers(db: Database) -> None:
    await run_import(
        db, (HEADER + "Sam Patel,sam.patel@example.org,CAMHS,Psychologist,\n").encode()
    )
    async with db.reader() as session:
        assert int(await session.scalar(select(func.count()).select_from(Outbox)) or 0) == 0


async def test_the_reach_column_says_who_prefers_email_and_an_empty_cell_keeps_it(
    db: Database,
) -> None:
    report = await run_import(
        db,
        b"name,email,agency,role,reach\n"
        b"Alex Stone,alex.stone@example.org,Housing,Officer,email\n"
        b"Bea North,bea.north@example.org,Housing,Officer,\n",
    )
    assert report.problems == [] and report.added == 2
    await run_import(
        db, b"name,email,agency,role,reach\nAlex Stone,alex.stone@example.org,Housing,Officer,\n"
    )
    async with db.reader() as session:
        reach = dict((await session.execute(select(Person.email, Person.reach))).all())
    assert reach == {"alex.stone@example.org": "email", "bea.north@example.org": "chat"}
    before = await counts(db)
    bad = await run_import(
        db, b"name,email,agency,role,reach\nAlex Stone,alex.stone@example.org,Housing,Officer,sms\n"
    )
    assert bad.problems == ["line 2: reach is chat or email, not 'sms'."]
    assert await counts(db) == before
