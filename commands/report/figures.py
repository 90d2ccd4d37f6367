"""The quarterly keyworking figures, rebuilt from history as at the end of a quarter.

Pure: ``build`` turns the rows ``commands.report.service.load`` reads (in a
fixed number of queries) into a frozen :class:`QuarterlyReport`, laid out as
NHS England's quarterly keyworking return is: Table 1 (on the DSR by rating,
Red and Amber with a named keyworker against the target, inpatients, new
admissions and re-admissions), section 2 (who received keyworking support
during the quarter, by Red, Amber, inpatients and preventive; the number
stepped back; the workforce), then figures the return does not ask for.
Nothing here looks at today's state of the register: a young person's
rating, keyworker, support, age band and inpatient status are each read from
their history as at the moment in question. The rules, in the words the
report prints, are in ``DEFINITIONS``.
"""

from __future__ import annotations

import bisect
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from bot.calendar import WorkingCalendar
from bot.dates import add_months, format_numeric
from bot.employers import employer_label
from bot.policy import Post
from commands.report.quarters import Quarter

Category = Literal["red", "amber", "green", "blue", "unrated"]
CATEGORIES: tuple[Category, ...] = ("red", "amber", "green", "blue", "unrated")
RATED: tuple[Category, ...] = ("red", "amber", "green")  # Table 1's total
# Section 2's kinds of keyworking support: "other" is a named keyworker for
# someone Green or not yet rated whose support was not recorded as preventive
# (shown, but not in the return's total).
Support = Literal["red", "amber", "blue", "preventive", "other"]
SUPPORTED: tuple[Support, ...] = ("red", "amber", "blue", "preventive")
Band = Literal["under-18", "18-25"]
BANDS: tuple[Band, ...] = ("under-18", "18-25")
PROVISIONAL = "Provisional – not NHSE-specified"

# -- what is read ---------------------------------------------------------------


@dataclass(frozen=True)
class YoungPersonRow:
    id: int
    reference: str
    age_band: str  # as recorded: under-18 | 18-25
    transition_month: date | None  # the first day of the month they turn 18
    joined_at: datetime
    left_on: date | None = None
    leaving_reason: str | None = None  # stepped-down | removed
    rating: str | None = None  # today's, used only when no rating history exists
    # Known only for preventive support: never on the DSR (``joined_at`` is
    # when they were first recorded).
    preventive_only: bool = False


@dataclass(frozen=True)
class Change:
    """One dated change of a young person's rating, keyworker or support."""

    young_person_id: int
    at: datetime
    value: Any  # a rating, a keyworker's person id, "preventive", or None
    order: int = 0  # the row id: settles two changes in the same instant


@dataclass(frozen=True)
class AdmissionRow:
    young_person_id: int
    admitted_on: date
    discharged_on: date | None = None


@dataclass(frozen=True)
class ActionRow:
    id: int
    agency: str
    created_at: datetime
    due_date: date  # today's; earlier due dates come from the events
    status: str = "open"  # open | done | cancelled
    closed_at: datetime | None = None


@dataclass(frozen=True)
class ActionEventRow:
    action_id: int
    kind: str  # escalated | due_changed | extension
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyworkerRow:
    """Someone from the directory: a keyworker, anyone who holds a young
    person, and anyone the policy's ``workforce:`` names."""

    id: int
    name: str
    listed: bool = False  # an active keyworker in the directory: shown even with no caseload
    email: str = ""
    role: str = "Keyworker"
    grade: str | None = None
    part_time: bool | None = None
    agency_kind: str | None = None  # their agency's kind: the employer
    active: bool = True


@dataclass(frozen=True)
class ReportData:
    register: str
    area: str = ""
    young_people: Sequence[YoungPersonRow] = ()
    ratings: Sequence[Change] = ()
    keyworkers: Sequence[Change] = ()
    admissions: Sequence[AdmissionRow] = ()
    actions: Sequence[ActionRow] = ()
    action_events: Sequence[ActionEventRow] = ()
    people: Sequence[KeyworkerRow] = ()
    support: Sequence[Change] = ()


@dataclass(frozen=True)
class Rules:
    target_percent: int = 90
    readmission_months: int = 12
    caseload_limit: int = 20
    stages: int = 4  # rungs on the escalation ladder
    bands: tuple[Band, ...] = BANDS  # the bands the service covers (others read N/A)
    workforce_names: Literal["initials", "names"] = "initials"
    posts: tuple[Post, ...] = ()  # the policy's workforce; empty: the directory's keyworkers


# -- what is worked out ---------------------------------------------------------


@dataclass(frozen=True)
class ByBand:
    under_18: int = 0
    adults: int = 0  # 18-25

    @property
    def total(self) -> int:
        return self.under_18 + self.adults

    def cells(self) -> tuple[int, int, int]:
        return self.under_18, self.adults, self.total

    def of(self, band: Band) -> int:
        return self.under_18 if band == "under-18" else self.adults

    def __add__(self, other: ByBand) -> ByBand:
        return ByBand(self.under_18 + other.under_18, self.adults + other.adults)


@dataclass(frozen=True)
class Percent:
    """``part`` of ``whole`` as a whole percentage (half up), or "n/a";
    ``parts`` shows the numerator and denominator too ("94% (17/18)")."""

    part: int
    whole: int
    parts: bool = False

    @property
    def value(self) -> int | None:
        if self.whole == 0:
            return None
        exact = Decimal(100 * self.part) / Decimal(self.whole)
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def __str__(self) -> str:
        value = self.value
        if value is None:
            return "n/a"
        return f"{value}% ({self.part}/{self.whole})" if self.parts else f"{value}%"

    def meets(self, target: int) -> str:
        return (
            "n/a"
            if self.whole == 0
            else ("Yes" if 100 * self.part >= target * self.whole else "No")
        )


@dataclass(frozen=True)
class PostLine:
    """One row of the return's workforce table: a post, and who holds it."""

    role: str
    name: str  # the holder's initials or name (the policy's choice); "" when vacant
    employer: str
    grade: str
    part_time: bool | None
    vacant: bool | None  # None: not known (no `workforce:` in the policy)
    new_starter: bool | None
    caseload: int  # at the end of the quarter
    step_downs: int  # in the quarter
    over_limit: bool
    in_policy: bool = True  # False: a keyworker with a caseload the policy lists no post for


@dataclass(frozen=True)
class AgencyLine:
    agency: str
    created: int
    completed: int
    overdue: int
    median_days: float | None  # working days from created to done
    escalations: tuple[int, ...]  # reached stage 1, 2, … in the quarter


@dataclass(frozen=True)
class QuarterMix:
    quarter: Quarter
    as_at: date
    counts: Mapping[Category, int]


@dataclass(frozen=True)
class QuarterlyReport:
    register: str
    area: str
    quarter: Quarter
    as_at: date
    in_progress: bool
    rules: Rules
    # Table 1: on the DSR at the end (Blue: the inpatients of row 2).
    on_register: Mapping[Category, ByBand]
    red_with_keyworker: ByBand
    amber_with_keyworker: ByBand
    inpatients: ByBand
    inpatients_with_keyworker: ByBand
    new_admissions: ByBand
    readmissions: ByBand
    discharges: ByBand
    # Section 2: receiving keyworking support at any time in the quarter.
    supported: Mapping[Support, ByBand]
    stepped_down: ByBand
    workforce: tuple[PostLine, ...]
    caseload_median: float | None
    uneven: bool
    without_keyworker: ByBand  # on the DSR at the end with no named keyworker
    # Not in the return.
    agencies: tuple[AgencyLine, ...]
    actions_total: AgencyLine
    rating_mix: tuple[QuarterMix, ...]  # the last four quarters, oldest first
    notes: tuple[str, ...] = ()
    empty: bool = False

    @property
    def on_register_total(self) -> ByBand:
        """Table 1's total on the DSR: Red, Amber and Green (inpatients are
        row 2, and those not yet rated are shown apart)."""
        return _sum(self.on_register[c] for c in RATED)

    @property
    def red_amber(self) -> ByBand:
        return self.on_register["red"] + self.on_register["amber"]

    @property
    def red_amber_with_keyworker(self) -> ByBand:
        return self.red_with_keyworker + self.amber_with_keyworker

    @property
    def red_amber_without_keyworker(self) -> ByBand:
        both, named = self.red_amber, self.red_amber_with_keyworker
        return ByBand(both.under_18 - named.under_18, both.adults - named.adults)

    @property
    def supported_total(self) -> ByBand:
        """Section 2's total: Red, Amber, inpatients and preventive."""
        return _sum(self.supported[c] for c in SUPPORTED)

    @property
    def keyworkers(self) -> tuple[PostLine, ...]:
        """The workforce rows with someone in post."""
        return tuple(line for line in self.workforce if not line.vacant)

    @property
    def largest_caseload(self) -> int:
        return max((k.caseload for k in self.keyworkers), default=0)

    def covers(self, band: Band) -> bool:
        return band in self.rules.bands


def _sum(values: Iterable[ByBand]) -> ByBand:
    items = list(values)
    return ByBand(sum(v.under_18 for v in items), sum(v.adults for v in items))


DEFINITIONS = (
    "Every figure is rebuilt from the register's history as at the end of the quarter "
    "(midnight, UK time), never from today's state.",
    "Age band: under 18 until the first day of the month they turn 18 (when recorded), "
    "otherwise the band recorded on the register. A band the service does not cover "
    "(policy report.bands) reads N/A.",
    "Table 1, row 1: on the DSR at the end of the quarter by rating. The total is Red, Amber "
    "and Green: inpatients (Blue) are row 2, not in this total, and young people not yet "
    "rated are shown under 'Not in the return'. Young people known only for preventive "
    "support are never on the DSR.",
    "Named keyworker: the keyworker the register recorded at that moment.",
    "% of Red and Amber with a named keyworker = (Red with a named keyworker + Amber with a "
    "named keyworker) ÷ (Red + Amber), in each band; the numerator and denominator are shown "
    "beside it, and it is compared with the {target_percent}% target. A published return "
    "divided its 18–25 percentage by Red only; Teamaround divides by Red and Amber in both "
    "bands, as the target is worded.",
    "Table 1, row 2: inpatients (Blue) are an admission open at the end of the day, or a Blue "
    "rating. An open admission counts as Blue whatever the rating.",
    "Table 1, row 3: a re-admission is an admission that starts within {readmission_months} "
    "months of a discharge; every other admission in the quarter is a new admission.",
    "Section 2, receiving keyworking support during the quarter: anyone who had a named "
    "keyworker while on the DSR, or recorded preventive support (/dsr support REF "
    "preventive), at any time in the quarter, not only at its end; each counted once, by "
    "what they were the last time they were supported in it: Red, Amber or an inpatient, "
    "otherwise preventive if preventive support was recorded in the quarter. Young people "
    "without a named keyworker are not counted: a published return's support total counted "
    "Red and Amber young people without one; Teamaround shows them apart ('Red or Amber "
    "without a named keyworker', under 'Not in the return'). A named keyworker for someone "
    "Green or not yet rated, not recorded as preventive, is shown under the table and not "
    "in its total.",
    "Preventive: keyworking support recorded for a young person who is Green or not on the "
    "DSR. It is never added into 'on the DSR'; someone recorded as preventive who was Red, "
    "Amber or an inpatient at the time counts in that category instead.",
    "Stepped back: left the register in the quarter because the outcomes of keyworking were "
    "met and support was no longer needed (/dsr step-down). Ending preventive support "
    "(/dsr support REF end) is not a step-down.",
    "Workforce: one row per post of the policy's workforce (a post nobody holds is vacant; a "
    "new starter came into post in the quarter), then any keyworker with a caseload the "
    "policy lists no post for. Employer from the holder's agency (directory column "
    "agency_kind), grade and part-time from the directory. Caseload: young people on the "
    "DSR, or receiving preventive support, with that keyworker at the end of the quarter; "
    "flagged over the limit of {caseload_limit}, and uneven when the largest caseload is "
    "more than twice the median. Stepped down in the quarter: their young people's step-downs.",
    "Actions: created or completed in the quarter; overdue if still open at the end of the "
    "quarter and due on or before its last day. Each action counts for the agency of its "
    "owner at the end of the quarter (a later reassignment is undone). Working days skip "
    "weekends and England and Wales bank holidays. Escalations: each time an action reached "
    "a stage in the quarter.",
    "Percentages are rounded to whole numbers; a percentage of nobody reads n/a.",
)


def definitions(rules: Rules) -> tuple[str, ...]:
    return tuple(
        line.format(
            readmission_months=rules.readmission_months,
            caseload_limit=rules.caseload_limit,
            target_percent=rules.target_percent,
        )
        for line in DEFINITIONS
    )


def initials(name: str) -> str:
    """ "Kim Lee" → "KL"; "Mary-Jane O'Neil" → "MJO"."""
    return "".join(word[0].upper() for word in re.split(r"[\s\-]+", name.strip()) if word)


# -- the working ----------------------------------------------------------------


class _Timeline:
    """Dated values per young person: the value in force at an instant."""

    def __init__(self, changes: Iterable[Change]) -> None:
        by_person: dict[int, list[tuple[datetime, int, Any]]] = defaultdict(list)
        for change in changes:
            by_person[change.young_person_id].append((change.at, change.order, change.value))
        self._keys: dict[int, list[tuple[datetime, int]]] = {}
        self._values: dict[int, list[Any]] = {}
        for person, items in by_person.items():
            items.sort(key=lambda item: (item[0], item[1]))
            self._keys[person] = [(at, order) for at, order, _ in items]
            self._values[person] = [value for _, _, value in items]

    def known(self, person: int) -> bool:
        return person in self._keys

    def at(self, person: int, instant: datetime) -> Any:
        """The value set last before ``instant`` (None if none was)."""
        keys = self._keys.get(person)
        if not keys:
            return None
        index = bisect.bisect_left(keys, (instant, -1))
        return self._values[person][index - 1] if index else None

    def any_between(self, person: int, start: datetime, stop: datetime) -> bool:
        """Whether a non-empty value was in force at some time in [start, stop)."""
        if start >= stop:
            return False
        if self.at(person, start) is not None:
            return True
        keys = self._keys.get(person, [])
        values = self._values.get(person, [])
        return any(
            value is not None and start <= at < stop
            for (at, _), value in zip(keys, values, strict=True)
        )

    def last_in(self, person: int, start: datetime, stop: datetime) -> datetime | None:
        """The end of the last stretch in [start, stop) with a non-empty value
        in force: ``stop`` if one is in force then, else the instant the last
        one ended (None if none was in force in the window)."""
        if start >= stop:
            return None
        if self.at(person, stop) is not None:
            return stop
        keys = self._keys.get(person, [])
        values = self._values.get(person, [])
        for index in range(len(keys) - 1, -1, -1):
            at = keys[index][0]
            if at >= stop:
                continue
            if at <= start:
                return None
            before = values[index - 1] if index else None
            if values[index] is None and before is not None:
                return at
        return None


@dataclass(frozen=True)
class _Clock:
    calendar: WorkingCalendar

    def end_of(self, day: date) -> datetime:
        """Midnight at the end of ``day`` (local), as an instant."""
        return self.calendar.at_local(day + timedelta(days=1), time(0))

    def start_of(self, day: date) -> datetime:
        return self.calendar.at_local(day, time(0))

    def day_before(self, instant: datetime) -> date:
        """The local day an instant ends (midnight belongs to the day before)."""
        return self.calendar.local_date(instant - timedelta(microseconds=1))


def band_on(person: YoungPersonRow, day: date) -> Band:
    if person.transition_month is not None:
        return "18-25" if day >= person.transition_month else "under-18"
    return "18-25" if person.age_band == "18-25" else "under-18"


class _Counter:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, Band], int] = defaultdict(int)

    def add(self, key: str, band: Band) -> None:
        self.counts[(key, band)] += 1

    def band(self, key: str) -> ByBand:
        return ByBand(self.counts[(key, "under-18")], self.counts[(key, "18-25")])


class _Register:
    """Who was where, when: the register's history as one object."""

    def __init__(self, data: ReportData, clock: _Clock) -> None:
        self.people = data.young_people
        self.clock = clock
        self.ratings = _Timeline(data.ratings)
        self.keyworkers = _Timeline(data.keyworkers)
        self.support = _Timeline(data.support)
        self.admissions: dict[int, list[AdmissionRow]] = defaultdict(list)
        for admission in data.admissions:
            self.admissions[admission.young_person_id].append(admission)

    def joined_on(self, person: YoungPersonRow) -> date:
        return self.clock.calendar.local_date(person.joined_at)

    def on_register(self, person: YoungPersonRow, day: date) -> bool:
        """On the DSR at the end of ``day``."""
        return (
            not person.preventive_only
            and self.joined_on(person) <= day
            and (person.left_on is None or person.left_on > day)
        )

    def inpatient(self, person: YoungPersonRow, day: date) -> bool:
        return any(
            a.admitted_on <= day and (a.discharged_on is None or a.discharged_on > day)
            for a in self.admissions.get(person.id, ())
        )

    def rating(self, person: YoungPersonRow, instant: datetime) -> str | None:
        if not self.ratings.known(person.id):
            return person.rating  # entries from before a history was kept
        value = self.ratings.at(person.id, instant)
        return str(value) if value is not None else None

    def category(self, person: YoungPersonRow, day: date) -> Category:
        if self.inpatient(person, day):
            return "blue"
        rating = self.rating(person, self.clock.end_of(day))
        return rating if rating in ("red", "amber", "green", "blue") else "unrated"  # type: ignore[return-value]

    def keyworker(self, person: YoungPersonRow, day: date) -> int | None:
        value = self.keyworkers.at(person.id, self.clock.end_of(day))
        return int(value) if value is not None else None

    def mix(self, day: date) -> dict[Category, int]:
        counts: dict[Category, int] = dict.fromkeys(CATEGORIES, 0)
        for person in self.people:
            if self.on_register(person, day):
                counts[self.category(person, day)] += 1
        return counts

    def support_in(
        self, person: YoungPersonRow, start: datetime, stop: datetime
    ) -> tuple[Support, date] | None:
        """Whether ``person`` received keyworking support in [start, stop):
        what they were the last time they did (Red, Amber or an inpatient;
        else preventive, if preventive support was recorded in the window;
        else "other"), and that day."""
        dsr_start = max(start, person.joined_at)
        if person.left_on is not None:
            stop = min(stop, self.clock.end_of(person.left_on))
        last_keyworker = (
            None if person.preventive_only else self.keyworkers.last_in(person.id, dsr_start, stop)
        )
        last_preventive = self.support.last_in(person.id, start, stop)
        moments = [t for t in (last_keyworker, last_preventive) if t is not None]
        if not moments:
            return None
        last = max(moments)
        day = self.clock.day_before(last)
        if not person.preventive_only and person.joined_at < last:
            category = self.category(person, day)
            if category == "red" or category == "amber" or category == "blue":
                return category, day
        return ("preventive" if last_preventive is not None else "other"), day


def _label(person: KeyworkerRow, rules: Rules) -> str:
    return person.name if rules.workforce_names == "names" else initials(person.name)


def _workforce(
    data: ReportData,
    *,
    quarter: Quarter,
    as_at: date,
    rules: Rules,
    caseloads: Mapping[int, int],
    step_downs: Mapping[int, int],
) -> tuple[PostLine, ...]:
    """The return's workforce table: the policy's posts in its order, then
    keyworkers with a caseload or step-downs that no post names; without
    posts in the policy, every keyworker the directory lists."""
    by_email = {p.email: p for p in data.people if p.email}

    def line(person: KeyworkerRow, **given: Any) -> PostLine:
        load = caseloads.get(person.id, 0)
        return PostLine(
            role=given.get("role") or person.role,
            name=_label(person, rules),
            employer=employer_label(given.get("employer") or person.agency_kind),
            grade=given.get("grade") or person.grade or "",
            part_time=given["part_time"]
            if given.get("part_time") is not None
            else person.part_time,
            vacant=given.get("vacant"),
            new_starter=given.get("new_starter"),
            caseload=load,
            step_downs=step_downs.get(person.id, 0),
            over_limit=load > rules.caseload_limit,
            in_policy=given.get("in_policy", True),
        )

    lines: list[PostLine] = []
    held: set[int] = set()
    for post in rules.posts:
        holder = by_email.get(post.person) if post.person else None
        if holder is not None and not holder.active:
            holder = None  # left: the post is vacant
        if holder is None:
            lines.append(
                PostLine(
                    role=post.role,
                    name="",
                    employer=employer_label(post.employer),
                    grade=post.grade or "",
                    part_time=post.part_time,
                    vacant=True,
                    new_starter=False,
                    caseload=0,
                    step_downs=0,
                    over_limit=False,
                )
            )
            continue
        held.add(holder.id)
        lines.append(
            line(
                holder,
                role=post.role,
                employer=post.employer,
                grade=post.grade,
                part_time=post.part_time,
                vacant=False,
                new_starter=post.since is not None and quarter.start <= post.since <= as_at,
            )
        )
    known = {p.id for p in data.people}
    unknown = sorted((set(caseloads) | set(step_downs)) - known)
    others = [
        p
        for p in (*data.people, *(KeyworkerRow(i, f"Person #{i}") for i in unknown))
        if p.id not in held
        and (caseloads.get(p.id) or step_downs.get(p.id) or (p.listed and not rules.posts))
    ]
    others.sort(key=lambda p: (-caseloads.get(p.id, 0), p.name))
    # Someone without a post in the policy's list is in post all the same
    # (not vacant); without a list, nothing is known of posts.
    lines += [
        line(p, in_policy=not rules.posts, vacant=False if rules.posts else None) for p in others
    ]
    return tuple(lines)


def build(
    data: ReportData,
    *,
    quarter: Quarter,
    today: date,
    calendar: WorkingCalendar,
    rules: Rules,
) -> QuarterlyReport:
    """The quarter's figures as at its last day (or ``today``, while it runs)."""
    in_progress = today <= quarter.end
    as_at = today if in_progress else quarter.end
    clock = _Clock(calendar)
    register = _Register(data, clock)
    start_instant, end_instant = clock.start_of(quarter.start), clock.end_of(as_at)

    # Table 1, rows 1 and 2: on the DSR at the end of the quarter, and named keyworkers.
    on_register = _Counter()
    coverage = _Counter()
    blue_without_admission = 0
    for person in register.people:
        if not register.on_register(person, as_at):
            continue
        band = band_on(person, as_at)
        category = register.category(person, as_at)
        on_register.add(category, band)
        keyworker = register.keyworker(person, as_at)
        if keyworker is None:
            coverage.add("without", band)
        elif category in ("red", "amber", "blue"):
            coverage.add(f"{category}-kw", band)
        if category == "blue" and not register.inpatient(person, as_at):
            blue_without_admission += 1

    # Table 1, row 3: admissions and re-admissions (and discharges) in the quarter.
    by_id = {p.id: p for p in register.people}
    admissions = _Counter()
    for person_id, episodes in register.admissions.items():
        patient = by_id.get(person_id)
        if patient is None:
            continue
        for episode in episodes:
            if episode.discharged_on and quarter.start <= episode.discharged_on <= as_at:
                admissions.add("discharge", band_on(patient, episode.discharged_on))
            if not quarter.start <= episode.admitted_on <= as_at:
                continue
            readmitted = any(
                other is not episode
                and other.discharged_on is not None
                and other.discharged_on
                <= episode.admitted_on
                <= add_months(other.discharged_on, rules.readmission_months)
                for other in episodes
            )
            admissions.add(
                "readmission" if readmitted else "new", band_on(patient, episode.admitted_on)
            )

    # Section 2: support at any time in the quarter, step-downs, and caseloads.
    supported = _Counter()
    stepped_down = _Counter()
    caseloads: dict[int, int] = defaultdict(int)
    step_downs: dict[int, int] = defaultdict(int)
    active_in_quarter = False
    for person in register.people:
        if person.joined_at >= end_instant:
            continue
        found = register.support_in(person, start_instant, end_instant)
        if found is not None:
            kind, day = found
            supported.add(kind, band_on(person, day))
        still_on = register.on_register(person, as_at)
        left_before = person.left_on is not None and person.left_on < quarter.start
        active_in_quarter = (
            active_in_quarter
            or found is not None
            or (not person.preventive_only and not left_before)
        )
        held_now = still_on or (person.preventive_only and person.left_on is None)
        if held_now and (keyworker := register.keyworker(person, as_at)) is not None:
            caseloads[keyworker] += 1
        left = person.left_on
        if person.leaving_reason == "stepped-down" and left and quarter.start <= left <= as_at:
            stepped_down.add("stepped-down", band_on(person, left))
            if (keyworker := register.keyworker(person, left)) is not None:
                step_downs[keyworker] += 1

    workforce = _workforce(
        data,
        quarter=quarter,
        as_at=as_at,
        rules=rules,
        caseloads=caseloads,
        step_downs=step_downs,
    )
    loads = [line.caseload for line in workforce if line.caseload > 0]
    median = float(statistics.median(loads)) if loads else None
    uneven = median is not None and max(loads) > 2 * median

    # Overdue at the end: due on or before the quarter's last day (while the
    # quarter runs: due before today, as the reminders see it).
    cutoff = today if in_progress else as_at + timedelta(days=1)
    agencies, actions_total = _actions(
        data, calendar=calendar, start=start_instant, end=end_instant, rules=rules, cutoff=cutoff
    )

    notes = []
    if in_progress:
        notes.append(
            f"{quarter.label} has not finished: these figures are as at the end of "
            f"{format_numeric(as_at)}, and will change."
        )
    if blue_without_admission:
        notes.append(
            f"{blue_without_admission} rated Blue with no open admission at the end of the "
            "quarter (discharged but not rated again?); they are counted as inpatients."
        )
    for band in BANDS:
        if band in rules.bands:
            continue
        held = on_register.band("red") + on_register.band("amber") + on_register.band("green")
        held = held + on_register.band("blue") + supported.band("preventive")
        if held.of(band):
            notes.append(
                f"The service does not cover the {band} band (policy report.bands), so its "
                f"column reads N/A, but {held.of(band)} young people in it are on the DSR or "
                "receiving preventive support."
            )
    empty = not active_in_quarter and not agencies and not admissions.counts
    if empty:
        notes.insert(
            0,
            f"Nothing was recorded on this register for {quarter.label}: nobody was on the DSR "
            "and there were no actions or admissions, so every figure is nil.",
        )

    last_four = [quarter]
    while len(last_four) < 4:
        last_four.insert(0, last_four[0].previous())
    mix = tuple(
        QuarterMix(q, min(q.end, as_at), register.mix(min(q.end, as_at))) for q in last_four
    )
    return QuarterlyReport(
        register=data.register,
        area=data.area,
        quarter=quarter,
        as_at=as_at,
        in_progress=in_progress,
        rules=rules,
        on_register={c: on_register.band(c) for c in CATEGORIES},
        red_with_keyworker=coverage.band("red-kw"),
        amber_with_keyworker=coverage.band("amber-kw"),
        inpatients=on_register.band("blue"),
        inpatients_with_keyworker=coverage.band("blue-kw"),
        new_admissions=admissions.band("new"),
        readmissions=admissions.band("readmission"),
        discharges=admissions.band("discharge"),
        supported={c: supported.band(c) for c in (*SUPPORTED, "other")},
        stepped_down=stepped_down.band("stepped-down"),
        workforce=workforce,
        caseload_median=median,
        uneven=uneven,
        without_keyworker=coverage.band("without"),
        agencies=agencies,
        actions_total=actions_total,
        rating_mix=mix,
        notes=tuple(notes),
        empty=empty,
    )


def _actions(
    data: ReportData,
    *,
    calendar: WorkingCalendar,
    start: datetime,
    end: datetime,
    rules: Rules,
    cutoff: date,
) -> tuple[tuple[AgencyLine, ...], AgencyLine]:
    """Actions by agency, and all agencies together: created, completed,
    overdue at the end, the median working days to complete, and escalations
    by stage."""
    later_due: dict[int, date] = {}
    escalations: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    agency_of = {a.id: a.agency for a in data.actions}
    stages = rules.stages
    for event in sorted(data.action_events, key=lambda e: e.at, reverse=True):
        if event.kind in ("due_changed", "extension") and event.at >= end:
            # Undo changes made after the end, newest first: the earliest one's
            # "from" is the due date the action had when the quarter ended.
            previous = event.data.get("from")
            if isinstance(previous, str):
                later_due[event.action_id] = date.fromisoformat(previous)
        elif event.kind == "escalated" and start <= event.at < end:
            stage = int(event.data.get("stage", 0) or 0)
            agency = agency_of.get(event.action_id)
            if stage >= 1 and agency is not None:
                escalations[agency][stage] += 1
                stages = max(stages, stage)
    created: dict[str, int] = defaultdict(int)
    completed: dict[str, int] = defaultdict(int)
    overdue: dict[str, int] = defaultdict(int)
    days: dict[str, list[int]] = defaultdict(list)
    for action in data.actions:
        agency = action.agency
        if start <= action.created_at < end:
            created[agency] += 1
        closed = action.closed_at
        if action.status == "done" and closed is not None and start <= closed < end:
            completed[agency] += 1
            days[agency].append(
                calendar.working_days_between(
                    calendar.local_date(action.created_at), calendar.local_date(closed)
                )
            )
        open_at_end = action.created_at < end and (closed is None or closed >= end)
        due = later_due.get(action.id, action.due_date)
        if open_at_end and due < cutoff:
            overdue[agency] += 1
    names = sorted(set(created) | set(completed) | set(overdue) | set(escalations))
    lines = tuple(
        AgencyLine(
            agency=name,
            created=created[name],
            completed=completed[name],
            overdue=overdue[name],
            median_days=_median(days[name]),
            escalations=tuple(escalations[name][s] for s in range(1, stages + 1)),
        )
        for name in names
    )
    total = AgencyLine(
        agency="All agencies",
        created=sum(created.values()),
        completed=sum(completed.values()),
        overdue=sum(overdue.values()),
        # The median over every completed action, not a median of medians.
        median_days=_median([d for name in names for d in days[name]]),
        escalations=tuple(
            sum(escalations[name][s] for name in names) for s in range(1, stages + 1)
        ),
    )
    return lines, total


def _median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None
