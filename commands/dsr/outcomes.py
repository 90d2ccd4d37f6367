"""Decisions a DSR meeting took about a young person.

A meeting's outcomes can be recorded from the moment its agenda is posted
until the next meeting's agenda is posted: they always belong to the latest
meeting whose agenda went out. They are shown in `/dsr show REF`, in the
exported agenda (`teamaround export agenda`) and in the next meeting's agenda
("Last meeting decided").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.dates import format_numeric
from bot.errors import UserError
from commands.action import service as action_service
from commands.authority import Verb
from commands.context import Unit
from commands.dsr.register import FollowUp, find, rate, require_register_access
from commands.people import resolve
from commands.vocabulary import RATING_LABEL
from store import audit, queries
from store.models import Action, Meeting, MeetingOutcome, Person, YoungPerson


@dataclass(frozen=True)
class OutcomeRecorded:
    meeting: Meeting
    young_person: YoungPerson
    rated: FollowUp | None
    action: Action | None


async def record_outcome(
    unit: Unit,
    *,
    reference: str,
    decision: str,
    rating: str | None,
    action_text: str | None,
    platform: str,
) -> OutcomeRecorded:
    """A decision of the latest DSR meeting about one young person, with the
    rating and the action it agreed, all in one unit of work: if the action
    cannot be created, nothing is recorded."""
    from commands.action import grammar as action_grammar

    await require_register_access(unit)
    register = await unit.register()
    # The latest meeting whose agenda is posted: from its posting until the
    # next one's, its outcomes are what is recorded.
    meeting = await unit.session.scalar(
        select(Meeting)
        .where(Meeting.register_id == register.id)
        .order_by(Meeting.meeting_on.desc())
        .limit(1)
    )
    if meeting is None:
        raise UserError(
            "Outcomes belong to a DSR meeting, and no meeting's agenda has been posted yet.",
            hint="Post this week's with /dsr agenda post, then record its outcomes.",
        )
    young_person = await find(unit, reference=reference, verb=Verb.DSR_OUTCOME)
    rated = None
    if rating is not None:
        when = format_numeric(meeting.meeting_on)
        young_person, rated = await rate(
            unit, reference=reference, rating=rating, rationale=f"DSR meeting {when}: {decision}"
        )
    action = None
    if action_text is not None:
        assign = action_grammar.parse(
            f"assign {action_text}",
            today=unit.today,
            calendar=unit.services.calendar,
            max_text=unit.services.policy.max_action_text,
        )
        assert isinstance(assign, action_grammar.Assign)
        network = await queries.open_network_for(unit.session, young_person_id=young_person.id)
        if network is None:
            raise UserError(
                f"{young_person.reference} has no open network, so the action has nowhere to "
                "live; nothing was recorded.",
                hint=f"Open one with /network open {young_person.reference}, then record the "
                "outcome again.",
            )
        owner = await resolve(unit, assign.owner, platform=platform)
        action = await action_service.assign(
            unit,
            network=network,
            owner=owner,
            text=assign.text,
            due=assign.due,
            agency_name=assign.agency,
            source="dsr",
        )
    unit.session.add(
        MeetingOutcome(
            meeting_id=meeting.id,
            young_person_id=young_person.id,
            decision=decision,
            rating=rating,
            action_id=action.id if action else None,
            recorded_by_id=unit.actor.id,
            at=unit.now,
        )
    )
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="register.outcome",
        object_type="young_person",
        object_id=young_person.id,
        after={
            "meeting_on": meeting.meeting_on.isoformat(),
            "decision": decision,
            "rating": rating,
            "action_id": action.id if action else None,
        },
    )
    return OutcomeRecorded(meeting=meeting, young_person=young_person, rated=rated, action=action)


@dataclass(frozen=True)
class Decided:
    """One recorded outcome, as the record shows it."""

    meeting_on: date
    reference: str
    decision: str
    rating: str | None
    action_id: int | None
    owner: str | None
    due: date | None

    def line(self, *, with_reference: bool = True, with_meeting: bool = False) -> str:
        parts = [self.decision]
        if self.rating:
            parts.append(f"rated {RATING_LABEL.get(self.rating, self.rating)}")
        if self.action_id is not None:
            parts.append(
                f"action #{self.action_id} with {self.owner}, due "
                f"{format_numeric(self.due) if self.due else 'not set'}"
            )
        text = "; ".join(parts)
        if with_reference:
            text = f"{self.reference}: {text}"
        if with_meeting:
            text = f"{format_numeric(self.meeting_on)} {text}"
        return text


async def decided(
    session: AsyncSession,
    *,
    meeting_ids: Sequence[int] = (),
    young_person_id: int | None = None,
    limit: int = 200,
) -> list[Decided]:
    """Outcomes recorded at these meetings, or about one young person (newest
    meeting first), in one query."""
    owner = aliased(Person)
    query = (
        select(
            Meeting.meeting_on,
            YoungPerson.reference,
            MeetingOutcome.decision,
            MeetingOutcome.rating,
            MeetingOutcome.action_id,
            owner.name,
            Action.due_date,
        )
        .join(Meeting, Meeting.id == MeetingOutcome.meeting_id)
        .join(YoungPerson, YoungPerson.id == MeetingOutcome.young_person_id)
        .outerjoin(Action, Action.id == MeetingOutcome.action_id)
        .outerjoin(owner, owner.id == Action.owner_id)
    )
    if young_person_id is not None:
        query = query.where(MeetingOutcome.young_person_id == young_person_id)
    else:
        query = query.where(MeetingOutcome.meeting_id.in_(list(meeting_ids)))
    query = query.order_by(Meeting.meeting_on.desc(), YoungPerson.reference, MeetingOutcome.id)
    rows = (await session.execute(query.limit(limit))).all()
    return [Decided(*row) for row in rows]


async def agenda_record(session: AsyncSession, *, meeting_on: date | None) -> str | None:
    """A meeting's agenda as posted, with the outcomes recorded against it
    since (`teamaround export agenda`); the latest meeting by default."""
    query = select(Meeting).order_by(Meeting.meeting_on.desc()).limit(1)
    if meeting_on is not None:
        query = select(Meeting).where(Meeting.meeting_on == meeting_on).limit(1)
    meeting = await session.scalar(query)
    if meeting is None:
        return None
    outcomes = await decided(session, meeting_ids=[meeting.id])
    lines = [meeting.agenda_markdown.rstrip("\n"), "", "## Outcomes recorded", ""]
    lines += [f"- {o.line()}" for o in outcomes] or ["None recorded yet."]
    return "\n".join(lines) + "\n"
