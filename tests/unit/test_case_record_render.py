"""The case record's documents (commands/records/render.py) against golden
files. Regenerate with UPDATE_GOLDEN=1 and read the diff before committing."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from commands.records.case_record import CaseRecord, Line
from commands.records.render import markdown, page

GOLDEN = Path(__file__).parent / "golden"
LONDON = ZoneInfo("Europe/London")

RECORD = CaseRecord(
    reference="DSR-0200",
    register="Default register",
    exported_on=date(2026, 11, 23),
    exported_by="Chris Evans (chris.evans@example.org)",
    facts=(
        ("Reference", "DSR-0200"),
        ("Rating now", "Red"),
        ("On the register", "yes"),
    ),
    lines=(
        Line(
            datetime(2024, 12, 2, 0, 0, tzinfo=LONDON),
            True,
            "Register",
            "Consent recorded: basis parental",
            "Priya Shah (priya.shah@example.org)",
        ),
        Line(
            datetime(2024, 12, 2, 10, 0, tzinfo=LONDON),
            False,
            "Register",
            "Rated Amber: Placement | under strain",
            "Priya Shah (priya.shah@example.org)",
        ),
        Line(
            datetime(2025, 3, 3, 14, 5, tzinfo=LONDON),
            False,
            "Action #1",
            "Completed: <b>sent</b>\nby secure email",
            "Sam Patel",
        ),
    ),
)


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_markdown_matches_golden_with_pipes_and_line_breaks_kept_in_their_cell() -> None:
    text = markdown(RECORD)
    check("case_record.md", text)
    assert "Placement \\| under strain" in text
    assert "Completed: &lt;b&gt;sent&lt;/b&gt; by secure email" in text


def test_html_matches_golden_and_escapes_what_people_typed() -> None:
    text = page(RECORD)
    check("case_record.html", text)
    assert "&lt;b&gt;sent&lt;/b&gt;" in text and "<b>sent</b>" not in text
    assert "02/12/2024</td>" in text and "02/12/2024 10:00" in text
