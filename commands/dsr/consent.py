"""Consent after joining (``/dsr consent``): withdrawn, or re-checked.

Withdrawn consent ends the processing: the young person leaves the register
that day, their open actions are cancelled (so chasing stops), their network
closes with a summary to its members, and nothing more happens except
retention. A re-check records the basis found; when one is due (policy
``register_rules.consent_review_months``) the agenda flags it and the
keyworker is reminded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from bot.dates import format_numeric
from bot.messages import Message, Section
from commands import notify
from commands.action import service as action_service
from commands.authority import Verb
from commands.context import Unit
from commands.dsr import register, rules
from commands.dsr.flags import consent_recheck_due
from commands.network import service as network_service
from store import queries
from store.models import Action, ConsentEvent, Network, Person, YoungPerson

WITHDRAWN = "Consent withdrawn"


@dataclass(frozen=True)
class Withdrawn:
    young_person: YoungPerson
    network: Network | None
    cancelled: int


async def withdraw(unit: Unit, *, reference: str, on: date, note: str) -> Withdrawn:
    young_person = await register.find(unit, reference=reference, verb=Verb.DSR_CONSENT)
    ref = young_person.reference
    rules.check_not_before_joined(
        ref, joined=register.joined_on(unit, young_person), day=on, what="a withdrawal"
    )
    rules.check_happened(on, today=unit.today, what="a withdrawal of consent")
    before = register.snapshot(young_person)
    unit.session.add(
        ConsentEvent(
            young_person_id=young_person.id,
            kind="withdrawn",
            on=on,
            note=note or None,
            actor_id=unit.actor.id,
            at=unit.now,
        )
    )
    young_person.archived_at = unit.now
    young_person.archive_reason = f"{WITHDRAWN}. {note}" if note else WITHDRAWN
    young_person.left_on, young_person.leaving_reason = on, "removed"
    register.end_support(unit, young_person, at=register.when(unit, on))
    register.record(unit, young_person, verb="register.consent_withdrawn", before=before)
    network = await queries.open_network_for(unit.session, young_person_id=young_person.id)
    cancelled = 0
    if network is not None:
        still_open = await unit.session.scalars(
            select(Action)
            .where(Action.network_id == network.id, Action.status == "open")
            .order_by(Action.id)
            .execution_options(populate_existing=True)
        )
        for action in still_open.unique().all():
            await action_service.cancel(unit, action=action, reason=WITHDRAWN.lower())
            cancelled += 1
        await network_service.close_network(
            unit, network=network, reason="consent-withdrawn", note=note or WITHDRAWN
        )
    return Withdrawn(young_person=young_person, network=network, cancelled=cancelled)


async def review(unit: Unit, *, reference: str, on: date, basis: str, note: str) -> YoungPerson:
    young_person = await register.find(unit, reference=reference, verb=Verb.DSR_CONSENT)
    rules.check_not_before_joined(
        young_person.reference,
        joined=min(register.joined_on(unit, young_person), young_person.consent_date),
        day=on,
        what="a consent re-check",
    )
    rules.check_happened(on, today=unit.today, what="a consent re-check")
    before = register.snapshot(young_person)
    unit.session.add(
        ConsentEvent(
            young_person_id=young_person.id,
            kind="reviewed",
            on=on,
            basis=basis,
            note=note or None,
            actor_id=unit.actor.id,
            at=unit.now,
        )
    )
    young_person.consent_basis = basis
    if young_person.consent_reviewed_on is None or on > young_person.consent_reviewed_on:
        young_person.consent_reviewed_on = on
    register.record(
        unit,
        young_person,
        verb="register.consent_reviewed",
        before=before,
        extra={"consent_reviewed_on": on.isoformat()},
    )
    return young_person


def reminder(young_person: YoungPerson, *, due: date) -> Message:
    text = (
        f"{young_person.reference}'s consent is due a re-check (since {format_numeric(due)}). "
        f"Once you have checked it, record it: /dsr consent {young_person.reference} reviewed "
        "--basis consent|best-interests|parental --on DATE"
    )
    return Message(text=text, blocks=(Section(text=text),))


async def remind_due(unit: Unit) -> int:
    """Remind each keyworker once of every young person they hold whose
    consent re-check is due (keyed by the due date: once per re-check)."""
    policy = unit.services.policy
    register_row = await unit.register()
    live = (
        await unit.session.scalars(
            select(YoungPerson).where(
                YoungPerson.register_id == register_row.id,
                YoungPerson.archived_at.is_(None),
                YoungPerson.keyworker_id.is_not(None),
            )
        )
    ).all()
    sent = 0
    for young_person in live:
        due = consent_recheck_due(
            young_person.consent_reviewed_on or young_person.consent_date, policy=policy
        )
        if due is None or due > unit.today or young_person.keyworker_id is None:
            continue
        keyworker = await unit.session.get(Person, young_person.keyworker_id)
        if keyworker is None or not keyworker.active:
            continue
        await notify.dm(
            unit,
            person=keyworker,
            key=f"consent-recheck:{young_person.id}:{due.isoformat()}",
            message=reminder(young_person, due=due),
        )
        sent += 1
    return sent
