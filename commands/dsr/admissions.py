"""Admissions to hospital (Blue), discharges and commissioners' oversight visits."""

from __future__ import annotations

from datetime import date

from bot.dates import format_numeric
from bot.errors import UserError
from commands.authority import Verb
from commands.cetr import service as cetr_service
from commands.context import Unit
from commands.dsr import rules
from commands.dsr.register import (
    FollowUp,
    as_open,
    chair,
    change_rating,
    find,
    network_action_blocker,
    open_admission,
    record,
    snapshot,
)
from commands.network import service as network_service
from store import audit, queries
from store.models import Admission, YoungPerson


async def admit(
    unit: Unit, *, reference: str, admitted_on: date, setting: str, out_of_area: bool
) -> tuple[YoungPerson, Admission, FollowUp]:
    """Record an admission: the rating becomes Blue and the post-admission
    review is scheduled where it can be."""
    young_person = await find(unit, reference=reference, verb=Verb.DSR_ADMIT)
    rules.check_happened(admitted_on, today=unit.today, what="an admission")
    rules.check_admit(young_person.reference, current=await open_admission(unit, young_person))
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
    change_rating(unit, young_person, rating="blue", rationale=f"Admitted to {setting}")
    await unit.session.flush()
    await network_service.refresh_card_of(
        unit, young_person_id=young_person.id, version=f"rating:{unit.change_id}"
    )
    record(
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
    network, blocker = await network_action_blocker(
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
    young_person = await find(unit, reference=reference, verb=Verb.DSR_DISCHARGE)
    admission = await queries.open_admission(unit.session, young_person_id=young_person.id)
    rules.check_discharge(
        young_person.reference, current=as_open(admission), discharged_on=discharged_on
    )
    assert admission is not None
    rules.check_happened(discharged_on, today=unit.today, what="a discharge")
    admission.discharged_on = discharged_on
    record(
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


async def record_visit(unit: Unit, *, reference: str, visited_on: date) -> Admission:
    """The commissioner's oversight visit to an inpatient (DOMAIN.md C4)."""
    young_person = await find(unit, reference=reference, verb=Verb.DSR_VISIT)
    admission = await queries.open_admission(unit.session, young_person_id=young_person.id)
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
