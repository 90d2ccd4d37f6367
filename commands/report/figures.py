"""The quarterly keyworking figures, rebuilt from history as at the end of a quarter.

Pure: ``build`` turns the rows ``commands.report.service.load`` reads (in a
fixed number of queries) into a frozen :class:`QuarterlyReport`. Nothing here
looks at today's state of the register: a young person's rating, keyworker,
age band and inpatient status are each read from their history as at the
moment in question. The rules, in the words the report prints, are in
``DEFINITIONS``.
"""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from bot.calendar import WorkingCalendar
from bot.dates import add_months, format_numeric
from commands.report.quarters import Quarter

Category = Literal["red", "amber", "green", "blue", "unrated"]
CATEGORIES: tuple[Category, ...] = ("red", "amber", "green", "blue", "unrated")
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


@dataclass(frozen=True)
class Change:
    """One dated change of a young person's rating or keyworker."""

    young_person_id: int
    at: datetime
    value: Any  # a rating, a keyworker's person id, or None
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
    id: int
    name: str
    listed: bool = False  # an active keyworker in the directory: shown even with no caseload


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


@dataclass(frozen=True)
class Rules:
    target_percent: int = 90
    readmission_months: int = 12
    caseload_limit: int = 20
    stages: int = 4  # rungs on the escalation ladder


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


@dataclass(frozen=True)
class Percent:
    """``part`` of ``whole`` as a whole percentage (half up), or "n/a"."""

    part: int
    whole: int

    @property
    def value(self) -> int | None:
        if self.whole == 0:
            return None
        exact = Decimal(100 * self.part) / Decimal(self.whole)
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def __str__(self) -> str:
        value = self.value
        return "n/a" if value is None else f"{value}%"

    def meets(self, target: int) -> str:
        return (
            "n/a"
            if self.whole == 0
            else ("Yes" if 100 * self.part >= target * self.whole else "No")
        )


@dataclass(frozen=True)
class KeyworkerLine:
    name: str
    caseload: int
    step_downs: int
    over_limit: bool


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
    on_register: Mapping[Category, ByBand]
    red_amber: ByBand
    red_amber_with_keyworker: ByBand
    inpatients: ByBand
    inpatients_with_keyworker: ByBand
    new_admissions: ByBand
    readmissions: ByBand
    discharges: ByBand
    supported: Mapping[Category, ByBand]
    stepped_down: ByBand
    keyworkers: tuple[KeyworkerLine, ...]
    caseload_median: float | None
    uneven: bool
    without_keyworker: int
    agencies: tuple[AgencyLine, ...]
    actions_total: AgencyLine
    rating_mix: tuple[QuarterMix, ...]  # the last four quarters, oldest first
    notes: tuple[str, ...] = ()
    empty: bool = False

    @property
    def on_register_total(self) -> ByBand:
        return _sum(self.on_register.values())

    @property
    def supported_total(self) -> ByBand:
        return _sum(self.supported.values())

    @property
    def largest_caseload(self) -> int:
        return max((k.caseload for k in self.keyworkers), default=0)


def _sum(values: Iterable[ByBand]) -> ByBand:
    items = list(values)
    return ByBand(sum(v.under_18 for v in items), sum(v.adults for v in items))


DEFINITIONS = (
    "Every figure is rebuilt from the register's history as at the end of the quarter "
    "(midnight, UK time), never from today's state.",
    "Age band: under 18 until the first day of the month they turn 18 (when recorded), "
    "otherwise the band recorded on the register.",
    "Inpatients (Blue): an admission open at the end of the day, or a Blue rating. An open "
    "admission counts as Blue whatever the rating.",
    "Named keyworker: the keyworker the register recorded at that moment.",
    "A readmission is an admission that starts within {readmission_months} months of a "
    "discharge; every other admission is a new admission.",
    "Receiving keyworking support in the quarter: on the register, with a named keyworker, at "
    "some time in the quarter; counted by their rating at the end of the quarter (or on the day "
    "they left the register).",
    "Stepped down: left the register in the quarter because the outcomes of keyworking were met "
    "and support was no longer needed (/dsr step-down).",
    "Caseload: young people on the register at the end of the quarter with that keyworker. "
    "Flagged over the limit of {caseload_limit}, and uneven when the largest caseload is more "
    "than twice the median.",
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
            readmission_months=rules.readmission_months, caseload_limit=rules.caseload_limit
        )
        for line in DEFINITIONS
    )


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


@dataclass(frozen=True)
class _Clock:
    calendar: WorkingCalendar

    def end_of(self, day: date) -> datetime:
        """Midnight at the end of ``day`` (local), as an instant."""
        return self.calendar.at_local(day + timedelta(days=1), time(0))

    def start_of(self, day: date) -> datetime:
        return self.calendar.at_local(day, time(0))


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
        self.admissions: dict[int, list[AdmissionRow]] = defaultdict(list)
        for admission in data.admissions:
            self.admissions[admission.young_person_id].append(admission)

    def joined_on(self, person: YoungPersonRow) -> date:
        return self.clock.calendar.local_date(person.joined_at)

    def on_register(self, person: YoungPersonRow, day: date) -> bool:
        """On the register at the end of ``day``."""
        return self.joined_on(person) <= day and (person.left_on is None or person.left_on > day)

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

    # On the register at the end of the quarter, and keyworker coverage.
    on_register = _Counter()
    coverage = _Counter()
    blue_without_admission = 0
    without_keyworker = 0
    for person in register.people:
        if not register.on_register(person, as_at):
            continue
        band = band_on(person, as_at)
        category = register.category(person, as_at)
        on_register.add(category, band)
        keyworker = register.keyworker(person, as_at)
        without_keyworker += keyworker is None
        if category in ("red", "amber"):
            coverage.add("red-amber", band)
            if keyworker is not None:
                coverage.add("red-amber-kw", band)
        if category == "blue":
            coverage.add("blue", band)
            if keyworker is not None:
                coverage.add("blue-kw", band)
            if not register.inpatient(person, as_at):
                blue_without_admission += 1

    # Admissions, readmissions and discharges in the quarter.
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

    # Keyworking support in the quarter, step-downs, and caseloads.
    supported = _Counter()
    stepped_down = _Counter()
    caseloads: dict[int, int] = defaultdict(int)
    step_downs: dict[int, int] = defaultdict(int)
    active_in_quarter = False
    for person in register.people:
        joined = register.joined_on(person)
        if joined > as_at or (person.left_on is not None and person.left_on < quarter.start):
            continue
        active_in_quarter = True
        still_on = register.on_register(person, as_at)
        last_day = as_at if still_on or person.left_on is None else person.left_on
        window_start = max(start_instant, person.joined_at)
        window_stop = end_instant if still_on else clock.end_of(last_day)
        band = band_on(person, last_day)
        if register.keyworkers.any_between(person.id, window_start, window_stop):
            supported.add(register.category(person, last_day), band)
        if still_on and (keyworker := register.keyworker(person, as_at)) is not None:
            caseloads[keyworker] += 1
        if person.leaving_reason == "stepped-down" and person.left_on and not still_on:
            stepped_down.add("stepped-down", band)
            if (keyworker := register.keyworker(person, person.left_on)) is not None:
                step_downs[keyworker] += 1

    names = {p.id: p.name for p in data.people}
    shown = set(caseloads) | set(step_downs) | {p.id for p in data.people if p.listed}
    keyworkers = tuple(
        sorted(
            (
                KeyworkerLine(
                    name=names.get(person_id, f"Person #{person_id}"),
                    caseload=caseloads.get(person_id, 0),
                    step_downs=step_downs.get(person_id, 0),
                    over_limit=caseloads.get(person_id, 0) > rules.caseload_limit,
                )
                for person_id in shown
            ),
            key=lambda line: (-line.caseload, line.name),
        )
    )
    loads = [line.caseload for line in keyworkers if line.caseload > 0]
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
        red_amber=coverage.band("red-amber"),
        red_amber_with_keyworker=coverage.band("red-amber-kw"),
        inpatients=coverage.band("blue"),
        inpatients_with_keyworker=coverage.band("blue-kw"),
        new_admissions=admissions.band("new"),
        readmissions=admissions.band("readmission"),
        discharges=admissions.band("discharge"),
        supported={c: supported.band(c) for c in CATEGORIES},
        stepped_down=stepped_down.band("stepped-down"),
        keyworkers=keyworkers,
        caseload_median=median,
        uneven=uneven,
        without_keyworker=without_keyworker,
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
