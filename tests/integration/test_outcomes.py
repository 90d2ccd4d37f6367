"""A DSR meeting's outcomes: recorded from the moment its agenda is posted
until the next meeting's agenda is posted, and shown in `/dsr show`, in the
exported agenda and in the next meeting's agenda.

The meeting is on Wednesdays here and its agenda goes out on Mondays: the
agenda for Wed 25 Nov 2026 is posted on Mon 23 Nov, two days before it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.policy import Policy, RegisterPolicy
from bot.settings import Settings
from commands.dsr.outcomes import agenda_record
from integrations.sandbox.gateway import ConsoleGateway
from tests.conftest import Harness, seeded_app, text_of

LONDON = ZoneInfo("Europe/London")
PRIYA = "priya.shah@example.org"


@pytest.fixture
async def h(migrated_url: str) -> AsyncIterator[Harness]:
    shown: list[str] = []
    gateway = ConsoleGateway(shown.append)
    policy = Policy(register_rules=RegisterPolicy(meeting_day="wed", agenda_day="mon"))
    app, clock = await seeded_app(
        Settings(database_url=migrated_url), gateways={"console": gateway}, policy=policy
    )
    try:
        yield Harness(app=app, clock=clock, gateway=gateway, shown=shown)
    finally:
        await app.db.dispose()


async def say(h: Harness, line: str) -> str:
    shown = text_of(await h.say(PRIYA, line))
    return "\n".join(" ".join(row.split()) for row in shown.splitlines())


async def exported(h: Harness) -> str:
    async with h.app.db.reader() as session:
        text = await agenda_record(session, meeting_on=None)
    assert text is not None
    return text


async def test_outcomes_belong_to_the_latest_posted_agenda_and_show_everywhere(
    h: Harness,
) -> None:
    assert "is on its way" in await say(h, "/dsr agenda post")  # Mon 23 Nov, for Wed 25 Nov
    # Two days before the meeting: its outcomes can already be recorded.
    shown = await say(h, '/dsr outcome DSR-0042 "Stay Amber; review the placement" --rate amber')
    assert "Outcome recorded for DSR-0042 at the meeting on Wed 25 Nov (25/11/2026)" in shown, shown

    h.clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=LONDON))  # the day after the meeting
    shown = await say(h, '/dsr outcome DSR-0043 "Hold a C(E)TR within 10 days"')
    assert "at the meeting on Wed 25 Nov" in shown, shown

    shown = await say(h, "/dsr show DSR-0042")
    assert "*Decided at DSR meetings, newest first*" in shown, shown
    assert "25/11/2026 Stay Amber; review the placement; rated Amber" in shown
    document = await exported(h)
    assert document.startswith("# DSR review agenda — ")
    assert (
        "## Outcomes recorded\n\n"
        "- DSR-0042: Stay Amber; review the placement; rated Amber\n"
        "- DSR-0043: Hold a C(E)TR within 10 days\n"
    ) in document, document

    # The next week's agenda: posted on Mon 30 Nov for Wed 2 Dec, it starts
    # with what the last meeting decided; later outcomes are the new meeting's.
    h.clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=LONDON))
    preview = await say(h, "/dsr agenda preview")
    decided = preview.split("*Last meeting (Wed 25 Nov) decided*", 1)[1].split("*New to", 1)[0]
    assert "DSR-0042: Stay Amber; review the placement; rated Amber" in decided, preview
    assert "DSR-0043: Hold a C(E)TR within 10 days" in decided
    assert "is on its way" in await say(h, "/dsr agenda post")
    shown = await say(h, '/dsr outcome DSR-0042 "Step down once the placement is settled"')
    assert "at the meeting on Wed 2 Dec" in shown, shown
    assert "## Outcomes recorded\n\n- DSR-0042: Step down once" in await exported(h)
