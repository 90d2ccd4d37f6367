"""The report's files: the documents and the pictures, named alike.

File names carry the register and the quarter only, never anything about a
young person: ``north-area-keyworking-2026-27-q3.xlsx``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from commands.report.charts import Picture, pictures
from commands.report.csv_document import as_csv
from commands.report.figures import QuarterlyReport
from commands.report.html_document import as_html
from commands.report.markdown import as_markdown
from commands.report.notes import Narrative
from commands.report.xlsx import as_xlsx


class Format(StrEnum):
    md = "md"
    csv = "csv"
    xlsx = "xlsx"
    html = "html"
    all = "all"  # every document and the pictures


MEDIA_TYPES = {
    "md": "text/markdown",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
    "png": "image/png",
}


@dataclass(frozen=True)
class Document:
    filename: str
    media_type: str
    content: bytes
    title: str
    alt_text: str = ""  # pictures: what they show, in words


def base_name(report: QuarterlyReport) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", report.register.lower()).strip("-") or "register"
    return f"{slug}-keyworking-{report.quarter.slug}"


def documents(
    report: QuarterlyReport, fmt: Format = Format.all, *, notes: Narrative | None = None
) -> list[Document]:
    """The files for ``fmt``: one document, or (``all``) every document and
    the pictures. The HTML document has the pictures inside it; ``notes``
    is the return's narrative (section 3), in every document."""
    base = base_name(report)
    label = f"Keyworking report {report.quarter.label}"
    drawn: tuple[Picture, ...] = ()
    if fmt in (Format.html, Format.all):
        drawn = pictures(report)
    out: list[Document] = []
    if fmt in (Format.md, Format.all):
        out.append(_doc(f"{base}.md", as_markdown(report, notes).encode(), f"{label} (Markdown)"))
    if fmt in (Format.csv, Format.all):
        # With a byte-order mark, so that Excel reads the dashes and "–" right.
        out.append(_doc(f"{base}.csv", as_csv(report, notes).encode("utf-8-sig"), f"{label} (CSV)"))
    if fmt in (Format.xlsx, Format.all):
        out.append(_doc(f"{base}.xlsx", as_xlsx(report, notes), f"{label} (spreadsheet)"))
    if fmt in (Format.html, Format.all):
        out.append(
            _doc(f"{base}.html", as_html(report, drawn, notes).encode(), f"{label} (web page)")
        )
    if fmt is Format.all:
        out += [_doc(f"{base}-{p.key}.png", p.png, p.title, alt_text=p.alt) for p in drawn]
    return out


def _doc(filename: str, content: bytes, title: str, *, alt_text: str = "") -> Document:
    return Document(filename, MEDIA_TYPES[filename.rsplit(".", 1)[1]], content, title, alt_text)
