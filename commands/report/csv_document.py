"""The report as CSV: one figure a line (table, row, column, value), so it
loads into any spreadsheet or database without reshaping; the narrative's
paragraphs one a line too. Every cell goes through ``bot.spreadsheets``:
text that a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import io

from bot.spreadsheets import csv_row
from commands.report.figures import PROVISIONAL, QuarterlyReport
from commands.report.notes import Narrative
from commands.report.tables import Paragraphs, cell_text, sections


def as_csv(report: QuarterlyReport, notes: Narrative | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("table", "row", "column", "value"))
    q = report.quarter
    for label, value in (
        ("status", PROVISIONAL),
        ("area", report.area),
        ("register", report.register),
        ("quarter", q.label),
        ("from", q.start.isoformat()),
        ("to", q.end.isoformat()),
        ("as at", report.as_at.isoformat()),
    ):
        writer.writerow(csv_row(("report", label, "", value)))
    for section in sections(report, notes):
        for block in section.blocks:
            if isinstance(block, Paragraphs):
                for n, item in enumerate(block.items, start=1):
                    writer.writerow(csv_row((block.key, n, "text", item)))
                continue
            for row in block.rows:
                if block.heading(row):
                    continue
                name = cell_text(row[0])
                for column, cell in zip(block.columns[1:], row[1:], strict=True):
                    writer.writerow(csv_row((block.key, name, column, cell_text(cell))))
    return out.getvalue()
