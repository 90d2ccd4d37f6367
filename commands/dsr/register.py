"""The register itself: who is on it, their consent, rating, keyworker and
transition, and how they leave it. Keyword-only services inside the caller's
unit of work.

The register is kept by DSR chairs and admins, and by a young person's own
keyworker where the policy allows it (``commands/authority.py``). Every
change writes an audit event; every rating change also writes a
RatingChange (who, when, why), so the whole history is kept. Young people are
known by their pseudonymous reference only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.dates import format_numeric
from bot.errors import NotFound, PermissionDenied, UserError
from bot.messages import Message, Section
from commands import authority, notify
from commands.action import service as action_service
from commands.authority import Verb, authorise
from commands.context import Unit
from commands.dsr import grammar, rules
from commands.dsr.references import check_new_reference
from commands.network import service as network_service
from commands.vocabulary import REVIEW_TO_HOLD
from store import audit, chasing, history, queries
from store.models import (
    Action,
    Admission,
    Cetr,
    KeyworkerChange,
    Network,
    Person,
    RatingChange,
    SupportChange,
    YoungPerson,
)

RED_CETR_TEXT = f"{REVIEW_TO_HOLD}a C(E)TR (rated Red)"


async def require_register_access(unit: Unit) -> None:
    """The register's door: DSR chairs, admins and keyworkers (by their
    directory role, or holding someone's network) come in, and then each
    command decides; anyone else is refused before anything is read, so
    they learn nothing of who is on it."""
    standing = authority.standing(unit.actor, unit.services.policy)
    if standing.chair or standing.admin or standing.keyworker:
        return
    if await queries.holds_anyone(unit.session, person_id=unit.actor.id):
        return
    raise PermissionDenied(
        "Only DSR chairs, admins and young people's own keyworkers can use the DSR register.",
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
        "preventive_only": young_person.preventive_only,
        "support": young_person.support,
    }


def record(
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


async def find(unit: Unit, *, reference: str, verb: Verb, live: bool = True) -> YoungPerson:
    """The young person on this register, if the caller may do ``verb`` to
    their entry; with ``live``, refused if they were removed."""
    await require_register_access(unit)
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
    await authorise(unit, verb, young_person=young_person)
    needs_the_dsr = rules.NEEDS_THE_DSR.get(verb.rule.register_verb or "")
    if live and needs_the_dsr:
        rules.check_on_the_dsr(
            young_person.reference, preventive_only=young_person.preventive_only, what=needs_the_dsr
        )
    if live and young_person.archived_at is not None:
        rules.check_still_on(
            young_person.reference,
            left_on=young_person.left_on
            or unit.services.calendar.local_date(young_person.archived_at),
            stepped_down=young_person.leaving_reason == "stepped-down",
        )
    return young_person


def joined_on(unit: Unit, young_person: YoungPerson) -> date:
    return unit.services.calendar.local_date(young_person.created_at)


def when(unit: Unit, on: date | None) -> datetime:
    """The instant a change that happened ``on`` (default: now) is recorded at."""
    if on is None:
        return unit.now
    return rules.instant_of(on, now=unit.now, calendar=unit.services.calendar)


async def add(
    unit: Unit,
    *,
    reference: str,
    age_band: str,
    ehcp: bool,
    consent_basis: str,
    consent_date: date,
    on: date | None = None,
) -> YoungPerson:
    """Put a young person on the register, with the basis of their consent;
    ``on``: they joined on an earlier day."""
    await authorise(unit, Verb.DSR_ADD)
    if consent_basis not in grammar.CONSENT_BASES or consent_date is None:
        raise UserError(
            "Nobody goes on the DSR without a consent basis and its date.",
            hint=f"For example: {grammar.ADD_EXAMPLE}",
        )
    if consent_date > unit.today:
        raise UserError("The consent date can't be in the future.")
    joined = on or unit.today
    rules.check_happened(joined, today=unit.today, what="someone joining the register")
    rules.check_consent(consent_date=consent_date, joined=joined)
    if age_band not in grammar.AGE_BANDS:
        raise UserError("The age band is under-18 or 18-25.")
    register = await unit.register()
    existing = await queries.young_person_by_ref(
        unit.session, register_id=register.id, reference=reference
    )
    if existing is not None and existing.preventive_only and existing.archived_at is None:
        return await _join(
            unit,
            existing,
            age_band=age_band,
            ehcp=ehcp,
            consent_basis=consent_basis,
            consent_date=consent_date,
            on=on,
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
    reference = check_new_reference(reference, policy=unit.services.policy)
    young_person = YoungPerson(
        register_id=register.id,
        reference=reference,
        age_band=age_band,
        ehcp=ehcp,
        consent_basis=consent_basis,
        consent_date=consent_date,
        consent_recorded_by_id=unit.actor.id,
        rating=None,
        created_at=when(unit, on),
    )
    unit.session.add(young_person)
    await unit.session.flush()
    record(
        unit,
        young_person,
        verb="register.add",
        before=None,
        extra={"joined_on": joined.isoformat()} if on else None,
    )
    return young_person


async def _join(
    unit: Unit,
    young_person: YoungPerson,
    *,
    age_band: str,
    ehcp: bool,
    consent_basis: str,
    consent_date: date,
    on: date | None,
) -> YoungPerson:
    """Someone known only for preventive support goes on the DSR: from now
    (or ``on``) they are counted on it; their support, keyworker and network
    stay as they were."""
    before = snapshot(young_person)
    young_person.preventive_only = False
    young_person.age_band, young_person.ehcp = age_band, ehcp
    young_person.consent_basis, young_person.consent_date = consent_basis, consent_date
    young_person.consent_recorded_by_id = unit.actor.id
    young_person.created_at = when(unit, on)
    record(
        unit,
        young_person,
        verb="register.add",
        before=before,
        extra={"joined_on": (on or unit.today).isoformat(), "was": "preventive support only"},
    )
    return young_person


def as_open(admission: Admission | None) -> rules.OpenAdmission | None:
    """An open admission, as the register's rules see it."""
    if admission is None:
        return None
    return rules.OpenAdmission(admitted_on=admission.admitted_on, setting=admission.setting)


async def open_admission(unit: Unit, young_person: YoungPerson) -> rules.OpenAdmission | None:
    return as_open(await queries.open_admission(unit.session, young_person_id=young_person.id))


async def effective_keyworker(unit: Unit, *, young_person: YoungPerson) -> Person | None:
    """The register's keyworker, or else the keyworker of their open network."""
    return await authority.young_person_keyworker(unit.session, young_person)


async def chair(unit: Unit) -> Person | None:
    """The DSR chair: the policy's, or the first person whose role names a chair."""
    found = await chasing.chairs(unit.session, email=unit.services.policy.chair_email)
    return next((p for p in found if p.active), None)


def end_support(unit: Unit, young_person: YoungPerson, *, at: datetime) -> None:
    """Preventive support ends when they leave the register (or by
    ``/dsr support REF end``): the history keeps when."""
    if young_person.support is None:
        return
    young_person.support = None
    unit.session.add(
        SupportChange(young_person_id=young_person.id, kind=None, actor_id=unit.actor.id, at=at)
    )


def change_rating(
    unit: Unit,
    young_person: YoungPerson,
    *,
    rating: str,
    rationale: str,
    at: datetime | None = None,
    current: bool = True,
) -> RatingChange:
    """Add a rating change to the history (at ``at``, default now); with
    ``current`` it is also their rating from then on."""
    at = at or unit.now
    change = RatingChange(
        young_person_id=young_person.id,
        rating=rating,
        rationale=rationale,
        actor_id=unit.actor.id,
        at=at,
    )
    unit.session.add(change)
    if current:
        young_person.rating, young_person.rated_at = rating, at
    return change


async def later_change(
    unit: Unit,
    model: type[RatingChange] | type[KeyworkerChange],
    *,
    young_person_id: int,
    at: datetime,
) -> date | None:
    """The day of the latest change of this kind recorded after ``at``, if any:
    a change recorded for an earlier day then goes into the history without
    becoming the current one."""
    latest = await unit.session.scalar(
        select(func.max(model.at)).where(model.young_person_id == young_person_id, model.at > at)
    )
    return unit.services.calendar.local_date(latest) if latest is not None else None


@dataclass
class FollowUp:
    """What a change set off, or couldn't, for the reply."""

    action: Action | None = None
    notes: list[str] = field(default_factory=list)
    # Recorded for an earlier day (`--on`); and, if a later change was already
    # recorded, the day of that change (which stays the current one).
    on: date | None = None
    superseded_on: date | None = None


async def network_action_blocker(
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
    may = await authority.for_network(
        unit.session,
        Verb.ACTION_ASSIGN,
        person=unit.actor,
        network=network,
        policy=unit.services.policy,
    )
    if not may.allowed:
        return None, (
            f"I couldn't create {what}: you can't give actions in {ref}'s network "
            f"(#{network.space_name}). Ask {may.who()} to assign it there with /action assign."
        )
    return network, None


async def rate(
    unit: Unit, *, reference: str, rating: str, rationale: str, on: date | None = None
) -> tuple[YoungPerson, FollowUp]:
    """Change the rating, keeping the history; Red and Amber set off what they
    call for. ``on``: rated on an earlier day; a later rating already
    recorded stays the current one (the reply says so)."""
    young_person = await find(unit, reference=reference, verb=Verb.DSR_RATE)
    if rating not in grammar.RATINGS:
        raise UserError("Ratings are red, amber, green or blue.")
    at = when(unit, on)
    if on is not None:
        rules.check_not_before_joined(
            young_person.reference, joined=joined_on(unit, young_person), day=on, what="a rating"
        )
    later = await later_change(unit, RatingChange, young_person_id=young_person.id, at=at)
    before = snapshot(young_person)
    change_rating(
        unit, young_person, rating=rating, rationale=rationale, at=at, current=later is None
    )
    await unit.session.flush()
    extra: dict[str, Any] = {"rationale": rationale}
    if on is not None:
        extra["rated_on"] = on.isoformat()
    record(unit, young_person, verb="register.rate", before=before, extra=extra)
    follow_up = FollowUp(on=on, superseded_on=later)
    if later is not None:
        return young_person, follow_up  # history only: nothing to set off today
    await network_service.refresh_card_of(
        unit, young_person_id=young_person.id, version=f"rating:{unit.change_id}"
    )
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
    policy_rules = unit.services.policy.register_rules
    since = unit.today - timedelta(weeks=policy_rules.red_cetr_window_weeks)
    recent = await unit.session.scalar(
        select(func.max(Cetr.held_on)).where(
            Cetr.young_person_id == young_person.id, Cetr.held_on >= since
        )
    )
    if recent is not None:
        follow_up.notes.append(
            f"A C(E)TR was held on {format_numeric(recent)}, within the last "
            f"{policy_rules.red_cetr_window_weeks} weeks, so I haven't asked for another."
        )
        return young_person, follow_up
    chair_person = await chair(unit)
    network, blocker = await network_action_blocker(
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


@dataclass(frozen=True)
class KeyworkerSet:
    young_person: YoungPerson
    network: Network | None
    on: date | None = None
    superseded_on: date | None = None  # a later keyworker change stays the current one


async def set_keyworker(
    unit: Unit, *, reference: str, person: Person, on: date | None = None
) -> KeyworkerSet:
    """Record the keyworker; their open network (if any) gets the same
    keyworker. ``on``: they became the keyworker on an earlier day; a later
    change already recorded stays the current one."""
    young_person = await find(unit, reference=reference, verb=Verb.DSR_KEYWORKER)
    return await record_keyworker(unit, young_person, person=person, on=on)


async def record_keyworker(
    unit: Unit, young_person: YoungPerson, *, person: Person, on: date | None = None
) -> KeyworkerSet:
    """:func:`set_keyworker` once the caller may: the history, the current
    keyworker and their open network's."""
    at = when(unit, on)
    if on is not None:
        rules.check_not_before_joined(
            young_person.reference,
            joined=joined_on(unit, young_person),
            day=on,
            what="a keyworker",
        )
        later = await later_change(unit, KeyworkerChange, young_person_id=young_person.id, at=at)
        if later is not None:
            history.add_keyworker_change(
                unit.session,
                young_person_id=young_person.id,
                keyworker_id=person.id,
                actor_id=unit.actor.id,
                at=at,
            )
            record(
                unit,
                young_person,
                verb="register.keyworker",
                before=snapshot(young_person),
                extra={
                    "keyworker": person.email,
                    "from": on.isoformat(),
                    "until": later.isoformat(),
                },
            )
            return KeyworkerSet(young_person, None, on=on, superseded_on=later)
    network = await queries.open_network_for(unit.session, young_person_id=young_person.id)
    network_done = network is None or network.keyworker_id == person.id
    if young_person.keyworker_id == person.id and network_done:
        raise UserError(f"{person.name} is already {young_person.reference}'s keyworker.")
    if young_person.keyworker_id != person.id:
        displaced_id = young_person.keyworker_id
        # The network's own change tells its keyworker; this tells a register
        # keyworker who isn't also the network's.
        if displaced_id is not None and (network is None or network.keyworker_id != displaced_id):
            displaced = await unit.session.get(Person, displaced_id)
            if displaced is not None:
                await notify.dm(
                    unit,
                    person=displaced,
                    key=f"dm:register-keyworker:{young_person.id}:{displaced_id}:{unit.change_id}",
                    message=_displaced_dm(young_person, by=unit.actor.name, keyworker=person.name),
                )
        before = snapshot(young_person)
        history.set_keyworker(
            unit.session, young_person, keyworker_id=person.id, actor_id=unit.actor.id, at=at
        )
        extra = {"keyworker": person.email}
        if on is not None:
            extra["from"] = on.isoformat()
        record(unit, young_person, verb="register.keyworker", before=before, extra=extra)
    if network is not None and not network_done:
        # Also adds them to the network (and its channel), with its own audit event.
        await network_service.set_keyworker(unit, network=network, person=person)
    return KeyworkerSet(young_person, network, on=on)


def _displaced_dm(young_person: YoungPerson, *, by: str, keyworker: str) -> Message:
    text = (
        f"{by} recorded {keyworker} as {young_person.reference}'s keyworker on the register, "
        "in your place. If that is a mistake, ask them or a DSR chair."
    )
    return Message(text=text, blocks=(Section(text=text),))


async def set_transition(unit: Unit, *, reference: str, month: date) -> YoungPerson:
    young_person = await find(unit, reference=reference, verb=Verb.DSR_TRANSITION)
    before = snapshot(young_person)
    young_person.transition_month = month.replace(day=1)
    record(unit, young_person, verb="register.transition", before=before)
    return young_person


async def remove(unit: Unit, *, reference: str, reason: str) -> tuple[YoungPerson, Network | None]:
    """Archive an entry (consent withdrawn, stepped down, moved away); its history stays."""
    young_person = await find(unit, reference=reference, verb=Verb.DSR_REMOVE)
    before = snapshot(young_person)
    young_person.archived_at, young_person.archive_reason = unit.now, reason
    young_person.left_on, young_person.leaving_reason = unit.today, "removed"
    end_support(unit, young_person, at=unit.now)
    record(unit, young_person, verb="register.remove", before=before)
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
    young_person = await find(unit, reference=reference, verb=Verb.DSR_STEP_DOWN)
    ref = young_person.reference
    rules.check_not_before_joined(
        ref, joined=joined_on(unit, young_person), day=on, what="a step-down"
    )
    rules.check_happened(on, today=unit.today, what="a step-down")
    rules.check_step_down(ref, current=await open_admission(unit, young_person))
    keyworker = await effective_keyworker(unit, young_person=young_person)
    before = snapshot(young_person)
    young_person.archived_at = unit.now
    young_person.archive_reason = f"{STEPPED_DOWN}. {note}" if note else STEPPED_DOWN
    young_person.left_on, young_person.leaving_reason = on, "stepped-down"
    end_support(unit, young_person, at=when(unit, on))
    record(
        unit,
        young_person,
        verb="register.step_down",
        before=before,
        extra={"keyworker": keyworker.email if keyworker else None},
    )
    network = await queries.open_network_for(unit.session, young_person_id=young_person.id)
    return SteppedDown(young_person=young_person, keyworker=keyworker, network=network)
