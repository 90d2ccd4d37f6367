"""The escalation ladder and reminders, as pure decisions over dates.

Nothing here reads the clock, the database or a platform: given an action's
dates and the register's policy, it says what is due *today* (a local day in
the register's timezone). ``commands/action/jobs.py`` applies the decisions.

The rules (DOMAIN.md, section 4; every number comes from the policy):

- An owner is reminded ``reminder_working_days_before`` working days before
  the due date, once per due date.
- Stage 1 is reached after ``ladder[0].after_working_days`` working days past
  the due date; stage n+1 after ``ladder[n].after_working_days`` working days
  since stage n was reached *or the owner last gave an update*.
- An update that proposes a date pauses the ladder until that date has
  passed; the wait then counts from the proposed date.
- A snooze (keyworker or chair, bounded) holds the ladder until its date and
  never resets it: a stage that fell due meanwhile follows the next morning.
- A new due date agreed by the keyworker or chair resets the ladder
  (an agreed extension); that is done by the service, not here.
- One stage a day at most: a stage reached today starts the next wait today,
  so a job that missed days catches up one stage per run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.calendar import WorkingCalendar
from bot.policy import Contact, LadderStage
from store.models import Action, Person


@dataclass(frozen=True)
class Directory:
    """Who the stages can reach, read once for a whole run (a fixed number
    of queries however many actions move)."""

    managers: Mapping[int, Person] = field(default_factory=dict)  # by id
    by_email: Mapping[str, Person] = field(default_factory=dict)  # agencies' contacts
    chairs: Sequence[Person] = ()


@dataclass(frozen=True)
class Found:
    people: list[Person]
    # Who should have been contacted but could not be found.
    missing: str | None = None


def _owner(action: Action, directory: Directory) -> Found:
    return Found([action.owner])


def _line_manager(action: Action, directory: Directory) -> Found:
    manager = directory.managers.get(action.owner.line_manager_id or 0) or directory.by_email.get(
        (action.agency.stage2_contact_email or "").lower()
    )
    if manager is None:
        return Found([], f"{action.owner.name}'s line manager")
    return Found([manager])


def _senior(action: Action, directory: Directory) -> Found:
    senior = directory.by_email.get((action.agency.senior_contact_email or "").lower())
    if senior is None:
        return Found([], f"a senior contact for {action.agency.name}")
    return Found([senior])


def _chair(action: Action, directory: Directory) -> Found:
    if not directory.chairs:
        return Found([], "the DSR chair")
    return Found(list(directory.chairs))


@dataclass(frozen=True)
class ContactKind:
    """One kind of contact a ladder stage can name (``LadderStage.contact``)."""

    label: str  # in the trail: "Stage 2, the owner's line manager: asked …"
    short: str  # on cards, digests and direct messages: "line manager"
    found_by: str  # how the contact is found, in words
    # Whether reaching this stage lets the contact open and act on the action.
    grants: bool
    find: Callable[[Action, Directory], Found]


# The one table of contact kinds: every label and every look-up comes from here.
CONTACTS: Mapping[Contact, ContactKind] = {
    "owner": ContactKind(
        label="the owner",
        short="owner chased",
        found_by="the action's owner",
        grants=False,
        find=_owner,
    ),
    "line-manager": ContactKind(
        label="the owner's line manager",
        short="line manager",
        found_by="the owner's line manager in the directory, or else the agency's stage-2 contact",
        grants=True,
        find=_line_manager,
    ),
    "senior": ContactKind(
        label="the agency's senior contact",
        short="senior contact",
        found_by="the agency's senior contact",
        grants=True,
        find=_senior,
    ),
    "chair": ContactKind(
        label="the DSR chair",
        short="DSR chair",
        found_by="the policy's chair_email, or everyone whose directory role names a chair",
        grants=True,
        find=_chair,
    ),
}


def contact_kind(name: str) -> ContactKind | None:
    """A contact kind by its name as stored (a trail's data), if it is one."""
    return next((kind for key, kind in CONTACTS.items() if key == name), None)


def contact_at(stage: int, ladder: Sequence[LadderStage]) -> ContactKind:
    """The contact kind a stage (1 = the first) names in this policy's ladder."""
    return CONTACTS[ladder[min(max(stage, 1), len(ladder)) - 1].contact]


@dataclass(frozen=True)
class LadderState:
    """What the ladder needs to know about one action."""

    status: str
    due_date: date
    stage: int
    stage_since: date | None = None
    paused_until: date | None = None
    snoozed_until: date | None = None
    reminded_for: date | None = None


def held(state: LadderState, *, today: date) -> bool:
    """Paused by the owner's proposed date or snoozed, as of today."""
    return any(
        until is not None and today <= until for until in (state.paused_until, state.snoozed_until)
    )


def next_stage(
    state: LadderState, *, today: date, calendar: WorkingCalendar, ladder: list[LadderStage]
) -> int | None:
    """The stage this action reaches today, or None."""
    if state.status != "open" or state.stage >= len(ladder) or held(state, today=today):
        return None
    since = state.due_date if state.stage == 0 else state.stage_since or state.due_date
    if state.paused_until is not None:
        since = max(since, state.paused_until)
    wait = ladder[state.stage].after_working_days
    if calendar.working_days_between(since, today) >= wait:
        return state.stage + 1
    return None


def reminder_due(
    state: LadderState, *, today: date, calendar: WorkingCalendar, working_days_before: int
) -> bool:
    """Whether the owner should be reminded today of the coming due date."""
    if state.status != "open" or state.stage > 0 or held(state, today=today):
        return False
    if state.reminded_for == state.due_date or not today < state.due_date:
        return False
    return today >= calendar.add_working_days(state.due_date, -working_days_before)


def is_overdue(state: LadderState, *, today: date) -> bool:
    return state.status == "open" and state.due_date < today and not held(state, today=today)
