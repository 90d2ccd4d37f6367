"""A review's five recommendations to five agencies, run forward day by day.

The whole journey a keyworker relies on: a C(E)TR is recorded, its
recommendations become owned actions, and the jobs remind, chase and
escalate each one exactly as the policy says, only in service hours, never
twice. Expected dates are worked out by hand (no bank holidays before 25 Dec):

| action | owner (agency)            | due      | what happens                      |
| ------ | ------------------------- | -------- | --------------------------------- |
| #2     | Sam Patel (CAMHS)         | Fri 27/11| stages 1-4: 30/11, 2/12, 9/12, 11/12 |
| #3     | Jo Hughes (Social Care)   | Fri 27/11| the same dates; no senior contact |
| #4     | Alex Morgan (school)      | Wed 2/12 | 3/12, 7/12, 14/12, 16/12; no line manager |
| #5     | Casey Ward (SEN team)     | Mon 30/11| done on Fri 27/11: never chased   |
| #6     | Taylor Brown (care)       | Tue 1/12 | 2/12; paused to 4/12; 8/12, 15/12, 17/12 |
| #1     | Priya Shah (the report)   | Mon 7/12 | report sent on Fri 4/12: done     |
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from commands.action.jobs import run_chase, run_reminders
from store.models import ActionEvent, Outbox
from tests.conftest import Harness, text_of

LONDON = ZoneInfo("Europe/London")
KIM = "kim.lee@example.org"
PRIYA = "priya.shah@example.org"
CH = "yp-dsr-0042"
PANEL = '--chair @priya.shah --clinical-expert "Dr A Khan" --expert-by-experience "R Jones"'
OWNERS = ("sam.patel", "jo.hughes", "alex.morgan", "casey.ward", "taylor.brown")


async def say(h: Harness, day: date, who: str, line: str) -> str:
    h.clock.set(datetime(day.year, day.month, day.day, 11, 0, tzinfo=LONDON))
    reply = await h.say(who, line, channel=CH)
    assert reply.message.tone != "error", text_of(reply)
    return text_of(reply)


async def test_five_recommendations_are_reminded_chased_and_escalated_as_the_policy_says(
    harness: Harness,
) -> None:
    h = harness
    reply = await h.say(KIM, "/network open DSR-0042")
    assert reply.switch_to == CH
    monday = date(2026, 11, 23)
    members = " ".join(f"@{o}" for o in OWNERS)
    await say(h, monday, KIM, f"/network add {members} @priya.shah")
    await say(h, monday, KIM, f"/cetr record community-cetr today {PANEL}")
    lines = "\n".join(
        (
            "@sam.patel | Send the updated risk assessment | 27/11",
            "@jo.hughes | Confirm the short-break offer | 27/11",
            "@alex.morgan | Agree a reduced timetable | 2/12",
            "@casey.ward | Send the EHCP review date | 30/11",
            "@taylor.brown | Train two staff in the support plan | 1/12",
        )
    )
    created = await say(h, monday, KIM, f"/cetr rec 1 --confirm\n{lines}")
    assert "Added 5 recommendations of review #1" in created

    async def run_jobs(day: date, hour: int, minute: int) -> None:
        now = datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)
        h.clock.set(now)
        await run_reminders(h.app.services, now=now)
        await run_chase(h.app.services, now=now)

    day = monday
    while day <= date(2026, 12, 18):
        await run_jobs(day, 9, 0)  # the scheduled times
        await run_jobs(day, 9, 30)
        if day == date(2026, 11, 27):
            await say(h, day, "casey.ward@example.org", "/action done 5 Date sent to family")
        if day == date(2026, 12, 2):
            await say(
                h, day, "taylor.brown@example.org", "/action update 6 Rota agreed --until 4/12"
            )
        if day == date(2026, 12, 4):
            await say(h, day, PRIYA, "/cetr report-sent 1 today")
        await run_jobs(day, 15, 0)  # a run by hand later: changes nothing new
        day += timedelta(days=1)

    async with h.app.db.reader() as session:
        events = (
            await session.scalars(
                select(ActionEvent)
                .where(ActionEvent.kind.in_(("reminded", "escalated")))
                .order_by(ActionEvent.id)
            )
        ).all()
        rows = (await session.scalars(select(Outbox))).all()
    calendar = h.app.services.calendar
    seen: dict[int, list[tuple[str, date]]] = {}
    for event in events:
        label = "reminder" if event.kind == "reminded" else f"stage {event.data['stage']}"
        seen.setdefault(event.action_id, []).append((label, calendar.local_date(event.at)))

    d = date
    assert seen == {
        1: [("reminder", d(2026, 12, 3))],  # report due Mon 7 Dec; sent on Fri 4 Dec
        2: [
            ("reminder", d(2026, 11, 25)),
            ("stage 1", d(2026, 11, 30)),
            ("stage 2", d(2026, 12, 2)),
            ("stage 3", d(2026, 12, 9)),
            ("stage 4", d(2026, 12, 11)),
        ],
        3: [
            ("reminder", d(2026, 11, 25)),
            ("stage 1", d(2026, 11, 30)),
            ("stage 2", d(2026, 12, 2)),
            ("stage 3", d(2026, 12, 9)),
            ("stage 4", d(2026, 12, 11)),
        ],
        4: [
            ("reminder", d(2026, 11, 30)),
            ("stage 1", d(2026, 12, 3)),
            ("stage 2", d(2026, 12, 7)),
            ("stage 3", d(2026, 12, 14)),
            ("stage 4", d(2026, 12, 16)),
        ],
        5: [("reminder", d(2026, 11, 26))],
        6: [
            ("reminder", d(2026, 11, 27)),
            ("stage 1", d(2026, 12, 2)),
            ("stage 2", d(2026, 12, 8)),
            ("stage 3", d(2026, 12, 15)),
            ("stage 4", d(2026, 12, 17)),
        ],
    }
    by_action = {e.action_id: e for e in events if e.kind == "escalated" and e.data["stage"] == 2}
    assert by_action[2].data["contacted"] == ["morgan.reed@example.org"]  # Sam's line manager
    assert by_action[3].data["contacted"] == ["rowan.ellis@example.org"]
    assert by_action[4].data["contacted"] == []  # the school has no line manager on record
    assert by_action[4].data["missing"] == "Alex Morgan's line manager"
    # Only in service hours: every message waits for 09:00-17:00 on a working day.
    for row in rows:
        local = row.next_attempt_at.astimezone(LONDON)
        assert calendar.is_working_day(local.date()), row.idempotency_key
        assert 9 <= local.hour < 17, row.idempotency_key
    # One chase digest a day at most per channel, however often the job ran.
    digests = [r.idempotency_key for r in rows if r.idempotency_key.startswith("chase-digest:")]
    assert len(digests) == len(set(digests))
    assert len(digests) == len({d.rsplit(":", 1)[1] for d in digests})
