"""Outbox helpers used by the features: every send is a row in the caller's
transaction, keyed so that a repeat never sends twice.

Rows are gathered on the unit of work and written together, in order, just
before it commits (one statement instead of one per message)."""

from __future__ import annotations

from bot.messages import Message
from commands import rendering
from commands.context import Unit
from store import outbox
from store.models import Person


async def card(unit: Unit, *, card_key: str, network_id: int, version: str) -> None:
    """Post a card (``action:N``, ``network:N``) in the network's space, or
    edit it in place if it was posted before; drawn as it is sent
    (``commands.rendering``). One version per unit of work: a later one
    replaces an earlier one."""
    unit.outgoing[:] = [r for r in unit.outgoing if r.get("card_key") != card_key]
    unit.outgoing.append(
        rendering.card_row(
            card_key=card_key, network_id=network_id, version=version, now=unit.now, not_before=None
        )
    )


async def to_channel(unit: Unit, *, network_id: int, key: str, message: Message) -> None:
    unit.outgoing.append(
        outbox.row(
            key=key,
            target_kind="network",
            target_id=network_id,
            op="post",
            message=message,
            now=unit.now,
        )
    )


async def dm(unit: Unit, *, person: Person, key: str, message: Message) -> None:
    """A direct message, unless it would be to the person who caused it. Nobody
    is messaged outside service hours: typed after hours, it waits for the
    next working morning (what is posted in the network's space does not)."""
    if person.id == unit.actor.id:
        return
    unit.outgoing.append(
        outbox.row(
            key=key,
            target_kind="person",
            target_id=person.id,
            op="dm",
            message=message,
            now=unit.now,
            not_before=unit.services.calendar.next_service_time(unit.now),
        )
    )


async def space(
    unit: Unit,
    *,
    network_id: int,
    key: str,
    action: str,
    name: str = "",
    topic: str = "",
    emails: tuple[str, ...] = (),
) -> None:
    """An operation on the network's private space (create, invite, remove,
    topic, archive), carried out by the platform's gateway via the outbox."""
    unit.outgoing.append(
        outbox.row(
            key=key,
            target_kind="network",
            target_id=network_id,
            op="space",
            payload={"action": action, "name": name, "topic": topic, "emails": list(emails)},
            now=unit.now,
        )
    )
