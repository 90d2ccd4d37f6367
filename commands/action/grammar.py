"""`/action` grammar: text → a pydantic model, or a UserError saying what to type."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.calendar import WorkingCalendar
from bot.dates import ACCEPTED_FORMS, DateParseError, DueDate, parse_due_date, relative_tail
from bot.errors import UserError
from commands.grammar import (
    MAX_TEXT,
    PersonRef,
    check_text,
    first_word,
    parse_id,
    parse_person,
    pop_options,
    read_sub,
)

ASSIGN_EXAMPLE = "/action assign @sam.patel Send the EHCP draft to the family by Friday"
# Each sub-command's options: the one table the grammar reads; any other
# option is refused (commands.grammar.check_options).
OPTIONS: dict[str, frozenset[str]] = {
    "assign": frozenset({"agency"}),
    "update": frozenset({"until"}),
    "escalate": frozenset({"stage"}),
}


class _Cmd(BaseModel):
    model_config = ConfigDict(frozen=True)


class Assign(_Cmd):
    sub: Literal["assign"] = "assign"
    owner: PersonRef
    text: str
    due: date
    due_note: str | None = None
    agency: str | None = None


class ListActions(_Cmd):
    sub: Literal["list"] = "list"
    scope: Literal["open", "mine", "overdue", "all", "person"] = "open"
    person: PersonRef | None = None


class Show(_Cmd):
    sub: Literal["show"] = "show"
    action_id: int


class Done(_Cmd):
    sub: Literal["done"] = "done"
    action_id: int
    evidence: str | None = None


class Update(_Cmd):
    sub: Literal["update"] = "update"
    action_id: int
    note: str
    # The owner's proposed new date: chasing pauses until it has passed.
    until: date | None = None


class Due(_Cmd):
    sub: Literal["due"] = "due"
    action_id: int
    due: date
    due_note: str | None = None
    reason: str | None = None


class Reassign(_Cmd):
    sub: Literal["reassign"] = "reassign"
    action_id: int
    owner: PersonRef
    reason: str | None = None


class Cancel(_Cmd):
    sub: Literal["cancel"] = "cancel"
    action_id: int
    reason: str


class Chase(_Cmd):
    sub: Literal["chase"] = "chase"
    action_id: int


class Escalate(_Cmd):
    sub: Literal["escalate"] = "escalate"
    action_id: int
    stage: int | None = None  # None: the next stage
    reason: str


class Snooze(_Cmd):
    sub: Literal["snooze"] = "snooze"
    action_id: int
    until: date
    reason: str


class RevokeLink(_Cmd):
    """Stop the links emailed to someone for one action."""

    sub: Literal["revoke-link"] = "revoke-link"
    action_id: int
    person: PersonRef


class Help(_Cmd):
    sub: Literal["help"] = "help"


ActionCommand = (
    Assign
    | ListActions
    | Show
    | Done
    | Update
    | Due
    | Reassign
    | Cancel
    | Chase
    | Escalate
    | Snooze
    | RevokeLink
    | Help
)


def parse(
    text: str, *, today: date, calendar: WorkingCalendar, max_text: int = MAX_TEXT
) -> ActionCommand:
    sub, rest = read_sub(text, command="action", options=OPTIONS)
    if sub in ("", "help"):
        return Help()
    if sub == "assign":
        return _assign(rest, today=today, calendar=calendar, max_text=max_text)
    if sub == "list":
        return _list(rest)
    if sub in (
        "show",
        "done",
        "update",
        "due",
        "reassign",
        "cancel",
        "chase",
        "escalate",
        "snooze",
        "revoke-link",
    ):
        token, tail = first_word(rest)
        action_id = parse_id(token, what="action", example=f"/action {sub} 12 …")
        if sub == "show":
            return Show(action_id=action_id)
        if sub == "done":
            evidence = check_text(tail, what="evidence", example="") if tail else None
            return Done(action_id=action_id, evidence=evidence)
        if sub == "update":
            return _update(action_id, tail, today=today, calendar=calendar)
        if sub == "chase":
            return Chase(action_id=action_id)
        if sub == "escalate":
            return _escalate(action_id, tail)
        if sub == "snooze":
            return _snooze(action_id, tail, today=today, calendar=calendar)
        if sub == "due":
            return _due(action_id, tail, today=today, calendar=calendar)
        if sub == "reassign":
            return _reassign(action_id, tail)
        if sub == "revoke-link":
            return _revoke_link(action_id, tail)
        reason = check_text(
            tail,
            what="reason for cancelling",
            example=f"/action cancel {action_id} Duplicate of #14",
        )
        return Cancel(action_id=action_id, reason=reason)
    raise UserError(
        f"I don't know `/action {sub}`.",
        hint="Try `/action help` to see what I can do.",
    )


def _assign(rest: str, *, today: date, calendar: WorkingCalendar, max_text: int) -> Assign:
    body, options = pop_options(rest, OPTIONS["assign"])
    owner_token, tail = first_word(body)
    owner = parse_person(owner_token) if owner_token else None
    if owner is None:
        raise UserError(
            "Start with the person who will own the action, as an @mention or email.",
            hint=f"For example: {ASSIGN_EXAMPLE}",
        )
    what, due_text = _split_by(tail, today=today, calendar=calendar)
    if due_text is None:
        raise UserError(
            "Every action needs a due date: end with `by` and a date, or a relative one such "
            "as `in 5 working days`.",
            hint=f"For example: {ASSIGN_EXAMPLE}",
        )
    text = check_text(what, what="action", example=ASSIGN_EXAMPLE, limit=max_text)
    due = parse_due_date(due_text, today=today, calendar=calendar)
    agency = options.get("agency")
    if agency is not None and not agency:
        raise UserError("--agency needs a name, for example --agency CAMHS.")
    return Assign(owner=owner, text=text, due=due.day, due_note=due.note, agency=agency)


def _split_by(text: str, *, today: date, calendar: WorkingCalendar) -> tuple[str, str | None]:
    """Split "WHAT by WHEN" at the last " by " whose tail reads as a date, or
    "WHAT in 5 working days" before a relative date that ends it.

    "Ring Sam by the school gate by Friday" → ("Ring Sam by the school gate", "Friday").
    If no tail reads as a date, the last " by " is used so the date error is shown.
    """
    lowered = f" {text} ".lower()
    positions = []
    start = 0
    while (i := lowered.find(" by ", start)) != -1:
        positions.append(i)
        start = i + 1
    for pos in reversed(positions):
        tail = text[pos + 3 :].strip() if pos > 0 else text[3:].strip()
        if _reads_as_date(tail, today=today, calendar=calendar):
            return text[: max(0, pos - 1)].strip(), tail
    if relative := relative_tail(text):
        return relative
    if not positions:
        return text, None
    pos = positions[-1]
    return text[: max(0, pos - 1)].strip(), text[pos + 3 :].strip()


def _reads_as_date(text: str, *, today: date, calendar: WorkingCalendar) -> bool:
    """True if the text is meant as a date (even a past or impossible one)."""
    try:
        parse_due_date(text, today=today, calendar=calendar)
    except DateParseError as exc:
        return not exc.unreadable
    return True


def _list(rest: str) -> ListActions:
    word = rest.strip()
    if not word:
        return ListActions()
    lowered = word.lower()
    if lowered == "mine":
        return ListActions(scope="mine")
    if lowered == "overdue":
        return ListActions(scope="overdue")
    if lowered == "all":
        return ListActions(scope="all")
    person = parse_person(word)
    if person is None or " " in word:
        raise UserError(
            f"I can list `mine`, `overdue`, `all` or someone's actions (`@name`), not {word!r}.",
            hint="For example: /action list overdue",
        )
    return ListActions(scope="person", person=person)


def _due(action_id: int, tail: str, *, today: date, calendar: WorkingCalendar) -> Due:
    if not tail:
        raise UserError(
            "Please give the new due date.",
            hint=f"For example: /action due {action_id} 19/12 waiting for the panel date. "
            f"Dates I understand: {', '.join(ACCEPTED_FORMS)}.",
        )
    due, reason = _leading_date(tail, today=today, calendar=calendar)
    if reason:
        reason = check_text(reason, what="reason", example="")
    return Due(action_id=action_id, due=due.day, due_note=due.note, reason=reason or None)


def _leading_date(text: str, *, today: date, calendar: WorkingCalendar) -> tuple[DueDate, str]:
    """The longest leading run of words (up to five) that reads as a date, and
    the words after it; the date parser's helpful error when none does."""
    words = text.split()
    for n in range(min(len(words), 5), 0, -1):
        candidate = " ".join(words[:n])
        if _reads_as_date(candidate, today=today, calendar=calendar):
            return parse_due_date(candidate, today=today, calendar=calendar), " ".join(words[n:])
    parse_due_date(words[0] if words else "", today=today, calendar=calendar)  # raises
    raise UserError("Please give a date.")  # pragma: no cover - defensive


def _update(action_id: int, tail: str, *, today: date, calendar: WorkingCalendar) -> Update:
    example = (
        f"/action update {action_id} Spoke to the school; meeting booked for Tuesday "
        "(add --until DATE to propose a new date)"
    )
    body, options = pop_options(tail, OPTIONS["update"])
    note = check_text(body, what="update", example=example)
    until = None
    if "until" in options:
        if not options["until"]:
            raise UserError("--until needs the date you propose, for example --until 11/12.")
        until = parse_due_date(options["until"], today=today, calendar=calendar).day
    return Update(action_id=action_id, note=note, until=until)


def _escalate(action_id: int, tail: str) -> Escalate:
    example = f"/action escalate {action_id} --stage 3 Placement at risk of breaking down"
    body, options = pop_options(tail, OPTIONS["escalate"])
    stage = None
    if "stage" in options:
        # An unquoted option value runs to the end of the line: the stage is
        # its first word, the rest belongs to the reason.
        first, rest = first_word(options["stage"])
        if not first.isdigit() or not 1 <= int(first) <= 8:
            raise UserError(
                "--stage needs a stage number, such as 2.", hint=f"For example: {example}"
            )
        stage = int(first)
        body = f"{body} {rest}".strip()
    reason = check_text(body, what="reason for escalating", example=example)
    return Escalate(action_id=action_id, stage=stage, reason=reason)


def _snooze(action_id: int, tail: str, *, today: date, calendar: WorkingCalendar) -> Snooze:
    example = f"/action snooze {action_id} Friday waiting for the panel's letter"
    if not tail:
        raise UserError("Please say until when, and why.", hint=f"For example: {example}")
    until, reason = _leading_date(tail, today=today, calendar=calendar)
    text = check_text(reason, what="reason for snoozing", example=example)
    return Snooze(action_id=action_id, until=until.day, reason=text)


def _reassign(action_id: int, tail: str) -> Reassign:
    token, reason = first_word(tail)
    owner = parse_person(token) if token else None
    if owner is None:
        raise UserError(
            "Who should own it now? Name them with an @mention or email.",
            hint=f"For example: /action reassign {action_id} @jo.hughes Jo now leads on housing",
        )
    text = check_text(reason, what="reason", example="") if reason else None
    return Reassign(action_id=action_id, owner=owner, reason=text)


def _revoke_link(action_id: int, tail: str) -> RevokeLink:
    token, rest = first_word(tail)
    person = parse_person(token) if token else None
    if person is None or rest:
        raise UserError(
            "Whose emailed links should stop working? Name one person, with an @mention or email.",
            hint=f"For example: /action revoke-link {action_id} @morgan.reed",
        )
    return RevokeLink(action_id=action_id, person=person)
