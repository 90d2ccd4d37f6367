"""The case record as a document: Markdown or a self-contained HTML page.
Pure functions of a :class:`~commands.records.case_record.CaseRecord`."""

from __future__ import annotations

import html

from bot.dates import format_numeric
from commands.records.case_record import CaseRecord, Line

TITLE = "Case record"
INTRO = (
    "Everything Teamaround holds about this young person, in date order, "
    "for the case-management system or a subject access request. Times are "
    "local (UK); a date without a time is a day recorded without one."
)


def _when(line: Line) -> str:
    day = format_numeric(line.when.date())
    return day if line.day_only else f"{day} {line.when:%H:%M}"


def _cell(text: str) -> str:
    """Table-safe Markdown: no line breaks, pipes escaped, no raw HTML."""
    flat = " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown(record: CaseRecord) -> str:
    out = [
        f"# {TITLE}: {record.reference}",
        "",
        INTRO,
        "",
        f"Exported on {format_numeric(record.exported_on)} by {record.exported_by}.",
        "",
        "## Summary",
        "",
        *(f"- **{label}:** {_cell(value)}" for label, value in record.facts),
        "",
        f"## Events, in date order ({len(record.lines)})",
        "",
        "| when | about | what | who |",
        "| --- | --- | --- | --- |",
        *(
            f"| {_when(line)} | {_cell(line.about)} | {_cell(line.what)} | {_cell(line.who)} |"
            for line in record.lines
        ),
        "",
    ]
    return "\n".join(out)


def page(record: CaseRecord) -> str:
    e = html.escape
    facts = "".join(f"<dt>{e(label)}</dt><dd>{e(value)}</dd>" for label, value in record.facts)
    rows = "".join(
        f"<tr><td>{e(_when(line))}</td><td>{e(line.about)}</td>"
        f"<td>{e(line.what)}</td><td>{e(line.who)}</td></tr>"
        for line in record.lines
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en-GB"><head><meta charset="utf-8"><title>{TITLE}: {e(record.reference)}'
        "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:.25em .5em;vertical-align:top;text-align:left}"
        "dt{font-weight:bold}</style></head><body>"
        f"<h1>{TITLE}: {e(record.reference)}</h1><p>{e(INTRO)}</p>"
        f"<p>Exported on {format_numeric(record.exported_on)} by {e(record.exported_by)}.</p>"
        f"<h2>Summary</h2><dl>{facts}</dl>"
        f"<h2>Events, in date order ({len(record.lines)})</h2>"
        "<table><thead><tr><th>when</th><th>about</th><th>what</th><th>who</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>\n"
    )
