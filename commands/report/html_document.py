"""The report as one self-contained HTML page: the tables, with the
pictures embedded as data URIs (nothing is fetched when it is opened)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from commands.report.charts import Picture
from commands.report.figures import QuarterlyReport
from commands.report.tables import FOOTER, Table, about, cell_text, subtitle, tables, title

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; margin: 2rem;
       color: #1b1b1b; max-width: 60rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; }
.provisional { display: inline-block; background: #fff4ce; border: 1px solid #e6c200;
               padding: .2rem .5rem; font-weight: bold; }
.note { background: #eef4fb; border-left: 4px solid #1d4e89; padding: .4rem .75rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #c8c8c8; padding: .3rem .6rem; }
th { background: #f2f2f2; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr:last-child td { font-weight: 600; }
.flag { color: #c0392b; font-weight: bold; }
img { max-width: 100%; height: auto; border: 1px solid #e0e0e0; margin: .5rem 0; }
footer { margin-top: 2rem; color: #555; font-size: .9rem; }
"""


def _table(table: Table) -> str:
    out = [f"<h2>{escape(table.title)}</h2>"]
    if table.rows:
        out.append("<table><thead><tr>")
        out += [f'<th scope="col">{escape(c)}</th>' for c in table.columns]
        out.append("</tr></thead><tbody>")
        for row in table.rows:
            cells = []
            for i, cell in enumerate(row):
                text = escape(cell_text(cell))
                if i == 0:
                    cells.append(f'<th scope="row">{text}</th>')
                elif isinstance(cell, str) and cell.startswith("Over the limit"):
                    cells.append(f'<td class="flag">{text}</td>')
                else:
                    cells.append(f'<td class="n">{text}</td>')
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>None.</p>")
    if table.note:
        out.append(f"<p>{escape(table.note)}</p>")
    return "\n".join(out)


def _picture(picture: Picture) -> str:
    data = base64.b64encode(picture.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(picture.alt)}">'
        f"<figcaption>{escape(picture.title)}</figcaption></figure>"
    )


def as_html(report: QuarterlyReport, pictures: Sequence[Picture]) -> str:
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
    # Each picture sits beside the table it illustrates.
    after = {"on-the-dsr": "rating-mix", "caseloads": "caseloads", "actions": "overdue-by-agency"}
    for table in tables(report):
        parts.append(_table(table))
        picture = by_key.get(after.get(table.key, ""))
        if picture is not None:
            parts.append(_picture(picture))
    parts.append("<h2>How these figures are worked out</h2><ul>")
    parts += [f"<li>{escape(line)}</li>" for line in about(report)[len(report.notes) :]]
    parts.append(f"</ul><footer>{escape(FOOTER)}</footer></body></html>")
    return "\n".join(parts) + "\n"
