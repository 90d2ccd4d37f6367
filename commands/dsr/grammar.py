"""`/dsr` grammar: text → a pydantic model, or a UserError saying what to type."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.calendar import WorkingCalendar
from bot.dates import add_months, format_numeric
from bot.errors import UserError
from commands.cetr.grammar import parse_held_date
from commands.grammar import (
    MAX_TEXT,
    PersonRef,
    check_text,
    first_word,
    parse_person,
    pop_options,
    read_sub,
    unquote,
)
from commands.network.grammar import REF_SHAPE

Rating = Literal["red", "amber", "green", "blue"]
RATINGS: tuple[Rating, ...] = ("red", "amber", "green", "blue")
AgeBand = Literal["under-18", "18-25"]
AGE_BANDS: tuple[AgeBand, ...] = ("under-18", "18-25")
ConsentBasis = Literal["consent", "best-interests", "parental"]
CONSENT_BASES: tuple[ConsentBasis, ...] = ("consent", "best-interests", "parental")
ListFilter = Literal["red", "amber", "green", "blue", "no-keyworker", "preventive"]
LIST_FILTERS: tuple[ListFilter, ...] = (
    "red",
    "amber",
    "green",
    "blue",
    "no-keyworker",
    "preventive",
)

CONSENT_LABEL: dict[str, str] = {
    "consent": "informed consent",
    "best-interests": "best-interests decision",
    "parental": "parental responsibility",
}
_AGE_BAND_ALIASES: dict[str, AgeBand] = {
    "under-18": "under-18",
    "under18": "under-18",
    "u18": "under-18",
    "<18": "under-18",
    "0-17": "under-18",
    "18-25": "18-25",
    "18to25": "18-25",
}
_CONSENT_ALIASES: dict[str, ConsentBasis] = {
    "consent": "consent",
    "informed-consent": "consent",
    "best-interests": "best-interests",
    "best-interest": "best-interests",
    "bestinterests": "best-interests",
    "parental": "parental",
    "parental-responsibility": "parental",
    "parent": "parental",
}

SETTING_LIMIT = 120  # the width of admissions.setting
MONTH_FORMS = "03/2027, Mar 2027 or March 2027"
DATE_FORMS = "today, yesterday, 20/11, 20/11/2026 or 20 Nov"

ADD_EXAMPLE = (
    "/dsr add DSR-0100 --age-band under-18 --ehcp --consent parental --consent-date 20/11/2026"
)
RATE_EXAMPLE = '/dsr rate DSR-0042 amber "Placement at risk after two A&E visits"'
ADMIT_EXAMPLE = '/dsr admit DSR-0042 20/11 --setting "Oak Ward" --out-of-area'
DISCHARGE_EXAMPLE = "/dsr discharge DSR-0042 today"
KEYWORKER_EXAMPLE = "/dsr keyworker DSR-0042 @kim.lee"
TRANSITION_EXAMPLE = "/dsr transition DSR-0042 03/2027"
REMOVE_EXAMPLE = "/dsr remove DSR-0042 Consent withdrawn"
STEP_DOWN_EXAMPLE = '/dsr step-down DSR-0042 --on 20/11 "Settled at college; CAMHS lead agreed"'
REPORT_EXAMPLE = "/dsr report 2026-Q2"
SUPPORT_EXAMPLE = "/dsr support DSR-0042 preventive @kim.lee --on 20/11"
SUPPORT_NEW_EXAMPLE = (
    "/dsr support DSR-0100 preventive @kim.lee --age-band under-18 --consent parental "
    "--consent-date 20/11/2026"
)
SUPPORT_END_EXAMPLE = "/dsr support DSR-0042 end --on 20/11"
# A removal whose reason says it is a step-down is recorded as one instead.
_STEP_DOWN_WORDS = re.compile(r"\bstep(ped|ping)?[\s-]*(down|back)\b|\boutcomes?\s+met\b", re.I)

_FLAG = re.compile(r"(?:^|\s)--(ehcp|out-of-area|confirm)(?=\s|$)")
# Each sub-command's options and flags: the one table the grammar reads; any
# other option is refused (commands.grammar.check_options), never kept as text.
OPTIONS: dict[str, frozenset[str]] = {
    "add": frozenset({"age-band", "ehcp", "consent", "consent-date", "on"}),
    "rate": frozenset({"on"}),
    "keyworker": frozenset({"on"}),
    "admit": frozenset({"setting", "out-of-area", "confirm"}),
    "step-down": frozenset({"on"}),
    "consent": frozenset({"on", "basis"}),
    "outcome": frozenset({"rate", "action"}),
    "support": frozenset({"on", "age-band", "ehcp", "consent", "consent-date"}),
}
_SUB_ALIASES = {
    "rating": "rate",
    "admitted": "admit",
    "admission": "admit",
    "discharged": "discharge",
    "archive": "remove",
    "stepdown": "step-down",
    "stepped-down": "step-down",
    "step": "step-down",
    "reports": "report",
    "quarterly": "report",
    "outcomes": "outcome",
}
_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_NUMERIC_MONTH = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{4}|\d{2})$")
_NAMED_MONTH = re.compile(r"^([a-z]+)\.?,?\s*(\d{4}|\d{2})$")
# A transition month is when someone on the register turns 18: up to seven
# years ago (25 now) and up to 18 years ahead (a baby now), with a year's slack.
_TRANSITION_YEARS_BACK = 8
_TRANSITION_YEARS_AHEAD = 19


class _Cmd(BaseModel):
    model_config = ConfigDict(frozen=True)


class Add(_Cmd):
    sub: Literal["add"] = "add"
    reference: str
    age_band: AgeBand
    ehcp: bool = False
    consent_basis: ConsentBasis
    consent_date: date
    on: date | None = None  # joined the register earlier (default: today)


class Rate(_Cmd):
    sub: Literal["rate"] = "rate"
    reference: str
    rating: Rating
    rationale: str
    on: date | None = None  # rated earlier (default: now)


class Admit(_Cmd):
    sub: Literal["admit"] = "admit"
    reference: str
    admitted_on: date
    setting: str
    out_of_area: bool = False


class Discharge(_Cmd):
    sub: Literal["discharge"] = "discharge"
    reference: str
    discharged_on: date


class Keyworker(_Cmd):
    sub: Literal["keyworker"] = "keyworker"
    reference: str
    person: PersonRef
    on: date | None = None  # keyworker since an earlier day (default: now)


class Transition(_Cmd):
    sub: Literal["transition"] = "transition"
    reference: str
    month: date


class Show(_Cmd):
    sub: Literal["show"] = "show"
    reference: str


class ListRegister(_Cmd):
    sub: Literal["list"] = "list"
    only: ListFilter | None = None


class Remove(_Cmd):
    sub: Literal["remove"] = "remove"
    reference: str
    reason: str


class StepDown(_Cmd):
    """Keyworking support ended because its outcomes were met: they leave the
    register on ``on`` and the step-down is counted in the quarterly report."""

    sub: Literal["step-down"] = "step-down"
    reference: str
    on: date
    note: str = ""


class Consent(_Cmd):
    """Consent withdrawn (they leave the register on ``on``; the network
    closes; chasing stops) or re-checked ("reviewed", with the basis now)."""

    sub: Literal["consent"] = "consent"
    reference: str
    kind: Literal["withdrawn", "reviewed"]
    on: date
    basis: ConsentBasis | None = None
    note: str = ""


CONSENT_EXAMPLE = '/dsr consent DSR-0042 withdrawn --on 20/11/2026 "Told the keyworker by phone"'
CONSENT_REVIEW_EXAMPLE = "/dsr consent DSR-0042 reviewed --basis parental --on 20/11/2026"
_CONSENT_WORDS: dict[str, Literal["withdrawn", "reviewed"]] = {
    "withdrawn": "withdrawn",
    "withdraw": "withdrawn",
    "withdrew": "withdrawn",
    "reviewed": "reviewed",
    "review": "reviewed",
    "rechecked": "reviewed",
    "re-checked": "reviewed",
    "checked": "reviewed",
}


SupportKind = Literal["preventive", "end"]
_SUPPORT_WORDS: dict[str, SupportKind] = {
    "preventive": "preventive",
    "prevention": "preventive",
    "end": "end",
    "ended": "end",
    "ends": "end",
    "stop": "end",
}


class Support(_Cmd):
    """Preventive keyworking support (for young people who are Green or not on
    the DSR) begins, with its keyworker, or ends. Someone not on the register
    yet needs an age band and a consent basis, as for /dsr add."""

    sub: Literal["support"] = "support"
    reference: str
    kind: SupportKind
    keyworker: PersonRef | None = None  # default: their keyworker, or the asker
    on: date | None = None  # began or ended on an earlier day (default: today)
    age_band: AgeBand | None = None
    ehcp: bool = False
    consent_basis: ConsentBasis | None = None
    consent_date: date | None = None


class Report(_Cmd):
    sub: Literal["report"] = "report"
    quarter: str | None = None  # "2026-Q2"; None: the last completed quarter


class AgendaPreview(_Cmd):
    sub: Literal["agenda"] = "agenda"


class Visit(_Cmd):
    sub: Literal["visit"] = "visit"
    reference: str
    visited_on: date


class Outcome(_Cmd):
    sub: Literal["outcome"] = "outcome"
    reference: str
    decision: str
    rating: Rating | None = None
    action: str | None = None  # "@owner TEXT by DATE", read by /action's grammar


class AgendaPost(_Cmd):
    sub: Literal["agenda-post"] = "agenda-post"


class Help(_Cmd):
    sub: Literal["help"] = "help"


DsrCommand = (
    Add
    | Rate
    | Admit
    | Discharge
    | Keyworker
    | Transition
    | Show
    | ListRegister
    | Remove
    | StepDown
    | Report
    | AgendaPreview
    | AgendaPost
    | Outcome
    | Visit
    | Support
    | Consent
    | Help
)


def parse(
    text: str,
    *,
    today: date,
    calendar: WorkingCalendar,
    max_text: int = MAX_TEXT,
    backdate_months: int = 24,
) -> DsrCommand:
    """``backdate_months`` is the policy's ``register_rules.backdate_months``:
    how far back `--on DATE` (and an admission without --confirm) may go."""
    sub, rest = read_sub(
        " ".join(text.split()), command="dsr", options=OPTIONS, aliases=_SUB_ALIASES
    )
    earliest = add_months(today, -backdate_months)
    if sub in ("", "help"):
        return Help()
    if sub == "add":
        return _add(rest, today=today, calendar=calendar, earliest=earliest)
    if sub in ("rate", "rating"):
        return _rate(rest, today=today, calendar=calendar, earliest=earliest, max_text=max_text)
    if sub in ("admit", "admitted", "admission"):
        return _admit(rest, today=today, calendar=calendar, earliest=earliest)
    if sub in ("discharge", "discharged"):
        reference, tail = _reference(rest, example=DISCHARGE_EXAMPLE)
        day = parse_held_date(
            tail, today=today, calendar=calendar, what=f"{reference} was discharged"
        )
        return Discharge(reference=reference, discharged_on=day)
    if sub == "keyworker":
        return _keyworker(rest, today=today, calendar=calendar, earliest=earliest)
    if sub == "transition":
        reference, tail = _reference(rest, example=TRANSITION_EXAMPLE)
        return Transition(reference=reference, month=parse_month(tail, today=today))
    if sub == "show":
        reference, tail = _reference(rest, example="/dsr show DSR-0042")
        if tail:
            raise UserError(
                "`/dsr show` takes only the young person's reference.", hint="/dsr show DSR-0042"
            )
        return Show(reference=reference)
    if sub == "list":
        return _list(rest)
    if sub in ("remove", "archive"):
        reference, tail = _reference(rest, example=REMOVE_EXAMPLE)
        reason = check_text(
            unquote(tail), what="reason for removing them", example=REMOVE_EXAMPLE, limit=max_text
        )
        if sounds_like_step_down(reason):
            raise UserError(
                "That sounds like a step-down (outcomes met, support no longer needed). Record "
                "it as one, so that it is counted in the quarterly report and credited to "
                "their keyworker.",
                hint=f"Type: /dsr step-down {reference} (add --on DATE if it wasn't today, "
                "and a note in quotes if you like)",
            )
        return Remove(reference=reference, reason=reason)
    if sub in ("step-down", "stepdown", "stepped-down", "step"):
        if sub == "step":
            word, rest = first_word(rest)
            if word.lower() != "down":
                raise UserError(
                    "Did you mean `/dsr step-down`?", hint=f"For example: {STEP_DOWN_EXAMPLE}"
                )
        return _step_down(
            rest, today=today, calendar=calendar, earliest=earliest, max_text=max_text
        )
    if sub in ("report", "reports", "quarterly"):
        quarter = rest.strip()
        if " " in quarter:
            raise UserError(
                "`/dsr report` takes one quarter, written like 2026-Q2 (or nothing, for the "
                "last completed quarter).",
                hint=f"For example: {REPORT_EXAMPLE}",
            )
        return Report(quarter=quarter or None)
    if sub == "agenda" and rest.lower() in ("", "preview"):
        return AgendaPreview()
    if sub == "agenda" and rest.lower() == "post":
        return AgendaPost()
    if sub == "agenda":
        raise UserError(
            "`/dsr agenda` is `preview` (only to you) or `post` (to the chair's channel, once).",
            hint="For example: /dsr agenda preview",
        )
    if sub == "visit":
        reference, tail = _reference(rest, example="/dsr visit DSR-0042 today")
        day = parse_held_date(
            tail, today=today, calendar=calendar, what=f"the commissioner visited {reference}"
        )
        return Visit(reference=reference, visited_on=day)
    if sub in ("outcome", "outcomes"):
        return _outcome(rest, max_text=max_text)
    if sub == "support":
        return _support(rest, today=today, calendar=calendar, earliest=earliest)
    if sub == "consent":
        return _consent(rest, today=today, calendar=calendar, earliest=earliest, max_text=max_text)
    shown = sub if len(sub) <= 30 else sub[:29] + "…"
    raise UserError(
        f"I don't know `/dsr {shown}`.",
        hint="Try `/dsr help` to see what I can do.",
    )


def sounds_like_step_down(reason: str) -> bool:
    """A removal whose reason says it is a step-down ("stepped down",
    "outcomes met"): recorded as a step-down instead, so the report counts it."""
    return _STEP_DOWN_WORDS.search(reason) is not None


def _reference(rest: str, *, example: str) -> tuple[str, str]:
    """The young person's reference at the start of ``rest``, and what follows."""
    token, tail = first_word(rest)
    check_reference(token, example=example)
    return token.upper(), tail


def check_reference(token: str, *, example: str) -> str:
    if not token or not REF_SHAPE.match(token):
        raise UserError(
            "Start with the young person's register reference (letters, digits and dashes, "
            "no spaces; never a name, date of birth or NHS number).",
            hint=f"For example: {example}",
        )
    return token.upper()


def _pop_flags(text: str) -> tuple[str, set[str]]:
    flags: set[str] = set()
    for match in _FLAG.finditer(text):
        if match.group(1) in flags:
            raise UserError(f"--{match.group(1)} is given twice; give it once.")
        flags.add(match.group(1))
    return _FLAG.sub(" ", text), flags


def _key(word: str) -> str:
    return re.sub(r"[\s_]+", "-", word.strip().lower())


def _add(rest: str, *, today: date, calendar: WorkingCalendar, earliest: date) -> Add:
    rest, flags = _pop_flags(rest)
    body, options = pop_options(rest, OPTIONS["add"])
    token, tail = first_word(body)
    check_reference(token, example=ADD_EXAMPLE)
    reference = token  # as typed: the policy's reference pattern is checked against it
    if tail:
        raise UserError(
            "The register reference is one word (letters, digits and dashes, no spaces; never "
            "a name, date of birth or NHS number), and only the options come after it.",
            hint=f"For example: {ADD_EXAMPLE}",
        )
    band_text = options.get("age-band", "")
    if not band_text:
        raise UserError(
            "Say which age band they are in: --age-band under-18 or --age-band 18-25.",
            hint=f"For example: {ADD_EXAMPLE}",
        )
    age_band = parse_age_band(band_text, example=ADD_EXAMPLE)
    basis_text, consent_date_text = options.get("consent", ""), options.get("consent-date", "")
    if not basis_text or not consent_date_text:
        missing = (
            "the consent basis (--consent consent, best-interests or parental) and its date "
            "(--consent-date)"
            if not basis_text and not consent_date_text
            else "the consent basis (--consent consent, best-interests or parental)"
            if not basis_text
            else "the date consent was given or the decision made (--consent-date)"
        )
        raise UserError(
            f"I can't add {reference} without {missing}. Nobody goes on the DSR without their "
            "informed consent, consent from someone with parental responsibility, or a "
            "recorded best-interests decision.",
            hint=f"For example: {ADD_EXAMPLE}",
        )
    basis = parse_consent_basis(basis_text, example=ADD_EXAMPLE)
    consent_date = parse_held_date(
        consent_date_text,
        today=today,
        calendar=calendar,
        what="consent was given or the best-interests decision was made",
    )
    on = _on(options, today=today, calendar=calendar, earliest=earliest, what="they joined")
    return Add(
        reference=reference,
        age_band=age_band,
        ehcp="ehcp" in flags,
        consent_basis=basis,
        consent_date=consent_date,
        on=on,
    )


def parse_age_band(text: str, *, example: str) -> AgeBand:
    """``under-18`` or ``18-25`` (and the ways people write them)."""
    age_band = _AGE_BAND_ALIASES.get(_key(text))
    if age_band is None:
        raise UserError(
            f"I don't know the age band {_shown(text)!r}; use under-18 or 18-25.",
            hint=f"For example: {example}",
        )
    return age_band


def parse_consent_basis(text: str, *, example: str) -> ConsentBasis:
    """``consent``, ``best-interests`` or ``parental`` (and the ways people write them)."""
    basis = _CONSENT_ALIASES.get(_key(text))
    if basis is None:
        raise UserError(
            f"I don't know the consent basis {_shown(text)!r}; use consent, "
            "best-interests or parental.",
            hint=f"For example: {example}",
        )
    return basis


def _on(
    options: dict[str, str],
    *,
    today: date,
    calendar: WorkingCalendar,
    earliest: date,
    what: str,
) -> date | None:
    """``--on DATE``: the day something happened, if earlier than today."""
    text = options.get("on")
    if text is None:
        return None
    return parse_held_date(text, today=today, calendar=calendar, what=what, earliest=earliest)


def _split_on(options: dict[str, str], text: str) -> tuple[dict[str, str], str]:
    """`--on 20/11 "note"`: an unquoted option runs to the end of the line, so
    the date ends where a quoted text starts, and that text is put back."""
    on_text = options.get("on")
    if on_text is None:
        return options, text
    quote = min((on_text.find(q) for q in ('"', "“") if q in on_text), default=-1)
    if quote <= 0:
        return options, text
    return {**options, "on": on_text[:quote]}, f"{text} {on_text[quote:]}".strip()


def _step_down(
    rest: str, *, today: date, calendar: WorkingCalendar, earliest: date, max_text: int
) -> StepDown:
    body, options = pop_options(rest, OPTIONS["step-down"])
    reference, note_text = _reference(body, example=STEP_DOWN_EXAMPLE)
    options, note_text = _split_on(options, note_text)
    on = _on(
        options,
        today=today,
        calendar=calendar,
        earliest=earliest,
        what=f"{reference} was stepped down",
    )
    note = unquote(note_text)
    if note:
        note = check_text(note, what="note", example=STEP_DOWN_EXAMPLE, limit=max_text)
    return StepDown(reference=reference, on=on or today, note=note)


def _consent(
    rest: str, *, today: date, calendar: WorkingCalendar, earliest: date, max_text: int
) -> Consent:
    body, options = pop_options(rest, OPTIONS["consent"])
    reference, tail = _reference(body, example=CONSENT_EXAMPLE)
    word, note_text = first_word(tail)
    kind = _CONSENT_WORDS.get(word.lower())
    if kind is None:
        raise UserError(
            f"`/dsr consent {reference}` needs what happened: withdrawn or reviewed.",
            hint=f"For example: {CONSENT_EXAMPLE}\nor: {CONSENT_REVIEW_EXAMPLE}",
        )
    options, note_text = _split_on(options, note_text)
    example = CONSENT_EXAMPLE if kind == "withdrawn" else CONSENT_REVIEW_EXAMPLE
    what = (
        f"{reference}'s consent was withdrawn"
        if kind == "withdrawn"
        else f"{reference}'s consent was re-checked"
    )
    on = _on(options, today=today, calendar=calendar, earliest=earliest, what=what)
    basis_text = options.get("basis")
    if kind == "reviewed" and not basis_text:
        raise UserError(
            "A consent re-check needs the basis it found: --basis consent, best-interests "
            "or parental.",
            hint=f"For example: {CONSENT_REVIEW_EXAMPLE}",
        )
    if kind == "withdrawn" and basis_text:
        raise UserError(
            "Withdrawn consent has no basis: leave --basis out.", hint=f"For example: {example}"
        )
    note = unquote(note_text)
    if note:
        note = check_text(note, what="note", example=example, limit=max_text)
    return Consent(
        reference=reference,
        kind=kind,
        on=on or today,
        basis=parse_consent_basis(basis_text, example=example) if basis_text else None,
        note=note,
    )


def _support(rest: str, *, today: date, calendar: WorkingCalendar, earliest: date) -> Support:
    rest, flags = _pop_flags(rest)
    body, options = pop_options(rest, OPTIONS["support"])
    # As typed: someone new to the register is checked against the policy's
    # pattern (capital letters included), as for /dsr add.
    reference, tail = first_word(body)
    check_reference(reference, example=SUPPORT_EXAMPLE)
    word, tail = first_word(tail)
    kind = _SUPPORT_WORDS.get(word.lower())
    if kind is None:
        raise UserError(
            f"I don't know the support {_shown(word)!r}: it is `preventive` (support begins) "
            "or `end`."
            if word
            else "Say whether preventive support begins or ends: `preventive` or `end`.",
            hint=f"For example: {SUPPORT_EXAMPLE}, or {SUPPORT_END_EXAMPLE}",
        )
    if kind == "end" and (tail or flags or set(options) - {"on"}):
        raise UserError(
            "`/dsr support REF end` takes only --on DATE (when it ended, if not today).",
            hint=f"For example: {SUPPORT_END_EXAMPLE}",
        )
    keyworker = None
    if tail:
        keyworker = parse_person(tail) if " " not in tail else None
        if keyworker is None:
            raise UserError(
                f"I couldn't tell who {_shown(tail)!r} is: name the keyworker as one @mention "
                "or email (or leave them out: their keyworker, or you).",
                hint=f"For example: {SUPPORT_EXAMPLE}",
            )
    what = f"{reference}'s preventive support {'began' if kind == 'preventive' else 'ended'}"
    on = _on(options, today=today, calendar=calendar, earliest=earliest, what=what)
    band = options.get("age-band")
    basis = options.get("consent")
    consent_date = options.get("consent-date")
    return Support(
        reference=reference,
        kind=kind,
        keyworker=keyworker,
        on=on,
        age_band=parse_age_band(band, example=SUPPORT_NEW_EXAMPLE) if band else None,
        ehcp="ehcp" in flags,
        consent_basis=parse_consent_basis(basis, example=SUPPORT_NEW_EXAMPLE) if basis else None,
        consent_date=parse_held_date(
            consent_date,
            today=today,
            calendar=calendar,
            what="consent was given or the best-interests decision was made",
        )
        if consent_date
        else None,
    )


def parse_rating(word: str, *, example: str = RATE_EXAMPLE) -> Rating:
    key = word.strip().lower()
    for rating in RATINGS:
        if key == rating:
            return rating
    raise UserError(
        f"{_shown(word)!r} isn't a rating; use red, amber, green or blue."
        if word
        else "Give the rating: red, amber, green or blue.",
        hint=f"For example: {example}",
    )


OUTCOME_EXAMPLE = (
    '/dsr outcome DSR-0042 "Step up to Red; C(E)TR this month" --rate red '
    "--action @priya.shah Arrange the C(E)TR by 11/12"
)


def _outcome(rest: str, *, max_text: int) -> Outcome:
    body, options = pop_options(rest, OPTIONS["outcome"])
    reference, decision_text = _reference(body, example=OUTCOME_EXAMPLE)
    decision = check_text(
        unquote(decision_text), what="decision", example=OUTCOME_EXAMPLE, limit=max_text
    )
    rating = parse_rating(options["rate"], example=OUTCOME_EXAMPLE) if "rate" in options else None
    action = options.get("action")
    if action is not None and not action.strip():
        raise UserError(
            "--action needs the owner, what and when.", hint=f"For example: {OUTCOME_EXAMPLE}"
        )
    return Outcome(reference=reference, decision=decision, rating=rating, action=action)


def _rate(
    rest: str, *, today: date, calendar: WorkingCalendar, earliest: date, max_text: int
) -> Rate:
    body, options = pop_options(rest, OPTIONS["rate"])
    reference, tail = _reference(body, example=RATE_EXAMPLE)
    word, rationale_text = first_word(tail)
    rating = parse_rating(word)
    options, rationale_text = _split_on(options, rationale_text)
    rationale = unquote(rationale_text)
    if not rationale:
        raise UserError(
            f"Please give the reason for rating {reference} {rating}: every rating change "
            "keeps its rationale in the history.",
            hint=f"For example: {RATE_EXAMPLE}",
        )
    rationale = check_text(rationale, what="rationale", example=RATE_EXAMPLE, limit=max_text)
    on = _on(
        options, today=today, calendar=calendar, earliest=earliest, what=f"{reference} was rated"
    )
    return Rate(reference=reference, rating=rating, rationale=rationale, on=on)


def _admit(rest: str, *, today: date, calendar: WorkingCalendar, earliest: date) -> Admit:
    rest, flags = _pop_flags(rest)
    body, options = pop_options(rest, OPTIONS["admit"])
    reference, date_text = _reference(body, example=ADMIT_EXAMPLE)
    what = f"{reference} was admitted"
    # A long-stay inpatient may have been admitted before the policy's limit:
    # read any past date, then ask for --confirm when it is that far back.
    admitted_on = parse_held_date(
        date_text, today=today, calendar=calendar, what=what, earliest=date(1, 1, 1)
    )
    if admitted_on < earliest and "confirm" not in flags:
        raise UserError(
            f"{format_numeric(admitted_on)} is before {format_numeric(earliest)}, further back "
            "than the register records things that happened earlier.",
            hint="If they really have been in hospital since then (a long stay), add --confirm: "
            f"/dsr admit {reference} {format_numeric(admitted_on)} --setting NAME --confirm",
        )
    setting_text = options.get("setting", "")
    if not setting_text.strip():
        raise UserError(
            'Say where they were admitted with --setting, for example --setting "Oak Ward".',
            hint=f"For example: {ADMIT_EXAMPLE}",
        )
    setting = check_text(setting_text, what="setting", example=ADMIT_EXAMPLE, limit=SETTING_LIMIT)
    return Admit(
        reference=reference,
        admitted_on=admitted_on,
        setting=setting,
        out_of_area="out-of-area" in flags,
    )


def _keyworker(rest: str, *, today: date, calendar: WorkingCalendar, earliest: date) -> Keyworker:
    body, options = pop_options(rest, OPTIONS["keyworker"])
    reference, tail = _reference(body, example=KEYWORKER_EXAMPLE)
    person = parse_person(tail) if tail and " " not in tail else None
    if person is None:
        raise UserError(
            f"I couldn't tell who {_shown(tail)!r} is: name one person, as an @mention or email."
            if tail
            else "Name the keyworker, as an @mention or email.",
            hint=f"For example: {KEYWORKER_EXAMPLE}",
        )
    on = _on(
        options,
        today=today,
        calendar=calendar,
        earliest=earliest,
        what=f"they became {reference}'s keyworker",
    )
    return Keyworker(reference=reference, person=person, on=on)


def parse_month(text: str, *, today: date) -> date:
    """A month and year ("03/2027", "Mar 2027", "March 2027") → its first day."""
    cleaned = " ".join(text.lower().split())
    if not cleaned:
        raise UserError(
            "Give the month they turn 18, with its year.",
            hint=f"For example: {TRANSITION_EXAMPLE} (or {MONTH_FORMS})",
        )
    month: int | None = None
    year_text = ""
    if m := _NUMERIC_MONTH.match(cleaned):
        month, year_text = int(m.group(1)), m.group(2)
    elif (m := _NAMED_MONTH.match(cleaned)) and m.group(1) in _MONTH_NAMES:
        month, year_text = _MONTH_NAMES[m.group(1)], m.group(2)
    if month is None or not 1 <= month <= 12:
        raise UserError(
            f"I couldn't read {_shown(text.strip())!r} as a month and year.",
            hint=f"Months I understand: {MONTH_FORMS}.",
        )
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    if not today.year - _TRANSITION_YEARS_BACK <= year <= today.year + _TRANSITION_YEARS_AHEAD:
        raise UserError(
            f"{year} looks wrong for the month someone on the register turns 18.",
            hint=f"For example: {TRANSITION_EXAMPLE}",
        )
    return date(year, month, 1)


def _list(rest: str) -> ListRegister:
    if not rest:
        return ListRegister()
    key = _key(rest)
    for only in LIST_FILTERS:
        if key == only:
            return ListRegister(only=only)
    if key in ("no-kw", "nokeyworker", "unallocated", "without-keyworker"):
        return ListRegister(only="no-keyworker")
    raise UserError(
        f"I can list by red, amber, green, blue, no-keyworker or preventive, not {_shown(rest)!r}.",
        hint="For example: /dsr list red",
    )


def _shown(text: str) -> str:
    return text if len(text) <= 30 else text[:29] + "…"
