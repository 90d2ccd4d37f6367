"""`/dsr`: parse, check, call the services, reply. Typed in any channel."""

from __future__ import annotations

from bot.dates import format_numeric
from bot.invocation import Invocation, Reply
from bot.messages import Message, plain
from commands.context import Services, Unit, run_in_unit
from commands.dsr import admissions, agenda, entries, grammar, meetings, outcomes, register, views
from commands.people import resolve


async def handle(invocation: Invocation, services: Services) -> Reply:
    command = grammar.parse(
        invocation.text,
        today=services.today(),
        calendar=services.calendar,
        max_text=services.policy.max_action_text,
    )
    if isinstance(command, grammar.Help):
        return Reply(message=views.help_message())
    reads_only = isinstance(command, grammar.Show | grammar.ListRegister | grammar.AgendaPreview)
    return await run_in_unit(
        services,
        invocation,
        reads_only=reads_only,
        body=lambda unit: _run(unit, command, platform=invocation.actor.platform),
    )


async def _run(unit: Unit, command: grammar.DsrCommand, *, platform: str) -> Message:
    today = unit.today
    # Everyone else is refused before anything is read or resolved.
    register.require_register_access(unit)
    if isinstance(command, grammar.Visit):
        admission = await admissions.record_visit(
            unit, reference=command.reference, visited_on=command.visited_on
        )
        text = (
            f"Commissioner visit to {command.reference.upper()} on "
            f"{format_numeric(command.visited_on)} recorded ({admission.setting})."
        )
        return plain(text, tone="success")
    if isinstance(command, grammar.Outcome):
        recorded = await outcomes.record_outcome(
            unit,
            reference=command.reference,
            decision=command.decision,
            rating=command.rating,
            action_text=command.action,
            platform=platform,
        )
        return views.outcome_recorded(recorded, today=today)
    if isinstance(command, grammar.AgendaPost):
        meeting_on = meetings.next_meeting(unit)
        meeting, posted = await meetings.post_agenda(
            unit, meeting_on=meeting_on, posted_by=unit.actor.email
        )
        return views.agenda_posted(meeting, posted=posted, policy=unit.services.policy, today=today)
    if isinstance(command, grammar.AgendaPreview):
        built = agenda.build(
            await meetings.agenda_data(unit), today=today, policy=unit.services.policy
        )
        return agenda.as_message(built, ephemeral=True)
    if isinstance(command, grammar.Add):
        young_person = await register.add(
            unit,
            reference=command.reference,
            age_band=command.age_band,
            ehcp=command.ehcp,
            consent_basis=command.consent_basis,
            consent_date=command.consent_date,
        )
        return views.added(young_person, today=today)
    if isinstance(command, grammar.Rate):
        young_person, follow_up = await register.rate(
            unit, reference=command.reference, rating=command.rating, rationale=command.rationale
        )
        return views.rated(young_person, follow_up, today=today)
    if isinstance(command, grammar.Admit):
        young_person, admission, follow_up = await admissions.admit(
            unit,
            reference=command.reference,
            admitted_on=command.admitted_on,
            setting=command.setting,
            out_of_area=command.out_of_area,
        )
        return views.admitted(young_person, admission, follow_up, today=today)
    if isinstance(command, grammar.Discharge):
        young_person, admission = await admissions.discharge(
            unit, reference=command.reference, discharged_on=command.discharged_on
        )
        return views.discharged(young_person, admission, today=today)
    if isinstance(command, grammar.Keyworker):
        person = await resolve(unit, command.person, platform=platform)
        young_person, network = await register.set_keyworker(
            unit, reference=command.reference, person=person
        )
        return views.keyworker_set(young_person, person, network)
    if isinstance(command, grammar.Transition):
        young_person = await register.set_transition(
            unit, reference=command.reference, month=command.month
        )
        return views.transition_set(young_person)
    if isinstance(command, grammar.StepDown):
        done = await register.step_down(
            unit, reference=command.reference, on=command.on, note=command.note
        )
        return views.stepped_down(done)
    if isinstance(command, grammar.Report):
        # Imported here: the report draws with matplotlib, which other commands never need.
        from commands.report import service as report_service
        from commands.report import views as report_views

        sent = await report_service.send_to_chair(unit, quarter_text=command.quarter)
        return report_views.on_its_way(
            quarter_label=sent.report.quarter.label, where=sent.where, files=sent.files
        )
    if isinstance(command, grammar.Show):
        found = await entries.entry(unit, reference=command.reference)
        return views.entry(found, today=today, calendar=unit.services.calendar)
    if isinstance(command, grammar.ListRegister):
        lines, total = await entries.listing(unit, only=command.only)
        return views.register_list(lines, total, only=command.only)
    assert isinstance(command, grammar.Remove)
    young_person, network = await register.remove(
        unit, reference=command.reference, reason=command.reason
    )
    return views.removed(young_person, network)
