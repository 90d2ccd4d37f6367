"""Words the features share, defined once."""

from __future__ import annotations

RATING_LABEL = {"red": "Red", "amber": "Amber", "green": "Green", "blue": "Blue"}

# Review follow-ups that are reviews to hold (the next inpatient review, a
# post-admission C(E)TR, the C(E)TR a Red rating calls for) all start so;
# the report of a review already held does not.
REVIEW_TO_HOLD = "Hold "


def is_review_to_hold(*, source: str, text: str) -> bool:
    """Whether an action is a review still to be held (for "Next review")."""
    return source == "review" and text.startswith(REVIEW_TO_HOLD)
