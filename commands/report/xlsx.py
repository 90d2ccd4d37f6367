"""The report as an Excel workbook (openpyxl): a cover sheet, then one sheet
per table. Counts are numbers, percentages are numbers shown as whole
percentages (so they display exactly as in the other documents), and a
percentage of nobody is the text "n/a"."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from bot.spreadsheets import keep_as_text
from commands.report.figures import Percent, QuarterlyReport
from commands.report.tables import FOOTER, Cell, about, subtitle, tables, title


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


def as_xlsx(report: QuarterlyReport) -> bytes:
    workbook = Workbook()
    workbook.properties.creator = "Teamaround"
    cover = workbook.active
    assert cover is not None
    cover.title = "Report"
    cover.append([title(report)])
    cover["A1"].font = Font(bold=True, size=14)
    for line in subtitle(report):
        cover.append([line])
    cover["A2"].font = Font(bold=True)
    cover.append([])
    for line in about(report):
        cover.append([line])
    cover.append([])
    cover.append([FOOTER])
    cover.column_dimensions["A"].width = 120
    for table in tables(report):
        sheet = workbook.create_sheet(table.key[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append(list(table.columns))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.rows:
            values = [_value(c) for c in row]
            sheet.append([v for v, _ in values])
            for cell, (_, number_format) in zip(sheet[sheet.max_row], values, strict=True):
                if number_format:
                    cell.number_format = number_format
        if not table.rows:
            sheet.append(["None."])
        if table.note:
            sheet.append([])
            sheet.append([table.note])
        sheet.column_dimensions["A"].width = 52
        for letter in "BCDEFGHIJ":
            sheet.column_dimensions[letter].width = 16
    for worksheet in workbook.worksheets:
        for row in worksheet.iter_rows():
            for cell in row:
                keep_as_text(cell)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
