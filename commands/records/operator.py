"""Who runs an information-governance command at the command line.

The operator (whoever can run ``teamaround`` on the server) acts for an
admin; ``--as EMAIL`` names the DSR chair or admin they act for, whose
standing the authority table then checks and whose name the audit and the
access log keep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFound, UserError
from bot.policy import Policy
from commands import authority
from commands.authority import Verb
from commands.context import policy_register
from store import queries
from store.models import Person, Register, YoungPerson


@dataclass(frozen=True)
class Caller:
    person: Person | None
    label: str  # the email, or "cli:<login>" for the operator

    @property
    def shown(self) -> str:
        return f"{self.person.name} ({self.person.email})" if self.person else self.label


async def caller(
    session: AsyncSession, *, as_email: str | None, operator: str, policy: Policy, verb: Verb
) -> Caller:
    """The caller, checked against the authority table for a register-wide verb."""
    if as_email is None:
        return Caller(person=None, label=operator)
    person = await queries.person_by_email(session, email=as_email)
    if person is None or not person.active:
        raise UserError(
            f"{as_email} isn't in the directory, so I can't act for them.",
            hint="Give the email of a DSR chair or admin as the directory has it "
            "(`teamaround directory add` adds someone), or leave --as out to act as the operator.",
        )
    if verb.rule.subject == "register":
        decision = authority.for_register(verb, person=person, policy=policy)
        if not decision.allowed:
            raise decision.refusal()
    return Caller(person=person, label=person.email)


async def young_person(
    session: AsyncSession,
    *,
    reference: str,
    who: Caller,
    verb: Verb,
    policy: Policy,
    now: datetime,
) -> tuple[Register, YoungPerson]:
    """The young person by reference on the policy's register, if the caller may."""
    register = await policy_register(session, policy=policy, now=now)
    found = await queries.young_person_by_ref(
        session, register_id=register.id, reference=reference.strip().upper()
    )
    if found is None:
        raise NotFound(
            f"{reference} isn't on the {register.name} register.",
            hint="Check the reference (as `/dsr list` shows it), e.g. DSR-0042.",
        )
    if who.person is not None:
        decision = await authority.for_young_person(
            session, verb, person=who.person, young_person=found, policy=policy
        )
        if not decision.allowed:
            raise decision.refusal()
    return register, found


@dataclass(frozen=True)
class Target:
    who: Caller
    register: Register
    young_person: YoungPerson


async def caller_and_young_person(
    session: AsyncSession,
    *,
    reference: str,
    as_email: str | None,
    operator: str,
    verb: Verb,
    policy: Policy,
    now: datetime,
) -> Target:
    """The caller and the young person they name, if they may do ``verb`` to them."""
    who = await caller(session, as_email=as_email, operator=operator, policy=policy, verb=verb)
    register, found = await young_person(
        session, reference=reference, who=who, verb=verb, policy=policy, now=now
    )
    return Target(who=who, register=register, young_person=found)
