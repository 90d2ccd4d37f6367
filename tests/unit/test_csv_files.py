"""Reading CSV files as Excel and HR systems save them."""

from __future__ import annotations

import codecs

import pytest

from bot.errors import UserError
from commands.csv_files import column_name, read_csv

ROWS = (
    "Name;E-mail;Line manager email\r\n"
    "Zoë Brontë;zoe@example.org;\r\n"
    "\r\n"
    "Kim Lee;kim@example.org;zoe@example.org\r\n"
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (ROWS.encode("utf-8"), "UTF-8"),
        (codecs.BOM_UTF8 + ROWS.encode("utf-8"), "UTF-8 with a byte-order mark"),
        (ROWS.encode("cp1252"), "Windows-1252 (Excel's CSV (Comma delimited))"),
        (ROWS.replace(";", "\t").encode("utf-16"), "UTF-16 (Excel's Unicode Text)"),
    ],
)
def test_every_way_excel_saves_a_file_reads_the_same(data: bytes, encoding: str) -> None:
    table = read_csv(data, aliases={"e_mail": "email"})
    assert table.encoding == encoding
    assert table.columns == ("name", "email", "line_manager_email")
    assert [(row.line, row.get("name"), row.get("email")) for row in table.rows] == [
        (2, "Zoë Brontë", "zoe@example.org"),
        (4, "Kim Lee", "kim@example.org"),  # line 3 is blank: line numbers are the file's
    ]
    assert (table.note is None) == encoding.startswith("UTF-8")


def test_a_quoted_field_may_hold_commas_and_line_breaks() -> None:
    data = b'name,role\n"Lee, Grant","Clinical\ndirector"\nSam,Nurse\n'
    table = read_csv(data)
    assert [(row.line, row.get("name"), row.get("role")) for row in table.rows] == [
        (2, "Lee, Grant", "Clinical\ndirector"),
        (4, "Sam", "Nurse"),
    ]


def test_a_row_with_more_fields_than_the_header_is_a_problem_with_its_line() -> None:
    table = read_csv(b"name,email\nKim,kim@example.org,extra\nSam,sam@example.org\n")
    assert table.problems == (
        "line 2: 3 fields, but the header names 2 (a comma inside a field needs the field in "
        "double quotes)",
    )
    assert [row.get("name") for row in table.rows] == ["Sam"]


def test_column_names_are_read_as_people_write_them() -> None:
    assert column_name(" Line manager E-mail ") == "line_manager_e_mail"
    assert column_name("AGE BAND") == "age_band"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "The file is empty"),
        (b"\n\n", "The file is empty"),
        (b"PK\x03\x04...", "Excel workbook (.xlsx)"),
        (b"name\nK\x81m\n", "line 2: the file is not in UTF-8 or Windows-1252 (byte 0x81"),
    ],
)
def test_files_i_cannot_read_are_refused_in_one_line(data: bytes, says: str) -> None:
    with pytest.raises(UserError) as caught:
        read_csv(data)
    assert says in str(caught.value)
