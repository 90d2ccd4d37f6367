"""Where a delivery goes: one pure function for every platform.

The store reads what a row is addressed to (a network's space, a person, a
named conversation) into the neutral values below; :func:`route` says which
platform and address it goes to, or why it cannot go (yet). Nothing here
reads the database, the clock or a platform. The English people read about
deliveries (what a platform could not do, an email that bounced) is written
here too, never in the store.

A person is reached the way their directory entry says (``reach``): on a
chat platform where their account is known, else on the first chat platform
connected (whose gateway finds them by email and says ``not_on_platform``
when they have no account there: the relay then routes again without that
platform, which reaches email), else by email. Someone who prefers email
(``reach: email``) gets email whenever it is connected.

Adding a channel is a gateway with its platform name (``integrations/<name>``)
registered in the composition root; a channel that reaches people by email
address rather than by a chat account is listed in :data:`BY_ADDRESS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bot.dates import format_day
from bot.gateway import Address
from bot.messages import ActionRef, BulletList, Context, Message, Section

Reach = Literal["chat", "email"]
REACH_CHOICES: tuple[Reach, ...] = ("chat", "email")
# Channels that reach a person at their email address (no account needed).
BY_ADDRESS = frozenset({"email"})
# Channels for people at a terminal (the console): the last resort.
LOCAL = frozenset({"console"})


@dataclass(frozen=True)
class Person:
    """A person's ways of being reached (``store.models.Person.ways``)."""

    person_id: int
    email: str
    # Their account on each chat platform where it is known: platform -> user id.
    accounts: Mapping[str, str] = field(default_factory=dict)
    reach: Reach = "chat"


@dataclass(frozen=True)
class Space:
    """A network's private space on its platform."""

    platform: str
    space_id: str | None
    name: str
    # This delivery creates the space (so it needs no id yet).
    creating: bool = False


@dataclass(frozen=True)
class Conversation:
    """A conversation named outright ("slack:C0123": the chair's channel)."""

    platform: str
    conversation_id: str


Target = Person | Space | Conversation


@dataclass(frozen=True)
class Unroutable:
    """Why a delivery cannot go: for ever (``wait_seconds`` None: parked as
    dead with ``problem``), or not yet (try again after ``wait_seconds``)."""

    problem: str
    wait_seconds: float | None = None


WAIT_FOR_SPACE_SECONDS = 5.0


def route(target: Target, *, platforms: Sequence[str]) -> Address | Unroutable:
    """The address of one delivery among the connected ``platforms`` (in the
    order the relay tries them; a platform that said the person is not on it
    is left out of the next call)."""
    if isinstance(target, Space):
        if target.platform not in platforms:
            return Unroutable(f"no {target.platform} connection is configured")
        if not target.space_id and not target.creating:
            return Unroutable(
                "waiting for the network's space to be created",
                wait_seconds=WAIT_FOR_SPACE_SECONDS,
            )
        return Address(
            platform=target.platform,
            kind="channel",
            conversation_id=target.space_id or "",
            label=f"#{target.name}",
        )
    if isinstance(target, Conversation):
        if target.platform not in platforms or not target.conversation_id:
            return Unroutable(f"no {target.platform or '?'} connection is configured")
        return Address(
            platform=target.platform,
            kind="channel",
            conversation_id=target.conversation_id,
            label=f"#{target.conversation_id}",
        )
    return _person(target, platforms)


def _person(person: Person, platforms: Sequence[str]) -> Address | Unroutable:
    chat = [p for p in platforms if p not in BY_ADDRESS and p not in LOCAL]
    by_address = [p for p in platforms if p in BY_ADDRESS]
    local = [p for p in platforms if p in LOCAL]

    def at(platform: str, user_id: str = "") -> Address:
        return Address(
            platform=platform,
            kind="user",
            conversation_id=user_id,
            email=person.email,
            label=person.email,
            person_id=person.person_id,
        )

    if person.reach == "email" and by_address:
        return at(by_address[0])
    for platform in chat:
        if person.accounts.get(platform):
            return at(platform, person.accounts[platform])
    if chat:
        return at(chat[0])  # the gateway finds them by email, or says they are not there
    if by_address:
        return at(by_address[0])
    if local:
        return at(local[0], person.email)
    return Unroutable(f"{person.email} has no account on a connected platform")


# -- what people are told about deliveries --------------------------------------------------


def problems_notice(problems: Sequence[str]) -> Message:
    """What a platform could not do for a network (someone it can't find), for its space."""
    text = "I couldn't do everything asked: " + " ".join(problems)
    return Message(text=text, blocks=(Section(text=text),), tone="warning")


def undeliverable_notice(
    *, email: str, reason: str, actions: Sequence[ActionRef], today: date
) -> Message:
    """For a network's keyworker: an email about their network's actions
    could not be delivered and will not be tried again."""
    lines = tuple(
        f"#{a.action_id} ({a.reference}), due {format_day(a.due)}"
        + (" (overdue)" if a.due < today else "")
        for a in actions
    )
    text = (
        f"I couldn't email {email}, so they have not been told about "
        + ("this action" if len(lines) == 1 else "these actions")
        + f". The email service said: {reason}"
    )
    hint = (
        "Please reach them another way, or correct their email address in the directory "
        "(`teamaround directory add EMAIL …`); `/action reassign ID @person` gives an action "
        "to someone else."
    )
    return Message(
        text=text + "\n" + "\n".join(lines) + "\n" + hint,
        blocks=(Section(text=text), BulletList(items=lines), Context(text=hint)),
        tone="warning",
    )
