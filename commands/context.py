"""What every command handler is given, and the per-command unit of work."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar import WorkingCalendar
from bot.clock import Clock
from bot.errors import NeedsIdentity, UserError
from bot.invocation import Actor, Conversation, Invocation, Reply
from bot.messages import Message
from bot.policy import Policy
from commands.authority import Decisions
from store import outbox, queries
from store.db import Database
from store.models import ACCOUNT_COLUMNS, Network, Person, Register

# The area the demo register says it serves (`teamaround demo seed`): the only
# place "synthetic" is ever shown.
DEMO_AREA = "Demo area (synthetic)"
# Who the audit log and the trail name for what the scheduled jobs do.
SCHEDULER = "teamaround:scheduler"


async def policy_register(session: AsyncSession, *, policy: Policy, now: datetime) -> Register:
    """The register the policy names (``register:``), created on first use, so
    a fresh database needs no demo data. Its area is the policy's ``area:``,
    except for the demo's register, which says it is synthetic."""
    register = await queries.ensure_register(
        session, name=policy.register_name, area=policy.area, timezone=policy.timezone, now=now
    )
    if register.area != DEMO_AREA and register.area != policy.area:
        register.area = policy.area
    return register


class AlreadyHandled(UserError):
    """The same delivery (a platform retry, a double click) arrived again."""


@dataclass(frozen=True)
class Services:
    db: Database
    clock: Clock
    policy: Policy
    calendar: WorkingCalendar

    def today(self) -> date:
        return self.calendar.local_date(self.clock.now())


@dataclass
class Unit:
    """One command's unit of work: a session, the caller and the moment."""

    session: AsyncSession
    services: Services
    actor: Person
    conversation: Conversation
    now: datetime
    known_emails: dict[str, str]
    # Unique to this unit of work: keys outbox rows for changes that have no
    # row id of their own (two changes in the same instant stay distinct).
    change_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    # Networks the caller is known (within this unit of work) to belong to.
    _member_of: set[int] = field(default_factory=set)
    # Outbox rows (``store.outbox.row``), written together just before commit.
    outgoing: list[dict[str, Any]] = field(default_factory=list)
    # Permission decisions taken in this unit of work (commands.authority).
    decisions: Decisions = field(default_factory=Decisions)
    # How the caller reached us when it is not a chat command ("email link":
    # the one-action page); the trail and the audit log say so.
    via: str | None = None
    _register: Register | None = None

    @property
    def today(self) -> date:
        return self.services.calendar.local_date(self.now)

    async def register(self) -> Register:
        """The policy's register (made on first use)."""
        if self._register is None:
            self._register = await policy_register(
                self.session, policy=self.services.policy, now=self.now
            )
        return self._register

    async def network_here(self) -> Network:
        """The open network whose space this command was typed in."""
        found = await queries.network_by_space_for(
            self.session,
            platform=self.conversation.platform,
            space_id=self.conversation.conversation_id,
            person_id=self.actor.id,
        )
        if found is None or found[0].status != "open":
            raise UserError(
                "This isn't a young person's network space.",
                hint="Run this in the network's channel, or open one with `/network open REF`.",
            )
        network, caller_is_member = found
        if caller_is_member:
            self._member_of.add(network.id)
        return network

    async def is_member(self, network: Network) -> bool:
        """Whether the caller is an active member of ``network``."""
        if network.id in self._member_of:
            return True
        if await queries.is_member(self.session, network_id=network.id, person_id=self.actor.id):
            self._member_of.add(network.id)
            return True
        return False


def in_space_of(unit: Unit, network: Network) -> bool:
    """Whether the command was typed in ``network``'s own space."""
    conversation = unit.conversation
    return (
        network.space_id is not None
        and network.space_platform == conversation.platform
        and network.space_id == conversation.conversation_id
    )


def public_in(unit: Unit, network: Network, message: Message) -> Message:
    """Declare a reply public to ``network``: seen by its space when typed
    there; typed anywhere else (#general, another young person's network, a
    shared chat) it stays with the person who asked."""
    audience = "space" if in_space_of(unit, network) else "asker"
    return message.model_copy(update={"audience": audience})


async def resolve_actor(
    session: AsyncSession, actor: Actor, *, known_emails: dict[str, str] | None = None
) -> Person:
    person = await queries.person_by_platform_id(
        session, platform=actor.platform, user_id=actor.platform_user_id
    )
    email = actor.email or (known_emails or {}).get(actor.platform_user_id)
    if person is None and email:
        person = await queries.person_by_email(session, email=email)
        if person is not None:
            person.link_account(actor.platform, actor.platform_user_id)
    if person is None and not email and actor.platform in ACCOUNT_COLUMNS:
        raise NeedsIdentity((actor.platform_user_id,), "I don't know you yet.")
    if person is None or not person.active:
        raise UserError(
            "I don't know you yet, so I can't act on that.",
            hint="Ask your keyworking team or an administrator to add you to the directory "
            "(`teamaround directory add EMAIL --name … --agency … --role …`).",
        )
    return person


@asynccontextmanager
async def unit_of_work(
    services: Services,
    *,
    actor: Actor,
    conversation: Conversation,
    idempotency_key: str | None = None,
    known_emails: dict[str, str] | None = None,
    reads_only: bool = False,
    via: str | None = None,
) -> AsyncIterator[Unit]:
    """Open a transaction and resolve the caller; commits only if the body succeeds.

    With an ``idempotency_key`` (a platform delivery id, a button press), a
    repeat of something already handled is refused and changes nothing; the
    key is recorded in the same transaction as the change it guards.
    """
    async with services.db.transaction(reads_only=reads_only) as session:
        person = await resolve_actor(session, actor, known_emails=known_emails)
        if idempotency_key and not await queries.mark_processed(
            session, key=idempotency_key, now=services.clock.now()
        ):
            raise AlreadyHandled("That was already done; I haven't done it twice.")
        unit = Unit(
            session=session,
            services=services,
            actor=person,
            conversation=conversation,
            now=services.clock.now(),
            known_emails=known_emails or {},
            via=via,
        )
        yield unit
        await outbox.enqueue_many(session, unit.outgoing)


async def run_in_unit(
    services: Services,
    invocation: Invocation,
    *,
    reads_only: bool,
    body: Callable[[Unit], Awaitable[Message]],
) -> Reply:
    """Run a parsed command's ``body`` in one unit of work and reply with its
    message. Reads change nothing, so a repeat of one needs no guard; a change
    is keyed by the platform's delivery id, so a repeat is refused."""
    async with unit_of_work(
        services,
        actor=invocation.actor,
        conversation=invocation.conversation,
        idempotency_key=None if reads_only else invocation.idempotency_key,
        known_emails=invocation.known_emails,
        reads_only=reads_only,
    ) as unit:
        return Reply(message=await body(unit))
