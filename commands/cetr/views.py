"""Pure renderers for reviews (C(E)TRs): replies, the review, lists, previews."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.calendar import WorkingCalendar
from bot.dates import format_day_year, format_numeric
from bot.messages import (
    BulletList,
    Context,
    Fact,
    Header,
    Message,
    Section,
    plain,
    record_card,
)
from bot.policy import Policy
from commands import catalogue
from commands.action import views as action_views
from commands.cetr.grammar import KIND_LABEL
from commands.cetr.service import CheckedLine
from store.models import Action, Cetr


def held(cetr: Cetr, *, today: date) -> str:
    return f"{format_day_year(cetr.held_on, today=today)} ({format_numeric(cetr.held_on)})"


def recorded(cetr: Cetr, follow_ups: Sequence[Action], *, today: date) -> Message:
    made = "; ".join(
        f"#{a.id} {a.text} — {a.owner.name}, due {format_day_year(a.due_date, today=today)}"
        for a in follow_ups
    )
    text = (
        f"Review #{cetr.id} recorded: {KIND_LABEL[cetr.kind]} held on {held(cetr, today=today)}. "
        f"Follow-ups: {made}."
    )
    return plain(text, tone="success")


def recommendation_added(action: Action, *, cetr_id: int, today: date, note: str | None) -> Message:
    text = (
        f"Recommendation of review #{cetr_id} is action #{action.id}, with {action.owner.name} "
        f"({action.agency.name}), due {format_day_year(action.due_date, today=today)}."
    )
    if note:
        text += f" Note: {note}"
    return plain(text, tone="success")


def _understood(line: CheckedLine, *, today: date) -> str:
    if line.error is not None:
        return f"Line {line.number}: ⚠ {line.error}"
    assert line.owner is not None and line.due is not None
    return (
        f"Line {line.number}: {line.owner.name} ({line.agency_name}) — {line.text} — "
        f"due {format_day_year(line.due, today=today)}"
    )


def preview(cetr_id: int, lines: Sequence[CheckedLine], *, today: date) -> Message:
    """What several recommendations would create; nothing has been saved."""
    items = tuple(_understood(line, today=today) for line in lines)
    problems = sum(1 for line in lines if line.error is not None)
    title = (
        f"Preview: {len(lines)} recommendation{'s' if len(lines) != 1 else ''} of review #{cetr_id}"
    )
    if problems:
        footer = (
            f"Nothing has been saved. Fix the line{'s' if problems != 1 else ''} marked ⚠ first: "
            "I create all the lines or none of them."
        )
    else:
        footer = (
            "Nothing has been saved yet. To create them all, send the same lines again "
            f"starting /cetr rec {cetr_id} --confirm"
        )
    text = "\n".join((title, *items, footer))
    return Message(
        text=text,
        blocks=(Header(text=title), BulletList(items=items), Context(text=footer)),
        tone="warning" if problems else "info",
    )


def recommendations_added(cetr_id: int, actions: Sequence[Action], *, today: date) -> Message:
    plural = "s" if len(actions) != 1 else ""
    title = f"Added {len(actions)} recommendation{plural} of review #{cetr_id}"
    items = tuple(
        f"#{a.id} {a.text} — {a.owner.name} ({a.agency.name}), due "
        f"{format_day_year(a.due_date, today=today)}"
        for a in actions
    )
    return Message(
        text="\n".join((title, *items)),
        blocks=(Section(text=title), BulletList(items=items)),
        tone="success",
    )


def report_recorded(cetr: Cetr, completed: Action | None, *, today: date) -> Message:
    text = (
        f"The report of review #{cetr.id} is recorded as sent on "
        f"{format_day_year(cetr.report_sent_on or today, today=today)}."
    )
    if completed is not None:
        text += f" Action #{completed.id} is done."
    return plain(text, tone="success")


STATUS = action_views.STATUS_LABEL


def review_detail(
    cetr: Cetr, actions: Sequence[Action], *, today: date, calendar: WorkingCalendar
) -> Message:
    chair = cetr.chair.name if cetr.chair else "not recorded"
    if cetr.chair and cetr.delegated_chair:
        chair += " (delegated chair)"
    report = (
        f"Sent on {format_day_year(cetr.report_sent_on, today=today)}"
        if cetr.report_sent_on
        else "Not sent yet"
    )
    facts = [
        Fact(label="Held on", value=held(cetr, today=today)),
        Fact(label="Chair", value=chair),
        Fact(label="Clinical expert", value=cetr.clinical_expert or "none (LAEP meeting)"),
        Fact(
            label="Expert by experience",
            value=cetr.expert_by_experience or "none (LAEP meeting)",
        ),
    ]
    if cetr.secure_setting:
        facts.append(Fact(label="Setting", value="Secure"))
    facts.append(Fact(label="Report", value=report))
    title = f"Review #{cetr.id} · {KIND_LABEL[cetr.kind]} · {cetr.young_person.reference}"
    items = tuple(
        f"#{a.id} {'[follow-up] ' if a.source == 'review' else ''}{a.text} — {a.owner.name} "
        f"({a.agency.name}), due {action_views.due_phrase(a, today=today, calendar=calendar)}"
        f" [{STATUS[a.status]}]"
        for a in actions
    )
    heading = "Follow-ups and recommendations"
    lines = items or ("None yet. Add one with /cetr rec " + f"{cetr.id} @owner what by when",)
    return record_card(title, facts, [(heading, lines)])


def review_list(reviews: Sequence[tuple[Cetr, int]], *, reference: str, today: date) -> Message:
    if not reviews:
        text = f"No reviews are recorded for {reference} yet. Record one with /cetr record …"
        return Message(text=text, blocks=(Section(text=text),))
    title = f"Reviews for {reference}, newest first"
    items = tuple(
        f"#{cetr.id} {KIND_LABEL[cetr.kind]}, held {held(cetr, today=today)}, chair "
        f"{cetr.chair.name if cetr.chair else 'not recorded'} — report "
        f"{'sent' if cetr.report_sent_on else 'not sent'}, {open_count} open action"
        f"{'s' if open_count != 1 else ''}"
        for cetr, open_count in reviews
    )
    return Message(
        text="\n".join((title, *items)),
        blocks=(Header(text=title), BulletList(items=items)),
    )


def help_message(policy: Policy) -> Message:
    return catalogue.help_message(catalogue.CETR, policy)
