"""Action services: keyword-only, inside the caller's unit of work.

Each change writes the action, an ActionEvent (the evidence trail), an audit
event and any outbox rows (card edit, DM) in the same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from bot.dates import format_day_year
from bot.errors import NotFound, UserError
from commands import notify
from commands.action import access, jobs, views
from commands.authority import Decision, Verb, authorise
from commands.context import Unit
from commands.network import service as network_service
from store import audit, outbox, queries
from store.models import Action, ActionEvent, ActionGrant, Agency, LinkRevocation, Network, Person
from store.queries import ActionLine


def snapshot(action: Action) -> dict[str, Any]:
    return {
        "text": action.text,
        "owner": action.owner.email if action.owner else None,
        "agency": action.agency.name if action.agency else None,
        "due_date": action.due_date.isoformat(),
        "status": action.status,
        "latest_update": action.latest_update,
        "evidence": action.evidence,
    }


async def get(unit: Unit, *, action_id: int, verb: Verb) -> Action:
    """An action the caller may do ``verb`` on: NotFound if there is none,
    the refusal (saying who can) if they may not."""
    action = await unit.session.get(Action, action_id)
    if action is None:
        raise NotFound(
            f"There is no action #{action_id}.",
            hint="`/action list mine` shows your actions.",
        )
    await authorise(unit, verb, action=action)
    return action


def _require_open(action: Action, *, doing: str) -> None:
    if action.status != "open":
        raise UserError(f"Action #{action.id} is already {action.status}, so I can't {doing} it.")


async def _record(
    unit: Unit,
    action: Action,
    *,
    kind: str,
    verb: str,
    before: dict[str, Any] | None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    decision: Decision | None = None,
) -> ActionEvent:
    action.updated_at = unit.now
    data = dict(data or {})
    grant = decision.grant if decision is not None else None
    if grant is not None:
        # Done through an escalation grant: the trail says in what capacity.
        data["via"] = access.capacity(stage=grant.stage, contact=grant.contact)
    if unit.via:
        data["through"] = unit.via  # "email link": the one-action page
    event = ActionEvent(
        action_id=action.id,
        kind=kind,
        actor_id=unit.actor.id,
        at=unit.now,
        note=note,
        data=data,
    )
    unit.session.add(event)
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb=verb,
        object_type="action",
        object_id=action.id,
        before=before,
        after=snapshot(action) | ({"through": unit.via} if unit.via else {}),
    )
    await unit.session.flush()
    await notify.card(
        unit, card_key=f"action:{action.id}", network_id=action.network_id, version=f"e{event.id}"
    )
    # The network card counts open and overdue actions and shows the next review.
    await network_service.refresh_card(unit, network=action.network, version=f"a{event.id}")
    return event


async def _agency_for(unit: Unit, *, owner: Person, name: str | None) -> Agency:
    if name is None:
        return owner.agency
    agency = await queries.agency_by_name(unit.session, name=name)
    if agency is None:
        known = ", ".join(a.name for a in await queries.all_agencies(unit.session))
        raise UserError(f"I don't know an agency called {name!r}.", hint=f"Agencies: {known}.")
    return agency


async def _require_member(unit: Unit, *, network: Network, person: Person) -> None:
    if not await queries.is_member(unit.session, network_id=network.id, person_id=person.id):
        keyworker = f" ({network.keyworker.name})" if network.keyworker else ""
        raise UserError(
            f"{person.name} isn't in {network.young_person.reference}'s network, so they "
            "couldn't see the action.",
            hint=f"Ask the keyworker{keyworker} to add them first: /network add {person.email}",
        )


async def assign(
    unit: Unit,
    *,
    network: Network,
    owner: Person,
    text: str,
    due: date,
    agency_name: str | None = None,
    source: str = "manual",
    cetr_id: int | None = None,
) -> Action:
    """Give ``owner`` an action in ``network``. ``source`` says where it came
    from: "manual", "cetr" (a review's recommendation, with ``cetr_id``) or
    "review" (a review that falls due, owned by the commissioner)."""
    await authorise(unit, Verb.ACTION_ASSIGN, network=network)
    await _require_member(unit, network=network, person=owner)
    agency = await _agency_for(unit, owner=owner, name=agency_name)
    action = Action(
        network_id=network.id,
        text=text,
        owner_id=owner.id,
        agency_id=agency.id,
        assigned_by_id=unit.actor.id,
        due_date=due,
        status="open",
        source=source,
        cetr_id=cetr_id,
        created_at=unit.now,
        updated_at=unit.now,
    )
    # Relationships are set from objects already loaded: no reload needed.
    action.network, action.owner, action.agency, action.assigned_by = (
        network,
        owner,
        agency,
        unit.actor,
    )
    unit.session.add(action)
    await unit.session.flush()
    event = await _record(
        unit,
        action,
        kind="created",
        verb="action.assign",
        before=None,
        data={"owner": owner.name, "agency": agency.name, "due": due.isoformat()},
    )
    await notify.dm(
        unit,
        person=owner,
        key=f"dm:assigned:{action.id}:{event.id}",
        message=views.assigned_dm(action, today=unit.today),
    )
    return action


async def complete(unit: Unit, *, action: Action, evidence: str | None) -> Action:
    decision = await authorise(unit, Verb.ACTION_DONE, action=action)
    _require_open(action, doing="complete")
    before = snapshot(action)
    action.status, action.evidence, action.closed_at = "done", evidence, unit.now
    await _record(
        unit,
        action,
        kind="done",
        verb="action.done",
        before=before,
        note=evidence,
        decision=decision,
    )
    await access.end_for(unit, action=action, reason="done", stage=action.escalation_stage)
    return action


async def add_update(unit: Unit, *, action: Action, note: str, until: date | None = None) -> Action:
    """A progress update. Once the action is being chased, an update restarts
    the wait for the next stage; with ``until`` (the owner's proposed date)
    chasing pauses until that date has passed."""
    decision = await authorise(unit, Verb.ACTION_UPDATE, action=action)
    _require_open(action, doing="update")
    before = snapshot(action)
    action.latest_update = note
    data: dict[str, Any] = {}
    if action.escalation_stage:
        action.stage_since = unit.today
    if until is not None:
        action.paused_until = until
        data["proposed"] = until.isoformat()
    event = await _record(
        unit,
        action,
        kind="update",
        verb="action.update",
        before=before,
        note=note,
        data=data,
        decision=decision,
    )
    keyworker = action.network.keyworker
    if until is not None and keyworker is not None:
        # A proposed date is the keyworker's to agree (with /action due).
        await notify.dm(
            unit,
            person=keyworker,
            key=f"dm:proposed:{action.id}:{event.id}",
            message=views.proposal_dm(
                action, by=unit.actor, until=until, note=note, today=unit.today
            ),
        )
    return action


async def chase_now(unit: Unit, *, action: Action) -> Action:
    """A keyworker's manual chase: the owner is asked in the channel and by DM
    (in service hours); the ladder is not moved."""
    await authorise(unit, Verb.ACTION_CHASE, action=action)
    _require_open(action, doing="chase")
    when = unit.services.calendar.next_service_time(unit.now)
    message = views.manual_chase(action, by=unit.actor, today=unit.today)
    event = await _record(
        unit,
        action,
        kind="chased",
        verb="action.chase",
        before=None,
        note=f"asked {action.owner.name} for an update, in the channel and by direct message",
        data={"contacted": [action.owner.email], "by": unit.actor.email},
    )
    for where, target_kind, target_id in (
        ("channel", "network", action.network_id),
        ("dm", "person", action.owner_id),
    ):
        unit.outgoing.append(
            outbox.row(
                key=f"chase:{action.id}:e{event.id}:{where}",
                target_kind=target_kind,
                target_id=target_id,
                op="post" if where == "channel" else "dm",
                message=message,
                now=unit.now,
                not_before=when,
            )
        )
    return action


async def escalate(unit: Unit, *, action: Action, stage: int | None, reason: str) -> Action:
    """Move an action up the ladder now (to ``stage``, skipping stages when risk
    is immediate), telling whoever that stage names; the reason is recorded."""
    await authorise(unit, Verb.ACTION_ESCALATE, action=action)
    _require_open(action, doing="escalate")
    stages = len(unit.services.policy.ladder)
    target = stage or action.escalation_stage + 1
    if target > stages:
        raise UserError(
            f"The escalation ladder has {stages} stages, and action #{action.id} is at stage "
            f"{action.escalation_stage}.",
            hint="Raise it at the DSR review meeting, or with the ICS oversight panel.",
        )
    if target <= action.escalation_stage:
        raise UserError(f"Action #{action.id} is already at stage {action.escalation_stage}.")
    today = unit.today
    [move] = await jobs.resolve_contacts(unit.session, [(action, target)], services=unit.services)
    await jobs.apply_moves(
        unit.session, [move], now=unit.now, today=today, actor=unit.actor, reason=reason
    )
    mail = jobs.Mail(
        now=unit.now, send_at=unit.services.calendar.next_service_time(unit.now), today=today
    )
    mail.card(action, version=f"s{target}:{unit.change_id}")
    jobs.queue_chase_messages(
        mail,
        [move],
        overdue=[action],
        today=today,
        channel_kind=f"escalation-{unit.change_id}",
        title=f"Action #{action.id} escalated to stage {target} by {unit.actor.name}: {reason}",
    )
    unit.outgoing.extend(mail.rows)
    return action


async def snooze(unit: Unit, *, action: Action, until: date, reason: str) -> Action:
    """Hold chasing until ``until`` (at most the policy's working days away).
    The ladder is not reset: a stage that falls due meanwhile follows after."""
    await authorise(unit, Verb.ACTION_SNOOZE, action=action)
    _require_open(action, doing="snooze")
    cal, limit = unit.services.calendar, unit.services.policy.snooze_max_working_days
    latest = cal.add_working_days(unit.today, limit)
    if until > latest:
        raise UserError(
            f"Chasing can be snoozed for at most {limit} working days, until "
            f"{format_day_year(latest, today=unit.today)}.",
            hint=f"If more time has been agreed, change the due date: /action due {action.id} DATE "
            "reason",
        )
    before = snapshot(action)
    action.snoozed_until = until
    await _record(
        unit,
        action,
        kind="snoozed",
        verb="action.snooze",
        before=before,
        note=reason,
        data={"until": until.isoformat(), "reason": reason},
    )
    return action


async def change_due(unit: Unit, *, action: Action, due: date, reason: str | None) -> Action:
    decision = await authorise(unit, Verb.ACTION_DUE, action=action)
    _require_open(action, doing="change the due date of")
    if due == action.due_date:
        raise UserError(f"Action #{action.id} is already due on that day.")
    before = snapshot(action)
    old, before_stage = action.due_date, action.escalation_stage
    # A new date agreed while the action is late or being chased is an agreed
    # extension: the ladder starts again from the new date.
    extension = old < unit.today or action.escalation_stage > 0
    data: dict[str, Any] = {"from": old.isoformat(), "to": due.isoformat()}
    if extension:
        data["previous_stage"] = action.escalation_stage
    action.due_date = due
    action.escalation_stage, action.stage_since = 0, None
    action.paused_until = action.snoozed_until = None
    action.flagged_for_agenda = False
    event = await _record(
        unit,
        action,
        kind="extension" if extension else "due_changed",
        verb="action.extend" if extension else "action.due",
        before=before,
        note=reason,
        data=data,
        decision=decision,
    )
    # The ladder starts again: nobody is asked to help any more.
    await access.end_for(unit, action=action, reason="reset", stage=before_stage)
    await notify.dm(
        unit,
        person=action.owner,
        key=f"dm:due:{action.id}:{event.id}",
        message=views.due_changed_dm(
            action, old=old, by=unit.actor, reason=reason, today=unit.today
        ),
    )
    return action


async def reassign(unit: Unit, *, action: Action, owner: Person, reason: str | None) -> Action:
    """Give the action to someone else. The keyworker, the assigner, a DSR
    chair or an admin may give it to anyone in the network; someone it is
    escalated to may give it to someone in their own agency, who joins the
    network to do it (the keyworker is told)."""
    decision = await authorise(unit, Verb.ACTION_REASSIGN, action=action, reassign_to=owner)
    _require_open(action, doing="reassign")
    if owner.id == action.owner_id:
        raise UserError(f"{owner.name} already owns action #{action.id}.")
    network = action.network
    if decision.grant is not None:
        await _join_for_action(unit, action=action, person=owner)
    else:
        await _require_member(unit, network=network, person=owner)
    before = snapshot(action)
    previous = action.owner
    action.owner, action.agency = owner, owner.agency
    event = await _record(
        unit,
        action,
        kind="reassigned",
        verb="action.reassign",
        before=before,
        note=reason,
        data={
            "from": previous.email,
            "to": owner.email,
            "from_name": previous.name,
            "to_name": owner.name,
        },
        decision=decision,
    )
    await notify.dm(
        unit,
        person=owner,
        key=f"dm:assigned:{action.id}:{event.id}",
        message=views.assigned_dm(action, today=unit.today),
    )
    return action


async def cancel(unit: Unit, *, action: Action, reason: str) -> Action:
    await authorise(unit, Verb.ACTION_CANCEL, action=action)
    _require_open(action, doing="cancel")
    before = snapshot(action)
    action.status, action.closed_at = "cancelled", unit.now
    await _record(unit, action, kind="cancelled", verb="action.cancel", before=before, note=reason)
    await access.end_for(unit, action=action, reason="cancelled", stage=action.escalation_stage)
    return action


async def revoke_link(unit: Unit, *, action: Action, person: Person) -> None:
    """Stop every emailed link to this action issued to ``person`` so far
    (a lost phone, a forwarded email); later emails carry new links."""
    await authorise(unit, Verb.ACTION_REVOKE_LINK, action=action)
    unit.session.add(
        LinkRevocation(
            action_id=action.id,
            person_id=person.id,
            revoked_at=unit.now,
            revoked_by_id=unit.actor.id,
        )
    )
    unit.session.add(
        ActionEvent(
            action_id=action.id,
            kind="link_revoked",
            actor_id=unit.actor.id,
            at=unit.now,
            data={"person": person.email, "name": person.name},
        )
    )
    audit.record(
        unit.session,
        at=unit.now,
        actor=unit.actor,
        verb="action.link_revoke",
        object_type="action",
        object_id=action.id,
        after={"person": person.email},
    )


async def _join_for_action(unit: Unit, *, action: Action, person: Person) -> None:
    """The new owner an escalation contact chose joins the network (to see
    the action and its channel); the keyworker is told who and why."""
    from commands.network import service as network_service

    network = action.network
    if await queries.is_member(unit.session, network_id=network.id, person_id=person.id):
        return
    await network_service.join_for_action(unit, network=network, person=person, action=action)


async def escalated_to(unit: Unit, *, limit: int = views.LIST_LIMIT) -> list[ActionLine]:
    """Open actions escalated to the caller that they may open now (their
    open escalation grants), soonest due first."""
    owner = aliased(Person)
    rows = await unit.session.execute(
        select(Action.id, Action.text, owner.name, Agency.name, Action.due_date, Action.status)
        .join(owner, owner.id == Action.owner_id)
        .join(Agency, Agency.id == Action.agency_id)
        .join(ActionGrant, ActionGrant.action_id == Action.id)
        .where(
            ActionGrant.person_id == unit.actor.id,
            ActionGrant.ended_at.is_(None),
            Action.status == "open",
        )
        .distinct()
        .order_by(Action.due_date, Action.id)
        .limit(limit)
    )
    return [ActionLine._make(row) for row in rows.all()]


async def history(unit: Unit, *, action: Action) -> list[ActionEvent]:
    await unit.session.flush()
    rows = await unit.session.scalars(
        select(ActionEvent).where(ActionEvent.action_id == action.id).order_by(ActionEvent.id)
    )
    return list(rows.all())
