"""Reading the CSV files people bring (HR exports, a register's spreadsheet).

Files come from Excel and HR systems as they are: UTF-8 with or without a
byte-order mark, Windows-1252 (Excel's plain "CSV (Comma delimited)"), UTF-16
("Unicode Text", tab-separated), commas, semicolons or tabs, and headers
written "Line manager email". Everything here turns such a file into rows of
stripped text keyed by normalised column names, each with the line it started
on, or refuses it with one line that says what to do. Nothing is written.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.errors import UserError
from bot.privacy import looks_like_nhs_number

SAVE_AS_UTF8 = 'in Excel: File, Save As, "CSV UTF-8 (Comma delimited) (*.csv)"'
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Row:
    line: int  # the file's line the row starts on (the header is line 1)
    values: Mapping[str, str]  # normalised column name → stripped text

    def get(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass(frozen=True)
class CsvTable:
    columns: tuple[str, ...]  # normalised, in the file's order
    rows: tuple[Row, ...]
    encoding: str  # as people know it: "UTF-8", "Windows-1252", …
    problems: tuple[str, ...] = ()  # rows that could not be read, with line numbers

    @property
    def note(self) -> str | None:
        """A line for the operator when the file was not saved as UTF-8."""
        if self.encoding in ("UTF-8", "UTF-8 with a byte-order mark"):
            return None
        return (
            f"Read as {self.encoding}. Next time save it as UTF-8 ({SAVE_AS_UTF8}), which "
            "keeps every character."
        )


def column_name(text: str) -> str:
    """ "Line manager e-mail " → "line_manager_e_mail"."""
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def read_csv(data: bytes, *, aliases: Mapping[str, str] | None = None) -> CsvTable:
    """The file's rows; ``aliases`` maps other names of columns to ours."""
    text, encoding = decode(data)
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    if not header_line:
        raise UserError("The file is empty: it needs a header line and then one row a line.")
    delimiter = max(_DELIMITERS, key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns: tuple[str, ...] | None = None
    rows: list[Row] = []
    problems: list[str] = []
    last = 0
    try:
        for cells in reader:
            first_line, last = last + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                named = [column_name(cell) for cell in cells]
                columns = tuple((aliases or {}).get(name, name) for name in named)
                continue
            if len(cells) > len(columns):
                problems.append(
                    f"line {first_line}: {len(cells)} fields, but the header names "
                    f"{len(columns)} (a comma inside a field needs the field in double quotes)"
                )
                continue
            values = {column: cell.strip() for column, cell in zip(columns, cells, strict=False)}
            rows.append(Row(line=first_line, values=values))
    except csv.Error as exc:
        raise UserError(f"line {reader.line_num}: I can't read the file as CSV ({exc}).") from None
    return CsvTable(
        columns=columns or (), rows=tuple(rows), encoding=encoding, problems=tuple(problems)
    )


def decode(data: bytes) -> tuple[str, str]:
    """The text and the name of its encoding, or one line saying how to save it."""
    if data.startswith(b"PK\x03\x04"):
        raise UserError(
            f"That is an Excel workbook (.xlsx), not a CSV file: {SAVE_AS_UTF8}, and import "
            "the .csv file."
        )
    for bom, codec, name in (
        (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with a byte-order mark"),
        (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 (Excel's Unicode Text)"),
        (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 (Excel's Unicode Text)"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec), name
            except UnicodeDecodeError as exc:
                raise _undecodable(data, exc, name) from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as utf8_error:
        try:
            # Excel's "CSV (Comma delimited)" on Windows: every byte but five
            # is a character, so a file that is neither is refused below.
            return data.decode("cp1252"), "Windows-1252 (Excel's CSV (Comma delimited))"
        except UnicodeDecodeError:
            raise _undecodable(data, utf8_error, "UTF-8") from None


def _undecodable(data: bytes, exc: UnicodeDecodeError, tried: str) -> UserError:
    line = data[: exc.start].count(b"\n") + 1
    return UserError(
        f"line {line}: the file is not in {tried} or Windows-1252 (byte 0x{data[exc.start]:02X} "
        f"is not a character there); {SAVE_AS_UTF8}, then import it again."
    )


def identifier_problems(row: Row) -> list[str]:
    """A line for every field of ``row`` that holds an NHS-number-shaped value
    (the value itself is never repeated)."""
    return [
        f"line {row.line}: the {column.replace('_', ' ')} field holds what looks like an NHS "
        "number. Teamaround never stores one: remove it, then import the file again."
        for column, value in row.values.items()
        if value and looks_like_nhs_number(value)
    ]
