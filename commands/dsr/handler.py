"""`/dsr`: parse, check, call the services, reply. Typed in any channel; every
answer is for the person who asked only (``Message.audience``)."""

from __future__ import annotations

from typing import assert_never

from bot.dates import format_numeric
from bot.invocation import Invocation, Reply
from bot.messages import Message, plain
from commands.authority import Verb, authorise
from commands.context import Services, Unit, run_in_unit
from commands.dsr import (
    admissions,
    agenda,
    consent,
    entries,
    grammar,
    meetings,
    outcomes,
    register,
    support,
    views,
)
from commands.dsr.flags import consent_recheck_due
from commands.people import resolve


def verb_of(command: grammar.DsrCommand) -> Verb:
    """Each sub-command's permission entry (exhaustive: a new sub-command
    does not type-check until it has one)."""
    match command:
        case grammar.Add():
            return Verb.DSR_ADD
        case grammar.Rate():
            return Verb.DSR_RATE
        case grammar.Admit():
            return Verb.DSR_ADMIT
        case grammar.Discharge():
            return Verb.DSR_DISCHARGE
        case grammar.Keyworker():
            return Verb.DSR_KEYWORKER
        case grammar.Transition():
            return Verb.DSR_TRANSITION
        case grammar.Show():
            return Verb.DSR_SHOW
        case grammar.ListRegister():
            return Verb.DSR_LIST
        case grammar.Remove():
            return Verb.DSR_REMOVE
        case grammar.StepDown():
            return Verb.DSR_STEP_DOWN
        case grammar.Report():
            return Verb.DSR_REPORT
        case grammar.AgendaPreview():
            return Verb.DSR_AGENDA_PREVIEW
        case grammar.AgendaPost():
            return Verb.DSR_AGENDA_POST
        case grammar.Outcome():
            return Verb.DSR_OUTCOME
        case grammar.Visit():
            return Verb.DSR_VISIT
        case grammar.Support():
            return Verb.DSR_SUPPORT
        case grammar.Consent():
            return Verb.DSR_CONSENT
        case grammar.Help():
            return Verb.DSR_HELP
        case _:
            assert_never(command)


async def handle(invocation: Invocation, services: Services) -> Reply:
    command = grammar.parse(
        invocation.text,
        today=services.today(),
        calendar=services.calendar,
        max_text=services.policy.max_action_text,
        backdate_months=services.policy.register_rules.backdate_months,
    )
    if isinstance(command, grammar.Help):
        return Reply(message=views.help_message(services.policy))
    reads_only = isinstance(command, grammar.Show | grammar.ListRegister | grammar.AgendaPreview)
    return await run_in_unit(
        services,
        invocation,
        reads_only=reads_only,
        body=lambda unit: _run(unit, command, platform=invocation.actor.platform),
    )


async def _run(unit: Unit, command: grammar.DsrCommand, *, platform: str) -> Message:
    today = unit.today
    # Anyone without a place on the register is refused before anything is read.
    await register.require_register_access(unit)
    verb = verb_of(command)
    if verb.rule.subject == "register":
        await authorise(unit, verb)
    match command:
        case grammar.Visit():
            admission = await admissions.record_visit(
                unit, reference=command.reference, visited_on=command.visited_on
            )
            text = (
                f"Commissioner visit to {command.reference.upper()} on "
                f"{format_numeric(command.visited_on)} recorded ({admission.setting})."
            )
            return plain(text, tone="success")
        case grammar.Outcome():
            recorded = await outcomes.record_outcome(
                unit,
                reference=command.reference,
                decision=command.decision,
                rating=command.rating,
                action_text=command.action,
                platform=platform,
            )
            return views.outcome_recorded(recorded, today=today)
        case grammar.AgendaPost():
            meeting, posted = await meetings.post_agenda(
                unit, meeting_day=meetings.next_meeting(unit), posted_by=unit.actor.email
            )
            return views.agenda_posted(
                meeting, posted=posted, policy=unit.services.policy, today=today
            )
        case grammar.AgendaPreview():
            built = agenda.build(
                await meetings.agenda_data(unit), today=today, policy=unit.services.policy
            )
            return agenda.as_message(built)
        case grammar.Add():
            young_person = await register.add(
                unit,
                reference=command.reference,
                age_band=command.age_band,
                ehcp=command.ehcp,
                consent_basis=command.consent_basis,
                consent_date=command.consent_date,
                on=command.on,
            )
            return views.added(young_person, today=today, calendar=unit.services.calendar)
        case grammar.Rate():
            young_person, follow_up = await register.rate(
                unit,
                reference=command.reference,
                rating=command.rating,
                rationale=command.rationale,
                on=command.on,
            )
            return views.rated(young_person, follow_up, rating=command.rating, today=today)
        case grammar.Admit():
            young_person, admission, follow_up = await admissions.admit(
                unit,
                reference=command.reference,
                admitted_on=command.admitted_on,
                setting=command.setting,
                out_of_area=command.out_of_area,
            )
            return views.admitted(young_person, admission, follow_up, today=today)
        case grammar.Discharge():
            young_person, admission = await admissions.discharge(
                unit, reference=command.reference, discharged_on=command.discharged_on
            )
            return views.discharged(young_person, admission, today=today)
        case grammar.Keyworker():
            # The register's door and the entry's rule come before anyone is looked up.
            await register.find(unit, reference=command.reference, verb=verb)
            person = await resolve(unit, command.person, platform=platform)
            keyworker_set = await register.set_keyworker(
                unit, reference=command.reference, person=person, on=command.on
            )
            return views.keyworker_set(keyworker_set, person, today=today)
        case grammar.Transition():
            young_person = await register.set_transition(
                unit, reference=command.reference, month=command.month
            )
            return views.transition_set(young_person)
        case grammar.StepDown():
            done = await register.step_down(
                unit, reference=command.reference, on=command.on, note=command.note
            )
            return views.stepped_down(done)
        case grammar.Support():
            if command.kind == "end":
                ended = await support.end_preventive(
                    unit, reference=command.reference, on=command.on
                )
                return views.support_recorded(ended, today=today)
            keyworker = (
                await resolve(unit, command.keyworker, platform=platform)
                if command.keyworker
                else None
            )
            started = await support.start_preventive(
                unit,
                reference=command.reference,
                keyworker=keyworker,
                on=command.on,
                newcomer=support.Newcomer(
                    age_band=command.age_band,
                    ehcp=command.ehcp,
                    consent_basis=command.consent_basis,
                    consent_date=command.consent_date,
                ),
            )
            return views.support_recorded(started, today=today)
        case grammar.Report():
            # Imported here: the report draws with matplotlib, which other commands never need.
            from commands.report import service as report_service
            from commands.report import views as report_views

            sent = await report_service.send_to_chair(unit, quarter_text=command.quarter)
            return report_views.on_its_way(
                quarter_label=sent.report.quarter.label, where=sent.where, files=sent.files
            )
        case grammar.Show():
            found = await entries.entry(unit, reference=command.reference)
            return views.entry(found, today=today, calendar=unit.services.calendar)
        case grammar.ListRegister():
            lines, total, own = await entries.listing(unit, only=command.only)
            return views.register_list(lines, total, only=command.only, own=own)
        case grammar.Consent():
            if command.kind == "withdrawn":
                withdrawn = await consent.withdraw(
                    unit, reference=command.reference, on=command.on, note=command.note
                )
                return views.consent_withdrawn(withdrawn)
            assert command.basis is not None
            reviewed = await consent.review(
                unit,
                reference=command.reference,
                on=command.on,
                basis=command.basis,
                note=command.note,
            )
            return views.consent_reviewed(
                reviewed,
                next_due=consent_recheck_due(
                    reviewed.consent_reviewed_on, policy=unit.services.policy
                ),
            )
        case grammar.Remove():
            young_person, network = await register.remove(
                unit, reference=command.reference, reason=command.reason
            )
            return views.removed(young_person, network)
        case grammar.Help():
            return views.help_message(unit.services.policy)
        case _:
            assert_never(command)
