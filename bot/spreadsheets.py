"""Cells for the spreadsheets Teamaround writes (CSV and XLSX exports).

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return before one) as a formula: an action's text
``=HYPERLINK("https://…","Open")`` would become a live link in Excel. Every
text cell we write goes through this module, so such text is shown as typed,
never run. Numbers (``-3``, ``+4.5``, ``12%``) are left alone: they are not
formulas, and a spreadsheet should read them as numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")


def runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet would run ``text`` (typed into a cell) as a formula."""
    return text.startswith(FORMULA_TRIGGERS) and not _NUMBER.fullmatch(text)


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: formula-like text gets a leading apostrophe,
    which every spreadsheet reads as "this is text" (OWASP's advice)."""
    if isinstance(value, str) and runs_as_formula(value):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in values]


class XlsxCell(Protocol):
    """What we touch of an openpyxl cell."""

    value: Any
    data_type: str
    quotePrefix: bool


def keep_as_text(cell: XlsxCell) -> None:
    """Store formula-like text in an XLSX cell as text: openpyxl would
    otherwise write it as a formula. The quote prefix keeps it text when
    someone edits the cell."""
    if isinstance(cell.value, str) and runs_as_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
