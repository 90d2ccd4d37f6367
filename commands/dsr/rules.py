"""When something may be recorded on the register, as pure checks.

The `/dsr` commands and the register's history import (``commands.dsr.imports``)
apply the same checks, so that history brought in from a file obeys the rules
it would have obeyed had it been typed on the day: a rating for someone not
on the register, a discharge without an admission, a step-down in hospital
are refused either way. Each check raises a :class:`UserError` whose message
stands on its own (the import shows it after a line number; a command adds
its hint).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.calendar import WorkingCalendar
from bot.dates import format_numeric
from bot.errors import UserError

# The local time of day an earlier event is recorded at: midday, inside
# service hours and far from a change of the clocks.
EARLIER_EVENT_TIME = time(12, 0)


@dataclass(frozen=True)
class OpenAdmission:
    admitted_on: date
    setting: str


def instant_of(day: date, *, now: datetime, calendar: WorkingCalendar, seq: int = 0) -> datetime:
    """When something that happened on ``day`` is recorded as having
    happened: now, if that is today; otherwise midday that day (local time),
    ``seq`` seconds later so that several things on one day keep their order."""
    if day >= calendar.local_date(now):
        return now
    return calendar.at_local(day, EARLIER_EVENT_TIME) + timedelta(seconds=seq)


def check_happened(day: date, *, today: date, what: str) -> None:
    if day > today:
        raise UserError(f"Record {what} once it has happened.")


def check_not_before_joined(reference: str, *, joined: date, day: date, what: str) -> None:
    if day < joined:
        raise UserError(
            f"{reference} joined the register on {format_numeric(joined)}, so {what} can't "
            "be recorded before that."
        )


def check_still_on(reference: str, *, left_on: date | None, stepped_down: bool) -> None:
    if left_on is not None:
        how = "stepped down" if stepped_down else "was removed from the register"
        raise UserError(
            f"{reference} {how} on {format_numeric(left_on)}, so I can't change their entry.",
            hint=f"Their history is kept: /dsr show {reference}",
        )


def check_consent(*, consent_date: date, joined: date) -> None:
    if consent_date > joined:
        raise UserError(
            "The consent date can't be after the day they joined the register: nobody goes on "
            "the DSR before their consent basis is recorded.",
        )


def check_admit(reference: str, *, current: OpenAdmission | None) -> None:
    if current is not None:
        raise UserError(
            f"{reference} is already recorded as admitted to {current.setting} since "
            f"{format_numeric(current.admitted_on)}.",
            hint=f"If they have been discharged, record that first: /dsr discharge {reference} "
            "DATE",
        )


def check_discharge(reference: str, *, current: OpenAdmission | None, discharged_on: date) -> None:
    if current is None:
        raise UserError(
            f"{reference} has no open admission to end.",
            hint=f"To record an admission: /dsr admit {reference} DATE --setting NAME",
        )
    if discharged_on < current.admitted_on:
        raise UserError(
            f"{reference} was admitted on {format_numeric(current.admitted_on)}, so the "
            "discharge can't be before that.",
            hint=f"For example: /dsr discharge {reference} today",
        )


def check_step_down(reference: str, *, current: OpenAdmission | None) -> None:
    if current is not None:
        raise UserError(
            f"{reference} is recorded as in hospital ({current.setting}, since "
            f"{format_numeric(current.admitted_on)}), so their keyworking support can't end "
            "with its outcomes met yet.",
            hint=f"If they have been discharged, record that first: /dsr discharge {reference} "
            "DATE",
        )


# -- keyworking support -------------------------------------------------------------

PREVENTIVE = "preventive"
# What only young people on the DSR can have recorded (not those known only
# for preventive support), by the register change's word (as
# ``register_rules.keyworker_may`` names them), in the words of the refusal.
NEEDS_THE_DSR = {
    "rate": "a rating",
    "admit": "an admission",
    "discharge": "a discharge",
    "step-down": "a step-down",
    "remove": "a removal from the DSR (end their preventive support instead)",
    "outcome": "a DSR meeting's decision",
    "visit": "a commissioner visit",
}


def check_on_the_dsr(reference: str, *, preventive_only: bool, what: str) -> None:
    """Ratings, admissions, step-downs and the DSR meeting's decisions are
    for young people on the DSR, not for those known only for preventive
    support."""
    if preventive_only:
        raise UserError(
            f"{reference} isn't on the DSR: they are known for preventive keyworking support "
            f"only, so I can't record {what} for them.",
            hint=f"To put them on the DSR: /dsr add {reference} --age-band under-18|18-25 "
            "--consent BASIS --consent-date DATE (their history is kept)",
        )


def check_preventive(
    reference: str,
    *,
    rating: str | None,
    current: OpenAdmission | None,
    support: str | None,
) -> None:
    """Preventive support is for young people who are Green, not yet rated or
    not on the DSR: Red, Amber and inpatients already count as such."""
    if support == PREVENTIVE:
        raise UserError(
            f"{reference} is already receiving preventive keyworking support.",
            hint=f"When it ends: /dsr support {reference} end",
        )
    if current is not None or rating == "blue":
        raise UserError(
            f"{reference} is in hospital, so their keyworking counts as inpatient support, "
            "not preventive.",
            hint="Preventive support is for young people who are Green or not on the DSR.",
        )
    if rating in ("red", "amber"):
        raise UserError(
            f"{reference} is rated {rating.capitalize()}, so their keyworking counts as "
            f"{rating.capitalize()}, not preventive.",
            hint="Preventive support is for young people who are Green or not on the DSR.",
        )


def check_support_end(reference: str, *, support: str | None, since: date | None, on: date) -> None:
    if support is None:
        raise UserError(
            f"{reference} has no preventive keyworking support recorded, so there is none to end.",
            hint=f"To record it: /dsr support {reference} preventive",
        )
    if since is not None and on < since:
        raise UserError(
            f"{reference}'s preventive support began on {format_numeric(since)}, so it can't "
            "end before that.",
            hint=f"For example: /dsr support {reference} end --on {format_numeric(since)}",
        )
