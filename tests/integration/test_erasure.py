"""Retention and erasure over a real database: `records purge --dry-run`
lists what is past retention; after the purge the texts are in no table
(and, on SQLite, nowhere in the database's files), the past quarter's report
gives the same figures, and the audit says what kinds of data went, without
them. `records erase REF` refuses what is still in use."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from bot.errors import PermissionDenied, UserError
from commands.context import policy_register
from commands.records.jobs import run_purge
from commands.records.purge import preview_or_erase, purge
from commands.report.documents import Format, documents
from commands.report.quarters import Quarter
from commands.report.service import quarterly
from store.models import AuditEvent, Base, NetworkMember, YoungPerson
from tests.conftest import Harness, text_of

LONDON = ZoneInfo("Europe/London")
KIM = "kim.lee@example.org"
PRIYA = "priya.shah@example.org"
SAM = "sam.patel@example.org"
CHRIS = "chris.evans@example.org"  # admin
SECRET = "ZQX"  # every text typed about DSR-0200 carries it
TEXTS = (
    f"{SECRET} family in crisis",
    f"{SECRET} ring the family",
    f"{SECRET} left a voicemail",
    f"{SECRET} spoke to mum",
    f"{SECRET} told me by phone",
)


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


async def ok(h: Harness, email: str, line: str, channel: str = "general") -> None:
    reply = await h.say(email, line, channel=channel)
    assert reply.message.tone != "error", (line, text_of(reply))


async def history(h: Harness) -> None:
    """DSR-0200 joins in July 2026, a network and an action, withdraws in September."""
    h.clock.set(datetime(2026, 7, 1, 10, 0, tzinfo=LONDON))
    await ok(
        h, PRIYA, "/dsr add DSR-0200 --age-band 18-25 --consent consent --consent-date 01/07/2026"
    )
    await ok(h, PRIYA, f'/dsr rate DSR-0200 red "{TEXTS[0]}"')
    channel = (await h.say(KIM, "/network open DSR-0200")).switch_to
    assert channel
    await ok(h, KIM, "/network add @sam.patel", channel)
    await ok(h, KIM, f"/action assign @sam.patel {TEXTS[1]} by 10/07/2026", channel)
    h.clock.set(datetime(2026, 7, 8, 10, 0, tzinfo=LONDON))
    await ok(h, SAM, f"/action update 1 {TEXTS[2]}", channel)
    await ok(h, SAM, f"/action done 1 {TEXTS[3]}", channel)
    h.clock.set(datetime(2026, 9, 15, 10, 0, tzinfo=LONDON))
    await ok(h, KIM, f'/dsr consent DSR-0200 withdrawn "{TEXTS[4]}"')


async def report_of_q2(h: Harness) -> str:
    async with h.app.db.transaction() as session:
        register = await policy_register(session, policy=h.app.policy, now=h.clock.now())
        report = await quarterly(
            session,
            register=register,
            quarter=Quarter(2026, 2),
            today=date(2026, 10, 5),
            calendar=h.app.services.calendar,
            policy=h.app.policy,
        )
    [document] = documents(report, Format.md)
    return document.content.decode()


async def rows_mentioning(h: Harness, needle: str) -> list[str]:
    """Every row of every table whose text holds ``needle``."""
    found = []
    async with h.app.db.reader() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                if needle in str(tuple(row)):
                    found.append(f"{table.name}: {row}")
    return found


async def test_purge_erases_every_copy_and_keeps_the_reports_figures(h: Harness) -> None:
    await history(h)
    figures = await report_of_q2(h)
    assert await rows_mentioning(h, SECRET)  # the texts are there before
    # Nineteen years on, nothing is past retention (20 years after leaving).
    h.clock.set(datetime(2045, 9, 15, 10, 0, tzinfo=LONDON))
    assert (
        await purge(
            h.app.db,
            policy=h.app.policy,
            calendar=h.app.services.calendar,
            now=h.clock.now(),
            dry_run=True,
            actor=None,
            label="cli:operator",
        )
        == []
    )
    h.clock.set(datetime(2046, 10, 1, 10, 0, tzinfo=LONDON))
    before = await h.audit_and_outbox()
    [listed] = await purge(
        h.app.db,
        policy=h.app.policy,
        calendar=h.app.services.calendar,
        now=h.clock.now(),
        dry_run=True,
        actor=None,
        label="cli:operator",
    )
    assert listed.erasure.reference == "DSR-0200"
    assert listed.kept_until == date(2046, 9, 15)
    assert listed.erasure.counts["action texts"] == 1
    assert listed.erasure.counts["rating rationales"] == 1
    assert await h.audit_and_outbox() == before  # a dry run changes nothing
    assert (await run_purge(h.app.services, now=h.clock.now())).erased == ["DSR-0200"]
    assert await rows_mentioning(h, SECRET) == []
    async with h.app.db.reader() as session:
        members = (await session.scalars(select(NetworkMember))).unique().all()
        [audit] = (
            await session.scalars(select(AuditEvent).where(AuditEvent.verb == "records.purge"))
        ).all()
        yp = await session.scalar(select(YoungPerson).where(YoungPerson.reference == "DSR-0200"))
    assert members == []  # the people's link to the young person is gone
    assert yp is not None and yp.erased_at is not None
    assert audit.after is not None and audit.after["kinds"]["action texts"] == 1
    assert SECRET not in str(audit.after)
    assert await report_of_q2(h) == figures
    # Run again: nothing more to do, nothing audited twice.
    assert (await run_purge(h.app.services, now=h.clock.now())).erased == []


async def test_on_sqlite_the_erased_text_is_not_in_the_database_files(
    h: Harness, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL needs VACUUM for the same (README)")
    await history(h)
    path = Path(h.app.db.engine.url.database or "")
    async with h.app.db.reader() as session:
        assert (await session.execute(text("PRAGMA secure_delete"))).scalar() == 1

    def on_disk() -> bytes:
        return b"".join(
            p.read_bytes()
            for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal"))
            if p.exists()
        )

    assert SECRET.encode() in on_disk()
    h.clock.set(datetime(2046, 10, 1, 10, 0, tzinfo=LONDON))
    await run_purge(h.app.services, now=h.clock.now())
    assert SECRET.encode() not in on_disk()


async def erase(
    h: Harness, *, as_email: str | None, confirm: bool, reason: str = "IG-2026-14 upheld"
) -> object:
    return await preview_or_erase(
        h.app.db,
        reference="DSR-0200",
        reason=reason,
        as_email=as_email,
        operator_label="cli:operator",
        policy=h.app.policy,
        now=h.clock.now(),
        confirm=confirm,
    )


async def test_erase_now_shows_first_and_refuses_what_is_in_use(h: Harness) -> None:
    h.clock.set(datetime(2026, 7, 1, 10, 0, tzinfo=LONDON))
    await ok(
        h, PRIYA, "/dsr add DSR-0200 --age-band 18-25 --consent consent --consent-date 01/07/2026"
    )
    before = await h.audit_and_outbox()
    with pytest.raises(UserError, match="still on the register"):
        await erase(h, as_email=None, confirm=False)
    with pytest.raises(UserError, match="Say why"):
        await erase(h, as_email=None, confirm=True, reason="x")
    with pytest.raises(PermissionDenied, match="Only an admin can erase DSR-0200's records"):
        await erase(h, as_email=PRIYA, confirm=True)
    assert await h.audit_and_outbox() == before
    h.clock.set(datetime(2026, 9, 15, 10, 0, tzinfo=LONDON))
    await ok(h, PRIYA, f'/dsr consent DSR-0200 withdrawn "{TEXTS[4]}"')
    shown = await erase(h, as_email=CHRIS, confirm=False)
    assert "1 consent notes" in shown.lines()  # type: ignore[attr-defined]
    assert await rows_mentioning(h, SECRET)  # the preview erased nothing
    await erase(h, as_email=CHRIS, confirm=True)
    assert await rows_mentioning(h, SECRET) == []
    with pytest.raises(UserError, match="already erased"):
        await erase(h, as_email=CHRIS, confirm=True)
