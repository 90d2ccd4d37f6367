"""`/dsr consent` over a real database: withdrawn consent takes the young
person off the register that day, closes their network with a summary and
stops the chasing; a re-check is recorded; a re-check due is flagged on the
agenda and the keyworker is reminded once. Bad input changes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from commands.action.jobs import run_chase
from commands.dsr.jobs import run_agenda
from store.models import Action, ConsentEvent, Network, Outbox, YoungPerson
from tests.conftest import Harness, text_of

LONDON = ZoneInfo("Europe/London")
KIM = "kim.lee@example.org"
PRIYA = "priya.shah@example.org"
SAM = "sam.patel@example.org"
ADE = "ade.okafor@example.org"


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


async def say(h: Harness, email: str, line: str, channel: str = "general") -> str:
    return text_of(await h.say(email, line, channel=channel))


async def entry(h: Harness, ref: str) -> YoungPerson:
    async with h.app.db.reader() as session:
        found = await session.scalar(select(YoungPerson).where(YoungPerson.reference == ref))
    assert found is not None
    return found


async def test_withdrawn_consent_ends_everything_but_the_record(h: Harness) -> None:
    reply = await h.say(KIM, "/network open DSR-0042")
    channel = reply.switch_to
    assert channel
    await say(h, KIM, "/network add @sam.patel", channel)
    await say(h, KIM, "/action assign @sam.patel Ring the family by 25/11/2026", channel)
    h.clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=LONDON))
    shown = await say(h, KIM, '/dsr consent DSR-0042 withdrawn --on 26/11/2026 "Told me by phone"')
    assert "Consent withdrawn: DSR-0042 left the register on 26/11/2026" in shown, shown
    assert "1 open action cancelled" in shown
    yp = await entry(h, "DSR-0042")
    assert yp.left_on == date(2026, 11, 26) and yp.leaving_reason == "removed"
    assert yp.archive_reason == "Consent withdrawn. Told me by phone"
    async with h.app.db.reader() as session:
        network = await session.scalar(select(Network))
        action = await session.scalar(select(Action))
        posts = (await session.scalars(select(Outbox).where(Outbox.op == "post"))).all()
        events = (await session.scalars(select(ConsentEvent))).all()
    assert network is not None and network.status == "closed"
    assert network.close_reason == "consent-withdrawn"
    assert action is not None and action.status == "cancelled"
    assert any("now closed (consent withdrawn)" in str(p.payload) for p in posts)
    assert [(e.kind, e.on) for e in events] == [("withdrawn", date(2026, 11, 26))]
    # No further chase: the overdue action is cancelled, so the sweep has nothing.
    h.clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=LONDON))
    report = await run_chase(h.app.services, now=h.clock.now())
    assert (report.actions, report.messages) == (0, 0), report.summary()
    # Off the register: nothing more may be recorded for them.
    shown = await say(h, PRIYA, '/dsr rate DSR-0042 red "x"')
    assert "DSR-0042 was removed from the register on 26/11/2026" in shown, shown


async def test_who_may_and_bad_input_change_nothing(h: Harness) -> None:
    before = await h.audit_and_outbox()
    for email, line, says in (
        (SAM, "/dsr consent DSR-0042 withdrawn", "Only DSR chairs, admins and young people's"),
        (ADE, "/dsr consent DSR-0042 withdrawn", "Only"),
        (PRIYA, "/dsr consent DSR-0042", "needs what happened: withdrawn or reviewed"),
        (PRIYA, "/dsr consent DSR-0042 reviewed --on 20/11/2026", "needs the basis"),
        (PRIYA, "/dsr consent DSR-0042 reviewed --basis maybe", "maybe"),
        (PRIYA, "/dsr consent DSR-0042 withdrawn --on 30/11/2026", "is in the future"),
        (PRIYA, "/dsr consent DSR-0042 withdrawn --basis parental", "leave --basis out"),
        (PRIYA, "/dsr consent DSR-9999 withdrawn", "DSR-9999 isn't on the"),
    ):
        reply = await h.say(email, line)
        assert reply.message.tone == "error", (line, text_of(reply))
        assert says in text_of(reply), (line, text_of(reply))
    assert await h.audit_and_outbox() == before
    assert (await entry(h, "DSR-0042")).archived_at is None


async def test_a_recheck_is_recorded_and_one_due_is_flagged_and_reminded_once(h: Harness) -> None:
    # The demo's consent dates are 23/11/2026; a year on, re-checks are due.
    await say(h, PRIYA, "/dsr keyworker DSR-0043 @kim.lee")
    shown = await say(h, PRIYA, "/dsr consent DSR-0042 reviewed --basis consent --on 23/11/2026")
    assert "consent re-checked on 23/11/2026 (informed consent)" in shown, shown
    assert "next re-check is due by 23/11/2027" in shown
    h.clock.set(datetime(2027, 11, 29, 10, 0, tzinfo=LONDON))  # a Monday, the meeting day
    preview = await say(h, PRIYA, "/dsr agenda preview")
    assert "consent re-check due since 23/11/2027" in preview, preview
    for _ in range(2):  # the job run twice reminds once
        await run_agenda(h.app.services, now=h.clock.now() + timedelta(hours=1))
    async with h.app.db.reader() as session:
        reminders = (
            await session.scalars(
                select(Outbox).where(Outbox.idempotency_key.like("consent-recheck:%"))
            )
        ).all()
    assert len(reminders) == 1
    assert "DSR-0043's consent is due a re-check" in str(reminders[0].payload)
