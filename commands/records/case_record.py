"""One young person's case record: everything Teamaround holds about them,
in date order, with who did what and what changed. It is what is
transferred to the case-management system and what answers a subject
access request.

:func:`load` reads it (only rows that belong to this young person, so
nothing about anyone else); :mod:`commands.records.render` turns it into
Markdown or HTML, purely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar import WorkingCalendar
from bot.dates import format_numeric
from commands.action.views import describe_event
from commands.cetr.grammar import KIND_LABEL
from store.models import (
    Action,
    ActionEvent,
    Admission,
    Cetr,
    ConsentEvent,
    KeyworkerChange,
    MeetingOutcome,
    Network,
    NetworkMember,
    Person,
    RatingChange,
    SupportChange,
    YoungPerson,
)

# What a leaving reason means on the record.
LEFT = {"stepped-down": "Stepped down (outcomes met)", "removed": "Removed from the register"}


@dataclass(frozen=True)
class Line:
    """One event: when (local), what it is about, what happened, who did it.
    ``day_only``: only the day is known (an admission, a review held)."""

    when: datetime
    day_only: bool
    about: str
    what: str
    who: str


@dataclass(frozen=True)
class CaseRecord:
    reference: str
    register: str
    exported_on: date
    exported_by: str
    facts: tuple[tuple[str, str], ...]
    lines: tuple[Line, ...]


def _who(person: Person | None, fallback: str = "Teamaround") -> str:
    return f"{person.name} ({person.email})" if person is not None else fallback


async def load(
    session: AsyncSession,
    *,
    young_person: YoungPerson,
    register_name: str,
    calendar: WorkingCalendar,
    today: date,
    exported_by: str,
) -> CaseRecord:
    yp_id = young_person.id
    people: dict[int, Person] = {}

    async def person(person_id: int | None) -> Person | None:
        if person_id is None:
            return None
        if person_id not in people:
            found = await session.get(Person, person_id)
            if found is None:
                return None
            people[person_id] = found
        return people[person_id]

    lines: list[Line] = []

    def at(instant: datetime, about: str, what: str, who: str) -> None:
        lines.append(Line(calendar.local_time(instant), False, about, what, who))

    def on(day: date, about: str, what: str, who: str) -> None:
        local = calendar.local_time(calendar.at_local(day, time(0, 0)))
        lines.append(Line(local, True, about, what, who))

    register = "Register"
    joined = (
        "Joined the DSR" if not young_person.preventive_only else "Known for preventive support"
    )
    at(
        young_person.created_at,
        register,
        f"{joined}: age band {young_person.age_band}, EHCP {'yes' if young_person.ehcp else 'no'}",
        _who(await person(young_person.consent_recorded_by_id), "imported"),
    )
    on(
        young_person.consent_date,
        register,
        f"Consent recorded: basis {young_person.consent_basis}",
        _who(await person(young_person.consent_recorded_by_id), "imported"),
    )
    for consent in await session.scalars(
        select(ConsentEvent).where(ConsentEvent.young_person_id == yp_id)
    ):
        if consent.kind == "withdrawn":
            what = "Consent withdrawn" + (f": {consent.note}" if consent.note else "")
        else:
            what = f"Consent re-checked: basis {consent.basis}" + (
                f" ({consent.note})" if consent.note else ""
            )
        on(consent.on, register, what, _who(await person(consent.actor_id)))
    for rating in await session.scalars(
        select(RatingChange).where(RatingChange.young_person_id == yp_id)
    ):
        at(
            rating.at,
            register,
            f"Rated {rating.rating.capitalize()}: {rating.rationale}",
            _who(rating.actor, "imported"),
        )
    for change in await session.scalars(
        select(KeyworkerChange).where(KeyworkerChange.young_person_id == yp_id)
    ):
        keyworker = await person(change.keyworker_id)
        what = f"Keyworker: {keyworker.name}" if keyworker else "Keyworker: none"
        at(change.at, register, what, _who(await person(change.actor_id), "imported"))
    for support in await session.scalars(
        select(SupportChange).where(SupportChange.young_person_id == yp_id)
    ):
        what = f"Keyworking support: {support.kind}" if support.kind else "Keyworking support ended"
        at(support.at, register, what, _who(await person(support.actor_id), "imported"))
    for admission in await session.scalars(
        select(Admission).where(Admission.young_person_id == yp_id)
    ):
        who = _who(await person(admission.recorded_by_id), "imported")
        where = admission.setting + (" (out of area)" if admission.out_of_area else "")
        on(admission.admitted_on, register, f"Admitted: {where}", who)
        if admission.last_visit_on:
            on(admission.last_visit_on, register, "Oversight visit (the latest recorded)", who)
        if admission.discharged_on:
            on(admission.discharged_on, register, "Discharged", who)
    if young_person.transition_month:
        on(
            young_person.transition_month,
            register,
            "Turns 18 this month (transition to adult services)",
            "the register",
        )
    for outcome in await session.scalars(
        select(MeetingOutcome).where(MeetingOutcome.young_person_id == yp_id)
    ):
        what = f"DSR meeting decision: {outcome.decision}"
        if outcome.rating:
            what += f" (rated {outcome.rating.capitalize()})"
        if outcome.action_id:
            what += f", action #{outcome.action_id}"
        at(outcome.at, register, what, _who(await person(outcome.recorded_by_id)))
    if young_person.left_on:
        what = LEFT.get(young_person.leaving_reason or "", "Left the register")
        if young_person.archive_reason:
            what += f": {young_person.archive_reason}"
        on(young_person.left_on, register, what, "the register")

    networks = (
        await session.scalars(
            select(Network).where(Network.young_person_id == yp_id).order_by(Network.id)
        )
    ).all()
    for network in networks:
        about = f"Network #{network.space_name}"
        at(network.opened_at, about, "Network opened", _who(await person(network.opened_by_id)))
        for member in await session.scalars(
            select(NetworkMember).where(NetworkMember.network_id == network.id)
        ):
            role = f" as {member.role}" if member.role else ""
            at(
                member.added_at,
                about,
                f"Member added: {member.person.name} ({member.person.agency.name}){role}",
                _who(await person(member.added_by_id)),
            )
            if member.removed_at:
                at(member.removed_at, about, f"Member left: {member.person.name}", "Teamaround")
        if network.closed_at:
            what = f"Network closed ({network.close_reason})"
            if network.close_note:
                what += f": {network.close_note}"
            at(network.closed_at, about, what, "Teamaround")

    for review in await session.scalars(select(Cetr).where(Cetr.young_person_id == yp_id)):
        about = f"Review #{review.id}"
        panel = [
            f"chair {review.chair.name}" if review.chair else None,
            f"clinical expert {review.clinical_expert}" if review.clinical_expert else None,
            f"expert by experience {review.expert_by_experience}"
            if review.expert_by_experience
            else None,
        ]
        what = f"Held: {KIND_LABEL.get(review.kind, review.kind)}"
        if any(panel):
            what += " (" + ", ".join(p for p in panel if p) + ")"
        on(review.held_on, about, what, _who(await person(review.recorded_by_id)))
        if review.report_sent_on:
            on(review.report_sent_on, about, "Report sent", "the network")

    actions = (
        await session.scalars(
            select(Action)
            .where(Action.network_id.in_([n.id for n in networks]))
            .order_by(Action.id)
        )
    ).all()
    for action in actions:
        about = f"Action #{action.id}" + (f" (review #{action.cetr_id})" if action.cetr_id else "")
        at(action.created_at, about, f"Agreed: {action.text}", _who(action.assigned_by))
        events = await session.scalars(
            select(ActionEvent)
            .where(ActionEvent.action_id == action.id, ActionEvent.kind != "created")
            .order_by(ActionEvent.id)
        )
        for event in events:
            who, label, detail = describe_event(event)
            at(event.at, about, f"{label}: {detail}" if detail else label, who)
        if action.evidence:
            at(action.closed_at or action.updated_at, about, f"Evidence: {action.evidence}", "")

    lines.sort(key=lambda line: (line.when, line.day_only is False))
    keyworker = await person(young_person.keyworker_id)
    facts = (
        ("Reference", young_person.reference),
        ("Register", register_name),
        ("Age band", young_person.age_band),
        ("Rating now", (young_person.rating or "none").capitalize()),
        ("Keyworker now", keyworker.name if keyworker else "none"),
        (
            "On the register",
            "no, left " + format_numeric(young_person.left_on) if young_person.left_on else "yes",
        ),
        (
            "Transferred",
            format_numeric(calendar.local_date(young_person.record_transferred_at))
            + f" to {young_person.record_transferred_by}"
            if young_person.record_transferred_at
            else "not yet",
        ),
    )
    return CaseRecord(
        reference=young_person.reference,
        register=register_name,
        exported_on=today,
        exported_by=exported_by,
        facts=facts,
        lines=tuple(lines),
    )
