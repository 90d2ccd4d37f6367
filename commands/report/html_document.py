"""The report as one self-contained HTML page, in the return's order, with
the pictures embedded as data URIs (nothing is fetched when it is opened)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from commands.report.charts import Picture
from commands.report.figures import QuarterlyReport
from commands.report.markdown import NONE_RECORDED
from commands.report.notes import Narrative
from commands.report.tables import (
    FOOTER,
    Paragraphs,
    Table,
    about,
    cell_text,
    sections,
    subtitle,
    title,
)

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; margin: 2rem;
       color: #1b1b1b; max-width: 64rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.25rem; margin-top: 2.25rem; border-bottom: 2px solid #1d4e89; }
h3 { font-size: 1.05rem; margin-top: 1.5rem; }
.provisional { display: inline-block; background: #fff4ce; border: 1px solid #e6c200;
               padding: .2rem .5rem; font-weight: bold; }
.note { background: #eef4fb; border-left: 4px solid #1d4e89; padding: .4rem .75rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #c8c8c8; padding: .3rem .6rem; vertical-align: top; }
th { background: #f2f2f2; text-align: left; }
th.group { background: #dde7f3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; border: 1px solid #e0e0e0; margin: .5rem 0; }
footer { margin-top: 2rem; color: #555; font-size: .9rem; }
"""
# Each picture sits beside the table it illustrates.
_PICTURE_AFTER = {"table-1": "rating-mix", "workforce": "caseloads", "actions": "overdue-by-agency"}


def _table(table: Table) -> str:
    out = [f"<h3>{escape(table.title)}</h3>"] if table.title else []
    if table.rows:
        out.append("<table><thead><tr>")
        out += [f'<th scope="col">{escape(c)}</th>' for c in table.columns]
        out.append("</tr></thead><tbody>")
        for row in table.rows:
            if table.heading(row):
                out.append(
                    f'<tr><th class="group" scope="rowgroup" colspan="{len(row)}">'
                    f"{escape(cell_text(row[0]))}</th></tr>"
                )
                continue
            cells = []
            for i, cell in enumerate(row):
                text = escape(cell_text(cell))
                if i == 0:
                    cells.append(f'<th scope="row">{text}</th>')
                elif isinstance(cell, str):
                    cells.append(f"<td>{text}</td>")
                else:
                    cells.append(f'<td class="n">{text}</td>')
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody></table>")
    else:
        out.append(f"<p>{NONE_RECORDED}</p>")
    if table.note:
        out.append(f"<p>{escape(table.note)}</p>")
    return "\n".join(out)


def _paragraphs(block: Paragraphs) -> str:
    items = "".join(f"<li>{escape(item)}</li>" for item in block.items)
    body = f"<ul>{items}</ul>" if items else f"<p>{NONE_RECORDED}</p>"
    return f"<h3>{escape(block.title)}</h3>\n{body}"


def _picture(picture: Picture) -> str:
    data = base64.b64encode(picture.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(picture.alt)}">'
        f"<figcaption>{escape(picture.title)}</figcaption></figure>"
    )


def as_html(
    report: QuarterlyReport, pictures: Sequence[Picture], notes: Narrative | None = None
) -> str:
    head = subtitle(report)
    by_key = {p.key: p for p in pictures}
    parts = [
        "<!doctype html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        f"<title>{escape(title(report))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title(report))}</h1>",
        f'<p class="provisional">{escape(head[0])}</p>',
        *(f"<p>{escape(line)}</p>" for line in head[1:]),
        *(f'<p class="note">{escape(note)}</p>' for note in report.notes),
    ]
    for section in sections(report, notes):
        parts.append(f"<h2>{escape(section.title)}</h2>")
        for block in section.blocks:
            parts.append(_table(block) if isinstance(block, Table) else _paragraphs(block))
            picture = by_key.get(_PICTURE_AFTER.get(block.key, ""))
            if picture is not None:
                parts.append(_picture(picture))
    parts.append("<h2>How each figure is counted</h2><ul>")
    parts += [f"<li>{escape(line)}</li>" for line in about(report)[len(report.notes) :]]
    parts.append(f"</ul><footer>{escape(FOOTER)}</footer></body></html>")
    return "\n".join(parts) + "\n"
