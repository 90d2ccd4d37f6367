"""`teamaround export record` and `records transferred` over a real database:
a young person with two years of history, exported in date order with who
and what changed, and nothing about anyone else."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.errors import NotFound, PermissionDenied, UserError
from commands.records.service import export_record, record_transferred
from store.models import AuditEvent, YoungPerson
from tests.conftest import Harness, text_of

LONDON = ZoneInfo("Europe/London")
KIM = "kim.lee@example.org"
PRIYA = "priya.shah@example.org"
SAM = "sam.patel@example.org"
CHRIS = "chris.evans@example.org"  # admin
OPERATOR = "cli:operator"
PANEL = '--clinical-expert "Dr A Khan" --expert-by-experience "R Jones"'


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


async def at(h: Harness, when: datetime) -> None:
    h.clock.set(when)


async def ok(h: Harness, email: str, line: str, channel: str = "general") -> str:
    reply = await h.say(email, line, channel=channel)
    assert reply.message.tone != "error", text_of(reply)
    return text_of(reply)


async def two_years(h: Harness) -> str:
    """DSR-0200's history from December 2024 to November 2026, and some of
    DSR-0042's (someone else) in between."""
    await at(h, datetime(2024, 12, 2, 10, 0, tzinfo=LONDON))
    await ok(
        h,
        PRIYA,
        "/dsr add DSR-0200 --age-band under-18 --consent parental --consent-date 02/12/2024",
    )
    await ok(h, PRIYA, '/dsr rate DSR-0200 amber "Placement under strain"')
    reply = await h.say(KIM, "/network open DSR-0200")
    channel = reply.switch_to
    assert channel, text_of(reply)
    await ok(h, KIM, "/network add @sam.patel @priya.shah", channel)
    await ok(h, KIM, "/action assign @sam.patel Ring the family by 13/12/2024", channel)
    await at(h, datetime(2024, 12, 10, 11, 0, tzinfo=LONDON))
    await ok(h, SAM, "/action update 1 Left a voicemail", channel)
    await ok(h, SAM, "/action done 1 Spoke to mum on Tuesday", channel)
    # Someone else's network, at the same time: none of it may be in DSR-0200's record.
    other = (await h.say(KIM, "/network open DSR-0042")).switch_to
    assert other
    await ok(h, KIM, "/action assign @kim.lee Book the OTHER-PERSON visit by 20/12/2024", other)
    await ok(h, PRIYA, '/dsr rate DSR-0042 red "OTHER-PERSON crisis"')
    await at(h, datetime(2025, 9, 15, 10, 0, tzinfo=LONDON))
    await ok(h, KIM, "/cetr record cetr 12/09/2025 --chair @priya.shah " + PANEL, channel)
    await ok(h, PRIYA, '/dsr rate DSR-0200 red "Two A&E visits in a week"')
    await at(h, datetime(2026, 11, 20, 10, 0, tzinfo=LONDON))
    await ok(h, KIM, "/network remove @sam.patel", channel)
    await at(h, datetime(2026, 11, 20, 11, 0, tzinfo=LONDON))
    await ok(h, PRIYA, '/dsr rate DSR-0200 green "Settled at school"')
    await at(h, datetime(2026, 11, 23, 10, 0, tzinfo=LONDON))
    return channel


async def export(h: Harness, *, as_email: str | None = CHRIS, fmt: str = "md") -> str:
    async with h.app.db.transaction() as session:
        return await export_record(
            session,
            reference="DSR-0200",
            fmt=fmt,  # type: ignore[arg-type]
            as_email=as_email,
            operator_label=OPERATOR,
            policy=h.app.policy,
            calendar=h.app.services.calendar,
            now=h.clock.now(),
        )


def events_of(document: str) -> list[str]:
    return [line for line in document.splitlines() if line.startswith("| ") and "---" not in line][
        1:
    ]


async def test_two_years_in_date_order_with_who_and_what_and_nobody_else(h: Harness) -> None:
    await two_years(h)
    document = await export(h)
    rows = events_of(document)
    whens = [datetime.strptime(r.split(" | ")[0][2:][:10], "%d/%m/%Y") for r in rows]
    assert whens == sorted(whens)
    assert whens[0].year == 2024 and whens[-1].year == 2026
    expected_in_order = [
        "Consent recorded: basis parental",  # a day without a time: first on that day
        "Joined the DSR: age band under-18",
        "Rated Amber: Placement under strain | Priya Shah (priya.shah@example.org)",
        "Network opened | Kim Lee (kim.lee@example.org)",
        "Member added: Sam Patel (CAMHS)",
        "Agreed: Ring the family",
        "Update: Left a voicemail | Sam Patel",
        "Completed: Spoke to mum on Tuesday | Sam Patel",
        "Held: community C(E)TR (chair Priya Shah, clinical expert Dr A Khan",
        "Rated Red: Two A&amp;E visits in a week",
        "Member left: Sam Patel",
        "Rated Green: Settled at school",
    ]
    positions = [next(i for i, r in enumerate(rows) if text in r) for text in expected_in_order]
    assert positions == sorted(positions), rows
    assert "Keyworker: Kim Lee" in document
    # Nothing about anyone else: no other reference, none of their texts.
    assert "DSR-0042" not in document and "OTHER-PERSON" not in document


async def test_the_export_is_audited_and_its_read_is_in_the_access_log(h: Harness) -> None:
    await two_years(h)
    await export(h, fmt="html")
    async with h.app.db.reader() as session:
        rows = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.verb.in_(("export.record", "access.read")))
            )
        ).all()
    assert sorted((r.verb, r.actor_label) for r in rows) == [
        ("access.read", CHRIS),
        ("export.record", CHRIS),
    ]


async def test_a_keyworker_may_not_export_and_nothing_is_written(h: Harness) -> None:
    await two_years(h)
    before = await h.audit_and_outbox()
    with pytest.raises(PermissionDenied, match="Only a DSR chair or an admin can export DSR-0200"):
        await export(h, as_email=KIM)
    with pytest.raises(NotFound, match="DSR-9999 isn't on the"):
        async with h.app.db.transaction() as session:
            await export_record(
                session,
                reference="DSR-9999",
                fmt="md",
                as_email=None,
                operator_label=OPERATOR,
                policy=h.app.policy,
                calendar=h.app.services.calendar,
                now=h.clock.now(),
            )
    assert await h.audit_and_outbox() == before


async def transferred(h: Harness, by: str) -> tuple[str, bool]:
    async with h.app.db.transaction() as session:
        return await record_transferred(
            session,
            reference="dsr-0200",
            by=by,
            as_email=PRIYA,
            operator_label=OPERATOR,
            policy=h.app.policy,
            now=h.clock.now(),
        )


async def test_the_transfer_is_recorded_once(h: Harness) -> None:
    await two_years(h)
    with pytest.raises(UserError, match="isn't an email address"):
        await transferred(h, "the records team")
    assert await transferred(h, "Records.Officer@example.org") == ("DSR-0200", True)
    assert await transferred(h, "someone.else@example.org") == ("DSR-0200", False)
    async with h.app.db.reader() as session:
        yp = await session.scalar(select(YoungPerson).where(YoungPerson.reference == "DSR-0200"))
        verbs = (await session.scalars(select(AuditEvent.verb))).all()
    assert yp is not None and yp.record_transferred_by == "records.officer@example.org"
    assert verbs.count("records.transferred") == 1
    assert "Transferred:** 23/11/2026 to records.officer@example.org" in await export(h)
