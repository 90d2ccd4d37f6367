"""The weekly agenda goes out once, on time, to the chair, and is kept.

Europe/London: British Summer Time began on Sun 29 Mar 2026, so 09:30 on
Mon 30 Mar is 08:30 UTC; on Mon 23 Nov 2026 (GMT) it is 09:30 UTC.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.main import build
from bot.policy import Policy, RegisterPolicy
from bot.settings import Settings
from commands.context import Services
from commands.dsr.jobs import run_agenda
from store.models import Meeting, Outbox
from tests.conftest import Harness, text_of

PRIYA = "priya.shah@example.org"  # the DSR chair


async def meetings(h: Harness) -> list[Meeting]:
    async with h.app.db.reader() as session:
        return list((await session.scalars(select(Meeting))).all())


async def test_the_chair_posts_the_agenda_once_and_it_is_kept(harness: Harness) -> None:
    h = harness
    reply = await h.say(PRIYA, "/dsr agenda post")
    assert (
        "The agenda for the meeting on Mon 23 Nov (23/11/2026) is on its way to the DSR chair"
        in text_of(reply)
    )
    [meeting] = await meetings(h)
    heading = "# DSR review agenda — Demo area (synthetic) — Mon 23 Nov"
    assert meeting.agenda_markdown.startswith(heading)
    assert "## Red\n\n- DSR-0043 — Red — no keyworker" in meeting.agenda_markdown
    dms = [d for d in h.gateway.delivered if d.op == "dm" and d.address.email == PRIYA]
    assert dms and dms[0].message is not None
    assert dms[0].message.text.startswith("DSR review agenda — Demo area (synthetic) — Mon 23 Nov")

    again = await h.say(PRIYA, "/dsr agenda post")
    assert "already posted" in text_of(again)
    assert len(await meetings(h)) == 1
    assert h.gateway.delivered == []  # nothing sent twice


async def test_the_agenda_goes_to_the_chairs_channel_from_the_policy(harness: Harness) -> None:
    h = harness
    policy = Policy(register_rules=RegisterPolicy(agenda_channel="console:dsr-review"))
    services = dataclasses.replace(h.app.services, policy=policy)
    h.clock.set(datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    report = await run_agenda(services, now=h.clock.now())
    assert report.summary() == "agenda: posted for the meeting on Mon 23 Nov."
    await h.app.relay(worker="test").drain()
    posts = [d for d in h.gateway.delivered if d.address.conversation_id == "dsr-review"]
    assert len(posts) == 1 and posts[0].address.kind == "channel"


async def test_the_scheduled_agenda_fires_at_local_time_across_the_clock_change(
    harness: Harness,
) -> None:
    h = harness
    services = h.app.services
    for instant, expected in (
        (datetime(2026, 3, 30, 8, 29, tzinfo=UTC), "agenda: not yet due"),  # 09:29 BST
        (datetime(2026, 3, 30, 8, 30, tzinfo=UTC), "agenda: posted"),  # 09:30 BST
        (datetime(2026, 3, 30, 10, 0, tzinfo=UTC), "agenda: already posted"),
        (datetime(2026, 3, 31, 9, 0, tzinfo=UTC), "agenda: the meeting on Mon 30 Mar"),
        (datetime(2026, 11, 23, 9, 29, tzinfo=UTC), "agenda: not yet due"),  # 09:29 GMT
        (datetime(2026, 11, 23, 9, 30, tzinfo=UTC), "agenda: posted"),
    ):
        report = await run_agenda(services, now=instant)
        assert report.summary().startswith(expected), (instant, report.summary())
    assert [m.meeting_on.isoformat() for m in await meetings(h)] == ["2026-03-30", "2026-11-23"]


async def test_a_bot_down_on_monday_posts_on_recovery_before_a_thursday_meeting(
    harness: Harness,
) -> None:
    h = harness
    policy = Policy(register_rules=RegisterPolicy(meeting_day="thu"))
    services = dataclasses.replace(h.app.services, policy=policy)
    report = await run_agenda(services, now=datetime(2026, 11, 25, 14, 0, tzinfo=UTC))  # Wed
    assert report.summary() == "agenda: posted for the meeting on Thu 26 Nov."
    report = await run_agenda(services, now=datetime(2026, 11, 27, 9, 0, tzinfo=UTC))  # Fri
    assert report.summary() == "agenda: the meeting on Thu 26 Nov has happened; nothing sent."


async def test_two_processes_post_one_agenda(harness: Harness) -> None:
    h = harness
    other = build(Settings(database_url=h.app.settings.database_url), clock=h.clock)
    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    try:
        reports = await asyncio.gather(
            run_agenda(h.app.services, now=now), run_agenda(other.services, now=now)
        )
    finally:
        await other.db.dispose()
    assert sorted(r.summary().split(" for ")[0] for r in reports) == [
        "agenda: already posted",
        "agenda: posted",
    ]
    async with h.app.db.reader() as session:
        rows = (
            await session.scalars(select(Outbox).where(Outbox.idempotency_key.like("agenda:%")))
        ).all()
    assert len(rows) == 1  # one message, to the one chair


async def test_outcomes_record_the_decision_rating_and_action_or_nothing(
    harness: Harness,
) -> None:
    from store.models import Action, MeetingOutcome, RatingChange

    h = harness
    kim = "kim.lee@example.org"
    line = (
        '/dsr outcome DSR-0042 "Step up to Red; C(E)TR this month" --rate red '
        "--action @kim.lee Arrange the C(E)TR by 11/12"
    )
    refused = text_of(await h.say(PRIYA, line))
    assert "no meeting's agenda has been posted yet" in refused
    await h.say(PRIYA, "/dsr agenda post")
    no_network = text_of(await h.say(PRIYA, line))
    assert "DSR-0042 has no open network" in no_network
    async with h.app.db.reader() as session:  # the rating was not changed either
        assert (await session.scalars(select(RatingChange))).all() == []

    reply = await h.say(kim, "/network open DSR-0042")
    assert reply.switch_to
    done = text_of(await h.say(PRIYA, line))  # the chair, who needn't be a member
    assert "Outcome recorded for DSR-0042 at the meeting on Mon 23 Nov" in done, done
    assert "Now rated Red." in done
    assert "is with Kim Lee (Keyworking Service), due Fri 11 Dec" in done
    async with h.app.db.reader() as session:
        [outcome] = (await session.scalars(select(MeetingOutcome))).all()
        [change] = (await session.scalars(select(RatingChange))).all()
        action = await session.get_one(Action, outcome.action_id)
    assert outcome.decision == "Step up to Red; C(E)TR this month"
    assert change.rationale == "DSR meeting 23/11/2026: Step up to Red; C(E)TR this month"
    assert (action.source, action.text) == ("dsr", "Arrange the C(E)TR")


async def test_a_visit_clears_the_commissioner_visit_flag(harness: Harness) -> None:
    h = harness
    await h.say(PRIYA, '/dsr admit DSR-0063 12/10/2026 --setting "Birch Unit" --out-of-area')
    shown = text_of(await h.say(PRIYA, "/dsr show DSR-0063"))
    assert "commissioner visit due since 23/11/2026" in shown, shown
    reply = text_of(await h.say(PRIYA, "/dsr visit DSR-0063 today"))
    assert "Commissioner visit to DSR-0063 on 23/11/2026 recorded (Birch Unit)" in reply
    assert "commissioner visit due" not in text_of(await h.say(PRIYA, "/dsr show DSR-0063"))


async def test_an_nhs_number_typed_into_the_register_is_refused(harness: Harness) -> None:
    # Only the range reserved for testing, computed, never written out.
    from tests.unit.test_privacy import reserved_number

    h = harness
    number = reserved_number("246810")
    before = await h.audit_and_outbox()
    reply = await h.say(PRIYA, f'/dsr rate DSR-0042 red "NHS no {number} in crisis"')
    assert reply.message.tone == "error"
    assert "NHS number" in text_of(reply)
    assert await h.audit_and_outbox() == before


# -- meetings on days that are not working days ---------------------------------------


def with_rules(h: Harness, **rules: Any) -> Services:
    return dataclasses.replace(
        h.app.services, policy=Policy(register_rules=RegisterPolicy(**rules))
    )


async def test_a_meeting_on_a_bank_holiday_moves_to_the_next_working_day_and_says_so(
    harness: Harness,
) -> None:
    h = harness
    # Mon 28 Dec 2026 is the substitute day for Boxing Day.
    report = await run_agenda(h.app.services, now=datetime(2026, 12, 28, 9, 30, tzinfo=UTC))
    assert report.summary() == (
        "agenda: posted for the meeting on Tue 29 Dec (moved from Mon 28 Dec: "
        "Boxing Day (substitute day) is a bank holiday)."
    )
    assert [m.meeting_on.isoformat() for m in await meetings(h)] == ["2026-12-29"]
    await h.app.relay(worker="test").drain()
    [dm] = [d for d in h.gateway.delivered if d.op == "dm" and d.address.email == PRIYA]
    assert dm.message is not None
    assert dm.message.text.startswith("DSR review agenda — Demo area (synthetic) — Tue 29 Dec")
    assert "Moved from Mon 28 Dec: Boxing Day (substitute day) is a bank holiday." in (
        dm.message.text
    )
    # The meeting is still to come on the Tuesday morning; gone by Wednesday.
    report = await run_agenda(h.app.services, now=datetime(2026, 12, 29, 8, 0, tzinfo=UTC))
    assert report.summary().startswith("agenda: already posted for the meeting on Tue 29 Dec")
    report = await run_agenda(h.app.services, now=datetime(2026, 12, 30, 9, 30, tzinfo=UTC))
    assert "Tue 29 Dec" in report.summary() and "has happened" in report.summary()


async def test_the_chair_posting_by_hand_gets_the_moved_meeting(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2026, 12, 23, 10, 0, tzinfo=UTC))  # Wed: next Monday is a bank holiday
    reply = await h.say(PRIYA, "/dsr agenda post")
    assert "Tue 29 Dec" in text_of(reply), text_of(reply)
    assert [m.meeting_on.isoformat() for m in await meetings(h)] == ["2026-12-29"]


async def test_a_policy_may_move_the_meeting_earlier_or_keep_it(harness: Harness) -> None:
    h = harness
    earlier = with_rules(h, meeting_on_non_working_day="previous-working-day")
    report = await run_agenda(earlier, now=datetime(2026, 12, 24, 9, 30, tzinfo=UTC))  # Thu
    assert report.summary().startswith(
        "agenda: posted for the meeting on Thu 24 Dec (moved from Mon 28 Dec"
    )
    kept = with_rules(h, meeting_on_non_working_day="same-day")
    report = await run_agenda(kept, now=datetime(2026, 12, 28, 9, 30, tzinfo=UTC))
    assert report.summary() == "agenda: posted for the meeting on Mon 28 Dec."
    friday = with_rules(h, meeting_day="fri")  # Fri 25 Dec, then a weekend, then Mon 28 Dec
    report = await run_agenda(friday, now=datetime(2026, 12, 21, 9, 30, tzinfo=UTC))
    assert report.summary().startswith("agenda: posted for the meeting on Tue 29 Dec")
    assert "Christmas Day is a bank holiday" in report.summary()
