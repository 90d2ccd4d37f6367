"""`/cetr` grammar: text → a pydantic model, or a UserError saying what to type."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.calendar import WorkingCalendar
from bot.dates import DateParseError, format_day_year, parse_due_date
from bot.errors import UserError
from commands.action import grammar as action_grammar
from commands.grammar import (
    MAX_TEXT,
    PersonRef,
    check_options,
    check_text,
    first_word,
    parse_id,
    parse_person,
    pop_options,
    split_outside_mentions,
    split_sub,
)

ReviewKind = Literal["community-cetr", "community-ctr", "inpatient", "post-admission", "laep"]
KINDS: tuple[ReviewKind, ...] = (
    "community-cetr",
    "community-ctr",
    "inpatient",
    "post-admission",
    "laep",
)
KIND_LABEL: dict[str, str] = {
    "community-cetr": "community C(E)TR",
    "community-ctr": "community CTR",
    "inpatient": "inpatient review",
    "post-admission": "post-admission review",
    "laep": "LAEP meeting",
}
# Friendly spellings, after lower-casing and turning spaces and underscores into dashes.
_KIND_ALIASES: dict[str, ReviewKind] = {
    "community-cetr": "community-cetr",
    "community-c(e)tr": "community-cetr",
    "cetr": "community-cetr",
    "c(e)tr": "community-cetr",
    "community": "community-cetr",
    "community-ctr": "community-ctr",
    "ctr": "community-ctr",
    "inpatient": "inpatient",
    "in-patient": "inpatient",
    "inpatient-cetr": "inpatient",
    "inpatient-ctr": "inpatient",
    "inpatient-c(e)tr": "inpatient",
    "post-admission": "post-admission",
    "postadmission": "post-admission",
    "post-admission-cetr": "post-admission",
    "post-admission-ctr": "post-admission",
    "laep": "laep",
    "emergency": "laep",
}
# Inpatient reviews are the ones that fall due again while the young person is in hospital.
INPATIENT_KINDS = ("inpatient", "post-admission")

EXPERT_LIMIT = 120  # the width of the panel name columns
MAX_BULK_LINES = 30

RECORD_EXAMPLE = (
    '/cetr record inpatient 20/11 --chair @priya.shah --clinical-expert "Dr A Khan" '
    '--expert-by-experience "R Jones"'
)
REC_EXAMPLE = "/cetr rec 3 @sam.patel Review the medication plan with the family by 18/12"
BULK_EXAMPLE = "/cetr rec 3\n@sam.patel | Review the medication plan | 18/12"
HELD_FORMS = "today, yesterday, 20/11, 20/11/2026 or 20 Nov"

_FLAG = re.compile(r"(?:^|\s)--(delegated|secure|confirm)(?=\s|$)")
# Each sub-command's options and flags: the one table the grammar reads; any
# other option is refused (commands.grammar.check_options).
OPTIONS: dict[str, frozenset[str]] = {
    "record": frozenset(
        {"chair", "clinical-expert", "expert-by-experience", "delegated", "secure"}
    ),
    "rec": frozenset({"agency", "confirm"}),
}
_SUB_ALIASES = {"recommendation": "rec", "recommend": "rec"}
_PANEL_OPTIONS = OPTIONS["record"] - {"delegated", "secure"}


class _Cmd(BaseModel):
    model_config = ConfigDict(frozen=True)


class Record(_Cmd):
    sub: Literal["record"] = "record"
    kind: ReviewKind
    held_on: date
    chair: PersonRef
    delegated: bool = False
    clinical_expert: str | None = None
    expert_by_experience: str | None = None
    secure: bool = False


class Rec(_Cmd):
    """One recommendation, created at once."""

    sub: Literal["rec"] = "rec"
    cetr_id: int
    owner: PersonRef
    text: str
    due: date
    due_note: str | None = None
    agency: str | None = None


class RecLine(_Cmd):
    """One line of several recommendations: what it says, or why it can't be read."""

    number: int
    owner: PersonRef | None = None
    text: str | None = None
    due: date | None = None
    agency: str | None = None
    error: str | None = None


class RecMany(_Cmd):
    """Several recommendations, one a line: previewed, or created with --confirm."""

    sub: Literal["rec-many"] = "rec-many"
    cetr_id: int
    confirm: bool = False
    lines: tuple[RecLine, ...]


class Show(_Cmd):
    sub: Literal["show"] = "show"
    cetr_id: int


class ListReviews(_Cmd):
    sub: Literal["list"] = "list"


class ReportSent(_Cmd):
    sub: Literal["report-sent"] = "report-sent"
    cetr_id: int
    sent_on: date


class Help(_Cmd):
    sub: Literal["help"] = "help"


CetrCommand = Record | Rec | RecMany | Show | ListReviews | ReportSent | Help


def parse(
    text: str, *, today: date, calendar: WorkingCalendar, max_text: int = MAX_TEXT
) -> CetrCommand:
    sub, rest = _split_sub(text)
    rest = check_options(rest, command="cetr", sub=_SUB_ALIASES.get(sub, sub), options=OPTIONS)
    if sub in ("", "help"):
        return Help()
    if sub == "record":
        return _record(rest, today=today, calendar=calendar)
    if sub in ("rec", "recommendation", "recommend"):
        return _rec(rest, today=today, calendar=calendar, max_text=max_text)
    if sub == "list":
        if rest.strip():
            raise UserError(
                "`/cetr list` shows this young person's reviews; it takes nothing after it.",
                hint="To see one review, give its number: /cetr show 3",
            )
        return ListReviews()
    if sub == "show":
        token, tail = first_word(rest)
        cetr_id = parse_id(token, what="review", example="/cetr show 3")
        if tail:
            raise UserError("`/cetr show` takes only the review number.", hint="/cetr show 3")
        return Show(cetr_id=cetr_id)
    if sub in ("report-sent", "reportsent", "report"):
        return _report_sent(rest, today=today, calendar=calendar)
    raise UserError(
        f"I don't know `/cetr {sub}`.",
        hint="Try `/cetr help` to see what I can do.",
    )


def _split_sub(text: str) -> tuple[str, str]:
    """Like commands.grammar.split_sub, but a newline also ends the sub-command
    (several recommendations come one a line)."""
    stripped = text.strip()
    if not stripped:
        return split_sub(stripped)
    head = re.split(r"\s", stripped, maxsplit=1)[0]
    return head.lower(), stripped[len(head) :].strip()


def parse_held_date(
    text: str,
    *,
    today: date,
    calendar: WorkingCalendar,
    what: str,
    earliest: date | None = None,
) -> date:
    """A day something happened: today or before, back to ``earliest`` (by
    default two years); ``what`` says what, for the error."""
    if not text.strip():
        raise UserError(
            f"Please give the date {what}.",
            hint=f"Dates I understand here: {HELD_FORMS}.",
        )
    try:
        day = parse_due_date(
            text, today=today, calendar=calendar, allow_past=True, earliest=earliest
        ).day
    except DateParseError as exc:
        if exc.unreadable:  # its list of forms is of due dates, which look ahead
            shown = " ".join(text.split())
            shown = shown if len(shown) <= 40 else shown[:39] + "…"
            raise UserError(
                f'I couldn\'t read "{shown}" as a date.',
                hint=f"Dates I understand here: {HELD_FORMS}.",
            ) from exc
        raise UserError(exc.message, hint=exc.hint) from exc
    if day > today:
        raise UserError(
            f"{format_day_year(day, today=today)} is in the future; give the date {what}.",
            hint=f"Dates I understand here: {HELD_FORMS}.",
        )
    return day


def parse_kind(word: str) -> ReviewKind:
    key = re.sub(r"[\s_]+", "-", word.strip().lower())
    kind = _KIND_ALIASES.get(key)
    if kind is None:
        shown = word if len(word) <= 30 else word[:29] + "…"
        raise UserError(
            f"I don't know the review type {shown!r}. Types: {', '.join(KINDS)}.",
            hint=f"For example: {RECORD_EXAMPLE}",
        )
    return kind


def missing_panel(
    kind: str,
    *,
    has_chair: bool,
    clinical_expert: str | None,
    expert_by_experience: str | None,
) -> list[str]:
    """The panel roles a review needs but lacks, each with the option that adds it.

    Every C(E)TR panel has a chair, an independent clinical expert and an
    independent expert by experience; a LAEP meeting needs only a chair.
    """
    missing = []
    if not has_chair:
        missing.append("a chair (--chair @person)")
    if kind != "laep":
        if not clinical_expert:
            missing.append('a clinical expert (--clinical-expert "Name")')
        if not expert_by_experience:
            missing.append('an expert by experience (--expert-by-experience "Name")')
    return missing


def panel_refusal(kind: str, missing: list[str]) -> UserError:
    listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
    return UserError(
        f"I can't record this {KIND_LABEL[kind]} as held without {listed}.",
        hint=f"Every C(E)TR panel has all three; a LAEP meeting needs only a chair. "
        f"For example: {RECORD_EXAMPLE}",
    )


def _pop_flags(text: str) -> tuple[str, set[str]]:
    flags: set[str] = set()
    for match in _FLAG.finditer(text):
        if match.group(1) in flags:
            raise UserError(f"--{match.group(1)} is given twice; give it once.")
        flags.add(match.group(1))
    return _FLAG.sub(" ", text), flags


def _record(rest: str, *, today: date, calendar: WorkingCalendar) -> Record:
    rest, flags = _pop_flags(rest)
    if "confirm" in flags:
        raise UserError("--confirm is for several recommendations at once, not for a review.")
    body, options = pop_options(rest, _PANEL_OPTIONS)
    kind_word, date_text = first_word(" ".join(body.split()))
    if not kind_word:
        raise UserError(
            f"Say which kind of review was held ({', '.join(KINDS)}) and when.",
            hint=f"For example: {RECORD_EXAMPLE}",
        )
    kind = parse_kind(kind_word)
    held_on = parse_held_date(date_text, today=today, calendar=calendar, what="the review was held")
    chair_text = options.get("chair")
    chair = None
    if chair_text:
        chair = parse_person(chair_text) if " " not in chair_text.strip() else None
        if chair is None:
            raise UserError(
                f"I couldn't tell who {chair_text!r} is: --chair takes one person, as an "
                "@mention or email, after the type and date.",
                hint=f"For example: {RECORD_EXAMPLE}",
            )
    clinical = _expert(options.get("clinical-expert"), option="clinical-expert")
    lived = _expert(options.get("expert-by-experience"), option="expert-by-experience")
    missing = missing_panel(
        kind, has_chair=chair is not None, clinical_expert=clinical, expert_by_experience=lived
    )
    if missing:
        raise panel_refusal(kind, missing)
    assert chair is not None
    secure = "secure" in flags
    if secure and kind not in INPATIENT_KINDS:
        raise UserError(
            "--secure is for inpatient and post-admission reviews of someone in a secure "
            "setting; leave it out here.",
        )
    return Record(
        kind=kind,
        held_on=held_on,
        chair=chair,
        delegated="delegated" in flags,
        clinical_expert=clinical,
        expert_by_experience=lived,
        secure=secure,
    )


def _expert(value: str | None, *, option: str) -> str | None:
    if value is None:
        return None
    if not value.strip():
        raise UserError(
            f'--{option} needs a name, for example --{option} "A Khan".',
            hint=f"For example: {RECORD_EXAMPLE}",
        )
    return check_text(value, what=option.replace("-", " "), example="", limit=EXPERT_LIMIT)


def _rec(rest: str, *, today: date, calendar: WorkingCalendar, max_text: int) -> Rec | RecMany:
    first, _, following = rest.partition("\n")
    first, flags = _pop_flags(first)
    if flags - {"confirm"}:
        raise UserError(
            f"--{min(flags - {'confirm'})} is for `/cetr record`, not a recommendation."
        )
    token, tail = first_word(first)
    cetr_id = parse_id(token, what="review", example=REC_EXAMPLE)
    lines = [line for line in following.splitlines() if line.strip()]
    if lines or len(split_outside_mentions(tail)) > 1:
        if tail:
            lines.insert(0, tail)
        if not lines:
            raise UserError(
                "Put each recommendation on its own line after the review number.",
                hint=f"For example:\n{BULK_EXAMPLE}",
            )
        if len(lines) > MAX_BULK_LINES:
            raise UserError(
                f"That's {len(lines)} recommendations; please send at most {MAX_BULK_LINES} "
                "at once.",
            )
        parsed = tuple(
            _rec_line(i, line, today=today, calendar=calendar, max_text=max_text)
            for i, line in enumerate(lines, start=1)
        )
        return RecMany(cetr_id=cetr_id, confirm="confirm" in flags, lines=parsed)
    if not tail:
        raise UserError(
            "Give the recommendation: who owns it, what it is and when it's due.",
            hint=f"For example: {REC_EXAMPLE}\nOr several, one a line:\n{BULK_EXAMPLE}",
        )
    try:
        assign = action_grammar.parse(
            f"assign {tail}", today=today, calendar=calendar, max_text=max_text
        )
    except UserError as exc:
        hint = exc.hint.replace(action_grammar.ASSIGN_EXAMPLE, REC_EXAMPLE) if exc.hint else None
        raise UserError(exc.message, hint=hint) from exc
    assert isinstance(assign, action_grammar.Assign)
    return Rec(
        cetr_id=cetr_id,
        owner=assign.owner,
        text=assign.text,
        due=assign.due,
        due_note=assign.due_note,
        agency=assign.agency,
    )


def _rec_line(
    number: int, line: str, *, today: date, calendar: WorkingCalendar, max_text: int
) -> RecLine:
    try:
        return _rec_line_or_raise(number, line, today=today, calendar=calendar, max_text=max_text)
    except UserError as exc:
        return RecLine(number=number, error=exc.message)


def _rec_line_or_raise(
    number: int, line: str, *, today: date, calendar: WorkingCalendar, max_text: int
) -> RecLine:
    parts = [part.strip() for part in split_outside_mentions(line)]
    if len(parts) not in (3, 4):
        raise UserError(
            "I need three parts separated by |: @owner | what | when (and, if you like, | agency)."
        )
    owner_text, what, when = parts[:3]
    owner = parse_person(owner_text) if owner_text and " " not in owner_text else None
    if owner is None:
        raise UserError(
            f"I couldn't tell who {owner_text!r} is; start with an @mention or email."
            if owner_text
            else "Start with the person who will own it, as an @mention or email."
        )
    text = check_text(what, what="recommendation", example="", limit=max_text)
    if not when:
        raise UserError("Every recommendation needs a due date after the second |.")
    due = parse_due_date(when, today=today, calendar=calendar).day
    agency = parts[3] if len(parts) == 4 else None
    if agency is not None and not agency:
        raise UserError("The fourth part, the agency, is empty: give a name or leave it out.")
    return RecLine(number=number, owner=owner, text=text, due=due, agency=agency)


def _report_sent(rest: str, *, today: date, calendar: WorkingCalendar) -> ReportSent:
    token, tail = first_word(rest)
    cetr_id = parse_id(token, what="review", example="/cetr report-sent 3 today")
    sent_on = parse_held_date(tail, today=today, calendar=calendar, what="the report was sent")
    return ReportSent(cetr_id=cetr_id, sent_on=sent_on)
