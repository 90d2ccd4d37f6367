"""Preventive keyworking support: `/dsr support REF preventive|end`.

Keyworking services also support young people who are not Red, Amber or in
hospital: Green on the DSR, or not on it at all ("preventive consultations"
in NHS England's quarterly return). Preventive support is recorded with its
keyworker and dates (``SupportChange``), counted in the return's section 2,
and never added into "on the DSR".

Someone not on the register yet is recorded as a young person known only for
preventive support (``YoungPerson.preventive_only``): a pseudonymous
reference like anyone's (checked against the policy's pattern), an age band
(the return counts by band), a consent basis (their network shares their
information like anyone's), a keyworker, and a network and actions that work
as for anyone. They are on no register list, agenda or count of the DSR;
`/dsr add REF …` puts them on the DSR later, keeping their history.

Keyworkers record their own preventive work: the young person's keyworker
always may (``Verb.DSR_SUPPORT``), and any keyworker may for someone nobody
holds yet, becoming their keyworker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from bot.dates import format_numeric
from bot.errors import PermissionDenied, UserError
from commands import authority
from commands.authority import Role, Verb, authorise
from commands.context import Unit
from commands.dsr import grammar, rules
from commands.dsr.references import check_new_reference
from commands.dsr.register import (
    effective_keyworker,
    end_support,
    find,
    joined_on,
    open_admission,
    record,
    record_keyworker,
    snapshot,
    when,
)
from store import history, queries
from store.models import Network, Person, SupportChange, YoungPerson


@dataclass(frozen=True)
class Newcomer:
    """What someone not on the register needs before they are recorded."""

    age_band: str | None
    ehcp: bool
    consent_basis: str | None
    consent_date: date | None


@dataclass(frozen=True)
class SupportRecorded:
    young_person: YoungPerson
    kind: str | None  # "preventive", or None: it ended
    keyworker: Person | None
    on: date
    new: bool = False  # recorded as someone known only for preventive support
    network: Network | None = None


async def _last_change(unit: Unit, young_person: YoungPerson) -> date | None:
    latest = await unit.session.scalar(
        select(func.max(SupportChange.at)).where(SupportChange.young_person_id == young_person.id)
    )
    return unit.services.calendar.local_date(latest) if latest is not None else None


def _newcomer(
    unit: Unit, reference: str, details: Newcomer, *, day: date, on: date | None
) -> YoungPerson:
    example = grammar.SUPPORT_NEW_EXAMPLE
    if details.age_band is None or details.consent_basis is None or details.consent_date is None:
        raise UserError(
            f"{reference} isn't on the register. To record preventive support for someone not "
            "on the DSR, give their age band and the basis of their consent (their network will "
            "share their information like anyone's): --age-band under-18|18-25 --consent "
            "consent|best-interests|parental --consent-date DATE.",
            hint=f"For example: {example}",
        )
    if details.consent_date > day:
        raise UserError(
            "The consent date can't be after preventive support began: nobody's information is "
            "shared before their consent basis is recorded."
        )
    reference = check_new_reference(reference, policy=unit.services.policy)
    return YoungPerson(
        reference=reference,
        age_band=details.age_band,
        ehcp=details.ehcp,
        consent_basis=details.consent_basis,
        consent_date=details.consent_date,
        consent_recorded_by_id=unit.actor.id,
        rating=None,
        preventive_only=True,
        created_at=when(unit, on),
    )


def _own_only(via: Role | None) -> bool:
    """Keyworkers record their own preventive work; naming another keyworker
    is a register change for DSR chairs and admins (as `/dsr keyworker`)."""
    return via not in (Role.CHAIR, Role.ADMIN)


async def _keyworker(
    unit: Unit, young_person: YoungPerson | None, named: Person | None, *, own_only: bool
) -> Person:
    """Who gives the support: the one named, else their keyworker, else the
    asker (a keyworker recording their own work)."""
    current = await effective_keyworker(unit, young_person=young_person) if young_person else None
    chosen = named or current
    if chosen is None and authority.standing(unit.actor, unit.services.policy).keyworker:
        chosen = unit.actor
    if chosen is None:
        raise UserError(
            "Name the keyworker who gives the support.",
            hint=f"For example: {grammar.SUPPORT_EXAMPLE}",
        )
    if own_only and chosen.id != unit.actor.id:
        raise PermissionDenied(
            "Only a DSR chair or an admin can name another keyworker for preventive support; "
            "you can record your own.",
            hint="Leave the keyworker out to record it as yours.",
        )
    if not chosen.active:
        raise UserError(f"{chosen.name} has left, so they can't be a keyworker now.")
    return chosen


async def start_preventive(
    unit: Unit,
    *,
    reference: str,
    keyworker: Person | None,
    on: date | None,
    newcomer: Newcomer,
) -> SupportRecorded:
    """Preventive support begins on ``on`` (default today) with its
    keyworker, for someone Green or not yet rated on the DSR, or not on it."""
    day = on or unit.today
    rules.check_happened(day, today=unit.today, what="preventive support beginning")
    register = await unit.register()
    young_person = await queries.young_person_by_ref(
        unit.session, register_id=register.id, reference=reference
    )
    new = young_person is None
    if young_person is None:
        decision = await authorise(unit, Verb.DSR_SUPPORT, newcomer=reference.upper())
        chosen = await _keyworker(unit, None, keyworker, own_only=_own_only(decision.via))
        young_person = _newcomer(unit, reference, newcomer, day=day, on=on)
        young_person.register_id = register.id
        unit.session.add(young_person)
        await unit.session.flush()
        before = None
    else:
        young_person = await find(unit, reference=reference, verb=Verb.DSR_SUPPORT)
        decision = await authorise(unit, Verb.DSR_SUPPORT, young_person=young_person)
        if newcomer.age_band and newcomer.age_band != young_person.age_band:
            raise UserError(
                f"{young_person.reference} is already known, in the {young_person.age_band} "
                "band: leave --age-band and the consent out (change the band with /dsr "
                "transition).",
            )
        ref = young_person.reference
        rules.check_preventive(
            ref,
            rating=young_person.rating,
            current=await open_admission(unit, young_person),
            support=young_person.support,
        )
        if on is not None:
            rules.check_not_before_joined(
                ref, joined=joined_on(unit, young_person), day=on, what="preventive support"
            )
        _check_in_order(ref, last=await _last_change(unit, young_person), day=day)
        chosen = await _keyworker(unit, young_person, keyworker, own_only=_own_only(decision.via))
        before = snapshot(young_person)
    at = when(unit, on)
    if young_person.keyworker_id != chosen.id:
        await record_keyworker(unit, young_person, person=chosen, on=on)
    young_person.support = rules.PREVENTIVE
    unit.session.add(
        SupportChange(
            young_person_id=young_person.id, kind=rules.PREVENTIVE, actor_id=unit.actor.id, at=at
        )
    )
    record(
        unit,
        young_person,
        verb="register.support",
        before=before,
        extra={"support": rules.PREVENTIVE, "keyworker": chosen.email, "on": day.isoformat()},
    )
    network = await queries.open_network_for(unit.session, young_person_id=young_person.id)
    return SupportRecorded(young_person, rules.PREVENTIVE, chosen, day, new=new, network=network)


def _check_in_order(reference: str, *, last: date | None, day: date) -> None:
    if last is not None and day < last:
        raise UserError(
            f"{reference}'s keyworking support last changed on {format_numeric(last)}, "
            "so a change can't be recorded before that.",
        )


async def end_preventive(unit: Unit, *, reference: str, on: date | None) -> SupportRecorded:
    """Preventive support ends on ``on`` (default today), and with it the
    keyworking: the register records no keyworker from then (their caseload
    goes down). It is not a step-down (see the report's definitions)."""
    young_person = await find(unit, reference=reference, verb=Verb.DSR_SUPPORT)
    day = on or unit.today
    ref = young_person.reference
    rules.check_happened(day, today=unit.today, what="preventive support ending")
    last = await _last_change(unit, young_person)
    rules.check_support_end(ref, support=young_person.support, since=last, on=day)
    keyworker = await effective_keyworker(unit, young_person=young_person)
    before = snapshot(young_person)
    at = when(unit, on)
    end_support(unit, young_person, at=at)
    if young_person.keyworker_id is not None:
        history.set_keyworker(
            unit.session, young_person, keyworker_id=None, actor_id=unit.actor.id, at=at
        )
    record(
        unit,
        young_person,
        verb="register.support",
        before=before,
        extra={"support": None, "on": day.isoformat()},
    )
    network = await queries.open_network_for(unit.session, young_person_id=young_person.id)
    return SupportRecorded(young_person, None, keyworker, day, network=network)
