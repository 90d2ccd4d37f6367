"""Directory CSV import and the actions export, over a real database."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.errors import UserError
from commands.action.export import FIELDS, export, rows
from commands.csv_files import read_csv
from commands.directory.service import ALIASES, ImportReport, import_csv
from store.db import Database
from store.models import Agency, AuditEvent, Person
from tests.conftest import MONDAY, Harness, text_of

KIM = "kim.lee@example.org"
SAM = "sam.patel@example.org"
JO = "jo.hughes@example.org"
ALEX = "alex.morgan@example.org"
CH = "yp-dsr-0042"

HEADER = "name,email,agency,role,line_manager_email\n"
PEOPLE_CSV = (
    HEADER
    + "Dana Cole,dana.cole@example.org,Keyworking Service,Keyworking lead,\n"
    + "Kim Lee,kim.lee@example.org,Keyworking Service,Keyworker,dana.cole@example.org\n"
    + "Morgan Reed,morgan.reed@example.org,CAMHS,CAMHS team manager,\n"
    + "Sam Patel,sam.patel@example.org,CAMHS,Clinical psychologist,morgan.reed@example.org\n"
    + 'Jo Hughes,jo.hughes@example.org,"Children\'s Social Care",Social worker,\n'
)
CONTRACT = {
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
}


@pytest.fixture
async def db(migrated_url: str) -> AsyncIterator[Database]:
    database = Database(migrated_url)
    try:
        yield database
    finally:
        await database.dispose()


async def run_import(db: Database, text: str, *, now: datetime = MONDAY) -> ImportReport:
    async with db.transaction() as session:
        return await import_csv(
            session,
            table=read_csv(text.encode("utf-8"), aliases=ALIASES),
            now=now,
            actor_label="cli:tester",
        )


async def directory(db: Database) -> dict[str, tuple[str, str, str, str | None]]:
    """email -> (name, agency, role, line manager email)."""
    async with db.reader() as session:
        people = (await session.scalars(select(Person))).all()
        managers = {p.id: p.email for p in people}
        return {
            p.email: (
                p.name,
                p.agency.name,
                p.role,
                managers.get(p.line_manager_id) if p.line_manager_id else None,
            )
            for p in people
        }


async def count(db: Database, model: type) -> int:
    async with db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def directory_audit(db: Database) -> list[AuditEvent]:
    async with db.reader() as session:
        return list(
            (
                await session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.object_type == "person")
                    .order_by(AuditEvent.id)
                )
            ).all()
        )


# -- import ----------------------------------------------------------------------


async def test_import_adds_people_agencies_and_line_managers(db: Database) -> None:
    report = await run_import(db, PEOPLE_CSV)
    assert (report.added, report.updated, report.unchanged, report.problems) == (5, 0, 0, [])
    assert await directory(db) == {
        "dana.cole@example.org": ("Dana Cole", "Keyworking Service", "Keyworking lead", None),
        KIM: ("Kim Lee", "Keyworking Service", "Keyworker", "dana.cole@example.org"),
        "morgan.reed@example.org": ("Morgan Reed", "CAMHS", "CAMHS team manager", None),
        SAM: ("Sam Patel", "CAMHS", "Clinical psychologist", "morgan.reed@example.org"),
        JO: ("Jo Hughes", "Children's Social Care", "Social worker", None),
    }
    async with db.reader() as session:
        agencies = sorted((await session.scalars(select(Agency.name))).all())
    assert agencies == ["CAMHS", "Children's Social Care", "Keyworking Service"]
    events = await directory_audit(db)
    assert [e.verb for e in events] == ["directory.add"] * 5
    assert {e.actor_label for e in events} == {"cli:tester"}


async def test_reimporting_the_same_file_changes_nothing(db: Database) -> None:
    await run_import(db, PEOPLE_CSV)
    before = (await directory(db), await count(db, Agency), await count(db, AuditEvent))
    for _ in range(2):
        report = await run_import(db, PEOPLE_CSV, now=MONDAY + timedelta(days=1))
        assert (report.added, report.updated, report.unchanged, report.problems) == (0, 0, 5, [])
    assert (await directory(db), await count(db, Agency), await count(db, AuditEvent)) == before
    assert await count(db, Person) == 5


async def test_reimport_matches_emails_and_agencies_whatever_their_case(db: Database) -> None:
    await run_import(db, PEOPLE_CSV)
    shouting = (
        HEADER
        + "Kim Lee , KIM.LEE@Example.ORG ,keyworking service,Keyworker,DANA.COLE@example.org\n"
    )
    report = await run_import(db, shouting)
    assert (report.added, report.updated, report.unchanged) == (0, 0, 1)
    assert await count(db, Person) == 5
    assert await count(db, Agency) == 3


async def test_a_changed_role_is_updated_and_audited_with_before_and_after(
    db: Database,
) -> None:
    await run_import(db, PEOPLE_CSV)
    changed = PEOPLE_CSV.replace(
        "CAMHS,Clinical psychologist,", "CAMHS,Senior clinical psychologist,"
    )
    later = MONDAY + timedelta(days=3)
    report = await run_import(db, changed, now=later)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 4)
    assert (await directory(db))[SAM][2] == "Senior clinical psychologist"
    assert await count(db, Person) == 5

    [event] = [e for e in await directory_audit(db) if e.verb == "directory.update"]
    async with db.reader() as session:
        sam = await session.scalar(select(Person).where(Person.email == SAM))
    assert sam is not None
    assert sam.updated_at == later
    assert event.object_id == str(sam.id)
    assert event.at == later
    assert event.actor_label == "cli:tester"
    assert event.before is not None and event.after is not None
    assert event.before["role"] == "Clinical psychologist"
    assert event.after["role"] == "Senior clinical psychologist"
    unchanged = {k: v for k, v in event.before.items() if k != "role"}
    assert unchanged == {k: v for k, v in event.after.items() if k != "role"}
    assert unchanged["line_manager"] == "morgan.reed@example.org"


async def test_a_new_line_manager_and_agency_are_updates(db: Database) -> None:
    await run_import(db, PEOPLE_CSV)
    moved = HEADER + "Jo Hughes,jo.hughes@example.org,SEN Team,Social worker,kim.lee@example.org\n"
    report = await run_import(db, moved)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 0)
    assert (await directory(db))[JO] == ("Jo Hughes", "SEN Team", "Social worker", KIM)
    [event] = [e for e in await directory_audit(db) if e.verb == "directory.update"]
    assert event.before is not None and event.after is not None
    assert (event.before["agency"], event.after["agency"]) == ("Children's Social Care", "SEN Team")
    assert (event.before["line_manager"], event.after["line_manager"]) == (None, KIM)


async def test_every_problem_is_reported_by_line_and_nothing_is_written(db: Database) -> None:
    text = (
        HEADER
        + "Dana Cole,dana.cole@example.org,Keyworking Service,Keyworking lead,\n"  # line 2
        + "Kim Lee,kim.lee-at-example.org,Keyworking Service,Keyworker,\n"  # 3: bad email
        + "Sam Patel,sam.patel@example.org,Ghost Agency,Psychologist,nobody.here@example.org\n"
        + ",jo.hughes@example.org,Children's Social Care,Social worker,\n"  # 5: no name
        + "Alex Morgan,alex.morgan@example.org,,SENCo,\n"  # 6: no agency
        + "Kim Lee,kim.lee@example.org,Keyworking Service,Keyworker,dana.cole@example.org\n"
    )
    report = await run_import(db, text)
    assert (report.added, report.updated, report.unchanged) == (0, 0, 0)
    assert len(report.problems) == 4, report.problems
    bad_email, no_name, no_agency, unknown_manager = report.problems
    assert bad_email.startswith("line 3:") and "kim.lee-at-example.org" in bad_email
    assert "not an email address" in bad_email
    assert no_name.startswith("line 5:") and "needs a name" in no_name
    assert no_agency.startswith("line 6:") and "needs an agency" in no_agency
    assert unknown_manager.startswith("line 4:") and "nobody.here@example.org" in unknown_manager
    assert "neither in this file nor in the directory" in unknown_manager
    # All or nothing: the good rows wait for the file to be fixed.
    assert await directory(db) == {}
    assert await count(db, Agency) == 0
    assert await directory_audit(db) == []


async def test_people_may_come_before_their_line_managers(db: Database) -> None:
    text = (
        HEADER
        + "Sam Patel,sam.patel@example.org,CAMHS,Clinical psychologist,morgan.reed@example.org\n"
        + "Kim Lee,kim.lee@example.org,Keyworking Service,Keyworker,dana.cole@example.org\n"
        + "Morgan Reed,morgan.reed@example.org,CAMHS,CAMHS team manager,lee.grant@example.org\n"
        + "Dana Cole,dana.cole@example.org,Keyworking Service,Keyworking lead,\n"
        + "Lee Grant,lee.grant@example.org,CAMHS,Clinical director,\n"
    )
    report = await run_import(db, text)
    assert (report.added, report.updated, report.unchanged, report.problems) == (5, 0, 0, [])
    people = await directory(db)
    assert people[SAM][3] == "morgan.reed@example.org"
    assert people[KIM][3] == "dana.cole@example.org"
    assert people["morgan.reed@example.org"][3] == "lee.grant@example.org"
    again = await run_import(db, text)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)


async def test_problem_line_numbers_count_blank_lines_in_the_file(db: Database) -> None:
    """People fix the file by the line number they are told: it must be the line
    in the file, also after a blank line (which the CSV reader skips)."""
    text = (
        HEADER
        + "Dana Cole,dana.cole@example.org,Keyworking Service,Keyworking lead,\n"  # line 2
        + "\n"  # line 3
        + "Kim Lee,not-an-email,Keyworking Service,Keyworker,\n"  # line 4
    )
    report = await run_import(db, text)
    assert report.added == 0
    assert [p.split(":")[0] for p in report.problems] == ["line 4"], report.problems


async def test_a_missing_column_is_refused_naming_the_columns(db: Database) -> None:
    text = "name,email\nKim Lee,kim.lee@example.org\n"
    with pytest.raises(UserError) as caught:
        await run_import(db, text)
    message = caught.value.message
    assert "name, email, agency, role, line_manager_email" in message
    assert "missing: agency." in message
    assert await count(db, Person) == 0


async def test_role_and_line_manager_may_be_left_out(db: Database) -> None:
    report = await run_import(db, "name,email,agency\nKim Lee,kim.lee@example.org,Keyworking\n")
    assert (report.added, report.problems) == (1, [])
    assert (await directory(db))[KIM] == ("Kim Lee", "Keyworking", "", None)


async def test_an_empty_file_is_refused(db: Database) -> None:
    with pytest.raises(UserError, match="empty"):
        await run_import(db, "")


async def test_a_byte_order_mark_and_column_order_do_not_matter(db: Database) -> None:
    text = (
        "\ufeffemail,role,name,line_manager_email,agency\n"
        "alex.morgan@example.org,SENCo,Alex Morgan,,Oakfield School\n"
    )
    report = await run_import(db, text)
    assert (report.added, report.problems) == (1, [])
    assert (await directory(db))[ALEX] == ("Alex Morgan", "Oakfield School", "SENCo", None)


# -- export ----------------------------------------------------------------------

TRICKY = 'Ring "Mum", then Dad, re: <!channel> & <@U123>; it\'s urgent'


async def assign_some(h: Harness) -> None:
    reply = await h.say(KIM, "/network open DSR-0042")
    assert reply.switch_to == CH, text_of(reply)
    await h.say(KIM, f"/network add @sam.patel {JO} @alex.morgan", channel=CH)
    for line in (
        "/action assign @sam.patel Send the EHCP draft to the family by Friday",
        f"/action assign @jo.hughes {TRICKY} by 12/12",
        '/action assign @alex.morgan Update the school plan by next Friday --agency "SEN Team"',
    ):
        reply = await h.say(KIM, line, channel=CH)
        assert reply.message.tone == "success", text_of(reply)
    h.clock.advance(timedelta(hours=2))
    reply = await h.say(SAM, "/action done 1 Sent by secure email", channel=CH)
    assert reply.message.tone == "success", text_of(reply)


async def test_json_export_has_exactly_the_contract_fields(harness: Harness) -> None:
    await assign_some(harness)
    async with harness.app.db.reader() as session:
        data = json.loads(await export(session, fmt="json"))
    assert set(FIELDS) == CONTRACT
    assert [list(item) for item in data] == [list(FIELDS)] * 3  # same fields, same order
    first, second, third = data
    assert first == {
        "id": 1,
        "network_reference": "DSR-0042",
        "text": "Send the EHCP draft to the family",
        "owner_email": SAM,
        "agency": "CAMHS",
        "due_date": "2026-11-27",
        "status": "done",
        "escalation_stage": 0,
        "created_at": first["created_at"],
        "closed_at": first["closed_at"],
    }
    assert datetime.fromisoformat(first["created_at"]) == MONDAY
    assert datetime.fromisoformat(first["closed_at"]) == MONDAY + timedelta(hours=2)
    assert second["text"] == TRICKY
    assert (second["owner_email"], second["agency"]) == (JO, "Children's Social Care")
    assert date.fromisoformat(second["due_date"]) == date(2026, 12, 12)
    assert (second["status"], second["closed_at"]) == ("open", None)
    assert (third["owner_email"], third["agency"], third["due_date"]) == (
        ALEX,
        "SEN Team",
        "2026-12-04",
    )


async def test_csv_export_has_the_same_header_and_round_trips(harness: Harness) -> None:
    await assign_some(harness)
    async with harness.app.db.reader() as session:
        as_json = json.loads(await export(session, fmt="json"))
        as_csv = await export(session, fmt="csv")
    assert as_csv.splitlines()[0] == ",".join(FIELDS)
    read = list(csv.DictReader(io.StringIO(as_csv)))
    assert len(read) == len(as_json) == 3
    assert all(list(r) == list(FIELDS) for r in read)
    for from_csv, from_json in zip(read, as_json, strict=True):
        expected = {k: "" if v is None else str(v) for k, v in from_json.items()}
        assert from_csv == expected
    assert read[1]["text"] == TRICKY


async def test_export_of_no_actions(harness: Harness) -> None:
    async with harness.app.db.reader() as session:
        assert json.loads(await export(session, fmt="json")) == []
        assert await export(session, fmt="csv") == ",".join(FIELDS) + "\n"


async def test_export_reads_in_batches_without_losing_or_repeating(harness: Harness) -> None:
    await assign_some(harness)
    reply = await harness.say(KIM, "/action assign @sam.patel Ring the GP by tomorrow", channel=CH)
    assert reply.message.tone == "success", text_of(reply)
    for batch in (1, 2, 3, 4, 1000):
        async with harness.app.db.reader() as session:
            ids = [r["id"] async for r in rows(session, batch=batch)]
        assert ids == [1, 2, 3, 4], batch
