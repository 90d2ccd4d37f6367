"""The report as a Markdown document, in the return's order, ending with
how each figure is counted."""

from __future__ import annotations

from commands.report.figures import QuarterlyReport
from commands.report.notes import Narrative
from commands.report.tables import (
    FOOTER,
    Block,
    Paragraphs,
    Table,
    about,
    cell_text,
    sections,
    subtitle,
    title,
)

NONE_RECORDED = "None recorded."


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _table(table: Table) -> list[str]:
    out = [f"### {table.title}", ""] if table.title else []
    if not table.rows:
        out += [NONE_RECORDED, ""]
    else:
        # Figures right-aligned; a column of words left-aligned.
        right = [
            i > 0
            and not all(isinstance(row[i], str) for row in table.rows if not table.heading(row))
            for i in range(len(table.columns))
        ]
        out.append("| " + " | ".join(_escape(c) for c in table.columns) + " |")
        out.append("|" + "|".join("---:" if r else "---" for r in right) + "|")
        for row in table.rows:
            if table.heading(row):
                cells = [f"**{_escape(cell_text(row[0]))}**", *("" for _ in row[1:])]
            else:
                cells = [_escape(cell_text(c)) for c in row]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    if table.note:
        out += [table.note, ""]
    return out


def _paragraphs(block: Paragraphs) -> list[str]:
    out = [f"### {block.title}", ""]
    out += [f"- {item}" for item in block.items] or [NONE_RECORDED]
    return [*out, ""]


def _block(block: Block) -> list[str]:
    return _table(block) if isinstance(block, Table) else _paragraphs(block)


def as_markdown(report: QuarterlyReport, notes: Narrative | None = None) -> str:
    out = [f"# {title(report)}", ""]
    head = subtitle(report)
    out += [f"**{head[0]}**", "", *(line for line in head[1:]), ""]
    if report.notes:
        out += [f"> {note}" for note in report.notes] + [""]
    for section in sections(report, notes):
        out += [f"## {section.title}", ""]
        for block in section.blocks:
            out += _block(block)
    out += ["## How each figure is counted", ""]
    out += [f"- {line}" for line in about(report)[len(report.notes) :]]
    out += ["", f"_{FOOTER}_"]
    return "\n".join(out) + "\n"
