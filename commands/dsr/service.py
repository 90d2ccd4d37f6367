"""DSR register services: keyword-only, inside the caller's unit of work.

The register is kept by DSR chairs, keyworkers and administrators. Every
change writes an audit event; every rating change also writes a
RatingChange (who, when, why), so the whole history is kept. Young people are
known by their pseudonymous reference only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from bot.dates import format_numeric
from bot.errors import NotFound, PermissionDenied, UserError
from bot.policy import WEEKDAYS
from commands import permissions
from commands.action import service as action_service
from commands.cetr import service as cetr_service
from commands.context import Services, Unit
from commands.dsr import agenda, flags, grammar
from commands.network import service as network_service
from commands.people import resolve
from commands.vocabulary import REVIEW_TO_HOLD, is_review_to_hold
from store import audit, chasing, history, outbox, queries
from store.models import (
    Action,
    Admission,
    Agency,
    Cetr,
    Meeting,
    MeetingOutcome,
    Network,
    Person,
    RatingChange,
    YoungPerson,
)

RED_CETR_TEXT = f"{REVIEW_TO_HOLD}a C(E)TR (rated Red)"
HISTORY_LINES = 10
LIST_LINES = 60
_RATING_ORDER = {"red": 0, "amber": 1, "blue": 2, "green": 3}


def require_register_access(unit: Unit) -> None:
    if not permissions.is_coordinator(unit.actor):
        raise PermissionDenied(
            "Only DSR chairs, keyworkers and administrators can use the DSR register.",
            hint="The register holds sensitive ratings, so it is kept to them. If something "
            "needs changing, ask the young person's keyworker or your DSR chair.",
        )


def snapshot(young_person: YoungPerson) -> dict[str, Any]:
    return {
        "reference": young_person.reference,
        "age_band": young_person.age_band,
        "ehcp": young_person.ehcp,
        "consent_basis": young_person.consent_basis,
        "consent_date": young_person.consent_date.isoformat(),
        "rating": young_person.rating,
        "keyworker_id": young_person.keyworker_id,
        "transition_month": young_person.transition_month.isoformat()
        if young_person.transition_month
        else None,
        "archived": young_person.archived_at is not None,
        "archive_reason": young_person.archive_reason,
        "left_on": young_person.left_on.isoformat() if young_person.left_on else None,
        "leaving_reason": young_person.leaving_reason,
    }


def _record(
    unit: Unit,
    young_person: YoungPerson,
    *,
    verb: str,
    before: dict[str, Any] | None,
    extra: dict[str, Any] | None = None,
) -> None:
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb=verb,
        object_type="young_person",
        object_id=young_person.id,
        before=before,
        after={**snapshot(young_person), **(extra or {})},
    )


async def find(unit: Unit, *, reference: str, live: bool = True) -> YoungPerson:
    """The young person on this register; with ``live``, refused if removed."""
    require_register_access(unit)
    register = await unit.register()
    young_person = await queries.young_person_by_ref(
        unit.session, register_id=register.id, reference=reference
    )
    if young_person is None:
        raise NotFound(
            f"{reference} isn't on the {register.name} register.",
            hint="Check the reference: `/dsr list` shows who is on it, and "
            "`/dsr add REF …` adds someone.",
        )
    if live and young_person.archived_at is not None:
        raise UserError(
            f"{young_person.reference} was removed from the register on "
            f"{format_numeric(unit.services.calendar.local_date(young_person.archived_at))}, "
            "so I can't change their entry.",
            hint=f"Their history is kept: /dsr show {young_person.reference}",
        )
    return young_person


async def add(
    unit: Unit,
    *,
    reference: str,
    age_band: str,
    ehcp: bool,
    consent_basis: str,
    consent_date: date,
) -> YoungPerson:
    """Put a young person on the register, with the basis of their consent."""
    require_register_access(unit)
    if consent_basis not in grammar.CONSENT_BASES or consent_date is None:
        raise UserError(
            "Nobody goes on the DSR without a consent basis and its date.",
            hint=f"For example: {grammar.ADD_EXAMPLE}",
        )
    if consent_date > unit.today:
        raise UserError("The consent date can't be in the future.")
    if age_band not in grammar.AGE_BANDS:
        raise UserError("The age band is under-18 or 18-25.")
    register = await unit.register()
    existing = await queries.young_person_by_ref(
        unit.session, register_id=register.id, reference=reference
    )
    if existing is not None:
        if existing.archived_at is not None:
            raise UserError(
                f"{existing.reference} was on the register and was removed; its history is "
                "kept, so please use a new reference.",
            )
        raise UserError(
            f"{existing.reference} is already on the register.",
            hint=f"See their entry with /dsr show {existing.reference}",
        )
    young_person = YoungPerson(
        register_id=register.id,
        reference=reference,
        age_band=age_band,
        ehcp=ehcp,
        consent_basis=consent_basis,
        consent_date=consent_date,
        consent_recorded_by_id=unit.actor.id,
        rating=None,
        created_at=unit.now,
    )
    unit.session.add(young_person)
    await unit.session.flush()
    _record(unit, young_person, verb="register.add", before=None)
    return young_person


async def effective_keyworker(unit: Unit, *, young_person: YoungPerson) -> Person | None:
    """The register's keyworker, or else the keyworker of their open network."""
    keyworker_id = young_person.keyworker_id
    if keyworker_id is None:
        network = await queries.open_network_for(unit.session, young_person_id=young_person.id)
        keyworker_id = network.keyworker_id if network else None
    return await unit.session.get(Person, keyworker_id) if keyworker_id else None


async def chair(unit: Unit) -> Person | None:
    """The DSR chair: the policy's, or the first person whose role names a chair."""
    found = await chasing.chairs(unit.session, email=unit.services.policy.chair_email)
    return next((p for p in found if p.active), None)


def _change_rating(
    unit: Unit, young_person: YoungPerson, *, rating: str, rationale: str
) -> RatingChange:
    change = RatingChange(
        young_person_id=young_person.id,
        rating=rating,
        rationale=rationale,
        actor_id=unit.actor.id,
        at=unit.now,
    )
    unit.session.add(change)
    young_person.rating, young_person.rated_at = rating, unit.now
    return change


@dataclass
class FollowUp:
    """What a change set off, or couldn't, for the reply."""

    action: Action | None = None
    notes: list[str] = field(default_factory=list)


async def _network_action_blocker(
    unit: Unit, *, young_person: YoungPerson, chair_person: Person | None, what: str
) -> tuple[Network | None, str | None]:
    """The open network an action for the chair can go in, or why it can't."""
    ref = young_person.reference
    network = await queries.open_network_for(unit.session, young_person_id=young_person.id)
    if network is None:
        return None, (
            f"I couldn't create {what}: {ref} has no open network. Open one with "
            f"/network open {ref}, add the DSR chair with /network add @chair, then assign it "
            "there with /action assign."
        )
    if chair_person is None:
        return None, (
            f"I couldn't create {what}: no DSR chair is set (the policy's chair_email, or "
            "someone whose directory role names a chair). Assign it in the network's channel "
            "with /action assign."
        )
    if not await queries.is_member(unit.session, network_id=network.id, person_id=chair_person.id):
        return None, (
            f"I couldn't create {what}: {chair_person.name}, the DSR chair, isn't in "
            f"{ref}'s network. In #{network.space_name}, add them with "
            f"/network add {chair_person.email}, then assign it with /action assign."
        )
    if not await unit.is_member(network):
        return None, (
            f"I couldn't create {what}: you aren't in {ref}'s network (#{network.space_name}). "
            "Ask its keyworker to add you, or to assign it there with /action assign."
        )
    return network, None


async def rate(
    unit: Unit, *, reference: str, rating: str, rationale: str
) -> tuple[YoungPerson, FollowUp]:
    """Change the rating, keeping the history; Red and Amber set off what they call for."""
    young_person = await find(unit, reference=reference)
    if rating not in grammar.RATINGS:
        raise UserError("Ratings are red, amber, green or blue.")
    before = snapshot(young_person)
    _change_rating(unit, young_person, rating=rating, rationale=rationale)
    await unit.session.flush()
    _record(unit, young_person, verb="register.rate", before=before, extra={"rationale": rationale})
    follow_up = FollowUp()
    ref = young_person.reference
    if (
        rating in ("red", "amber")
        and await effective_keyworker(unit, young_person=young_person) is None
    ):
        follow_up.notes.append(
            f"{ref} has no keyworker: please make a keyworking referral (0–25), then record "
            f"the keyworker with /dsr keyworker {ref} @person."
        )
    if rating != "red":
        return young_person, follow_up
    rules = unit.services.policy.register_rules
    since = unit.today - timedelta(weeks=rules.red_cetr_window_weeks)
    recent = await unit.session.scalar(
        select(func.max(Cetr.held_on)).where(
            Cetr.young_person_id == young_person.id, Cetr.held_on >= since
        )
    )
    if recent is not None:
        follow_up.notes.append(
            f"A C(E)TR was held on {format_numeric(recent)}, within the last "
            f"{rules.red_cetr_window_weeks} weeks, so I haven't asked for another."
        )
        return young_person, follow_up
    chair_person = await chair(unit)
    network, blocker = await _network_action_blocker(
        unit, young_person=young_person, chair_person=chair_person, what="the C(E)TR action"
    )
    if blocker is not None or network is None or chair_person is None:
        follow_up.notes.append(
            f"A Red rating means a C(E)TR must take place. {blocker or ''}".strip()
        )
        return young_person, follow_up
    due = unit.services.calendar.add_working_days(
        unit.today, unit.services.policy.register_rules.red_cetr_working_days
    )
    follow_up.action = await action_service.assign(
        unit, network=network, owner=chair_person, text=RED_CETR_TEXT, due=due, source="review"
    )
    return young_person, follow_up


async def open_admission(unit: Unit, *, young_person: YoungPerson) -> Admission | None:
    return await unit.session.scalar(
        select(Admission)
        .where(Admission.young_person_id == young_person.id, Admission.discharged_on.is_(None))
        .order_by(Admission.id.desc())
        .limit(1)
    )


async def admit(
    unit: Unit, *, reference: str, admitted_on: date, setting: str, out_of_area: bool
) -> tuple[YoungPerson, Admission, FollowUp]:
    """Record an admission: the rating becomes Blue and the post-admission
    review is scheduled where it can be."""
    young_person = await find(unit, reference=reference)
    if admitted_on > unit.today:
        raise UserError("Record an admission once it has happened.")
    ref = young_person.reference
    current = await open_admission(unit, young_person=young_person)
    if current is not None:
        raise UserError(
            f"{ref} is already recorded as admitted to {current.setting} since "
            f"{format_numeric(current.admitted_on)}.",
            hint=f"If they have been discharged, record that first: /dsr discharge {ref} DATE",
        )
    admission = Admission(
        young_person_id=young_person.id,
        admitted_on=admitted_on,
        setting=setting,
        out_of_area=out_of_area,
        recorded_by_id=unit.actor.id,
        created_at=unit.now,
    )
    unit.session.add(admission)
    before = snapshot(young_person)
    _change_rating(unit, young_person, rating="blue", rationale=f"Admitted to {setting}")
    await unit.session.flush()
    _record(
        unit,
        young_person,
        verb="register.admit",
        before=before,
        extra={
            "admission_id": admission.id,
            "admitted_on": admitted_on.isoformat(),
            "setting": setting,
            "out_of_area": out_of_area,
        },
    )
    follow_up = FollowUp()
    chair_person = await chair(unit)
    network, blocker = await _network_action_blocker(
        unit,
        young_person=young_person,
        chair_person=chair_person,
        what="the post-admission review",
    )
    if blocker is not None or network is None or chair_person is None:
        follow_up.notes.append(
            (blocker or "").replace("I couldn't create", "I couldn't schedule", 1)
        )
        return young_person, admission, follow_up
    follow_up.action = await cetr_service.schedule_post_admission_review(
        unit, network=network, commissioner=chair_person, admitted_on=admitted_on
    )
    return young_person, admission, follow_up


async def discharge(
    unit: Unit, *, reference: str, discharged_on: date
) -> tuple[YoungPerson, Admission]:
    """End the open admission. The rating is left for people to decide."""
    young_person = await find(unit, reference=reference)
    ref = young_person.reference
    admission = await open_admission(unit, young_person=young_person)
    if admission is None:
        raise UserError(
            f"{ref} has no open admission to end.",
            hint=f"To record an admission: /dsr admit {ref} DATE --setting NAME",
        )
    if discharged_on < admission.admitted_on:
        raise UserError(
            f"{ref} was admitted on {format_numeric(admission.admitted_on)}, so the discharge "
            "can't be before that.",
            hint=f"For example: /dsr discharge {ref} today",
        )
    if discharged_on > unit.today:
        raise UserError("Record a discharge once it has happened.")
    admission.discharged_on = discharged_on
    _record(
        unit,
        young_person,
        verb="register.discharge",
        before=snapshot(young_person),
        extra={
            "admission_id": admission.id,
            "setting": admission.setting,
            "discharged_on": discharged_on.isoformat(),
        },
    )
    return young_person, admission


async def set_keyworker(
    unit: Unit, *, reference: str, person: Person
) -> tuple[YoungPerson, Network | None]:
    """Record the keyworker; their open network (if any) gets the same keyworker."""
    young_person = await find(unit, reference=reference)
    network = await queries.open_network_for(unit.session, young_person_id=young_person.id)
    network_done = network is None or network.keyworker_id == person.id
    if young_person.keyworker_id == person.id and network_done:
        raise UserError(f"{person.name} is already {young_person.reference}'s keyworker.")
    if young_person.keyworker_id != person.id:
        before = snapshot(young_person)
        history.set_keyworker(
            unit.session, young_person, keyworker_id=person.id, actor_id=unit.actor.id, at=unit.now
        )
        _record(
            unit,
            young_person,
            verb="register.keyworker",
            before=before,
            extra={"keyworker": person.email},
        )
    if network is not None and not network_done:
        # Also adds them to the network (and its channel), with its own audit event.
        await network_service.set_keyworker(unit, network=network, person=person)
    return young_person, network


async def set_transition(unit: Unit, *, reference: str, month: date) -> YoungPerson:
    young_person = await find(unit, reference=reference)
    before = snapshot(young_person)
    young_person.transition_month = month.replace(day=1)
    _record(unit, young_person, verb="register.transition", before=before)
    return young_person


async def remove(unit: Unit, *, reference: str, reason: str) -> tuple[YoungPerson, Network | None]:
    """Archive an entry (consent withdrawn, stepped down, moved away); its history stays."""
    young_person = await find(unit, reference=reference)
    before = snapshot(young_person)
    young_person.archived_at, young_person.archive_reason = unit.now, reason
    young_person.left_on, young_person.leaving_reason = unit.today, "removed"
    _record(unit, young_person, verb="register.remove", before=before)
    network = await queries.open_network_for(unit.session, young_person_id=young_person.id)
    return young_person, network


STEPPED_DOWN = "Stepped down: outcomes met, support no longer needed"


@dataclass(frozen=True)
class SteppedDown:
    young_person: YoungPerson
    keyworker: Person | None
    network: Network | None


async def step_down(unit: Unit, *, reference: str, on: date, note: str) -> SteppedDown:
    """Keyworking ends because its outcomes were met ("task and finish"): they
    leave the register on ``on``, and the quarterly report counts the
    step-down for them and their keyworker. Their history stays."""
    young_person = await find(unit, reference=reference)
    ref = young_person.reference
    joined = unit.services.calendar.local_date(young_person.created_at)
    if on < joined:
        raise UserError(
            f"{ref} joined the register on {format_numeric(joined)}, so they can't have been "
            "stepped down before that.",
            hint=f"For example: /dsr step-down {ref} --on {format_numeric(unit.today)}",
        )
    if on > unit.today:
        raise UserError("Record a step-down once it has happened.")
    admission = await open_admission(unit, young_person=young_person)
    if admission is not None:
        raise UserError(
            f"{ref} is recorded as in hospital ({admission.setting}, since "
            f"{format_numeric(admission.admitted_on)}), so their keyworking support can't end "
            "with its outcomes met yet.",
            hint=f"If they have been discharged, record that first: /dsr discharge {ref} DATE",
        )
    keyworker = await effective_keyworker(unit, young_person=young_person)
    before = snapshot(young_person)
    young_person.archived_at = unit.now
    young_person.archive_reason = f"{STEPPED_DOWN}. {note}" if note else STEPPED_DOWN
    young_person.left_on, young_person.leaving_reason = on, "stepped-down"
    _record(
        unit,
        young_person,
        verb="register.step_down",
        before=before,
        extra={"keyworker": keyworker.email if keyworker else None},
    )
    network = await queries.open_network_for(unit.session, young_person_id=young_person.id)
    return SteppedDown(young_person=young_person, keyworker=keyworker, network=network)


@dataclass(frozen=True)
class Entry:
    """Everything `/dsr show` shows."""

    young_person: YoungPerson
    keyworker: Person | None
    consent_recorded_by: Person | None
    admission: Admission | None
    history: list[RatingChange]
    network: Network | None
    open_actions: int
    flags: tuple[str, ...] = ()


async def entry(unit: Unit, *, reference: str) -> Entry:
    young_person = await find(unit, reference=reference, live=False)
    history = list(
        (
            await unit.session.scalars(
                select(RatingChange)
                .where(RatingChange.young_person_id == young_person.id)
                .order_by(RatingChange.at.desc(), RatingChange.id.desc())
                .limit(HISTORY_LINES)
            )
        )
        .unique()
        .all()
    )
    network = await queries.open_network_for(unit.session, young_person_id=young_person.id)
    open_actions = 0
    if network is not None:
        open_actions = int(
            await unit.session.scalar(
                select(func.count())
                .select_from(Action)
                .where(Action.network_id == network.id, Action.status == "open")
            )
            or 0
        )
    recorded_by = young_person.consent_recorded_by_id
    return Entry(
        young_person=young_person,
        keyworker=await effective_keyworker(unit, young_person=young_person),
        consent_recorded_by=await unit.session.get(Person, recorded_by) if recorded_by else None,
        admission=await open_admission(unit, young_person=young_person),
        history=history,
        network=network,
        open_actions=open_actions,
        flags=flags_of(unit, (await facts_for(unit, [young_person]))[young_person.id]),
    )


@dataclass(frozen=True)
class Line:
    reference: str
    rating: str | None
    keyworker: str | None
    flags: tuple[str, ...] = ()


async def facts_for(unit: Unit, young_people: Sequence[YoungPerson]) -> dict[int, flags.Facts]:
    """The facts the flags need, for many young people in four queries
    (never a query per person)."""
    ids = [yp.id for yp in young_people]
    if not ids:
        return {}
    session, cal = unit.session, unit.services.calendar
    last_cetr = dict(
        (
            await session.execute(
                select(Cetr.young_person_id, func.max(Cetr.held_on))
                .where(Cetr.young_person_id.in_(ids))
                .group_by(Cetr.young_person_id)
            )
        ).all()
    )
    last_inpatient = dict(
        (
            await session.execute(
                select(Cetr.young_person_id, func.max(Cetr.held_on))
                .where(
                    Cetr.young_person_id.in_(ids), Cetr.kind.in_(("inpatient", "post-admission"))
                )
                .group_by(Cetr.young_person_id)
            )
        ).all()
    )
    admitted = {
        yp_id: (admitted_on, out_of_area, last_visit)
        for yp_id, admitted_on, out_of_area, last_visit in (
            await session.execute(
                select(
                    Admission.young_person_id,
                    Admission.admitted_on,
                    Admission.out_of_area,
                    Admission.last_visit_on,
                ).where(Admission.young_person_id.in_(ids), Admission.discharged_on.is_(None))
            )
        ).all()
    }
    networks = {
        yp_id: (keyworker_id, stage or 0)
        for yp_id, keyworker_id, stage in (
            await session.execute(
                select(
                    Network.young_person_id,
                    Network.keyworker_id,
                    func.max(Action.escalation_stage),
                )
                .outerjoin(Action, (Action.network_id == Network.id) & (Action.status == "open"))
                .where(Network.young_person_id.in_(ids), Network.status == "open")
                .group_by(Network.young_person_id, Network.keyworker_id)
            )
        ).all()
    }
    found = {}
    for yp in young_people:
        network_keyworker, stage = networks.get(yp.id, (None, 0))
        admitted_on, out_of_area, last_visit = admitted.get(yp.id, (None, False, None))
        review = last_inpatient.get(yp.id)
        found[yp.id] = flags.Facts(
            rating=yp.rating,
            has_keyworker=(yp.keyworker_id or network_keyworker) is not None,
            age_band=yp.age_band,
            rated_on=cal.local_date(yp.rated_at) if yp.rated_at else None,
            last_cetr=last_cetr.get(yp.id),
            admitted_on=admitted_on,
            last_inpatient_review=review
            if admitted_on is not None and review is not None and review >= admitted_on
            else None,
            transition_month=yp.transition_month,
            highest_stage=stage,
            out_of_area=out_of_area,
            last_visit=last_visit,
        )
    return found


def flags_of(unit: Unit, facts: flags.Facts) -> tuple[str, ...]:
    return tuple(flags.flags(facts, today=unit.today, policy=unit.services.policy))


async def listing(unit: Unit, *, only: str | None) -> tuple[list[Line], int]:
    """Up to LIST_LINES entries not removed (Red, Amber, Blue, Green, unrated,
    then by reference), and how many there are in all."""
    require_register_access(unit)
    register = await unit.register()
    keyworker = aliased(Person)
    network = aliased(Network)
    keyworker_id = func.coalesce(YoungPerson.keyworker_id, network.keyworker_id)
    query = (
        select(YoungPerson, keyworker.name)
        .outerjoin(
            network,
            (network.young_person_id == YoungPerson.id) & (network.status == "open"),
        )
        .outerjoin(keyworker, keyworker.id == keyworker_id)
        .where(YoungPerson.register_id == register.id, YoungPerson.archived_at.is_(None))
    )
    if only == "no-keyworker":
        query = query.where(keyworker_id.is_(None))
    elif only is not None:
        query = query.where(YoungPerson.rating == only)
    order = case(_RATING_ORDER, value=YoungPerson.rating, else_=len(_RATING_ORDER))
    rows = (await unit.session.execute(query.order_by(order, YoungPerson.reference))).all()
    shown = rows[:LIST_LINES]
    facts = await facts_for(unit, [yp for yp, _ in shown])
    lines = [
        Line(
            reference=yp.reference,
            rating=yp.rating,
            keyworker=name,
            flags=flags_of(unit, facts[yp.id]),
        )
        for yp, name in shown
    ]
    return lines, len(rows)


def next_meeting(unit: Unit) -> date:
    """The day of this week's DSR meeting: today if it is the meeting day,
    otherwise the next one."""
    weekday = _weekday(unit.services.policy.register_rules.meeting_day)
    return unit.today + timedelta(days=(weekday - unit.today.weekday()) % 7)


async def agenda_data(unit: Unit, *, meeting_on: date | None = None) -> agenda.AgendaData:
    """Everything the agenda shows, in a fixed number of queries however many
    young people and actions the register holds."""
    require_register_access(unit)
    register = await unit.register()
    session, cal = unit.session, unit.services.calendar
    meeting_on = meeting_on or next_meeting(unit)
    # Since the last meeting whose agenda was posted, or a week before this one.
    last = await session.scalar(
        select(func.max(Meeting.meeting_on)).where(
            Meeting.register_id == register.id, Meeting.meeting_on < meeting_on
        )
    )
    since = last or meeting_on - timedelta(days=7)
    keyworker = aliased(Person)
    network = aliased(Network)
    rows = (
        await session.execute(
            select(YoungPerson, keyworker.name)
            .outerjoin(
                network, (network.young_person_id == YoungPerson.id) & (network.status == "open")
            )
            .outerjoin(
                keyworker,
                keyworker.id == func.coalesce(YoungPerson.keyworker_id, network.keyworker_id),
            )
            .where(YoungPerson.register_id == register.id, YoungPerson.archived_at.is_(None))
        )
    ).all()
    young_people = [yp for yp, _ in rows]
    ids = [yp.id for yp in young_people]
    facts = await facts_for(unit, young_people)
    admissions = {
        a.young_person_id: a
        for a in (
            await session.scalars(
                select(Admission).where(
                    Admission.young_person_id.in_(ids), Admission.discharged_on.is_(None)
                )
            )
        ).all()
    }
    # Core rows, not ORM objects: tens of thousands of actions are read here.
    owner = aliased(Person)
    open_actions = (
        select(
            Network.young_person_id,
            Action.id,
            Action.text,
            Action.source,
            Action.due_date,
            Action.escalation_stage,
            owner.name,
            Agency.name,
        )
        .join(Action, Action.network_id == Network.id)
        .join(owner, owner.id == Action.owner_id)
        .join(Agency, Agency.id == Action.agency_id)
        .where(Network.young_person_id.in_(ids), Network.status == "open", Action.status == "open")
    )
    counts: dict[int, int] = defaultdict(int)
    next_review: dict[int, date] = {}
    reviews_due: list[agenda.ReviewDue] = []
    escalated: list[agenda.Escalated] = []
    reference = {yp.id: yp.reference for yp in young_people}
    rows_of_actions = (await session.execute(open_actions)).all()
    for yp_id, action_id, text, source, due, stage, owner_name, agency_name in rows_of_actions:
        counts[yp_id] += 1
        if is_review_to_hold(source=source, text=text):
            if yp_id not in next_review or due < next_review[yp_id]:
                next_review[yp_id] = due
            reviews_due.append(agenda.ReviewDue(reference[yp_id], text, due))
        if stage >= 2:
            escalated.append(
                agenda.Escalated(
                    agency=agency_name,
                    action_id=action_id,
                    reference=reference[yp_id],
                    text=text,
                    owner=owner_name,
                    stage=stage,
                )
            )
    changes = (
        await session.execute(
            select(RatingChange, YoungPerson.reference)
            .join(YoungPerson, YoungPerson.id == RatingChange.young_person_id)
            .where(
                RatingChange.young_person_id.in_(ids),
                RatingChange.at >= cal.at_local(since, time(0)),
            )
        )
    ).all()
    people = []
    for yp, keyworker_name in rows:
        admission = admissions.get(yp.id)
        people.append(
            agenda.Person(
                reference=yp.reference,
                rating=yp.rating,
                keyworker=keyworker_name,
                flags=flags_of(unit, facts[yp.id]),
                added_on=cal.local_date(yp.created_at),
                rated_on=cal.local_date(yp.rated_at) if yp.rated_at else None,
                age_band=yp.age_band,
                admitted_on=admission.admitted_on if admission else None,
                setting=admission.setting if admission else None,
                out_of_area=admission.out_of_area if admission else False,
                last_review=facts[yp.id].last_cetr,
                next_review=next_review.get(yp.id),
                open_actions=counts[yp.id],
            )
        )
    return agenda.AgendaData(
        meeting_on=meeting_on,
        since=since,
        people=people,
        rating_changes=[
            agenda.RatingChange(ref, change.rating, cal.local_date(change.at), change.rationale)
            for change, ref in changes
        ],
        escalated=escalated,
        reviews_due=reviews_due,
    )


def _weekday(name: str) -> int:
    return WEEKDAYS.index(name)


def agenda_due_at(*, now: datetime, services: Services) -> tuple[datetime, date]:
    """This week's agenda posting time (an aware instant, local rules: it
    follows the clocks going forward or back) and the meeting it is for."""
    rules, cal = services.policy.register_rules, services.calendar
    today = cal.local_date(now)
    week = today - timedelta(days=today.weekday())
    post_day = week + timedelta(days=_weekday(rules.agenda_day))
    meeting = week + timedelta(days=_weekday(rules.meeting_day))
    if meeting < post_day:
        meeting += timedelta(days=7)
    return cal.at_local(post_day, rules.agenda_at), meeting


async def post_agenda(unit: Unit, *, meeting_on: date, posted_by: str) -> tuple[Meeting, bool]:
    """Store the meeting's agenda and send it, once: the meeting's unique key
    decides, whichever process or re-run gets there first. Returns the
    meeting and whether this call posted it."""
    require_register_access(unit)
    register = await unit.register()
    data = await agenda_data(unit, meeting_on=meeting_on)
    built = agenda.build(data, today=unit.today, policy=unit.services.policy)
    markdown = agenda.as_markdown(built)
    dialect = unit.session.bind.dialect.name if unit.session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    result = await unit.session.execute(
        insert(Meeting)
        .values(
            register_id=register.id,
            meeting_on=meeting_on,
            agenda_markdown=markdown,
            posted_by=posted_by,
            created_at=unit.now,
        )
        .on_conflict_do_nothing(index_elements=["register_id", "meeting_on"])
    )
    meeting = await unit.session.scalar(
        select(Meeting).where(Meeting.register_id == register.id, Meeting.meeting_on == meeting_on)
    )
    assert meeting is not None
    if not getattr(result, "rowcount", 0):
        return meeting, False
    rules = unit.services.policy.register_rules
    send_at = unit.services.calendar.next_service_time(unit.now)
    # (target kind, person id, "platform:conversation"): the chair's channel,
    # or each DSR chair directly.
    targets: list[tuple[str, int, str | None]]
    if rules.agenda_channel:
        targets = [("conversation", 0, rules.agenda_channel)]
    else:
        chairs = await chasing.chairs(unit.session, email=unit.services.policy.chair_email)
        targets = [("person", p.id, None) for p in chairs]
    messages = agenda.as_messages(built)
    for kind, target_id, ref in targets:
        for n, message in enumerate(messages):
            unit.outgoing.append(
                outbox.row(
                    key=f"agenda:r{register.id}:{meeting_on.isoformat()}:{ref or target_id}:{n}",
                    target_kind=kind,
                    target_id=target_id,
                    target_ref=ref,
                    op="post" if kind == "conversation" else "dm",
                    message=message,
                    now=unit.now,
                    not_before=send_at,
                )
            )
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="register.agenda",
        object_type="meeting",
        object_id=meeting.id,
        after={"meeting_on": meeting_on.isoformat(), "posted_by": posted_by},
    )
    return meeting, True


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


async def record_visit(unit: Unit, *, reference: str, visited_on: date) -> Admission:
    """The commissioner's oversight visit to an inpatient (DOMAIN.md C4)."""
    young_person = await find(unit, reference=reference)
    admission = await open_admission(unit, young_person=young_person)
    if admission is None:
        raise UserError(
            f"{young_person.reference} isn't in hospital on the register, so there is no "
            "admission to visit.",
            hint=f"Record the admission first: /dsr admit {young_person.reference} DATE "
            "--setting NAME",
        )
    if visited_on < admission.admitted_on:
        raise UserError(
            f"That is before the admission on {format_numeric(admission.admitted_on)}.",
            hint=f"For example: /dsr visit {young_person.reference} today",
        )
    before = {
        "last_visit_on": admission.last_visit_on.isoformat() if admission.last_visit_on else None
    }
    admission.last_visit_on = visited_on
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="register.visit",
        object_type="young_person",
        object_id=young_person.id,
        before=before,
        after={"last_visit_on": visited_on.isoformat()},
    )
    return admission
