"""The report as an Excel workbook (openpyxl), laid out as the return is, so
that a manager can paste each section into NHS England's template: one sheet
per section, in the return's order (Table 1; Section 2, activity and
workforce; Section 3, narrative and risks), then the figures the return does
not ask for, and last "About" (how each figure is counted).

Counts are numbers; percentages are numbers shown as whole percentages (so
they display as in the other documents; their numerator and denominator are
the rows above them); a band the service does not cover reads "N/A", and a
percentage of nobody "n/a". Every cell is written by :func:`_put`, through
``bot.spreadsheets``: text a spreadsheet would run as a formula (a narrative
item beginning with "=", say) is stored as text.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from bot.spreadsheets import keep_as_text
from commands.report.figures import Percent, QuarterlyReport
from commands.report.markdown import NONE_RECORDED
from commands.report.notes import Narrative
from commands.report.tables import (
    FOOTER,
    Cell,
    Paragraphs,
    Table,
    about,
    sections,
    subtitle,
    title,
)

BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def _value(cell: Cell) -> tuple[object, str | None]:
    """The value to store and its number format."""
    if isinstance(cell, Percent):
        value = cell.value
        return ("n/a", None) if value is None else (value / 100, "0%")
    if cell is None:
        return "n/a", None
    if isinstance(cell, float):
        return cell, "0.0" if cell % 1 else "0"
    return cell, None


def _put(
    sheet: Worksheet,
    row: int,
    column: int,
    value: Any,
    *,
    number_format: str | None = None,
    font: Font | None = None,
) -> None:
    """Write one cell (every cell of the workbook is written here)."""
    cell = sheet.cell(row=row, column=column, value=value)
    keep_as_text(cell)
    if number_format:
        cell.number_format = number_format
    if font is not None:
        cell.font = font


class _Sheet:
    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.row = 0

    def line(self, *values: Any, font: Font | None = None) -> None:
        self.row += 1
        for column, value in enumerate(values, start=1):
            _put(self.sheet, self.row, column, value, font=font)

    def cells(self, values: tuple[Cell, ...], *, font: Font | None = None) -> None:
        self.row += 1
        for column, cell in enumerate(values, start=1):
            value, number_format = _value(cell)
            _put(self.sheet, self.row, column, value, number_format=number_format, font=font)

    def table(self, table: Table) -> None:
        if table.title:
            self.line(table.title, font=BOLD)
        self.line(*table.columns, font=BOLD)
        for cell in self.sheet[self.row]:
            cell.alignment = WRAP
        for row in table.rows:
            if table.heading(row):
                self.line(row[0], font=BOLD)
            else:
                self.cells(row)
        if not table.rows:
            self.line(NONE_RECORDED)
        if table.note:
            self.line(table.note)

    def paragraphs(self, block: Paragraphs) -> None:
        self.line(block.title, font=BOLD)
        for item in block.items or (NONE_RECORDED,):
            self.line(item)
            self.sheet.cell(row=self.row, column=1).alignment = WRAP


def as_xlsx(report: QuarterlyReport, notes: Narrative | None = None) -> bytes:
    workbook = Workbook()
    workbook.properties.creator = "Teamaround"
    first = workbook.active
    assert first is not None
    head = subtitle(report)
    where = f"{title(report)} · {head[1]} {head[0]}"
    for n, section in enumerate(sections(report, notes)):
        sheet = first if n == 0 else workbook.create_sheet()
        sheet.title = section.key[:31]
        out = _Sheet(sheet)
        out.line(section.title, font=Font(bold=True, size=13))
        out.line(where)
        for block in section.blocks:
            out.line()
            if isinstance(block, Table):
                out.table(block)
            else:
                out.paragraphs(block)
        sheet.column_dimensions["A"].width = 60
        for letter in "BCDEFGHIJK":
            sheet.column_dimensions[letter].width = 16
    cover = workbook.create_sheet("About")
    out = _Sheet(cover)
    out.line(title(report), font=Font(bold=True, size=14))
    for line in head:
        out.line(line, font=BOLD if line == head[0] else None)
    out.line()
    for line in about(report):
        out.line(line)
    out.line()
    out.line(FOOTER)
    cover.column_dimensions["A"].width = 120
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
