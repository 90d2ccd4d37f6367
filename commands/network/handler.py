"""`/network`: parse, check, call the services, reply."""

from __future__ import annotations

from typing import assert_never

from bot.invocation import Invocation, Reply
from bot.messages import Message, plain
from commands.authority import Verb, authorise
from commands.context import Services, Unit, public_in, unit_of_work
from commands.network import grammar, review, service, views
from commands.people import resolve, resolve_all


def verb_of(command: grammar.NetworkCommand) -> Verb:
    """Each sub-command's permission entry (exhaustive: a new sub-command
    does not type-check until it has one)."""
    match command:
        case grammar.Open():
            return Verb.NETWORK_OPEN
        case grammar.Add():
            return Verb.NETWORK_ADD
        case grammar.Remove():
            return Verb.NETWORK_REMOVE
        case grammar.Keyworker():
            return Verb.NETWORK_KEYWORKER
        case grammar.Show():
            return Verb.NETWORK_SHOW
        case grammar.Close():
            return Verb.NETWORK_CLOSE
        case grammar.Review():
            return Verb.NETWORK_REMOVE
        case grammar.Help():
            return Verb.NETWORK_HELP
        case _:
            assert_never(command)


async def handle(invocation: Invocation, services: Services) -> Reply:
    command = grammar.parse(invocation.text)
    if isinstance(command, grammar.Help):
        return Reply(message=views.help_message(services.policy))
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
            # The console's new space is where the caller goes next: said there.
            message = plain(text, tone="success", audience="space" if network.space_id else "asker")
            return Reply(
                message=message,
                switch_to=network.space_id,
            )
        if isinstance(command, grammar.Review):
            # Answered from the keyworker's direct message, not the space.
            return Reply(
                message=await review.answer(
                    unit, item_id=command.item, remove=command.answer == "remove"
                )
            )
        return Reply(message=await _in_network(unit, command, platform=platform))


async def _in_network(unit: Unit, command: grammar.NetworkCommand, *, platform: str) -> Message:
    if isinstance(command, grammar.Open | grammar.Help | grammar.Review):
        raise AssertionError("handled before")  # pragma: no cover
    if isinstance(command, grammar.Add) and command.reference:
        network = await service.open_network_by_reference(unit, reference=command.reference)
    else:
        network = await unit.network_here()
    # Everyone who may not is refused before anyone is looked up.
    await authorise(unit, verb_of(command), network=network)
    match command:
        case grammar.Add():
            people = await resolve_all(unit, command.people, platform=platform)
            added, already = await service.add_members(
                unit, network=network, people=people, role=command.role
            )
            parts = []
            if added:
                parts.append(
                    "Added " + ", ".join(f"{p.name} ({p.agency.name})" for p in added) + "."
                )
            if already:
                parts.append(", ".join(p.name for p in already) + " already in the network.")
            return public_in(unit, network, plain(" ".join(parts), tone="success"))
        case grammar.Remove():
            person = await resolve(unit, command.person, platform=platform)
            await service.remove_member(unit, network=network, person=person)
            text = f"Removed {person.name} from the network for {network.young_person.reference}."
            return public_in(unit, network, plain(text, tone="success"))
        case grammar.Keyworker():
            person = await resolve(unit, command.person, platform=platform)
            await service.set_keyworker(unit, network=network, person=person)
            text = f"{person.name} is now the keyworker for {network.young_person.reference}."
            return public_in(unit, network, plain(text, tone="success"))
        case grammar.Show():
            return await service.card_for(unit, network=network)
        case grammar.Review():
            raise AssertionError("handled before")  # pragma: no cover
        case grammar.Close():
            await service.close_network(
                unit, network=network, reason=command.reason, note=command.note
            )
            text = f"Closed the network for {network.young_person.reference}."
            return public_in(unit, network, plain(text, tone="success"))
        case _:
            assert_never(command)
