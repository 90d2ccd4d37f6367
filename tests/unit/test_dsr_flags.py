"""DSR flags: raised from what the register holds, cleared when it changes.

Today is Mon 23 Nov 2026 throughout; expected dates are worked out by hand.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.policy import Policy, RegisterPolicy
from commands.dsr.flags import Facts, flags

TODAY = date(2026, 11, 23)
POLICY = Policy()


def flagged(**facts: object) -> list[str]:
    base: dict[str, object] = {"rating": "green", "has_keyworker": True, "age_band": "under-18"}
    return flags(Facts(**(base | facts)), today=TODAY, policy=POLICY)  # type: ignore[arg-type]


@pytest.mark.parametrize("rating", ["red", "amber", "blue"])
def test_red_amber_and_blue_need_a_named_keyworker(rating: str) -> None:
    assert "keyworker needed" in flagged(rating=rating, has_keyworker=False, last_cetr=TODAY)
    assert "keyworker needed" not in flagged(rating=rating, has_keyworker=True, last_cetr=TODAY)


def test_green_without_a_keyworker_is_not_flagged() -> None:
    assert flagged(rating="green", has_keyworker=False) == []


def test_red_needs_a_cetr_within_thirteen_weeks() -> None:
    # 13 weeks before Mon 23 Nov 2026 is Mon 24 Aug 2026.
    assert "C(E)TR needed" in flagged(rating="red")
    assert "C(E)TR needed" in flagged(rating="red", last_cetr=date(2026, 8, 23))
    assert "C(E)TR needed" not in flagged(rating="red", last_cetr=date(2026, 8, 24))


def test_an_inpatient_review_falls_due_by_age_band() -> None:
    # A child admitted on 23 Aug 2026 is due a review by 23 Nov 2026 (3 months).
    child = flagged(rating="blue", admitted_on=date(2026, 8, 23))
    assert "inpatient review overdue since 23/11/2026" in child
    # An adult admitted the same day is not due until 23 Feb 2027 (6 months).
    adult = flagged(rating="blue", age_band="18-25", admitted_on=date(2026, 8, 23))
    assert not any("inpatient review" in f for f in adult)
    # A review held during the admission restarts the count.
    reviewed = flagged(
        rating="blue", admitted_on=date(2026, 8, 23), last_inpatient_review=date(2026, 10, 1)
    )
    assert not any("inpatient review" in f for f in reviewed)


def test_turning_18_within_six_months_is_flagged_for_children_only() -> None:
    assert "turns 18 in May 2027" in flagged(transition_month=date(2027, 5, 1))
    assert flagged(transition_month=date(2027, 6, 1)) == []  # beyond 23 May 2027
    assert flagged(age_band="18-25", transition_month=date(2027, 1, 1)) == []


def test_a_rating_not_reviewed_for_four_weeks_is_flagged() -> None:
    assert "rating not reviewed since 26/10/2026" in flagged(rated_on=date(2026, 10, 26))
    assert flagged(rated_on=date(2026, 10, 27)) == []


def test_an_action_at_stage_three_or_more_is_flagged() -> None:
    assert "action at escalation stage 3" in flagged(highest_stage=3)
    assert flagged(highest_stage=2) == []


def test_the_thresholds_come_from_the_policy() -> None:
    policy = Policy(
        register_rules=RegisterPolicy(
            rating_review_weeks=2, transition_warning_months=1, flag_escalation_stage=2
        )
    )
    facts = Facts(
        rating="green",
        has_keyworker=True,
        age_band="under-18",
        rated_on=date(2026, 11, 9),
        transition_month=date(2027, 1, 1),
        highest_stage=2,
    )
    assert flags(facts, today=TODAY, policy=policy) == [
        "action at escalation stage 2",
        "rating not reviewed since 09/11/2026",
    ]


def test_an_out_of_area_inpatient_is_due_a_commissioner_visit() -> None:
    # A child admitted out of area on Mon 12 Oct 2026: a visit is due six weeks
    # later, Mon 23 Nov; an adult's after eight weeks, Mon 7 Dec.
    child = flagged(rating="blue", admitted_on=date(2026, 10, 12), out_of_area=True)
    assert "commissioner visit due since 23/11/2026" in child
    adult = flagged(
        rating="blue", age_band="18-25", admitted_on=date(2026, 10, 12), out_of_area=True
    )
    assert not any("visit" in f for f in adult)
    visited = flagged(
        rating="blue",
        admitted_on=date(2026, 10, 12),
        out_of_area=True,
        last_visit=date(2026, 11, 2),
    )
    assert not any("visit" in f for f in visited)
    local = flagged(rating="blue", admitted_on=date(2026, 10, 12))
    assert not any("visit" in f for f in local)


def test_a_network_not_reviewed_for_twice_the_membership_interval_is_flagged() -> None:
    # The policy's 8 weeks, twice: 16 weeks before Mon 23 Nov 2026 is Mon 3 Aug.
    assert "membership not reviewed since 03/08/2026" in flagged(members_reviewed=date(2026, 8, 3))
    assert not any("membership" in f for f in flagged(members_reviewed=date(2026, 8, 4)))
    assert not any("membership" in f for f in flagged(members_reviewed=None))
