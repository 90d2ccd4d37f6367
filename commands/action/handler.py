"""`/action`: parse, check, call the services, reply."""

from __future__ import annotations

from bot.dates import format_day_year
from bot.invocation import Invocation, Reply
from bot.messages import Message, Section, plain
from commands.action import grammar, service, views
from commands.context import Services, Unit, run_in_unit
from commands.people import resolve
from store import queries


async def handle(invocation: Invocation, services: Services) -> Reply:
    command = grammar.parse(
        invocation.text,
        today=services.today(),
        calendar=services.calendar,
        max_text=services.policy.max_action_text,
    )
    if isinstance(command, grammar.Help):
        return Reply(message=views.help_message())
    return await run_in_unit(
        services,
        invocation,
        reads_only=isinstance(command, grammar.ListActions | grammar.Show),
        body=lambda unit: _run(unit, command, platform=invocation.actor.platform),
    )


async def _run(unit: Unit, command: grammar.ActionCommand, *, platform: str) -> Message:
    cal = unit.services.calendar
    if isinstance(command, grammar.Assign):
        network = await unit.network_here()
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
        return plain(text, tone="success", ephemeral=False)
    if isinstance(command, grammar.ListActions):
        return await _list(unit, command, platform=platform)
    assert not isinstance(command, grammar.Help)
    action = await service.get_visible(unit, action_id=command.action_id)
    if isinstance(command, grammar.Show):
        events = await service.history(unit, action=action)
        return views.action_detail(action, events, today=unit.today, calendar=cal)
    if isinstance(command, grammar.Done):
        await service.complete(unit, action=action, evidence=command.evidence)
        return plain(f"Action #{action.id} is done. Thank you.", tone="success")
    if isinstance(command, grammar.Update):
        await service.add_update(unit, action=action, note=command.note, until=command.until)
        if command.until:
            until = format_day_year(command.until, today=unit.today)
            return plain(
                f"Update added to action #{action.id}; chasing waits until {until}. "
                "The keyworker can agree a new due date with /action due.",
                tone="success",
            )
        return plain(f"Update added to action #{action.id}.", tone="success")
    if isinstance(command, grammar.Chase):
        await service.chase_now(unit, action=action)
        return plain(
            f"I've asked {action.owner.name} for an update on action #{action.id}, in the "
            "channel and by direct message.",
            tone="success",
        )
    if isinstance(command, grammar.Escalate):
        await service.escalate(unit, action=action, stage=command.stage, reason=command.reason)
        return plain(
            f"Action #{action.id} is now at stage {action.escalation_stage}; "
            "the people that stage names have been told.",
            tone="success",
        )
    if isinstance(command, grammar.Snooze):
        await service.snooze(unit, action=action, until=command.until, reason=command.reason)
        until = format_day_year(command.until, today=unit.today)
        return plain(f"Chasing of action #{action.id} is snoozed until {until}.", tone="success")
    if isinstance(command, grammar.Due):
        await service.change_due(unit, action=action, due=command.due, reason=command.reason)
        text = (
            f"Action #{action.id} is now due {format_day_year(action.due_date, today=unit.today)}."
        )
        if command.due_note:
            text += f" Note: {command.due_note}"
        return plain(text, tone="success")
    if isinstance(command, grammar.Reassign):
        owner = await resolve(unit, command.owner, platform=platform)
        await service.reassign(unit, action=action, owner=owner, reason=command.reason)
        return plain(
            f"Action #{action.id} is now with {owner.name} ({action.agency.name}).", tone="success"
        )
    assert isinstance(command, grammar.Cancel)
    await service.cancel(unit, action=action, reason=command.reason)
    return plain(f"Action #{action.id} is cancelled.", tone="success")


async def _list(unit: Unit, command: grammar.ListActions, *, platform: str) -> Message:
    cal = unit.services.calendar
    today = unit.today
    limit = views.LIST_LIMIT + 1  # one more than shown, to know there are more
    if command.scope == "mine":
        lines = await queries.action_lines(unit.session, owner_id=unit.actor.id, limit=limit)
        return views.action_list(
            lines,
            title="Your open actions",
            today=today,
            calendar=cal,
            empty="You have no open actions. 🎉",
        )
    network = await unit.network_here()
    if not await unit.is_member(network):
        return Message(
            text="Only members of this network can see its actions.",
            blocks=(Section(text="Only members of this network can see its actions."),),
            ephemeral=True,
            tone="error",
        )
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
