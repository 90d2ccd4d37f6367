"""Reminders and the escalation ladder, run forward day by day on a frozen clock.

Dates (England and Wales): Thu 24 Dec 2026 is a working day; Fri 25 Dec
(Christmas) and Mon 28 Dec (Boxing Day, substitute day) are bank holidays.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.gateway import Delivery
from commands.action.jobs import run_chase, run_reminders
from integrations.sandbox.render import render
from store.models import Action, ActionEvent, AuditEvent, Outbox
from tests.conftest import Harness, text_of

LONDON = ZoneInfo("Europe/London")
KIM = "kim.lee@example.org"  # keyworker; line manager Dana Cole
SAM = "sam.patel@example.org"  # CAMHS; line manager Morgan Reed
CH = "yp-dsr-0042"


def at(day: date, hour: int = 9, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


async def network_with_action(h: Harness, due: str) -> None:
    reply = await h.say(KIM, "/network open DSR-0042")
    assert reply.switch_to == CH, text_of(reply)
    await h.say(KIM, f"/network add {SAM}", channel=CH)
    reply = await h.say(KIM, f"/action assign @sam.patel Send the EHCP draft by {due}", channel=CH)
    assert "Action #1" in text_of(reply), text_of(reply)


async def chase_on(h: Harness, day: date, hour: int = 9) -> list[Delivery]:
    """Run the chase job at ``day hour:30`` and deliver what is due by then."""
    h.clock.set(at(day, hour))
    await run_chase(h.app.services, now=h.clock.now())
    h.gateway.delivered.clear()
    await h.app.relay(worker="test").drain()
    return list(h.gateway.delivered)


def dms_to(deliveries: list[Delivery]) -> dict[str, str]:
    return {
        d.address.email: d.message.text
        for d in deliveries
        if d.op == "dm" and d.message is not None
    }


def channel_posts(deliveries: list[Delivery]) -> list[str]:
    return [
        d.message.text
        for d in deliveries
        if d.op == "post" and d.address.kind == "channel" and d.message is not None
    ]


async def stage_of(h: Harness) -> tuple[int, bool]:
    async with h.app.db.reader() as session:
        action = await session.get_one(Action, 1)
        return action.escalation_stage, action.flagged_for_agenda


async def test_the_ladder_runs_stage_by_stage_on_working_days(harness: Harness) -> None:
    h = harness
    await network_with_action(h, "25/11")  # Wed 25 Nov 2026

    assert await chase_on(h, date(2026, 11, 25)) == []  # due today: nothing yet

    day1 = await chase_on(h, date(2026, 11, 26))  # Thu: one working day late
    assert await stage_of(h) == (1, False)
    assert list(dms_to(day1)) == [SAM]
    assert "please give an update or propose a new date" in dms_to(day1)[SAM]
    [digest] = channel_posts(day1)
    assert digest.startswith("Overdue actions for DSR-0042")
    assert "#1 Send the EHCP draft — Sam Patel (CAMHS)" in digest

    assert await chase_on(h, date(2026, 11, 27)) == []  # Fri: only one working day since

    day3 = await chase_on(h, date(2026, 11, 30))  # Mon: two working days since stage 1
    assert await stage_of(h) == (2, False)
    dms = dms_to(day3)
    assert set(dms) == {SAM, "morgan.reed@example.org", KIM}  # owner, line manager, keyworker
    assert "as line manager please help" in dms["morgan.reed@example.org"]
    assert "now escalated to line manager" in dms[SAM]
    assert len(channel_posts(day3)) == 1

    for quiet in (1, 2, 3, 4):  # Tue 1 to Fri 4 Dec: waiting five working days
        assert await chase_on(h, date(2026, 12, quiet)) == []
    day_senior = await chase_on(h, date(2026, 12, 7))
    assert await stage_of(h) == (3, False)
    assert "lee.grant@example.org" in dms_to(day_senior)  # CAMHS's senior contact

    assert await chase_on(h, date(2026, 12, 8)) == []
    day_chair = await chase_on(h, date(2026, 12, 9))
    assert await stage_of(h) == (4, True)  # on the next DSR review agenda
    assert "priya.shah@example.org" in dms_to(day_chair)

    assert await chase_on(h, date(2026, 12, 10)) == []  # the ladder has ended
    async with h.app.db.reader() as session:
        trail = (
            await session.scalars(
                select(ActionEvent).where(ActionEvent.kind == "escalated").order_by(ActionEvent.id)
            )
        ).all()
    assert [e.data["stage"] for e in trail] == [1, 2, 3, 4]
    assert trail[1].data["contacted"] == ["morgan.reed@example.org"]
    assert trail[1].note is not None and "Morgan Reed" in trail[1].note


async def test_a_run_twice_sends_nothing_twice_and_records_one_stage(harness: Harness) -> None:
    h = harness
    await network_with_action(h, "25/11")
    h.clock.set(at(date(2026, 11, 26)))
    first = await run_chase(h.app.services, now=h.clock.now())
    async with h.app.db.reader() as session:
        rows = len((await session.scalars(select(Outbox))).all())
    second = await run_chase(h.app.services, now=h.clock.now())
    assert (first.actions, second.actions) == (1, 0)
    async with h.app.db.reader() as session:
        assert len((await session.scalars(select(Outbox))).all()) == rows
        escalations = await session.scalars(
            select(AuditEvent).where(AuditEvent.verb == "action.escalate")
        )
        assert len(escalations.all()) == 1


async def test_nothing_is_sent_outside_service_hours_or_on_bank_holidays(harness: Harness) -> None:
    h = harness
    await network_with_action(h, "23/12")  # Wed 23 Dec 2026
    # Thu 24 Dec at 07:00: stage 1 is reached, but the messages wait for 09:00.
    assert await chase_on(h, date(2026, 12, 24), hour=7) == []
    assert await stage_of(h) == (1, False)
    h.clock.set(at(date(2026, 12, 24), 9, 0))
    await h.app.relay(worker="test").drain()
    assert SAM in dms_to(h.gateway.delivered)

    # Christmas and Boxing Day (substitute) are not working days: stage 2 waits
    # for two working days after Thu 24 Dec, which is Wed 30 Dec.
    for holiday in (date(2026, 12, 25), date(2026, 12, 28), date(2026, 12, 29)):
        assert await chase_on(h, holiday, hour=10) == []
    await chase_on(h, date(2026, 12, 30))
    assert await stage_of(h) == (2, False)


async def test_reminders_go_once_per_due_date_two_working_days_ahead(harness: Harness) -> None:
    h = harness
    await network_with_action(h, "30/11")  # Mon 30 Nov; reminder day Thu 26 Nov
    for day in (date(2026, 11, 24), date(2026, 11, 25)):
        h.clock.set(at(day))
        assert (await run_reminders(h.app.services, now=h.clock.now())).actions == 0
    h.clock.set(at(date(2026, 11, 26)))
    assert (await run_reminders(h.app.services, now=h.clock.now())).actions == 1
    h.gateway.delivered.clear()
    await h.app.relay(worker="test").drain()
    dm = dms_to(h.gateway.delivered)[SAM]
    assert "Coming up: an action is due soon" in dm
    assert "#1 Send the EHCP draft (DSR-0042) — due Mon 30 Nov" in dm
    h.clock.set(at(date(2026, 11, 27)))
    assert (await run_reminders(h.app.services, now=h.clock.now())).actions == 0


async def say_on(h: Harness, day: date, who: str, line: str) -> str:
    """Type a command at 11:00 that day; what it sent is in h.gateway.delivered."""
    h.clock.set(at(day, 11))
    return text_of(await h.say(who, line, channel=CH))


async def test_an_update_with_a_proposed_date_pauses_the_ladder_until_then(
    harness: Harness,
) -> None:
    h = harness
    await network_with_action(h, "25/11")
    await chase_on(h, date(2026, 11, 26))  # stage 1
    reply = await say_on(
        h, date(2026, 11, 27), SAM, "/action update 1 Waiting for the psychologist --until 4/12"
    )
    assert "chasing waits until Fri 4 Dec" in reply
    for day in (date(2026, 11, 30), date(2026, 12, 4), date(2026, 12, 7)):
        assert await chase_on(h, day) == []  # paused, then two working days from 4 Dec
    assert await stage_of(h) == (1, False)
    await chase_on(h, date(2026, 12, 8))
    assert await stage_of(h) == (2, False)


async def test_an_update_restarts_the_wait_for_the_next_stage(harness: Harness) -> None:
    h = harness
    await network_with_action(h, "25/11")
    await chase_on(h, date(2026, 11, 26))  # stage 1 on Thu
    await say_on(h, date(2026, 11, 27), SAM, "/action update 1 Draft half written")  # Fri
    assert await chase_on(h, date(2026, 11, 30)) == []  # Mon: one working day since the update
    await chase_on(h, date(2026, 12, 1))
    assert await stage_of(h) == (2, False)


async def test_an_agreed_extension_restarts_the_ladder_and_is_recorded(harness: Harness) -> None:
    h = harness
    await network_with_action(h, "25/11")
    await chase_on(h, date(2026, 11, 26))
    await chase_on(h, date(2026, 11, 30))
    assert await stage_of(h) == (2, False)
    reply = await say_on(h, date(2026, 12, 1), KIM, "/action due 1 11/12 agreed at the meeting")
    assert "now due Fri 11 Dec" in reply
    assert await stage_of(h) == (0, False)
    assert await chase_on(h, date(2026, 12, 2)) == []
    async with h.app.db.reader() as session:
        extension = await session.scalar(select(ActionEvent).where(ActionEvent.kind == "extension"))
    assert extension is not None
    assert extension.data["previous_stage"] == 2
    assert extension.note == "agreed at the meeting"
    await chase_on(h, date(2026, 12, 14))  # Mon after the new date: stage 1 again
    assert await stage_of(h) == (1, False)


async def test_a_snooze_is_bounded_and_never_resets_the_ladder(harness: Harness) -> None:
    h = harness
    await network_with_action(h, "25/11")
    await chase_on(h, date(2026, 11, 26))  # stage 1 on Thu 26 Nov
    before = await h.audit_and_outbox()
    reply = await say_on(h, date(2026, 11, 27), KIM, "/action snooze 1 9/12 waiting for a letter")
    assert "at most 5 working days, until Fri 4 Dec" in reply
    assert await h.audit_and_outbox() == before  # refused: nothing written
    reply = await say_on(h, date(2026, 11, 27), SAM, "/action snooze 1 1/12 on leave")
    assert "Only the keyworker (Kim Lee)" in reply  # the owner can't snooze
    reply = await say_on(h, date(2026, 11, 27), KIM, "/action snooze 1 1/12 school closed")
    assert "snoozed until Tue 1 Dec" in reply
    assert await chase_on(h, date(2026, 11, 30)) == []  # stage 2 was due today: held
    assert await chase_on(h, date(2026, 12, 1)) == []
    await chase_on(h, date(2026, 12, 2))  # the day after the snooze: stage 2 at once
    assert await stage_of(h) == (2, False)


async def test_a_keyworker_can_chase_now_and_escalate_with_a_reason(harness: Harness) -> None:
    h = harness
    await network_with_action(h, "4/12")  # not yet due
    reply = await say_on(h, date(2026, 11, 24), KIM, "/action chase 1")
    assert "I've asked Sam Patel for an update" in reply
    assert "Kim Lee is chasing action #1" in dms_to(h.gateway.delivered)[SAM]
    assert any("Kim Lee is chasing" in p for p in channel_posts(h.gateway.delivered))
    assert await stage_of(h) == (0, False)  # a chase is not a stage

    reply = await say_on(h, date(2026, 11, 24), SAM, "/action escalate 1 --stage 3 not me")
    assert "Only the keyworker (Kim Lee)" in reply
    reply = await say_on(
        h,
        date(2026, 11, 24),
        KIM,
        "/action escalate 1 --stage 3 placement at risk of breaking down",
    )
    assert "now at stage 3" in reply
    assert "lee.grant@example.org" in dms_to(h.gateway.delivered)
    async with h.app.db.reader() as session:
        event = await session.scalar(select(ActionEvent).where(ActionEvent.kind == "escalated"))
    assert event is not None and event.actor_id is not None
    assert event.data["reason"] == "placement at risk of breaking down"
    assert event.data["stage"] == 3
    reply = await say_on(h, date(2026, 11, 24), KIM, "/action escalate 1 --stage 2 lower")
    assert "already at stage 3" in reply


# The jobs that take a lock for their run (the agenda and the purge take none).
LOCKED_JOBS = ["chase", "chat-copies", "membership-review", "reminders"]


async def test_the_scheduler_catches_up_at_start_up(harness: Harness) -> None:
    """A run missed while the bot was down happens as soon as it starts."""
    import asyncio

    from store.models import JobLock

    h = harness
    await network_with_action(h, "25/11")
    h.clock.set(at(date(2026, 11, 26), 14))  # after the 09:30 run time
    scheduler = h.app.scheduler()
    scheduler.start()
    try:
        for _ in range(100):
            async with h.app.db.reader() as session:
                runs = (await session.scalars(select(JobLock))).all()
            if len(runs) == len(LOCKED_JOBS):
                break
            await asyncio.sleep(0.05)
    finally:
        await scheduler.shutdown()
    assert sorted(r.name for r in runs) == LOCKED_JOBS
    assert await stage_of(h) == (1, False)


async def test_the_exported_trail_reads_as_evidence_for_the_case_record(harness: Harness) -> None:
    from commands.action.export import action_record

    h = harness
    await network_with_action(h, "25/11")
    await chase_on(h, date(2026, 11, 26))
    await say_on(h, date(2026, 11, 27), SAM, "/action update 1 Half written --until 1/12")
    await say_on(h, date(2026, 12, 2), SAM, "/action done 1 Sent to the family by secure email")
    async with h.app.db.reader() as session:
        text = await action_record(
            session, action_id=1, calendar=h.app.services.calendar, today=date(2026, 12, 2)
        )
    assert text is not None
    lines = text.splitlines()
    assert lines[0] == "Action #1 — DSR-0042"
    assert "Owner: Sam Patel (CAMHS), sam.patel@example.org" in lines
    assert "Status: Done" in lines
    assert "Evidence: Sent to the family by secure email" in lines
    history = lines[lines.index("History (local time):") + 1 :]
    kinds = [line.split("  ", 1)[1].split(" by ")[0] for line in history if "  " in line]
    assert kinds == ["Assigned", "Escalated", "Update", "Completed"]
    stage_one = "Stage 1, the owner: asked Sam Patel (sam.patel@example.org)"
    assert any(stage_one in line for line in history)


async def test_two_processes_chasing_at_once_record_each_stage_once(harness: Harness) -> None:
    """Two replicas' schedulers fire together: the job's lock makes the second
    wait and then find the work done."""
    import asyncio

    from bot.main import build
    from bot.settings import Settings

    h = harness
    await network_with_action(h, "25/11")
    await chase_on(h, date(2026, 11, 25))  # an earlier run: the job's lock row exists
    other = build(Settings(database_url=h.app.settings.database_url), clock=h.clock)
    h.clock.set(at(date(2026, 11, 26)))
    try:
        reports = await asyncio.gather(
            run_chase(h.app.services, now=h.clock.now(), worker="replica-a"),
            run_chase(other.services, now=h.clock.now(), worker="replica-b"),
        )
    finally:
        await other.db.dispose()
    assert sorted(r.actions for r in reports) == [0, 1]
    async with h.app.db.reader() as session:
        escalated = (
            await session.scalars(select(ActionEvent).where(ActionEvent.kind == "escalated"))
        ).all()
        digests = (
            await session.scalars(select(Outbox).where(Outbox.idempotency_key.like("chase-%")))
        ).all()
    assert len(escalated) == 1
    assert len(digests) == 2  # one channel digest, one DM to the owner


async def test_the_ladder_comes_from_the_register_policy(harness: Harness) -> None:
    """A register with a two-stage ladder: the owner after 3 working days, then the chair."""
    import dataclasses

    from bot.policy import LadderStage, Policy

    h = harness
    await network_with_action(h, "25/11")
    policy = Policy(
        ladder=[
            LadderStage(after_working_days=3, contact="owner"),
            LadderStage(after_working_days=1, contact="chair"),
        ]
    )
    services = dataclasses.replace(h.app.services, policy=policy)
    for day, expected in (
        (date(2026, 11, 27), (0, False)),
        (date(2026, 11, 30), (1, False)),  # three working days after Wed 25 Nov
        (date(2026, 12, 1), (2, True)),  # the chair, a working day later
        (date(2026, 12, 2), (2, True)),
    ):
        h.clock.set(at(day))
        await run_chase(services, now=h.clock.now())
        assert await stage_of(h) == expected, day


def cards(deliveries: list[Delivery]) -> dict[int, str]:
    """Action cards posted or edited, by action id."""
    found = {}
    for d in deliveries:
        if d.message is not None and d.message.text.startswith("Action #"):
            found[int(d.message.text.split()[1].lstrip("#"))] = render(d.message)
    return found


async def test_what_a_sweep_queues_out_of_hours_is_drawn_as_it_goes(harness: Harness) -> None:
    """The chase at 07:00 queues the cards and the digest for 09:00; what
    happens in between shows in them: an action done at 08:00 is not chased
    in the channel, and the card says what is true when it lands."""
    h = harness
    await network_with_action(h, "23/12")  # Wed 23 Dec 2026
    await h.say(KIM, "/action assign @sam.patel Book the review room by 23/12", channel=CH)
    assert await chase_on(h, date(2026, 12, 24), hour=7) == []  # Thu, before service hours
    h.clock.set(at(date(2026, 12, 24), 8, 0))
    reply = await h.say(SAM, "/action done 2 Room booked", channel=CH)
    assert "done" in text_of(reply).lower(), text_of(reply)

    h.clock.set(at(date(2026, 12, 24), 9, 0))
    h.gateway.delivered.clear()
    await h.app.relay(worker="test").drain()
    [digest] = channel_posts(h.gateway.delivered)
    assert "#1 Send the EHCP draft" in digest
    assert "#2" not in digest and "Book the review room" not in digest
    card = cards(h.gateway.delivered)[1]
    assert "overdue by 1 working day" in card and "Chasing" in card, card


async def test_a_digest_with_nothing_left_to_chase_is_not_posted(harness: Harness) -> None:
    h = harness
    await network_with_action(h, "23/12")
    assert await chase_on(h, date(2026, 12, 24), hour=7) == []
    h.clock.set(at(date(2026, 12, 24), 8, 0))
    await h.say(SAM, "/action done 1 Sent by secure email", channel=CH)

    h.clock.set(at(date(2026, 12, 24), 9, 0))
    h.gateway.delivered.clear()
    await h.app.relay(worker="test").drain()
    assert channel_posts(h.gateway.delivered) == []
    assert list(dms_to(h.gateway.delivered)) == [SAM]  # what the stage asked, as it was
    async with h.app.db.reader() as session:
        digest = await session.scalar(
            select(Outbox).where(Outbox.idempotency_key.like("chase-digest:%"))
        )
    assert digest is not None and digest.status == "sent" and digest.sent_at is not None
    assert digest.last_error == "nothing left to show: what it was about is gone"
