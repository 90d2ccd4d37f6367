"""The quarterly report from a register kept through the bot: history is
written as people use `/dsr` and `/network`, and `/dsr report` sends the
chair the summary and the files, with the figures as at the quarter's end.

The story runs through Q2 2026/27 (1 Jul to 30 Sep 2026) and on into
October, then the chair asks for the report on Mon 23 Nov 2026.
"""

from __future__ import annotations

import base64
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select

from bot.main import build
from bot.policy import Policy, RegisterPolicy
from bot.settings import Settings
from store.models import AuditEvent, KeyworkerChange, Outbox, YoungPerson
from tests.conftest import MONDAY, Harness, text_of

LONDON = ZoneInfo("Europe/London")
PRIYA = "priya.shah@example.org"  # the DSR chair
KIM = "kim.lee@example.org"  # a keyworker


def day(d: int, m: int) -> datetime:
    return datetime(2026, m, d, 10, 0, tzinfo=LONDON)


async def keep_the_register_through_the_quarter(h: Harness) -> None:
    async def at(when: datetime, *lines: str) -> None:
        h.clock.set(when)
        for line in lines:
            reply = await h.say(PRIYA, line)
            assert reply.message.tone != "error", (line, text_of(reply))

    consent = "--consent consent --consent-date 01/06/2026"
    await at(
        day(1, 6),
        f"/dsr add YP-0100 --age-band under-18 {consent}",
        '/dsr rate YP-0100 amber "Placement wobbling"',
        "/dsr keyworker YP-0100 @kim.lee",
        f"/dsr add YP-0101 --age-band 18-25 {consent}",
        '/dsr rate YP-0101 red "Two A&E visits"',
    )
    await at(
        day(15, 7),
        "/dsr keyworker YP-0101 @ade.okafor",
        '/dsr rate YP-0100 red "Family in crisis"',
    )
    await at(day(20, 8), '/dsr admit YP-0101 20/08 --setting "Oak Ward"')
    await at(day(1, 9), "/dsr discharge YP-0101 01/09", '/dsr rate YP-0101 amber "Home"')
    await at(
        day(10, 9),
        f"/dsr add YP-0102 --age-band under-18 {consent}",
        '/dsr rate YP-0102 green "Settled"',
        "/dsr keyworker YP-0102 @kim.lee",
    )
    await at(day(21, 9), '/dsr step-down YP-0102 --on 18/09 "College place secure"')
    # After the quarter: none of this changes its figures.
    await at(
        day(5, 10),
        "/dsr keyworker YP-0100 @ade.okafor",
        '/dsr rate YP-0101 green "Much better"',
    )
    h.clock.set(MONDAY)


async def test_the_chair_gets_the_quarter_as_it_stood_with_its_files(harness: Harness) -> None:
    h = harness
    await keep_the_register_through_the_quarter(h)

    reply = await h.say(PRIYA, "/dsr report 2026-Q2")
    said = text_of(reply)
    assert "The keyworking report for Q2 2026/27 is on its way to you by direct message" in said
    assert "default-register-keyworking-2026-27-q2.xlsx" in said

    [dm] = [d for d in h.gateway.delivered if d.op == "dm"]
    assert dm.address.email == PRIYA and dm.message is not None
    message = dm.message
    assert message.text.startswith("Quarterly keyworking report — Q2 2026/27")
    assert "Provisional – not NHSE-specified" in message.text
    assert "On the DSR: 2 (Red 1, Amber 1)" in message.text
    assert "Red or Amber with a named keyworker: 2 of 2 (100%; target 90%: met)" in message.text
    assert "Admissions: 1 new, 0 readmissions; 1 discharge" in message.text
    # YP-0102 was Green with a keyworker, not recorded as preventive: not in the total.
    assert (
        "Keyworking support: 2 supported in the quarter (0 preventive); 1 stepped back"
        in message.text
    )
    assert [a.filename for a in message.attachments] == [
        "default-register-keyworking-2026-27-q2.csv",
        "default-register-keyworking-2026-27-q2.xlsx",
        "default-register-keyworking-2026-27-q2.html",
        "default-register-keyworking-2026-27-q2-rating-mix.png",
        "default-register-keyworking-2026-27-q2-caseloads.png",
        "default-register-keyworking-2026-27-q2-overdue-by-agency.png",
    ]
    shown = "\n".join(h.shown)
    assert "[attached: default-register-keyworking-2026-27-q2-caseloads.png," in shown

    xlsx = next(a for a in message.attachments if a.filename.endswith(".xlsx"))
    workbook = load_workbook(io.BytesIO(base64.b64decode(xlsx.content_b64)))
    rows = {r[0]: r[1:3] for r in workbook["Table 1"].iter_rows(min_row=5, values_only=True)}
    assert rows["Red"] == (1, 0)  # YP-0100, Red since 15/07
    assert rows["Amber"] == (0, 1)  # YP-0101, home and Amber since 01/09
    assert rows["Total on the DSR (Red, Amber and Green)"] == (1, 1)  # YP-0102 stepped down
    caseloads = {
        r[2]: r[8:10]
        for r in workbook["Section 2"].iter_rows(values_only=True)
        if r[0] and str(r[0]).isdigit()
    }
    assert caseloads["KL"] == (1, 1)  # Kim: YP-0100 (Ade's only from 05/10); YP-0102
    assert caseloads["AO"] == (1, 0)  # Ade: YP-0101

    async with h.app.db.reader() as session:
        audit = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.verb == "export.quarterly_report")
            )
        ).all()
    assert [a.after["quarter"] for a in audit if a.after] == ["2026-Q2"]


async def test_keyworker_history_is_kept_by_dsr_and_network(harness: Harness) -> None:
    h = harness
    await h.say(KIM, "/network open DSR-0042")  # Kim becomes the keyworker
    await h.say(PRIYA, "/dsr keyworker DSR-0043 @ade.okafor")
    await h.say(PRIYA, "/dsr keyworker DSR-0043 @kim.lee")
    async with h.app.db.reader() as session:
        rows = (
            await session.execute(
                select(YoungPerson.reference, KeyworkerChange.keyworker_id)
                .join(YoungPerson, YoungPerson.id == KeyworkerChange.young_person_id)
                .order_by(KeyworkerChange.id)
            )
        ).all()
    refs = [ref for ref, _ in rows]
    assert refs == ["DSR-0042", "DSR-0043", "DSR-0043"]
    assert rows[0][1] == rows[2][1] != rows[1][1]  # Kim, Ade, Kim


async def test_only_chairs_produce_the_report_and_bad_quarters_are_explained(
    harness: Harness,
) -> None:
    h = harness
    before = await h.count(Outbox)
    refused = await h.say(KIM, "/dsr report")
    assert "Only a DSR chair or an admin can produce the quarterly report" in text_of(refused)
    bad = await h.say(PRIYA, "/dsr report 2026-Q5")
    assert "There is no Q5" in text_of(bad) and "2026-Q2" in text_of(bad)
    future = await h.say(PRIYA, "/dsr report 2027-Q1")
    assert "hasn't started yet" in text_of(future)
    assert await h.count(Outbox) == before


async def test_the_report_goes_to_the_chairs_channel_when_the_policy_names_one(
    harness: Harness,
) -> None:
    policy = Policy(register_rules=RegisterPolicy(agenda_channel="console:dsr-review"))
    app = build(
        Settings(database_url=harness.app.settings.database_url),
        clock=harness.clock,
        gateways={"console": harness.gateway},
        policy=policy,
    )
    h = Harness(app=app, clock=harness.clock, gateway=harness.gateway, shown=harness.shown)
    try:
        reply = await h.say(PRIYA, "/dsr report")
    finally:
        await app.db.dispose()
    assert "on its way to dsr-review" in text_of(reply)
    [post] = [d for d in h.gateway.delivered if d.address.conversation_id == "dsr-review"]
    assert post.address.kind == "channel"
    assert post.message is not None and len(post.message.attachments) == 6


async def test_stepping_down_is_dated_and_kind_about_what_to_type(harness: Harness) -> None:
    h = harness
    mistaken = await h.say(PRIYA, "/dsr remove DSR-0042 Stepped down, outcomes met")
    assert "That sounds like a step-down" in text_of(mistaken)
    assert "/dsr step-down DSR-0042" in text_of(mistaken)

    await h.say(PRIYA, '/dsr admit DSR-0043 yesterday --setting "Oak Ward"')
    in_hospital = await h.say(PRIYA, "/dsr step-down DSR-0043")
    assert "is recorded as in hospital" in text_of(in_hospital)
    assert "/dsr discharge DSR-0043 DATE" in text_of(in_hospital)

    await h.say(PRIYA, "/dsr keyworker DSR-0042 @kim.lee")
    too_early = await h.say(PRIYA, '/dsr step-down DSR-0042 --on 20/11 "Settled at college"')
    assert "DSR-0042 joined the register on 23/11/2026" in text_of(too_early)
    done = await h.say(PRIYA, '/dsr step-down DSR-0042 "Settled at college"')
    assert "DSR-0042 stepped down on 23/11/2026" in text_of(done)
    assert "counts towards Kim Lee's step-downs" in text_of(done)
    shown = await h.say(PRIYA, "/dsr show DSR-0042")
    assert (
        "Stepped down: 23/11/2026: Stepped down: outcomes met, support no longer needed. "
        "Settled at college" in text_of(shown)
    )
    again = await h.say(PRIYA, "/dsr step-down DSR-0042")
    assert "DSR-0042 stepped down on 23/11/2026, so I can't change their entry" in text_of(again)


async def test_an_action_reassigned_after_the_quarter_counts_for_its_agency_at_the_end(
    harness: Harness,
) -> None:
    from commands.report.quarters import parse_quarter
    from commands.report.service import quarterly
    from store.models import Register

    h = harness
    h.clock.set(day(1, 9))
    reply = await h.say(KIM, "/network open DSR-0042")
    assert reply.switch_to == "yp-dsr-0042", text_of(reply)
    channel = "yp-dsr-0042"
    await h.say(KIM, "/network add @sam.patel @jo.hughes", channel=channel)
    reply = await h.say(
        KIM, "/action assign @sam.patel Send the CAMHS letter by 11/09", channel=channel
    )
    assert "Action #1" in text_of(reply)
    h.clock.set(day(5, 10))  # after the quarter: the action moves to social care
    reply = await h.say(
        KIM, "/action reassign 1 @jo.hughes Social care will write it", channel=channel
    )
    assert reply.message.tone != "error", text_of(reply)

    services = h.app.services
    async with h.app.db.reader() as session:
        register = await session.scalar(select(Register))
        assert register is not None
        report = await quarterly(
            session,
            register=register,
            quarter=parse_quarter("2026-Q2", today=MONDAY.date()),
            today=MONDAY.date(),
            calendar=services.calendar,
            policy=services.policy,
        )
    lines = {line.agency: line for line in report.agencies}
    assert lines["CAMHS"].created == 1 and lines["CAMHS"].overdue == 1
    assert "Children's Social Care" not in lines
