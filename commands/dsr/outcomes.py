"""Decisions a DSR meeting took about a young person."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.dates import format_numeric
from bot.errors import UserError
from commands.action import service as action_service
from commands.context import Unit
from commands.dsr.register import FollowUp, find, rate, require_register_access
from commands.people import resolve
from store import audit, queries
from store.models import Action, Meeting, MeetingOutcome, YoungPerson


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

    require_register_access(unit)
    register = await unit.register()
    meeting = await unit.session.scalar(
        select(Meeting)
        .where(Meeting.register_id == register.id, Meeting.meeting_on <= unit.today)
        .order_by(Meeting.meeting_on.desc())
        .limit(1)
    )
    if meeting is None:
        raise UserError(
            "Outcomes belong to a DSR meeting, and no meeting's agenda has been posted yet.",
            hint="Post this week's with /dsr agenda post, then record its outcomes.",
        )
    young_person = await find(unit, reference=reference)
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
