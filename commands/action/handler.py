"""`/action`: parse, check, call the services, reply."""

from __future__ import annotations

from typing import assert_never

from bot.dates import format_day_year
from bot.invocation import Invocation, Reply
from bot.messages import Message, plain
from commands.action import grammar, service, views
from commands.authority import Verb, authorise
from commands.context import Services, Unit, public_in, run_in_unit
from commands.people import resolve
from store import queries


def verb_of(command: grammar.ActionCommand) -> Verb:
    """Each sub-command's permission entry (exhaustive: a new sub-command
    does not type-check until it has one)."""
    match command:
        case grammar.Assign():
            return Verb.ACTION_ASSIGN
        case grammar.ListActions(scope="mine"):
            return Verb.ACTION_LIST_MINE
        case grammar.ListActions():
            return Verb.ACTION_LIST
        case grammar.Show():
            return Verb.ACTION_SHOW
        case grammar.Done():
            return Verb.ACTION_DONE
        case grammar.Update():
            return Verb.ACTION_UPDATE
        case grammar.Due():
            return Verb.ACTION_DUE
        case grammar.Reassign():
            return Verb.ACTION_REASSIGN
        case grammar.Cancel():
            return Verb.ACTION_CANCEL
        case grammar.Chase():
            return Verb.ACTION_CHASE
        case grammar.Escalate():
            return Verb.ACTION_ESCALATE
        case grammar.Snooze():
            return Verb.ACTION_SNOOZE
        case grammar.RevokeLink():
            return Verb.ACTION_REVOKE_LINK
        case grammar.Help():
            return Verb.ACTION_HELP
        case _:
            assert_never(command)


async def handle(invocation: Invocation, services: Services) -> Reply:
    command = grammar.parse(
        invocation.text,
        today=services.today(),
        calendar=services.calendar,
        max_text=services.policy.max_action_text,
    )
    if isinstance(command, grammar.Help):
        return Reply(message=views.help_message(services.policy))
    return await run_in_unit(
        services,
        invocation,
        reads_only=isinstance(command, grammar.ListActions | grammar.Show),
        body=lambda unit: _run(unit, command, platform=invocation.actor.platform),
    )


async def _run(unit: Unit, command: grammar.ActionCommand, *, platform: str) -> Message:
    verb = verb_of(command)
    if isinstance(command, grammar.Assign):
        return await _assign(unit, command, platform=platform)
    if isinstance(command, grammar.ListActions):
        return await _list(unit, command, verb=verb, platform=platform)
    if isinstance(command, grammar.Help):
        return views.help_message(unit.services.policy)
    action = await service.get(unit, action_id=command.action_id, verb=verb)
    today = unit.today
    match command:
        case grammar.Show():
            events = await service.history(unit, action=action)
            return views.action_detail(action, events, today=today, calendar=unit.services.calendar)
        case grammar.Done():
            await service.complete(unit, action=action, evidence=command.evidence)
            return plain(f"Action #{action.id} is done. Thank you.", tone="success")
        case grammar.Update():
            await service.add_update(unit, action=action, note=command.note, until=command.until)
            if command.until:
                until = format_day_year(command.until, today=today)
                return plain(
                    f"Update added to action #{action.id}; chasing waits until {until}. "
                    "The keyworker can agree a new due date with /action due.",
                    tone="success",
                )
            return plain(f"Update added to action #{action.id}.", tone="success")
        case grammar.Chase():
            await service.chase_now(unit, action=action)
            return plain(
                f"I've asked {action.owner.name} for an update on action #{action.id}, in the "
                "channel and by direct message.",
                tone="success",
            )
        case grammar.Escalate():
            await service.escalate(unit, action=action, stage=command.stage, reason=command.reason)
            return plain(
                f"Action #{action.id} is now at stage {action.escalation_stage}; "
                "the people that stage names have been told.",
                tone="success",
            )
        case grammar.Snooze():
            await service.snooze(unit, action=action, until=command.until, reason=command.reason)
            until = format_day_year(command.until, today=today)
            return plain(
                f"Chasing of action #{action.id} is snoozed until {until}.", tone="success"
            )
        case grammar.Due():
            await service.change_due(unit, action=action, due=command.due, reason=command.reason)
            text = (
                f"Action #{action.id} is now due {format_day_year(action.due_date, today=today)}."
            )
            if command.due_note:
                text += f" Note: {command.due_note}"
            return plain(text, tone="success")
        case grammar.Reassign():
            owner = await resolve(unit, command.owner, platform=platform)
            await service.reassign(unit, action=action, owner=owner, reason=command.reason)
            return plain(
                f"Action #{action.id} is now with {owner.name} ({action.agency.name}).",
                tone="success",
            )
        case grammar.Cancel():
            await service.cancel(unit, action=action, reason=command.reason)
            return plain(f"Action #{action.id} is cancelled.", tone="success")
        case grammar.RevokeLink():
            person = await resolve(unit, command.person, platform=platform, left_ok=True)
            await service.revoke_link(unit, action=action, person=person)
            return plain(
                f"The links to action #{action.id} emailed to {person.name} no longer work. "
                "Any email they get about it from now on carries a new link.",
                tone="success",
            )
        case _:
            assert_never(command)


async def _assign(unit: Unit, command: grammar.Assign, *, platform: str) -> Message:
    network = await unit.network_here()
    await authorise(unit, Verb.ACTION_ASSIGN, network=network)
    owner = await resolve(unit, command.owner, platform=platform)
    action = await service.assign(
        unit,
        network=network,
        owner=owner,
        text=command.text,
        due=command.due,
        agency_name=command.agency,
    )
    text = (
        f"Action #{action.id} is with {owner.name} ({action.agency.name}), due "
        f"{format_day_year(action.due_date, today=unit.today)}."
    )
    if command.due_note:
        text += f" Note: {command.due_note}"
    return public_in(unit, network, plain(text, tone="success"))


async def _list(unit: Unit, command: grammar.ListActions, *, verb: Verb, platform: str) -> Message:
    cal = unit.services.calendar
    today = unit.today
    limit = views.LIST_LIMIT + 1  # one more than shown, to know there are more
    if command.scope == "mine":
        lines = await queries.action_lines(unit.session, owner_id=unit.actor.id, limit=limit)
        escalated = await service.escalated_to(unit)
        return views.action_list(
            lines,
            title="Your open actions",
            today=today,
            calendar=cal,
            empty="You have no open actions. 🎉",
            escalated=escalated,
        )
    network = await unit.network_here()
    await authorise(unit, verb, network=network)
    ref = network.young_person.reference
    if command.scope == "all":
        lines = await queries.action_lines(
            unit.session,
            network_id=network.id,
            statuses=("open", "done", "cancelled"),
            limit=limit,
        )
        title = f"All actions for {ref}"
    elif command.scope == "overdue":
        lines = await queries.action_lines(
            unit.session, network_id=network.id, due_before=today, limit=limit
        )
        title = f"Overdue actions for {ref}"
    elif command.scope == "person":
        assert command.person is not None
        person = await resolve(unit, command.person, platform=platform)
        lines = await queries.action_lines(
            unit.session, network_id=network.id, owner_id=person.id, limit=limit
        )
        title = f"{person.name}'s open actions for {ref}"
    else:
        lines = await queries.action_lines(unit.session, network_id=network.id, limit=limit)
        title = f"Open actions for {ref}"
    return views.action_list(
        lines,
        title=title,
        today=today,
        calendar=cal,
        empty=f"No {'matching ' if command.scope != 'open' else 'open '}actions for {ref}.",
    )
