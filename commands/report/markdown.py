"""The report as a Markdown document."""

from __future__ import annotations

from commands.report.figures import QuarterlyReport
from commands.report.tables import FOOTER, Table, about, cell_text, subtitle, tables, title


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _table(table: Table) -> list[str]:
    out = [f"## {table.title}", ""]
    if not table.rows:
        out += ["None.", ""]
    else:
        # Figures right-aligned; a column of words (the flags) left-aligned.
        right = [
            i > 0 and not all(isinstance(row[i], str) for row in table.rows)
            for i in range(len(table.columns))
        ]
        out.append("| " + " | ".join(_escape(c) for c in table.columns) + " |")
        out.append("|" + "|".join("---:" if r else "---" for r in right) + "|")
        for row in table.rows:
            out.append("| " + " | ".join(_escape(cell_text(c)) for c in row) + " |")
        out.append("")
    if table.note:
        out += [table.note, ""]
    return out


def as_markdown(report: QuarterlyReport) -> str:
    out = [f"# {title(report)}", ""]
    head = subtitle(report)
    out += [f"**{head[0]}**", "", *(line for line in head[1:]), ""]
    if report.notes:
        out += [f"> {note}" for note in report.notes] + [""]
    for table in tables(report):
        out += _table(table)
    out += ["## How these figures are worked out", ""]
    out += [f"- {line}" for line in about(report)[len(report.notes) :]]
    out += ["", f"_{FOOTER}_"]
    return "\n".join(out) + "\n"
