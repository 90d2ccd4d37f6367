"""NHS financial-year quarters, which the quarterly keyworking return uses.

"2026-Q1" is April to June 2026, "2026-Q2" July to September, "2026-Q3"
October to December 2026 and "2026-Q4" January to March 2027: the quarters
of the financial year 2026/27, named by the year it starts in. "2026/27-Q3"
and "Q3 2026/27" are read too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.dates import format_numeric
from bot.errors import UserError

QUARTER_FORMS = "2026-Q3 (Q3 of 2026/27: October to December 2026), 2026/27-Q3 or Q3 2026/27"
QUARTER_MONTHS = {
    1: "April to June",
    2: "July to September",
    3: "October to December",
    4: "January to March",
}

_YEAR_FIRST = re.compile(r"^(\d{4})(?:\s*/\s*(\d{2}|\d{4}))?\s*[-\s]?\s*q\s*(\d+)$")
_QUARTER_FIRST = re.compile(r"^q\s*(\d+)\s*[-\s]?\s*(\d{4})(?:\s*/\s*(\d{2}|\d{4}))?$")


@dataclass(frozen=True, order=True)
class Quarter:
    """Quarter ``number`` (1-4) of the financial year starting in April ``year``."""

    year: int
    number: int

    @property
    def start(self) -> date:
        month = 4 + 3 * (self.number - 1)
        return date(self.year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    @property
    def code(self) -> str:
        """As typed: "2026-Q3"."""
        return f"{self.year}-Q{self.number}"

    @property
    def financial_year(self) -> str:
        return f"{self.year}/{(self.year + 1) % 100:02d}"

    @property
    def label(self) -> str:
        """As read: "Q3 2026/27"."""
        return f"Q{self.number} {self.financial_year}"

    @property
    def period(self) -> str:
        return f"{format_numeric(self.start)} to {format_numeric(self.end)}"

    @property
    def slug(self) -> str:
        """For file names: "2026-27-q3"."""
        return f"{self.year}-{(self.year + 1) % 100:02d}-q{self.number}"

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    @classmethod
    def containing(cls, day: date) -> Quarter:
        year = day.year if day.month >= 4 else day.year - 1
        return cls(year, ((day.month - 4) % 12) // 3 + 1)

    @classmethod
    def last_completed(cls, today: date) -> Quarter:
        return cls.containing(today).previous()


def parse_quarter(text: str, *, today: date) -> Quarter:
    """Read "2026-Q3" (or "2026/27-Q3", "Q3 2026/27"); kind errors otherwise.
    The quarter must have started by ``today``."""
    cleaned = " ".join(text.strip().lower().split())
    example = Quarter.last_completed(today)
    hint = (
        f"Write the quarter like {example.code} ({example.label}, {example.period}). "
        f"Forms I understand: {QUARTER_FORMS}."
    )
    year_text = second_text = number_text = None
    if m := _YEAR_FIRST.match(cleaned):
        year_text, second_text, number_text = m.group(1), m.group(2), m.group(3)
    elif m := _QUARTER_FIRST.match(cleaned):
        number_text, year_text, second_text = m.group(1), m.group(2), m.group(3)
    if year_text is None or number_text is None:
        shown = text.strip() if len(text.strip()) <= 30 else text.strip()[:29] + "…"
        raise UserError(f"I couldn't read {shown!r} as a quarter.", hint=hint)
    year, number = int(year_text), int(number_text)
    if not 1 <= number <= 4:
        raise UserError(
            f"There is no Q{number}: a financial year has four quarters, Q1 (April to June) "
            "to Q4 (January to March of the next calendar year).",
            hint=hint,
        )
    if second_text is not None:
        second = int(second_text)
        if second % 100 != (year + 1) % 100 or (len(second_text) == 4 and second != year + 1):
            raise UserError(
                f"{year_text}/{second_text} isn't a financial year; they run April to March, "
                f"for example {year}/{(year + 1) % 100:02d}.",
                hint=hint,
            )
    if not 2000 <= year <= 2100:
        raise UserError(f"{year} looks wrong for a quarter.", hint=hint)
    quarter = Quarter(year, number)
    if quarter.start > today:
        raise UserError(
            f"{quarter.label} ({quarter.period}) hasn't started yet, so there is nothing to "
            "report.",
            hint=f"The last completed quarter is {example.code} ({example.label}, "
            f"{example.period}).",
        )
    return quarter
