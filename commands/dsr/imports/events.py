"""The register's history as dated events, and the replay that applies them.

One table (:data:`EVENTS`) says, for each kind of event, what its value and
detail hold, how they are read, where in a day it comes, and how it is applied.
Applying an event checks it against the register as the events before it left
it (through ``commands.dsr.rules``, the checks the `/dsr` commands make) and
adds the history rows the command would have written on that day:

=============  ==========================================================
event          history written
=============  ==========================================================
joined         a young person (``created_at`` that day, consent, age band)
rated          a rating change (Red, Amber, Green)
keyworker      a keyworker change (an empty value ends keyworking)
admitted       an admission, and a rating change to Blue
discharged     the open admission's discharge day
stepped-down   left the register that day, as a step-down
removed        left the register that day, for the reason given
transition     the month they turn 18
preventive     a support change (preventive), and a keyworker change when
               the keyworker is new; someone not on the register yet is
               recorded as known only for preventive support
support-ended  a support change (ended), and a keyworker change (none)
=============  ==========================================================

Every event also writes an audit event and its import key (see ``key``).
A new kind of event is a new row in :data:`EVENTS` and two functions.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from bot.calendar import WorkingCalendar
from bot.dates import format_numeric
from bot.errors import UserError
from bot.folding import fold
from bot.policy import Policy
from commands.dsr import grammar, rules
from commands.dsr.references import check_new_reference
from commands.dsr.register import STEPPED_DOWN
from store.models import Person

T = TypeVar("T")

SETTING_LIMIT = grammar.SETTING_LIMIT
TEXT_LIMIT = 500
NO_REASON = "Rating from the register's records (no reason recorded)"


@dataclass(frozen=True)
class Event:
    """One line of history: ``reference`` did ``kind`` on ``on``."""

    line: int
    reference: str
    on: date
    kind: str
    value: str = ""
    detail: str = ""


def key(event: Event, occurrence: int) -> str:
    """What makes an event the same event when a file is imported again: the
    reference, the day, the kind, the value (case-folded), and which
    occurrence of those four in the file it is. The detail (a rationale, a
    note) is left out, so that correcting a typo in it does not add the event
    a second time."""
    value = fold(event.value)
    if len(value) > 80:
        value = hashlib.sha256(value.encode()).hexdigest()[:40]
    return f"{event.reference.upper()}|{event.on.isoformat()}|{event.kind}|{value}|{occurrence}"


@dataclass
class Admitted:
    """An admission the replay has open: one already recorded (``id``), or
    one this import adds."""

    admitted_on: date
    setting: str
    out_of_area: bool = False
    discharged_on: date | None = None
    id: int | None = None
    line: int = 0


@dataclass
class Entry:
    """One young person as the events so far leave them."""

    reference: str
    joined: date
    existing_id: int | None = None  # None: joined in this import
    # Someone already on the register: the last day of their recorded
    # history; an import adds to it only from that day on.
    recorded_until: date | None = None
    joined_line: int = 0
    joined_at: datetime | None = None
    age_band: str = "under-18"
    ehcp: bool = False
    consent_basis: str = "consent"
    consent_date: date | None = None
    rating: str | None = None
    rated_at: datetime | None = None
    keyworker_id: int | None = None
    keyworker_line: int = 0  # the line that named the current keyworker
    admission: Admitted | None = None
    transition_month: date | None = None
    left_on: date | None = None
    leaving_reason: str | None = None
    archived_at: datetime | None = None
    archive_reason: str | None = None
    # Known only for preventive support (never on the DSR, until they join it).
    preventive_only: bool = False
    support: str | None = None  # "preventive" while it lasts
    support_since: date | None = None  # the day support last changed
    joins_now: bool = False  # someone known only for preventive support joins the DSR
    broken: bool = False  # an earlier line about them was refused
    changed: bool = False

    def in_hospital(self) -> rules.OpenAdmission | None:
        """Their open admission, as the register's rules see it."""
        current = self.admission
        return rules.OpenAdmission(current.admitted_on, current.setting) if current else None


@dataclass(frozen=True)
class Written:
    """A history row for the writer: ``what`` is "rating", "keyworker",
    "support", "admission" or "discharge"; ``values`` its columns."""

    entry: Entry
    what: str
    values: dict[str, Any]


@dataclass
class Replay:
    """The register as the events leave it, and what to write."""

    today: date
    now: datetime
    calendar: WorkingCalendar
    policy: Policy
    entries: dict[str, Entry]  # by upper-case reference
    directory: dict[str, Person]  # by email
    joins: dict[str, Event] = field(default_factory=dict)  # the file's `joined` lines
    rows: list[Written] = field(default_factory=list)
    audits: list[tuple[Entry, Event, str, dict[str, Any]]] = field(default_factory=list)
    applied: Counter[str] = field(default_factory=Counter)
    _seq: dict[date, int] = field(default_factory=lambda: defaultdict(int))

    def instant(self, day: date) -> datetime:
        """When an event on ``day`` is recorded as having happened: midday,
        a second after the one before it that day."""
        self._seq[day] += 1
        return rules.instant_of(day, now=self.now, calendar=self.calendar, seq=self._seq[day])

    def entry(self, event: Event) -> Entry:
        """The young person the event is about, on the register on its day."""
        found = self.entries.get(event.reference.upper())
        if found is None:
            joined = self.joins.get(event.reference.upper())
            if joined is not None:
                raise UserError(
                    f"{event.reference} isn't on the register on {format_numeric(event.on)}: "
                    f"they join it on {format_numeric(joined.on)} (line {joined.line})."
                )
            raise UserError(
                f"{event.reference} isn't on the register: give them a `joined` line first "
                "(or add them with /dsr add)."
            )
        if found.broken:
            raise _Skipped()
        if found.recorded_until is not None and event.on < found.recorded_until:
            raise UserError(
                f"{found.reference} already has history recorded up to "
                f"{format_numeric(found.recorded_until)}; an import only adds what came after "
                "(type earlier ratings and keyworkers with /dsr rate or /dsr keyworker … --on "
                "DATE)."
            )
        rules.check_still_on(
            found.reference,
            left_on=found.left_on,
            stepped_down=found.leaving_reason == "stepped-down",
        )
        if event.kind in _CHANGE:
            rules.check_on_the_dsr(
                found.reference,
                preventive_only=found.preventive_only,
                what=rules.NEEDS_THE_DSR[_CHANGE[event.kind]],
            )
        return found

    def audit(self, entry: Entry, event: Event, verb: str, **after: Any) -> None:
        self.audits.append((entry, event, verb, after))
        entry.changed = True
        self.applied[event.kind] += 1


# The events that are register changes only young people on the DSR can
# have (``rules.NEEDS_THE_DSR``), by the change's word.
_CHANGE = {
    "rated": "rate",
    "admitted": "admit",
    "discharged": "discharge",
    "stepped-down": "step-down",
    "removed": "remove",
}


class _Skipped(Exception):
    """An event about someone whose earlier line was refused: not checked."""


@dataclass(frozen=True)
class EventKind(Generic[T]):
    """One kind of event: what its columns hold (for people), how they are
    read (``read``: shape only, raising UserError), where it comes among the
    events of one day (``order``), and how it changes the register
    (``apply``: the rules, then the rows)."""

    name: str
    value: str
    detail: str
    read: Callable[[Event, date], T]
    apply: Callable[[Replay, Event, T], None]
    order: int
    # The directory email it names, if any (looked up before the replay).
    email: Callable[[T], str | None] = lambda _: None


# -- joined -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Joined:
    age_band: str
    consent_basis: str
    ehcp: bool
    consent_date: date


def _read_joined(event: Event, today: date) -> _Joined:
    parts = [part.strip() for part in event.detail.split(";") if part.strip()]
    if not parts:
        raise UserError(
            f"a `{event.kind}` line needs the consent basis in its detail: consent, best-interests "
            "or parental (add ;ehcp when they have an EHCP)."
        )
    example = "consent;ehcp"
    basis = grammar.parse_consent_basis(parts[0], example=example)
    ehcp = False
    consent_date = event.on
    for part in parts[1:]:
        word, _, rest = part.partition(" ")
        if part.lower() == "ehcp":
            ehcp = True
        elif word.lower() in ("consented", "consent-date") and rest.strip():
            consent_date = parse_day(rest, what="the consent date")
        else:
            raise UserError(
                f"I don't know {part!r} in a `{event.kind}` detail: it takes the consent basis, "
                "then ;ehcp and ;consented DATE if they apply."
            )
    if not event.value:
        raise UserError("a `joined` line needs the age band as its value: under-18 or 18-25.")
    band = grammar.parse_age_band(event.value, example="under-18")
    return _Joined(band, basis, ehcp, consent_date)


def _joined(replay: Replay, event: Event, data: _Joined) -> None:
    ref = event.reference
    known = replay.entries.get(ref.upper())
    if known is not None and known.preventive_only and known.left_on is None:
        _join_from_preventive(replay, event, data)
        return
    if ref.upper() in replay.entries:
        found = replay.entries[ref.upper()]
        if found.existing_id is None:
            raise UserError(f"{found.reference} already joined on line {found.joined_line}.")
        if found.left_on is not None:
            raise UserError(
                f"{found.reference} was on the register and left; its history is kept, so "
                "please use a new reference."
            )
        raise UserError(f"{found.reference} is already on the register.")
    entry = _new_entry(replay, event, data, preventive_only=False)
    _audit_joined(replay, entry, event, data)


def _new_entry(replay: Replay, event: Event, data: _Joined, *, preventive_only: bool) -> Entry:
    """Someone new to the register, from this day: on the DSR, or known only
    for preventive support."""
    check_new_reference(event.reference, policy=replay.policy)
    rules.check_consent(consent_date=data.consent_date, joined=event.on)
    entry = Entry(
        reference=event.reference,
        joined=event.on,
        joined_line=event.line,
        joined_at=replay.instant(event.on),
        age_band=data.age_band,
        ehcp=data.ehcp,
        consent_basis=data.consent_basis,
        consent_date=data.consent_date,
        preventive_only=preventive_only,
    )
    replay.entries[event.reference.upper()] = entry
    return entry


def _audit_joined(replay: Replay, entry: Entry, event: Event, data: _Joined, **more: Any) -> None:
    replay.audit(
        entry,
        event,
        "register.add",
        age_band=data.age_band,
        ehcp=data.ehcp,
        consent=data.consent_basis,
        consent_date=data.consent_date.isoformat(),
        **more,
    )


def _join_from_preventive(replay: Replay, event: Event, data: _Joined) -> None:
    """Someone known only for preventive support joins the DSR (as `/dsr add`
    for them): on it from this day, their support and keyworker unchanged."""
    entry = replay.entry(event)
    rules.check_consent(consent_date=data.consent_date, joined=event.on)
    entry.preventive_only, entry.joins_now = False, True
    entry.joined, entry.joined_line = event.on, event.line
    entry.joined_at = replay.instant(event.on)
    entry.age_band, entry.ehcp = data.age_band, data.ehcp
    entry.consent_basis, entry.consent_date = data.consent_basis, data.consent_date
    _audit_joined(replay, entry, event, data, was="preventive support only")


# -- rated ------------------------------------------------------------------------


def _read_rated(event: Event, today: date) -> tuple[str, str]:
    if event.value.strip().lower() == "blue":
        raise UserError(
            "Blue comes from an admission: use an `admitted` line (the setting as its value)."
        )
    rating = grammar.parse_rating(event.value, example="amber")
    return rating, _text(event.detail or "", what="rationale", default=NO_REASON)


def _rated(replay: Replay, event: Event, data: tuple[str, str]) -> None:
    entry = replay.entry(event)
    rating, rationale = data
    at = replay.instant(event.on)
    replay.rows.append(
        Written(entry, "rating", {"rating": rating, "rationale": rationale, "at": at})
    )
    entry.rating, entry.rated_at = rating, at
    replay.audit(entry, event, "register.rate", rating=rating, rationale=rationale)


# -- keyworker --------------------------------------------------------------------


def _read_keyworker(event: Event, today: date) -> str | None:
    email = event.value.strip().lower()
    if email and "@" not in email:
        raise UserError(f"a keyworker is named by email, not {event.value!r}.")
    return email or None


def _keyworker(replay: Replay, event: Event, email: str | None) -> None:
    entry = replay.entry(event)
    person = None
    if email is not None:
        person = replay.directory.get(email)
        if person is None:
            raise UserError(
                f"{email} isn't in the directory: import them first (teamaround directory "
                "import), or check the address."
            )
        if entry.keyworker_id == person.id:
            raise UserError(f"{person.name} is already {entry.reference}'s keyworker then.")
    elif entry.keyworker_id is None:
        raise UserError(f"{entry.reference} has no keyworker then, so there is none to end.")
    at = replay.instant(event.on)
    replay.rows.append(
        Written(entry, "keyworker", {"keyworker_id": person.id if person else None, "at": at})
    )
    entry.keyworker_id, entry.keyworker_line = (person.id if person else None), event.line
    replay.audit(entry, event, "register.keyworker", keyworker=email)


# -- admitted and discharged ------------------------------------------------------


def _read_admitted(event: Event, today: date) -> tuple[str, bool]:
    setting = _text(event.value, what="setting (the value)", limit=SETTING_LIMIT)
    detail = event.detail.strip().lower()
    if detail not in ("", "out-of-area", "out of area"):
        raise UserError(f"an admission's detail is out-of-area or empty, not {event.detail!r}.")
    return setting, bool(detail)


def _admitted(replay: Replay, event: Event, data: tuple[str, bool]) -> None:
    entry = replay.entry(event)
    setting, out_of_area = data
    rules.check_admit(entry.reference, current=entry.in_hospital())
    # Someone already in hospital when they joined: the admission keeps its
    # day; they are Blue from the day they joined (as `/dsr admit … --confirm`).
    at = replay.instant(max(event.on, entry.joined))
    admission = Admitted(event.on, setting, out_of_area, line=event.line)
    replay.rows.append(Written(entry, "admission", {"admission": admission, "at": at}))
    replay.rows.append(
        Written(
            entry, "rating", {"rating": "blue", "rationale": f"Admitted to {setting}", "at": at}
        )
    )
    entry.admission, entry.rating, entry.rated_at = admission, "blue", at
    replay.audit(
        entry,
        event,
        "register.admit",
        admitted_on=event.on.isoformat(),
        setting=setting,
        out_of_area=out_of_area,
    )


def _read_nothing(event: Event, today: date) -> None:
    if event.value.strip():
        raise UserError(f"a `{event.kind}` line has no value; leave that column empty.")


def _discharged(replay: Replay, event: Event, _: None) -> None:
    entry = replay.entry(event)
    rules.check_discharge(entry.reference, current=entry.in_hospital(), discharged_on=event.on)
    current = entry.admission
    assert current is not None
    current.discharged_on = event.on
    if current.id is not None:  # recorded before this import
        replay.rows.append(Written(entry, "discharge", {"admission": current}))
    entry.admission = None
    replay.audit(
        entry,
        event,
        "register.discharge",
        setting=current.setting,
        discharged_on=event.on.isoformat(),
    )


# -- leaving ----------------------------------------------------------------------


def _read_note(event: Event, today: date) -> str:
    _read_nothing(event, today)
    return _text(event.detail, what="note", default="")


def _stepped_down(replay: Replay, event: Event, note: str) -> None:
    entry = replay.entry(event)
    rules.check_step_down(entry.reference, current=entry.in_hospital())
    _leave(
        replay,
        entry,
        event,
        reason="stepped-down",
        text=f"{STEPPED_DOWN}. {note}" if note else STEPPED_DOWN,
    )
    replay.audit(entry, event, "register.step_down", keyworker_id=entry.keyworker_id)


def _read_reason(event: Event, today: date) -> str:
    _read_nothing(event, today)
    reason = _text(event.detail, what="reason for removing them (the detail)")
    if grammar.sounds_like_step_down(reason):
        raise UserError(
            "that reason sounds like a step-down (outcomes met, support no longer needed): "
            "make it a `stepped-down` line, so that the quarterly report counts it."
        )
    return reason


def _removed(replay: Replay, event: Event, reason: str) -> None:
    entry = replay.entry(event)
    _leave(replay, entry, event, reason="removed", text=reason)
    replay.audit(entry, event, "register.remove", reason=reason)


def _leave(replay: Replay, entry: Entry, event: Event, *, reason: str, text: str) -> None:
    entry.left_on, entry.leaving_reason = event.on, reason
    entry.archived_at, entry.archive_reason = replay.instant(event.on), text
    if entry.support is not None:  # leaving the register ends it, as the commands do
        replay.rows.append(Written(entry, "support", {"kind": None, "at": entry.archived_at}))
        entry.support, entry.support_since = None, event.on


# -- keyworking support -----------------------------------------------------------


@dataclass(frozen=True)
class _Preventive:
    email: str | None
    age_band: str | None  # needed for someone not on the register
    consent: _Joined | None  # ditto: the basis, EHCP and consent date after the email


def _read_preventive(event: Event, today: date) -> _Preventive:
    email, _, rest = event.detail.partition(";")
    email = email.strip().lower()
    if email and "@" not in email:
        raise UserError(
            f"a `preventive` line's detail starts with the keyworker's email, not {email!r}."
        )
    band = grammar.parse_age_band(event.value, example="under-18") if event.value else None
    consent = None
    if rest.strip():
        if band is None:
            raise UserError(
                "a consent basis in a `preventive` detail is for someone not on the register: "
                "give their age band as the value too."
            )
        consent = _read_joined(
            Event(event.line, event.reference, event.on, event.kind, band, rest), today
        )
    return _Preventive(email or None, band, consent)


def _band_on(entry: Entry, day: date) -> str:
    if entry.transition_month is not None and day >= entry.transition_month:
        return "18-25"
    return entry.age_band


def _preventive(replay: Replay, event: Event, data: _Preventive) -> None:
    ref = event.reference
    entry = replay.entries.get(ref.upper())
    if entry is None:
        entry = _preventive_newcomer(replay, event, data)
    else:
        entry = replay.entry(event)
        if data.consent is not None:
            raise UserError(
                f"{entry.reference} is already known: a `preventive` line's detail is then only "
                "the keyworker's email."
            )
        if data.age_band is not None and data.age_band != _band_on(entry, event.on):
            raise UserError(
                f"{entry.reference} is in the {_band_on(entry, event.on)} band then, not "
                f"{data.age_band}: leave the value empty for someone already known."
            )
        rules.check_preventive(
            entry.reference,
            rating=entry.rating,
            current=entry.in_hospital(),
            support=entry.support,
        )
    person = replay.directory.get(data.email) if data.email else None
    if data.email and person is None:
        raise UserError(
            f"{data.email} isn't in the directory: import them first (teamaround directory "
            "import), or check the address."
        )
    if person is None and entry.keyworker_id is None:
        raise UserError(
            "a `preventive` line needs the keyworker's email as its detail (they have no "
            "keyworker then)."
        )
    at = replay.instant(event.on)
    if person is not None and person.id != entry.keyworker_id:
        replay.rows.append(Written(entry, "keyworker", {"keyworker_id": person.id, "at": at}))
        entry.keyworker_id, entry.keyworker_line = person.id, event.line
    replay.rows.append(Written(entry, "support", {"kind": rules.PREVENTIVE, "at": at}))
    entry.support, entry.support_since = rules.PREVENTIVE, event.on
    replay.audit(entry, event, "register.support", support=rules.PREVENTIVE, keyworker=data.email)


def _preventive_newcomer(replay: Replay, event: Event, data: _Preventive) -> Entry:
    """Someone not on the register: known only for preventive support from
    this day (as `/dsr support REF preventive --age-band … --consent …`)."""
    ref = event.reference
    if data.age_band is None or data.consent is None:
        raise UserError(
            f"{ref} isn't on the register: for someone not on the DSR, a `preventive` line "
            "needs their age band as its value and, after the keyworker's email in its "
            "detail, their consent basis (kim.lee@example.org;parental)."
        )
    return _new_entry(replay, event, data.consent, preventive_only=True)


def _support_ended(replay: Replay, event: Event, note: str) -> None:
    entry = replay.entry(event)
    rules.check_support_end(
        entry.reference, support=entry.support, since=entry.support_since, on=event.on
    )
    at = replay.instant(event.on)
    replay.rows.append(Written(entry, "support", {"kind": None, "at": at}))
    if entry.keyworker_id is not None:
        replay.rows.append(Written(entry, "keyworker", {"keyworker_id": None, "at": at}))
    entry.support, entry.support_since = None, event.on
    entry.keyworker_id, entry.keyworker_line = None, event.line
    replay.audit(entry, event, "register.support", support=None, note=note or None)


# -- transition -------------------------------------------------------------------


def _read_transition(event: Event, today: date) -> date:
    return grammar.parse_month(event.value, today=today)


def _transition(replay: Replay, event: Event, month: date) -> None:
    entry = replay.entry(event)
    entry.transition_month = month
    replay.audit(entry, event, "register.transition", transition_month=month.isoformat())


# -- the table ----------------------------------------------------------------------

EVENTS: dict[str, EventKind[Any]] = {
    kind.name: kind
    for kind in (
        EventKind(
            "joined",
            value="age band: under-18 or 18-25",
            detail="consent basis: consent, best-interests or parental; add ;ehcp with an "
            "EHCP, and ;consented DATE when consent came before the day they joined",
            read=_read_joined,
            apply=_joined,
            order=0,
        ),
        EventKind(
            "transition",
            value="the month they turn 18, MM-YYYY",
            detail="—",
            read=_read_transition,
            apply=_transition,
            order=1,
        ),
        EventKind(
            "keyworker",
            value="the keyworker's email (in the directory), or empty to end keyworking",
            detail="—",
            read=_read_keyworker,
            apply=_keyworker,
            order=2,
            email=lambda email: email,
        ),
        EventKind(
            "rated",
            value="red, amber or green (Blue comes from admitted)",
            detail="the rationale",
            read=_read_rated,
            apply=_rated,
            order=3,
        ),
        EventKind(
            "preventive",
            value="the age band, under-18 or 18-25 (needed for someone not on the register)",
            detail="the keyworker's email; for someone not on the register, then ;consent "
            "basis (and ;ehcp, ;consented DATE) as for joined",
            read=_read_preventive,
            apply=_preventive,
            order=4,
            email=lambda data: data.email,
        ),
        EventKind(
            "admitted",
            value="the setting",
            detail="out-of-area, or empty",
            read=_read_admitted,
            apply=_admitted,
            order=5,
        ),
        EventKind(
            "discharged",
            value="—",
            detail="—",
            read=_read_nothing,
            apply=_discharged,
            order=6,
        ),
        EventKind(
            "support-ended",
            value="—",
            detail="a note",
            read=_read_note,
            apply=_support_ended,
            order=7,
        ),
        EventKind(
            "stepped-down",
            value="—",
            detail="a note",
            read=_read_note,
            apply=_stepped_down,
            order=8,
        ),
        EventKind(
            "removed",
            value="—",
            detail="the reason",
            read=_read_reason,
            apply=_removed,
            order=9,
        ),
    )
}


def apply_all(replay: Replay, events: list[tuple[Event, Any]], problems: list[str]) -> None:
    """Apply ``events`` (each with what its kind read) in date order, the
    events of one day in the table's order, then the file's; each refusal
    becomes a problem with its line number."""
    for event, _ in events:
        if event.kind == "joined":
            replay.joins.setdefault(event.reference.upper(), event)

    def when(item: tuple[Event, Any]) -> tuple[date, int, int]:
        event = item[0]
        day = event.on
        joined = replay.joins.get(event.reference.upper())
        if event.kind == "admitted" and joined is not None:
            day = max(day, joined.on)  # in hospital before they joined: applied as they join
        return day, EVENTS[event.kind].order, event.line

    ordered = sorted(events, key=when)
    for n, (event, data) in enumerate(ordered):
        try:
            EVENTS[event.kind].apply(replay, event, data)
        except _Skipped:
            continue
        except UserError as exc:
            problems.append(f"line {event.line}: {exc.message}")
            ref = event.reference.upper()
            broken = replay.entries.get(ref)
            if broken is not None and event.kind != "joined":
                # What follows rests on this line: checking it would only add noise.
                broken.broken = True
                if any(later.reference.upper() == ref for later, _ in ordered[n + 1 :]):
                    problems[-1] += f" (later lines for {broken.reference} were not checked)"


def parse_day(text: str, *, what: str = "the date") -> date:
    """A day in a file: 13/03/2026 (UK, day first) or 2026-03-13; a time
    after it (from a spreadsheet's date cells) is ignored."""
    cleaned = text.strip().split(" ")[0].split("T")[0]
    try:
        if "/" in cleaned:
            day, month, year = (int(part) for part in cleaned.split("/"))
            if year < 1000:
                raise ValueError
            return date(year, month, day)
        return date.fromisoformat(cleaned)
    except ValueError:
        shown = text.strip() or "nothing"
        raise UserError(
            f"{what} {shown!r} isn't a date I can read; write dates as dd/mm/yyyy "
            "(13/03/2026) or yyyy-mm-dd (2026-03-13)."
        ) from None


def _text(text: str, *, what: str, default: str | None = None, limit: int = TEXT_LIMIT) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        if default is not None:
            return default
        raise UserError(f"the {what} is missing.")
    if len(cleaned) > limit:
        raise UserError(
            f"the {what} is over {limit} characters; keep the detail in the case record."
        )
    return cleaned
