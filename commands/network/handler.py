"""`/network`: parse, check, call the services, reply."""

from __future__ import annotations

from bot.errors import UserError
from bot.invocation import Invocation, Reply
from bot.messages import Message, plain
from commands.context import Services, Unit, unit_of_work
from commands.network import grammar, service, views
from commands.people import resolve, resolve_all


async def handle(invocation: Invocation, services: Services) -> Reply:
    command = grammar.parse(invocation.text)
    if isinstance(command, grammar.Help):
        return Reply(message=views.help_message())
    async with unit_of_work(
        services,
        actor=invocation.actor,
        conversation=invocation.conversation,
        idempotency_key=invocation.idempotency_key,
        known_emails=invocation.known_emails,
    ) as unit:
        platform = invocation.actor.platform
        if isinstance(command, grammar.Open):
            keyworker = (
                await resolve(unit, command.keyworker, platform=platform)
                if command.keyworker
                else None
            )
            members = await resolve_all(unit, command.members, platform=platform)
            network = await service.open_network(
                unit, reference=command.reference, keyworker=keyworker
            )
            if members:
                await service.add_members(unit, network=network, people=members, role=None)
            kw = (
                f" with keyworker {network.keyworker.name}"
                if network.keyworker
                else " (no keyworker yet: name one with /network keyworker @person)"
            )
            ref = network.young_person.reference
            if network.space_id:
                text = (
                    f"Opened #{network.space_name}, a private space for {ref}{kw}. "
                    "Add people with /network add @name."
                )
            else:
                text = (
                    f"Opening #{network.space_name}, a private channel for {ref}{kw}; "
                    "I'll invite you and pin the network card there in a moment. "
                    "Add people from that channel with /network add @name."
                )
            return Reply(
                message=plain(text, tone="success", ephemeral=network.space_id is None),
                switch_to=network.space_id,
            )
        return Reply(message=await _in_network(unit, command, platform=platform))


async def _in_network(unit: Unit, command: grammar.NetworkCommand, *, platform: str) -> Message:
    if isinstance(command, grammar.Add) and command.reference:
        network = await service.open_network_by_reference(unit, reference=command.reference)
    else:
        network = await unit.network_here()
    if isinstance(command, grammar.Add):
        people = await resolve_all(unit, command.people, platform=platform)
        added, already = await service.add_members(
            unit, network=network, people=people, role=command.role
        )
        parts = []
        if added:
            parts.append("Added " + ", ".join(f"{p.name} ({p.agency.name})" for p in added) + ".")
        if already:
            parts.append(", ".join(p.name for p in already) + " already in the network.")
        return plain(" ".join(parts), tone="success", ephemeral=False)
    if isinstance(command, grammar.Remove):
        person = await resolve(unit, command.person, platform=platform)
        await service.remove_member(unit, network=network, person=person)
        return plain(f"Removed {person.name} from this network.", tone="success", ephemeral=False)
    if isinstance(command, grammar.Keyworker):
        person = await resolve(unit, command.person, platform=platform)
        await service.set_keyworker(unit, network=network, person=person)
        return plain(
            f"{person.name} is now the keyworker for {network.young_person.reference}.",
            tone="success",
            ephemeral=False,
        )
    if isinstance(command, grammar.Show):
        if not await unit.is_member(network):
            raise UserError("Only members of this network can see who is in it.")
        card = await service.card_for(unit, network=network)
        return card.model_copy(update={"ephemeral": True})
    assert isinstance(command, grammar.Close)
    await service.close_network(unit, network=network, reason=command.reason, note=command.note)
    return plain(
        f"Closed the network for {network.young_person.reference}.", tone="success", ephemeral=False
    )
