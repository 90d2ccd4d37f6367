"""Quarters are NHS financial-year quarters: 2026-Q3 is October to December 2026."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import UserError
from commands.report.quarters import Quarter, parse_quarter

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-Q1", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q2", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-q3", date(2026, 10, 1), date(2026, 12, 31)),
        ("2025-Q4", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026/27-Q2", date(2026, 7, 1), date(2026, 9, 30)),
        ("Q2 2026/27", date(2026, 7, 1), date(2026, 9, 30)),
        ("2025/2026 Q4", date(2026, 1, 1), date(2026, 3, 31)),
    ],
)
def test_quarters_people_write(text: str, start: date, end: date) -> None:
    quarter = parse_quarter(text, today=TODAY)
    assert (quarter.start, quarter.end) == (start, end)


def test_labels_and_the_last_completed_quarter() -> None:
    quarter = Quarter.last_completed(TODAY)
    assert quarter.code == "2026-Q2" and quarter.label == "Q2 2026/27"
    assert quarter.period == "01/07/2026 to 30/09/2026"
    assert Quarter.last_completed(date(2026, 4, 1)) == Quarter(2025, 4)  # Jan-Mar 2026
    assert Quarter(2026, 4).next() == Quarter(2027, 1)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2026-Q5", "There is no Q5: a financial year has four quarters"),
        ("2026/28-Q1", "2026/28 isn't a financial year"),
        ("autumn", "I couldn't read 'autumn' as a quarter."),
        ("2027-Q1", "Q1 2027/28 (01/04/2027 to 30/06/2027) hasn't started yet"),
    ],
)
def test_a_bad_quarter_says_what_to_type(text: str, says: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_quarter(text, today=TODAY)
    assert says in caught.value.message
    assert "2026-Q2" in (caught.value.hint or "")
