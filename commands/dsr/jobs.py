"""The weekly agenda job: posts this week's DSR agenda at the policy's local
time, once, and on recovery if the bot was down then (while the meeting has
not yet happened)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.dates import format_day_year
from bot.invocation import Actor, Conversation
from commands.context import SCHEDULER, Services, unit_of_work
from commands.dsr import consent, meetings
from store import chasing


@dataclass(frozen=True)
class AgendaReport:
    text: str

    def summary(self) -> str:
        return self.text


async def run_agenda(services: Services, *, now: datetime) -> AgendaReport:
    due_at, meeting = meetings.agenda_due_at(now=now, services=services)
    meeting_on = meeting.on
    today = services.calendar.local_date(now)
    when = format_day_year(meeting_on, today=today)
    if meeting.why_moved:
        usual = format_day_year(meeting.usual, today=today)
        when += f" (moved from {usual}: {meeting.why_moved})"
    if now < due_at:
        return AgendaReport(f"agenda: not yet due for the meeting on {when}.")
    if today > meeting_on:
        return AgendaReport(f"agenda: the meeting on {when} has happened; nothing sent.")
    async with services.db.reader() as session:
        chairs = await chasing.chairs(session, email=services.policy.chair_email)
    if not chairs:
        return AgendaReport(
            "agenda: nobody in the directory is a DSR chair (set chair_email in the policy); "
            "nothing sent."
        )
    chair = chairs[0]
    async with unit_of_work(
        services,
        actor=Actor(platform="console", platform_user_id=chair.email, email=chair.email),
        conversation=Conversation(platform="console", conversation_id="scheduler"),
    ) as unit:
        _, posted = await meetings.post_agenda(unit, meeting_day=meeting, posted_by=SCHEDULER)
        # Consent re-checks due: flagged on the agenda, and each keyworker told once.
        await consent.remind_due(unit)
    if posted:
        return AgendaReport(f"agenda: posted for the meeting on {when}.")
    return AgendaReport(f"agenda: already posted for the meeting on {when}.")
