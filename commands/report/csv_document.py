"""The report as CSV: one figure a line (table, row, column, value), so it
loads into any spreadsheet or database without reshaping."""

from __future__ import annotations

import csv
import io

from bot.spreadsheets import csv_row
from commands.report.figures import PROVISIONAL, QuarterlyReport
from commands.report.tables import cell_text, tables


def as_csv(report: QuarterlyReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("table", "row", "column", "value"))
    q = report.quarter
    for label, value in (
        ("status", PROVISIONAL),
        ("register", report.register),
        ("quarter", q.label),
        ("from", q.start.isoformat()),
        ("to", q.end.isoformat()),
        ("as at", report.as_at.isoformat()),
    ):
        writer.writerow(csv_row(("report", label, "", value)))
    for table in tables(report):
        for row in table.rows:
            name = cell_text(row[0])
            for column, cell in zip(table.columns[1:], row[1:], strict=True):
                writer.writerow(csv_row((table.key, name, column, cell_text(cell))))
    return out.getvalue()
