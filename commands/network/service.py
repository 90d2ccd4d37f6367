"""Network services: keyword-only, inside the caller's unit of work."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from bot.errors import PermissionDenied, UserError
from bot.messages import Message
from commands import notify
from commands.authority import Role, Verb, authorise
from commands.context import Unit
from commands.network import card, views
from store import audit, history, queries
from store.models import Action, Network, NetworkMember, Person

MAX_SPACE_NAME = 80


def space_name(pattern: str, reference: str) -> str:
    """A valid Slack/Teams channel name from the pattern: lowercase letters,
    digits, dashes and underscores, at most 80 characters."""
    raw = pattern.replace("{ref}", reference).lower()
    cleaned = re.sub(r"[^a-z0-9_-]+", "-", raw)
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip("-_")
    return cleaned[:MAX_SPACE_NAME] or "yp-network"


def _snapshot(network: Network) -> dict[str, Any]:
    return {
        "status": network.status,
        "keyworker": network.keyworker.email if network.keyworker else None,
        "space": network.space_name,
    }


async def card_for(unit: Unit, *, network: Network) -> Message:
    """The network card as it stands (``/network card``)."""
    return await card.network_card(
        unit.session, network=network, today=unit.today, calendar=unit.services.calendar
    )


async def refresh_card(unit: Unit, *, network: Network, version: str) -> None:
    """Edit the pinned network card to show the network as it stands when the
    edit is sent. Called by every change the card shows: members, keyworker,
    rating, open and overdue actions, the next review."""
    await notify.card(
        unit, card_key=f"network:{network.id}", network_id=network.id, version=version
    )


async def refresh_card_of(unit: Unit, *, young_person_id: int, version: str) -> None:
    """Refresh the card of the young person's open network, if they have one."""
    network = await queries.open_network_for(unit.session, young_person_id=young_person_id)
    if network is not None:
        await refresh_card(unit, network=network, version=version)


async def _unique_space(unit: Unit, *, platform: str, name: str) -> str:
    candidate, n = name, 1
    while await queries.network_by_space(unit.session, platform=platform, space_id=candidate):
        n += 1
        suffix = f"-{n}"
        candidate = name[: MAX_SPACE_NAME - len(suffix)] + suffix
    return candidate


async def _add_member(unit: Unit, *, network: Network, person: Person, role: str | None) -> bool:
    """Add (or re-add) a member. False if they were already in."""
    member = await queries.membership(unit.session, network_id=network.id, person_id=person.id)
    if member is not None and member.removed_at is None:
        if role and member.role != role:
            member.role = role
        return False
    if member is None:
        unit.session.add(
            NetworkMember(
                network_id=network.id,
                person_id=person.id,
                role=role or "",
                added_by_id=unit.actor.id,
                added_at=unit.now,
            )
        )
    else:
        member.removed_at, member.role = None, role or member.role
        member.added_at, member.added_by_id = unit.now, unit.actor.id
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="network.member_add",
        object_type="network",
        object_id=network.id,
        after={"member": person.email, "role": role or person.role},
    )
    return True


async def open_network_by_reference(unit: Unit, *, reference: str) -> Network:
    """A young person's open network, named by their register reference."""
    register = await unit.register()
    young_person = await queries.young_person_by_ref(
        unit.session, register_id=register.id, reference=reference
    )
    network = (
        await queries.open_network_for(unit.session, young_person_id=young_person.id)
        if young_person is not None
        else None
    )
    if network is None:
        raise UserError(
            f"{reference} has no open network on the {register.name} register.",
            hint="Check the reference, or open one with /network open REF.",
        )
    return network


async def open_network(unit: Unit, *, reference: str, keyworker: Person | None) -> Network:
    """Open a young person's network. A DSR chair or an admin may, and so may
    their keyworker, or any keyworker when they have none yet (who becomes it)."""
    register = await unit.register()
    young_person = await queries.young_person_by_ref(
        unit.session, register_id=register.id, reference=reference
    )
    if young_person is None or young_person.archived_at is not None:
        raise UserError(
            f"{reference} isn't on the {register.name} register, so I can't open a network.",
            hint="Check the reference. Young people are added to the register, with their "
            "consent basis recorded, before a network is opened.",
        )
    decision = await authorise(unit, Verb.NETWORK_OPEN, young_person=young_person)
    existing = await queries.open_network_for(unit.session, young_person_id=young_person.id)
    if existing is not None:
        raise UserError(
            f"{young_person.reference} already has an open network: #{existing.space_name}."
        )
    if decision.via is Role.OTHER_KEYWORKER:
        # A keyworker opening an unclaimed young person's network holds it.
        if keyworker is not None and keyworker.id != unit.actor.id:
            raise PermissionDenied(
                f"{young_person.reference} has no keyworker yet: opening their network makes "
                f"you their keyworker, so you can't name {keyworker.name} instead.",
                hint="Leave out --keyworker, or ask a DSR chair to open it with the keyworker "
                "they name.",
            )
        keyworker = unit.actor
    if keyworker is None and young_person.keyworker_id is not None:
        keyworker = await unit.session.get(Person, young_person.keyworker_id)
    if keyworker is not None and young_person.keyworker_id is None:
        # The register follows the network (with its history, for the reports).
        history.set_keyworker(
            unit.session,
            young_person,
            keyworker_id=keyworker.id,
            actor_id=unit.actor.id,
            at=unit.now,
        )
    platform = unit.conversation.platform
    name = await _unique_space(
        unit,
        platform=platform,
        name=space_name(unit.services.policy.channel_pattern, young_person.reference),
    )
    network = Network(
        young_person_id=young_person.id,
        keyworker_id=keyworker.id if keyworker else None,
        status="open",
        space_platform=platform,
        # The console's spaces exist as soon as they are named; chat platforms
        # fill in the id when the channel has been created.
        space_id=name if platform == "console" else None,
        space_name=name,
        opened_by_id=unit.actor.id,
        opened_at=unit.now,
    )
    unit.session.add(network)
    await unit.session.flush()
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="network.open",
        object_type="network",
        object_id=network.id,
        after={
            "reference": young_person.reference,
            "space": name,
            "keyworker": keyworker.email if keyworker else None,
        },
    )
    for person in {p.id: p for p in (unit.actor, keyworker) if p}.values():
        await _add_member(
            unit,
            network=network,
            person=person,
            role="Keyworker" if keyworker and person.id == keyworker.id else None,
        )
    await unit.session.flush()
    await unit.session.refresh(network)
    await notify.space(
        unit,
        network_id=network.id,
        key=f"space:create:{network.id}",
        action="create",
        name=name,
        topic=views.topic(network),
    )
    await refresh_card(unit, network=network, version="open")
    return network


async def add_members(
    unit: Unit, *, network: Network, people: list[Person], role: str | None
) -> tuple[list[Person], list[Person]]:
    await authorise(unit, Verb.NETWORK_ADD, network=network)
    added, already = [], []
    for person in people:
        if await _add_member(unit, network=network, person=person, role=role):
            added.append(person)
        else:
            already.append(person)
    await _welcome(unit, network=network, added=added, already=already)
    return added, already


async def _welcome(
    unit: Unit, *, network: Network, added: list[Person], already: list[Person]
) -> None:
    """Tell the people added, invite them (and, again, those already in) to
    the space, and refresh the network card."""
    stamp = unit.change_id
    for person in added:
        await notify.dm(
            unit,
            person=person,
            key=f"dm:added:{network.id}:{person.id}:{stamp}",
            message=views.added_dm(network, by=unit.actor.name),
        )
    # Already-members are invited again too: "run /network add again" is the
    # advice when the platform couldn't find someone, and inviting is idempotent.
    await notify.space(
        unit,
        network_id=network.id,
        key=f"space:invite:{network.id}:{stamp}",
        action="invite",
        name=network.space_name,
        emails=tuple(p.email for p in added + already),
    )
    if added:
        await refresh_card(unit, network=network, version=f"add:{stamp}")


async def remove_member(unit: Unit, *, network: Network, person: Person) -> None:
    """Take someone out of the network; they are told."""
    await authorise(unit, Verb.NETWORK_REMOVE, network=network)
    member = await queries.membership(unit.session, network_id=network.id, person_id=person.id)
    if member is None or member.removed_at is not None:
        raise UserError(f"{person.name} isn't in this network.")
    if network.keyworker_id == person.id:
        raise UserError(
            f"{person.name} is the keyworker. Name a new keyworker first with "
            "/network keyworker @person."
        )
    owned = await queries.actions_in_network(
        unit.session, network_id=network.id, owner_id=person.id
    )
    if owned:
        ids = ", ".join(f"#{a.id}" for a in owned)
        raise UserError(
            f"{person.name} still owns open actions here ({ids}).",
            hint=f"Reassign them first, for example: /action reassign {owned[0].id} @someone",
        )
    member.removed_at = unit.now
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="network.member_remove",
        object_type="network",
        object_id=network.id,
        before={"member": person.email},
    )
    stamp = unit.change_id
    await notify.dm(
        unit,
        person=person,
        key=f"dm:removed:{network.id}:{person.id}:{stamp}",
        message=views.removed_dm(network, by=unit.actor.name),
    )
    await notify.space(
        unit,
        network_id=network.id,
        key=f"space:remove:{network.id}:{person.id}:{stamp}",
        action="remove",
        name=network.space_name,
        emails=(person.email,),
    )
    await refresh_card(unit, network=network, version=f"remove:{stamp}")


async def set_keyworker(unit: Unit, *, network: Network, person: Person) -> None:
    """Name a new keyworker; whoever held the network before is told."""
    await authorise(unit, Verb.NETWORK_KEYWORKER, network=network)
    if network.keyworker_id == person.id:
        raise UserError(f"{person.name} is already the keyworker.")
    before = _snapshot(network)
    displaced = network.keyworker
    network.keyworker_id = person.id
    # The register follows the network (with its history, for the reports).
    history.set_keyworker(
        unit.session,
        network.young_person,
        keyworker_id=person.id,
        actor_id=unit.actor.id,
        at=unit.now,
    )
    await _add_member(unit, network=network, person=person, role="Keyworker")
    await unit.session.flush()
    await unit.session.refresh(network)
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="network.keyworker",
        object_type="network",
        object_id=network.id,
        before=before,
        after=_snapshot(network),
    )
    stamp = unit.change_id
    if displaced is not None:
        await notify.dm(
            unit,
            person=displaced,
            key=f"dm:keyworker:{network.id}:{displaced.id}:{stamp}",
            message=views.displaced_dm(network, by=unit.actor.name, keyworker=person.name),
        )
    await notify.space(
        unit,
        network_id=network.id,
        key=f"space:invite:{network.id}:kw:{stamp}",
        action="invite",
        name=network.space_name,
        emails=(person.email,),
    )
    await notify.space(
        unit,
        network_id=network.id,
        key=f"space:topic:{network.id}:{stamp}",
        action="topic",
        name=network.space_name,
        topic=views.topic(network),
    )
    await refresh_card(unit, network=network, version=f"keyworker:{stamp}")


async def close_network(unit: Unit, *, network: Network, reason: str, note: str) -> None:
    await authorise(unit, Verb.NETWORK_CLOSE, network=network)
    still_open = await queries.actions_in_network(unit.session, network_id=network.id)
    if still_open:
        ids = ", ".join(f"#{a.id}" for a in still_open[:10])
        raise UserError(
            f"{len(still_open)} action(s) are still open ({ids}).",
            hint="Complete, cancel or reassign them first; then close the network.",
        )
    before = _snapshot(network)
    network.status, network.closed_at = "closed", unit.now
    network.close_reason, network.close_note = reason, note
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="network.close",
        object_type="network",
        object_id=network.id,
        before=before,
        after={**_snapshot(network), "reason": reason, "note": note},
    )
    result = await unit.session.execute(
        select(Action.status, func.count())
        .where(Action.network_id == network.id)
        .group_by(Action.status)
    )
    counts: dict[str, int] = {status: count for status, count in result.all()}
    await notify.to_channel(
        unit,
        network_id=network.id,
        key=f"closed:{network.id}",
        message=views.closing_summary(
            network, done=counts.get("done", 0), cancelled=counts.get("cancelled", 0)
        ),
    )
    await refresh_card(unit, network=network, version="closed")
    await notify.space(
        unit,
        network_id=network.id,
        key=f"space:archive:{network.id}",
        action="archive",
        name=network.space_name,
    )


async def join_for_action(unit: Unit, *, network: Network, person: Person, action: Action) -> None:
    """Someone an action was escalated to gave it to a colleague in their own
    agency, who joins the network to carry it out. The keyworker is told who
    joined and why (they may remove them once it is done)."""
    await _add_member(unit, network=network, person=person, role=None)
    await _welcome(unit, network=network, added=[person], already=[])
    if network.keyworker is not None:
        await notify.dm(
            unit,
            person=network.keyworker,
            key=f"dm:joined:{network.id}:{person.id}:{unit.change_id}",
            message=views.joined_for_action_dm(
                network, person=person, by=unit.actor.name, action_id=action.id
            ),
        )
