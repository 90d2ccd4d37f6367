"""`/cetr`: parse, check, call the services, reply."""

from __future__ import annotations

from typing import assert_never

from bot.invocation import Invocation, Reply
from bot.messages import Message
from commands.authority import Verb, authorise
from commands.cetr import grammar, service, views
from commands.context import Services, Unit, public_in, run_in_unit
from commands.people import resolve


def verb_of(command: grammar.CetrCommand) -> Verb:
    """Each sub-command's permission entry (exhaustive: a new sub-command
    does not type-check until it has one)."""
    match command:
        case grammar.Record():
            return Verb.CETR_RECORD
        case grammar.Rec() | grammar.RecMany():
            return Verb.CETR_REC
        case grammar.Show() | grammar.ListReviews():
            return Verb.CETR_SHOW
        case grammar.ReportSent():
            return Verb.CETR_REPORT_SENT
        case grammar.Help():
            return Verb.CETR_HELP
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
    reads_only = isinstance(command, grammar.Show | grammar.ListReviews) or (
        isinstance(command, grammar.RecMany) and not command.confirm
    )
    return await run_in_unit(
        services,
        invocation,
        reads_only=reads_only,  # previews too
        body=lambda unit: _run(unit, command, platform=invocation.actor.platform),
    )


async def _run(unit: Unit, command: grammar.CetrCommand, *, platform: str) -> Message:
    today = unit.today
    network = await unit.network_here()
    if isinstance(command, grammar.Help):
        return views.help_message(unit.services.policy)
    verb = verb_of(command)
    if verb is not Verb.CETR_REPORT_SENT:
        # Everyone who may not is refused before anyone is looked up.
        await authorise(unit, verb, network=network)
    if isinstance(command, grammar.Record):
        chair = await resolve(unit, command.chair, platform=platform)
        cetr, follow_ups = await service.record(
            unit,
            network=network,
            kind=command.kind,
            held_on=command.held_on,
            chair=chair,
            delegated=command.delegated,
            clinical_expert=command.clinical_expert,
            expert_by_experience=command.expert_by_experience,
            secure=command.secure,
        )
        return public_in(unit, network, views.recorded(cetr, follow_ups, today=today))
    if isinstance(command, grammar.ListReviews):
        reviews = await service.reviews_of(unit, network=network)
        return views.review_list(reviews, reference=network.young_person.reference, today=today)
    cetr = await service.get_here(unit, network=network, cetr_id=command.cetr_id)
    match command:
        case grammar.Show():
            actions = await service.actions_of(unit, cetr=cetr)
            return views.review_detail(cetr, actions, today=today, calendar=unit.services.calendar)
        case grammar.Rec():
            owner = await resolve(unit, command.owner, platform=platform)
            action = await service.add_recommendation(
                unit,
                network=network,
                cetr=cetr,
                owner=owner,
                text=command.text,
                due=command.due,
                agency_name=command.agency,
            )
            message = views.recommendation_added(
                action, cetr_id=cetr.id, today=today, note=command.due_note
            )
            return public_in(unit, network, message)
        case grammar.RecMany():
            checked = await service.check_lines(
                unit, network=network, lines=command.lines, platform=platform
            )
            if not command.confirm:
                return views.preview(cetr.id, checked, today=today)
            actions = await service.add_recommendations(
                unit, network=network, cetr=cetr, checked=checked
            )
            return public_in(
                unit, network, views.recommendations_added(cetr.id, actions, today=today)
            )
        case grammar.ReportSent():
            completed = await service.report_sent(
                unit, network=network, cetr=cetr, sent_on=command.sent_on
            )
            return public_in(unit, network, views.report_recorded(cetr, completed, today=today))
        case _:
            assert_never(command)
