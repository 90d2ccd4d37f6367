"""Reading the register: one entry (`/dsr show`), the list, and the facts
behind the flags, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from commands.authority import Verb, authorise
from commands.context import Unit
from commands.dsr import flags
from commands.dsr.outcomes import decided
from commands.dsr.register import effective_keyworker, find, require_register_access
from commands.records import access
from store import queries
from store.models import (
    Action,
    Admission,
    Cetr,
    Network,
    Person,
    RatingChange,
    SupportChange,
    YoungPerson,
)

HISTORY_LINES = 10
LIST_LINES = 60
_RATING_ORDER = {"red": 0, "amber": 1, "blue": 2, "green": 3}


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
    # What DSR meetings decided about them, newest meeting first.
    decided: tuple[str, ...] = ()
    # The day their current preventive support began (None: none recorded now).
    support_since: date | None = None


async def entry(unit: Unit, *, reference: str) -> Entry:
    young_person = await find(unit, reference=reference, verb=Verb.DSR_SHOW, live=False)
    await access.log_reads(
        unit.session,
        at=unit.now,
        reader=unit.actor,
        label=unit.actor.email,
        young_people=[young_person],
        how="/dsr show",
    )
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
    support_since = None
    if young_person.support is not None:
        began = await unit.session.scalar(
            select(func.max(SupportChange.at)).where(
                SupportChange.young_person_id == young_person.id
            )
        )
        support_since = unit.services.calendar.local_date(began) if began else None
    recorded_by = young_person.consent_recorded_by_id
    return Entry(
        young_person=young_person,
        keyworker=await effective_keyworker(unit, young_person=young_person),
        consent_recorded_by=await unit.session.get(Person, recorded_by) if recorded_by else None,
        admission=await queries.open_admission(unit.session, young_person_id=young_person.id),
        history=history,
        network=network,
        open_actions=open_actions,
        flags=flags_of(unit, (await facts_for(unit, [young_person]))[young_person.id]),
        decided=tuple(
            d.line(with_reference=False, with_meeting=True)
            for d in await decided(unit.session, young_person_id=young_person.id, limit=10)
        ),
        support_since=support_since,
    )


@dataclass(frozen=True)
class Line:
    reference: str
    rating: str | None
    keyworker: str | None
    flags: tuple[str, ...] = ()
    preventive_only: bool = False


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
    # A network never reviewed counts from its opening.
    reviewed = func.coalesce(Network.members_reviewed_at, Network.opened_at)
    networks = {
        yp_id: (keyworker_id, stage or 0, cal.local_date(members_reviewed))
        for yp_id, keyworker_id, stage, members_reviewed in (
            await session.execute(
                select(
                    Network.young_person_id,
                    Network.keyworker_id,
                    func.max(Action.escalation_stage),
                    reviewed,
                )
                .outerjoin(Action, (Action.network_id == Network.id) & (Action.status == "open"))
                .where(Network.young_person_id.in_(ids), Network.status == "open")
                .group_by(Network.young_person_id, Network.keyworker_id, reviewed)
            )
        ).all()
    }
    found = {}
    for yp in young_people:
        network_keyworker, stage, members_reviewed = networks.get(yp.id, (None, 0, None))
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
            consent_checked=yp.consent_reviewed_on or yp.consent_date,
            members_reviewed=members_reviewed,
            out_of_area=out_of_area,
            last_visit=last_visit,
        )
    return found


def flags_of(unit: Unit, facts: flags.Facts) -> tuple[str, ...]:
    return tuple(flags.flags(facts, today=unit.today, policy=unit.services.policy))


async def listing(unit: Unit, *, only: str | None) -> tuple[list[Line], int, bool]:
    """Up to LIST_LINES entries not removed (Red, Amber, Blue, Green, unrated,
    then by reference), how many there are in all, and whether they are
    only the caller's own (a keyworker sees the young people they hold)."""
    await require_register_access(unit)
    decision = await authorise(unit, Verb.DSR_LIST)
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
    own = decision.scope == "own"
    if own:
        query = query.where(keyworker_id == unit.actor.id)
    # Those known only for preventive support are not on the DSR: listed
    # only with their support.
    if only == "preventive":
        query = query.where(YoungPerson.support == "preventive")
    else:
        query = query.where(YoungPerson.preventive_only.is_(False))
    if only == "no-keyworker":
        query = query.where(keyworker_id.is_(None))
    elif only not in (None, "preventive"):
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
            flags=() if yp.preventive_only else flags_of(unit, facts[yp.id]),
            preventive_only=yp.preventive_only,
        )
        for yp, name in shown
    ]
    return lines, len(rows), own
