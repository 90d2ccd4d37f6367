"""What needs the DSR's attention about one young person, as pure rules.

Every number comes from the register's policy (DOMAIN.md D4, C3, D11 and
section 7): a flag is raised from facts the register already holds, never
typed by hand, and clears on its own when the facts change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.dates import add_months, format_numeric
from bot.policy import Policy

NEEDS_KEYWORKER = ("red", "amber", "blue")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Facts:
    """What the register knows that the flags depend on."""

    rating: str | None
    has_keyworker: bool
    age_band: str
    rated_on: date | None = None
    last_cetr: date | None = None  # any review held
    admitted_on: date | None = None  # the open admission, if any
    last_inpatient_review: date | None = None  # held during the open admission
    out_of_area: bool = False  # the open admission is out of area
    last_visit: date | None = None  # the commissioner's last visit during it
    transition_month: date | None = None
    highest_stage: int = 0  # of the open network's open actions
    consent_checked: date | None = None  # the consent date, or its last re-check
    # The open network's last membership review (its opening, if never reviewed).
    members_reviewed: date | None = None


def consent_recheck_due(checked: date | None, *, policy: Policy) -> date | None:
    """When consent should next be re-checked (policy ``consent_review_months``)."""
    if checked is None:
        return None
    return add_months(checked, policy.register_rules.consent_review_months)


def flags(facts: Facts, *, today: date, policy: Policy) -> list[str]:
    """Short flags, most urgent first, for one line of an agenda or a list."""
    rules, reviews = policy.register_rules, policy.reviews
    found: list[str] = []
    if facts.rating in NEEDS_KEYWORKER and not facts.has_keyworker:
        found.append("keyworker needed")
    if facts.rating == "red":
        window = today - timedelta(weeks=rules.red_cetr_window_weeks)
        if facts.last_cetr is None or facts.last_cetr < window:
            found.append("C(E)TR needed")
    if facts.rating == "blue" and facts.admitted_on is not None:
        months = (
            reviews.inpatient_months_child
            if facts.age_band == "under-18"
            else reviews.inpatient_months_adult
        )
        since = facts.last_inpatient_review or facts.admitted_on
        due = add_months(since, months)
        if due <= today:
            found.append(f"inpatient review overdue since {format_numeric(due)}")
    if facts.rating == "blue" and facts.admitted_on is not None and facts.out_of_area:
        weeks = rules.visit_weeks_child if facts.age_band == "under-18" else rules.visit_weeks_adult
        visit_due = (facts.last_visit or facts.admitted_on) + timedelta(weeks=weeks)
        if visit_due <= today:
            found.append(f"commissioner visit due since {format_numeric(visit_due)}")
    if facts.highest_stage >= rules.flag_escalation_stage:
        found.append(f"action at escalation stage {facts.highest_stage}")
    if facts.transition_month is not None and facts.age_band == "under-18":
        soon = add_months(today, rules.transition_warning_months)
        if today.replace(day=1) <= facts.transition_month <= soon:
            month = facts.transition_month
            found.append(f"turns 18 in {MONTHS[month.month - 1]} {month.year}")
    recheck = consent_recheck_due(facts.consent_checked, policy=policy)
    if recheck is not None and recheck <= today:
        found.append(f"consent re-check due since {format_numeric(recheck)}")
    every = policy.membership_review.every_weeks
    if facts.members_reviewed is not None and facts.members_reviewed <= today - timedelta(
        weeks=2 * every
    ):
        found.append(f"membership not reviewed since {format_numeric(facts.members_reviewed)}")
    stale = today - timedelta(weeks=rules.rating_review_weeks)
    if facts.rating is not None and facts.rated_on is not None and facts.rated_on <= stale:
        found.append(f"rating not reviewed since {format_numeric(facts.rated_on)}")
    return found
