"""Pure renderers for actions: cards, lists, notices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from bot.calendar import WorkingCalendar
from bot.dates import format_day_year, format_numeric
from bot.messages import (
    ActionRef,
    Actions,
    Block,
    BulletList,
    Button,
    Context,
    Fact,
    Facts,
    Header,
    Message,
    Section,
)
from bot.policy import Contact, LadderStage, Policy
from commands import catalogue
from commands.action.ladder import CONTACTS, contact_at, contact_kind
from store.models import Action, ActionEvent
from store.queries import ActionLine

STATUS_LABEL = {"open": "Open", "done": "Done", "cancelled": "Cancelled"}


def action_ref(action: Action) -> ActionRef:
    """The action as a message declares it is about it (an email's link)."""
    return ActionRef(
        action_id=action.id,
        reference=action.network.young_person.reference,
        due=action.due_date,
    )


class Dated(Protocol):
    """Anything with a due date and a status: an Action or an ActionLine."""

    @property
    def due_date(self) -> date: ...
    @property
    def status(self) -> str: ...


def due_phrase(action: Dated, *, today: date, calendar: WorkingCalendar) -> str:
    shown = format_day_year(action.due_date, today=today)
    if action.status != "open":
        return shown
    if action.due_date < today:
        late = calendar.working_days_between(action.due_date, today)
        unit = "working day" if late == 1 else "working days"
        return f"{shown} (overdue by {late} {unit})" if late else f"{shown} (overdue)"
    if action.due_date == today:
        return f"{shown} (today)"
    return shown


def one_line(line: ActionLine, *, today: date, calendar: WorkingCalendar) -> str:
    status = "" if line.status == "open" else f" [{STATUS_LABEL[line.status]}]"
    return (
        f"#{line.id} {line.text} — {line.owner_name} ({line.agency_name}), "
        f"due {due_phrase(line, today=today, calendar=calendar)}{status}"
    )


def action_card(action: Action, *, today: date, calendar: WorkingCalendar) -> Message:
    """The one card per action in its network's space; edited in place on every change."""
    ref = action.network.young_person.reference
    facts = [
        Fact(label="Owner", value=f"{action.owner.name} ({action.agency.name})"),
        Fact(label="Due", value=due_phrase(action, today=today, calendar=calendar)),
        Fact(label="Status", value=STATUS_LABEL[action.status]),
    ]
    chasing = chasing_phrase(action, today=today)
    if chasing:
        facts.append(Fact(label="Chasing", value=chasing))
    if action.latest_update:
        facts.append(Fact(label="Latest update", value=action.latest_update))
    if action.evidence:
        facts.append(Fact(label="Evidence", value=action.evidence))
    blocks: list[Block] = [
        Header(text=f"Action #{action.id} · {STATUS_LABEL[action.status]}"),
        Section(text=action.text),
        Facts(facts=tuple(facts)),
    ]
    if action.status == "open":
        value = str(action.id)
        blocks.append(
            Actions(
                buttons=(
                    Button(label="Done", action_id="action.done", value=value, style="primary"),
                    Button(
                        label="Change due date",
                        action_id="action.due",
                        value=f"{value}:{action.due_date.isoformat()}",
                    ),
                    Button(label="Reassign", action_id="action.reassign", value=value),
                    Button(label="Add update", action_id="action.update", value=value),
                )
            )
        )
    blocks.append(
        Context(
            text=f"{ref} · assigned by {action.assigned_by.name} on "
            f"{format_day_year(calendar.local_date(action.created_at), today=today)}"
        )
    )
    text = (
        f"Action #{action.id} ({STATUS_LABEL[action.status].lower()}) for {action.owner.name}: "
        f"{action.text} — due {format_day_year(action.due_date, today=today)}"
    )
    return Message(text=text, blocks=tuple(blocks))


def assigned_dm(action: Action, *, today: date) -> Message:
    ref = action.network.young_person.reference
    text = (
        f"{action.assigned_by.name} gave you an action in #{action.network.space_name} ({ref}): "
        f"#{action.id} {action.text} — due {format_day_year(action.due_date, today=today)}."
    )
    return Message(
        link_card=f"action:{action.id}",
        text=text,
        blocks=(
            Section(text=text),
            Context(text=f"Mark it done with /action done {action.id} when it's finished."),
        ),
        actions=(action_ref(action),),
    )


LIST_LIMIT = 40


def action_list(
    actions: Sequence[ActionLine],
    *,
    title: str,
    today: date,
    calendar: WorkingCalendar,
    empty: str,
    escalated: Sequence[ActionLine] = (),
) -> Message:
    """At most LIST_LIMIT lines; callers fetch one more to know there are
    more. ``escalated``: actions escalated to the caller, which they may open."""
    blocks: list[Block] = []
    text: list[str] = []
    if not actions:
        blocks.append(Section(text=empty))
        text.append(empty)
    else:
        shown = actions[:LIST_LIMIT]
        lines = tuple(one_line(a, today=today, calendar=calendar) for a in shown)
        blocks += [Header(text=title), BulletList(items=lines)]
        text += [title, *lines]
        if len(actions) > LIST_LIMIT:
            more = (
                f"Showing the first {LIST_LIMIT}, soonest due first. Narrow the list with "
                "/action list overdue or /action list @person."
            )
            blocks.append(Context(text=more))
            text.append(more)
    if escalated:
        heading = "Escalated to you: you can open these with /action show ID"
        items = tuple(one_line(a, today=today, calendar=calendar) for a in escalated)
        blocks += [Header(text=heading), BulletList(items=items)]
        text += [heading, *items]
    return Message(text="\n".join(text), blocks=tuple(blocks))


EVENT_LABEL = {
    "created": "Assigned",
    "update": "Update",
    "due_changed": "Due date changed",
    "extension": "Agreed extension",
    "reassigned": "Reassigned",
    "done": "Completed",
    "cancelled": "Cancelled",
    "reminded": "Reminder",
    "escalated": "Escalated",
    "chased": "Chased",
    "snoozed": "Chasing snoozed",
    "access_granted": "Access given",
    "access_ended": "Access ended",
    "viewed": "Opened",
    "link_revoked": "Emailed links stopped",
}


def chasing_phrase(action: Action, *, today: date) -> str:
    """Where the action is on the ladder, for its card ("" when not chased)."""
    if action.status != "open":
        return ""
    parts = []
    if action.escalation_stage:
        since = format_day_year(action.stage_since, today=today) if action.stage_since else ""
        parts.append(f"stage {action.escalation_stage}" + (f" since {since}" if since else ""))
    if action.paused_until and action.paused_until >= today:
        parts.append(f"paused until {format_day_year(action.paused_until, today=today)}")
    if action.snoozed_until and action.snoozed_until >= today:
        parts.append(f"snoozed until {format_day_year(action.snoozed_until, today=today)}")
    if action.flagged_for_agenda:
        parts.append("on the next DSR review agenda")
    return "; ".join(parts)


def reminder_dm(actions: Sequence[Action], *, today: date) -> Message:
    """One reminder per owner, bundling what falls due soon across networks."""
    lines = tuple(
        f"#{a.id} {a.text} ({a.network.young_person.reference}) — due "
        f"{format_day_year(a.due_date, today=today)}"
        for a in actions
    )
    title = (
        "Coming up: "
        + ("an action is" if len(lines) == 1 else f"{len(lines)} actions are")
        + " due soon"
    )
    hint = "If it won't be done in time, say so now: /action update ID NOTE --until DATE"
    return Message(
        text=title + "\n" + "\n".join(lines),
        blocks=(Header(text=title), BulletList(items=lines), Context(text=hint)),
        actions=tuple(action_ref(a) for a in actions),
    )


def chase_digest(
    actions: Sequence[Action],
    *,
    newly_chased: set[int],
    today: date,
    ladder: Sequence[LadderStage],
    title: str | None = None,
) -> Message:
    """A network channel's one chase message of the day: its overdue actions."""
    ref = actions[0].network.young_person.reference
    lines = []
    for a in actions:
        stage = (
            f", {contact_at(a.escalation_stage, ladder).short}" if a.escalation_stage > 1 else ""
        )
        late = format_day_year(a.due_date, today=today)
        asked = " — please give an update or propose a new date" if a.id in newly_chased else ""
        lines.append(
            f"#{a.id} {a.text} — {a.owner.name} ({a.agency.name}), due {late}{stage}{asked}"
        )
    title = title or f"Overdue actions for {ref}"
    hint = "Owners: /action update ID NOTE, adding --until DATE to propose a new date."
    owners = sorted({a.owner.email for a in actions if a.id in newly_chased})
    return Message(
        text=title + "\n" + "\n".join(lines),
        blocks=(Header(text=title), BulletList(items=tuple(lines)), Context(text=hint)),
        mentions=tuple(owners),
    )


def manual_chase(action: Action, *, by: object, today: date) -> Message:
    """A keyworker's chase of one action, to its channel and its owner."""
    who = getattr(by, "name", "The keyworker")
    due = format_day_year(action.due_date, today=today)
    text = (
        f"{who} is chasing action #{action.id} ({action.text}), due {due}, owned by "
        f"{action.owner.name} ({action.agency.name}): please give an update or propose a "
        f"new date: /action update {action.id} NOTE --until DATE"
    )
    return Message(
        text=text,
        blocks=(Section(text=text),),
        link_card=f"action:{action.id}",
        mentions=(action.owner.email,),
        actions=(action_ref(action),),
    )


# At most this many actions in one direct message carry their own buttons
# (Slack allows 50 blocks a message); any more are listed.
DM_CARDS = 15


def contact_buttons(action: Action, *, contact: str) -> Actions:
    """What the person an escalation stage asks can do from its message: open
    the action, add an update, reassign it within their agency, and for the
    DSR chair agree a new due date."""
    value = str(action.id)
    buttons = [
        Button(label="Open", action_id="action.show", value=value, style="primary"),
        Button(label="Add update", action_id="action.update", value=value),
        Button(label="Reassign", action_id="action.reassign", value=value),
    ]
    if contact == "chair":
        buttons.append(
            Button(
                label="Change due date",
                action_id="action.due",
                value=f"{value}:{action.due_date.isoformat()}",
            )
        )
    return Actions(buttons=tuple(buttons))


def chase_dm(
    person: object,
    concerns: Sequence[tuple[Action, int, Contact, str, str | None]],
    *,
    today: date,
) -> Message:
    """One direct message bundling every chase and escalation that concerns a
    person today: as owner, as the contact a stage names (with buttons to act
    on that one action, which they may open while it is at their stage), or
    as keyworker."""
    lines: list[str] = []
    cards: list[Block] = []
    listed: list[str] = []
    for action, stage, contact, role, missing in concerns:
        ref = action.network.young_person.reference
        due = format_day_year(action.due_date, today=today)
        who = f"{ref}, {action.owner.name}, {action.agency.name}"
        what = f"#{action.id} {action.text} ({who}), due {due}"
        short = CONTACTS[contact].short
        if role == "owner":
            ask = (
                "please give an update or propose a new date"
                if contact == "owner"
                else f"now escalated to {short}"
            )
        elif role == "contact":
            ask = f"overdue; as {short} please help it get done"
        else:
            ask = f"stage {stage} ({short})"
            if missing:
                ask += f": I couldn't find {missing}, please escalate it yourself"
        line = f"{what} — {ask}"
        lines.append(line)
        if role == "contact" and len(cards) < 2 * DM_CARDS:
            cards += [Section(text=line), contact_buttons(action, contact=contact)]
        else:
            listed.append(line)
    title = "Overdue actions that need you"
    blocks: list[Block] = [Header(text=title), *cards]
    if listed:
        blocks.append(BulletList(items=tuple(listed)))
    hints = []
    if cards:
        hints.append(
            "The buttons work here: you can open the actions escalated to you and act on "
            "them until they are done, cancelled or move on (or type /action show ID)."
        )
    if any(role != "contact" for _, _, _, role, _ in concerns):
        hints.append(
            "In the network's channel: /action update ID NOTE (--until DATE to propose a date)."
        )
    blocks += [Context(text=hint) for hint in hints]
    refs: dict[int, ActionRef] = {}
    for action, *_ in concerns:
        refs.setdefault(action.id, action_ref(action))
    return Message(
        text=title + "\n" + "\n".join(lines),
        blocks=tuple(blocks),
        actions=tuple(refs.values()),
    )


def _day(iso: object) -> str:
    """An ISO date from an event's data as dd/mm/yyyy (as stored, if unreadable)."""
    try:
        return format_numeric(date.fromisoformat(str(iso)))
    except ValueError:
        return str(iso)


def _capacity(data: dict[str, object]) -> str:
    """How a grant holder came to act: "line manager, stage 2"."""
    contact = contact_kind(str(data.get("contact")))
    stage = data.get("stage")
    return f"{contact.short}, stage {stage}" if contact is not None else f"stage {stage}"


def _with_reason(text: str, reason: str | None) -> str:
    return f"{text} ({reason})" if reason else text


def _event_detail(event: ActionEvent) -> str:
    """What one event changed, from what to what, in words; never the
    event's own label again (the line already says "Chased by …")."""
    data: dict[str, object] = dict(event.data or {})
    note = event.note
    kind = event.kind
    if kind == "created" and "owner" in data:
        return f"to {data['owner']} ({data.get('agency', '')}), due {_day(data.get('due'))}"
    if kind in ("due_changed", "extension") and "from" in data:
        change = f"due date {_day(data['from'])} → {_day(data.get('to'))}"
        if kind == "extension" and data.get("previous_stage"):
            change += f", agreed at escalation stage {data['previous_stage']}; chasing starts again"
        return _with_reason(change, note)
    if kind == "reassigned" and "from" in data:
        before = data.get("from_name") or data["from"]
        after = data.get("to_name") or data.get("to")
        return _with_reason(f"owner {before} → {after}", note)
    if kind == "update" and data.get("proposed"):
        proposed = _day(data["proposed"])
        return f"{note}; proposes {proposed} (--until): chasing waits until then"
    if kind == "snoozed" and "until" in data:
        return f"until {_day(data['until'])}: {data.get('reason') or ''}".rstrip(": ")
    if kind == "access_granted":
        return (
            f"{data.get('name')} ({_capacity(data)}) may open this action and act on it "
            "until it is done, cancelled or moves on"
        )
    if kind == "access_ended":
        reason = str(data.get("reason", ""))
        why = {
            "done": "the action is done",
            "cancelled": "the action was cancelled",
            "moved": "it moved to another stage",
            "reset": "a new due date was agreed",
        }.get(reason, reason)
        return f"{data.get('name')} ({_capacity(data)}): {why}"
    if kind == "link_revoked":
        return f"for {data.get('name')}: links emailed to them before now no longer work"
    return note or ""


def event_line(event: ActionEvent, *, calendar: WorkingCalendar, gap: str = " ") -> str:
    """One line of an action's trail, as `/action show` and `teamaround
    export action` give it: when, what, who (and in what capacity, when
    they acted through an escalation), and what changed."""
    when = calendar.local_time(event.at).strftime("%d/%m/%Y %H:%M")
    who, label, detail = describe_event(event)
    return f"{when}{gap}{label} by {who}{': ' + detail if detail else ''}"


def describe_event(event: ActionEvent) -> tuple[str, str, str]:
    """One event of an action's trail: who did it (and in what capacity,
    when they acted through an escalation), what it was, what it changed."""
    who = event.actor.name if event.actor else "Teamaround"
    data = event.data or {}
    via = data.get("via") if isinstance(data.get("via"), dict) else None
    if event.kind == "viewed":
        via = data
    if via:
        who += f" ({_capacity(via)})"
    if data.get("through"):
        who += f", by {data['through']}"
    label = EVENT_LABEL.get(event.kind, event.kind)
    return who, label, _event_detail(event)


def action_detail(
    action: Action,
    events: Sequence[ActionEvent],
    *,
    today: date,
    calendar: WorkingCalendar,
) -> Message:
    """The card (without its buttons), the network's keyworker and the whole
    trail: all an escalation contact may see of the network."""
    card = action_card(action, today=today, calendar=calendar)
    trail = [event_line(event, calendar=calendar) for event in events]
    keyworker = action.network.keyworker
    blocks = [b for b in card.blocks if b.kind != "actions"]
    blocks.insert(
        -1,
        Facts(
            facts=(
                Fact(
                    label="Keyworker",
                    value=f"{keyworker.name} ({keyworker.email})" if keyworker else "none named",
                ),
            )
        ),
    )
    blocks.append(Header(text="History"))
    blocks.append(BulletList(items=tuple(trail)))
    return Message(text=card.text + "\n" + "\n".join(trail), blocks=tuple(blocks))


def help_message(policy: Policy) -> Message:
    return catalogue.help_message(catalogue.ACTION, policy)


def due_changed_dm(
    action: Action, *, old: date, by: object, reason: str | None, today: date
) -> Message:
    who = getattr(by, "name", "Someone")
    why = f" Reason: {reason}" if reason else ""
    text = (
        f"{who} moved the due date of action #{action.id} ({action.text}) from "
        f"{format_day_year(old, today=today)} to {format_day_year(action.due_date, today=today)}."
        f"{why}"
    )
    return Message(text=text, blocks=(Section(text=text),), actions=(action_ref(action),))


def proposal_dm(action: Action, *, by: object, until: date, note: str, today: date) -> Message:
    """For the keyworker: the owner (or whoever it is escalated to) proposes a
    new date; chasing waits until then, and agreeing it is theirs."""
    who = getattr(by, "name", "Someone")
    proposed = format_day_year(until, today=today)
    text = (
        f"{who} proposes {proposed} for action #{action.id} ({action.text}, "
        f"{action.network.young_person.reference}), due "
        f"{format_day_year(action.due_date, today=today)}: {note}. Chasing waits until then."
    )
    hint = f"To agree it: /action due {action.id} {format_numeric(until)} agreed"
    return Message(
        text=text + "\n" + hint,
        blocks=(
            Section(text=text),
            Actions(
                buttons=(
                    Button(
                        label="Change due date",
                        action_id="action.due",
                        value=f"{action.id}:{until.isoformat()}",
                        style="primary",
                    ),
                    Button(label="Open", action_id="action.show", value=str(action.id)),
                )
            ),
            Context(text=hint),
        ),
        link_card=f"action:{action.id}",
        actions=(action_ref(action),),
    )
