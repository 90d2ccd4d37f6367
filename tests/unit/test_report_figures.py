"""The quarterly keyworking report, worked out by hand for synthetic areas.

Q2 2026/27 is Wed 1 Jul to Wed 30 Sep 2026 (the summer bank holiday is
Mon 31 Aug). "Today" is Mon 23 Nov 2026, so the quarter is over and anything
recorded after 30 Sep must not change its figures.

The golden Markdown document is accepted with UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import csv
import io
import os
import re
import struct
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.calendar import WorkingCalendar
from commands.report.charts import pictures
from commands.report.csv_document import as_csv
from commands.report.documents import Format, documents
from commands.report.figures import (
    ActionEventRow,
    ActionRow,
    AdmissionRow,
    ByBand,
    Change,
    KeyworkerRow,
    Percent,
    QuarterlyReport,
    ReportData,
    Rules,
    YoungPersonRow,
    build,
)
from commands.report.html_document import as_html
from commands.report.markdown import as_markdown
from commands.report.quarters import Quarter
from commands.report.xlsx import as_xlsx

LONDON = ZoneInfo("Europe/London")
CAL = WorkingCalendar()
Q2 = Quarter(2026, 2)
TODAY = date(2026, 11, 23)
GOLDEN = Path(__file__).parent / "golden" / "report_quarterly.md"
TABLE_1 = "Table 1: Children and young people on the DSR with a named keyworker"
KIM, ADE, SOL, TOM = 1, 2, 3, 4


def at(day: str, hour: int = 10) -> datetime:
    d, m, y = (int(x) for x in day.split("/"))
    return datetime(y, m, d, hour, tzinfo=LONDON)


def on(day: str) -> date:
    return at(day).date()


def yp(n: int, band: str, joined: str, **changes: object) -> YoungPersonRow:
    person = YoungPersonRow(
        id=n, reference=f"YP-{n:04d}", age_band=band, transition_month=None, joined_at=at(joined)
    )
    return replace(person, **changes)  # type: ignore[arg-type]


def area() -> ReportData:
    """Twelve young people whose ratings, keyworkers and admissions change
    before, during and after the quarter (see each comment)."""
    people = (
        yp(1, "under-18", "01/05/2026"),  # A: Amber → Red in the quarter → Green after
        yp(2, "18-25", "01/06/2026"),  # B: keyworker Ade → Sol in it → Kim after
        yp(3, "under-18", "01/04/2026", transition_month=date(2026, 9, 1)),  # C: turns 18 in Sep
        yp(4, "under-18", "01/03/2026"),  # D: readmitted on 02/07 after a May discharge
        yp(5, "18-25", "01/04/2026"),  # E: admitted and discharged in the quarter
        yp(6, "under-18", "01/04/2026"),  # F: admitted 30/09, recorded 02/10
        yp(7, "under-18", "01/04/2026", left_on=on("15/09/2026"), leaving_reason="stepped-down"),
        yp(8, "18-25", "01/04/2026", left_on=on("10/08/2026"), leaving_reason="removed"),
        yp(9, "under-18", "05/10/2026"),  # I: joined after the quarter
        yp(10, "under-18", "01/07/2026"),  # J: never rated
        yp(11, "under-18", "01/04/2026", left_on=on("20/06/2026"), leaving_reason="stepped-down"),
        yp(12, "under-18", "01/04/2026"),  # L: keyworker only after the quarter
    )
    ratings = [
        Change(1, at("01/05/2026"), "amber"),
        Change(1, at("15/08/2026"), "red"),
        Change(1, at("05/10/2026"), "green"),
        Change(2, at("01/06/2026"), "amber"),
        Change(3, at("01/04/2026"), "red"),
        Change(4, at("01/03/2026"), "amber"),
        Change(4, at("20/03/2026"), "blue"),
        Change(4, at("12/05/2026"), "amber"),
        Change(4, at("02/07/2026"), "blue"),
        Change(5, at("01/04/2026"), "amber"),
        Change(5, at("05/08/2026"), "blue"),
        Change(5, at("01/09/2026"), "green"),
        Change(6, at("01/04/2026"), "amber"),
        Change(6, at("02/10/2026"), "blue"),  # the admission on 30/09, recorded late
        Change(7, at("01/04/2026"), "amber"),
        Change(8, at("01/04/2026"), "green"),
        Change(11, at("01/04/2026"), "green"),
        Change(12, at("01/04/2026"), "amber"),
    ]
    keyworkers = [
        Change(1, at("01/05/2026"), KIM),
        Change(2, at("10/07/2026"), ADE),
        Change(2, at("20/09/2026"), SOL),
        Change(2, at("10/10/2026"), KIM),
        Change(4, at("01/03/2026"), KIM),
        Change(5, at("01/04/2026"), ADE),
        Change(7, at("01/04/2026"), SOL),
        Change(8, at("01/04/2026"), KIM),
        Change(11, at("01/04/2026"), ADE),
        Change(12, at("02/10/2026"), KIM),
    ]
    admissions = [
        AdmissionRow(4, on("20/03/2026"), on("10/05/2026")),
        AdmissionRow(4, on("02/07/2026")),
        AdmissionRow(5, on("05/08/2026"), on("25/08/2026")),
        AdmissionRow(6, on("01/12/2024"), on("01/01/2025")),
        AdmissionRow(6, on("30/09/2026")),
    ]
    actions = [
        ActionRow(101, "CAMHS", at("01/07/2026"), on("10/07/2026"), "done", at("08/07/2026")),
        ActionRow(102, "CAMHS", at("15/09/2026"), on("25/09/2026")),
        ActionRow(103, "CAMHS", at("01/06/2026"), on("20/10/2026")),  # due 30/09 at the end
        ActionRow(104, "CAMHS", at("10/09/2026"), on("01/10/2026")),
        ActionRow(105, "CAMHS", at("02/07/2026"), on("10/07/2026"), "done", at("03/07/2026")),
        ActionRow(
            201,
            "Children's Social Care",
            at("20/08/2026"),
            on("04/09/2026"),
            "done",
            at("01/09/2026"),
        ),
        ActionRow(
            202,
            "Children's Social Care",
            at("01/09/2026"),
            on("11/09/2026"),
            "done",
            at("04/09/2026"),
        ),
        ActionRow(
            203,
            "Children's Social Care",
            at("01/07/2026"),
            on("20/07/2026"),
            "done",
            at("02/10/2026"),
        ),
        ActionRow(
            204,
            "Children's Social Care",
            at("01/03/2026"),
            on("01/04/2026"),
            "cancelled",
            at("01/05/2026"),
        ),
    ]
    events = [
        ActionEventRow(102, "escalated", at("28/09/2026"), {"stage": 1}),
        ActionEventRow(102, "escalated", at("30/09/2026", 16), {"stage": 2}),
        ActionEventRow(103, "escalated", at("20/06/2026"), {"stage": 1}),  # before
        ActionEventRow(
            103, "extension", at("05/10/2026"), {"from": "2026-09-30", "to": "2026-10-20"}
        ),
        ActionEventRow(203, "escalated", at("21/07/2026"), {"stage": 1}),
    ]
    staff = (
        KeyworkerRow(KIM, "Kim Lee", listed=True),
        KeyworkerRow(ADE, "Ade Okafor", listed=True),
        KeyworkerRow(SOL, "Sol Byrne", listed=True),
        KeyworkerRow(TOM, "Tom Hale", listed=True),
    )
    return ReportData(
        register="North Area DSR",
        area="Synthetic",
        young_people=people,
        ratings=tuple(ratings),
        keyworkers=tuple(keyworkers),
        admissions=tuple(admissions),
        actions=tuple(actions),
        action_events=tuple(events),
        people=staff,
    )


def report(data: ReportData | None = None, *, rules: Rules | None = None) -> QuarterlyReport:
    return build(data or area(), quarter=Q2, today=TODAY, calendar=CAL, rules=rules or Rules())


def md_tables(markdown: str) -> dict[str, list[list[str]]]:
    """Each Markdown table's cells, by the heading above it."""
    found: dict[str, list[list[str]]] = {}
    heading = ""
    for line in markdown.splitlines():
        if line.startswith(("## ", "### ")):
            heading = line.split(" ", 1)[1]
        elif line.startswith("|") and not re.fullmatch(r"\|[-:|]+\|", line):
            cells = [c.strip().replace("\\|", "|") for c in line.strip("|").split(" | ")]
            found.setdefault(heading, []).append(cells)
    return found


# -- the figures ------------------------------------------------------------------


def test_on_the_dsr_by_rating_and_age_band_as_at_the_end_of_the_quarter() -> None:
    r = report()
    assert r.as_at == date(2026, 9, 30) and not r.in_progress
    assert r.on_register["red"] == ByBand(1, 1)  # A (Red since 15/08), C (18 since Sep)
    assert r.on_register["amber"] == ByBand(1, 1)  # L, B
    assert r.on_register["green"] == ByBand(0, 1)  # E, Green after discharge
    assert r.on_register["unrated"] == ByBand(1, 0)  # J
    assert r.on_register["blue"] == ByBand(2, 0)  # D, and F by its admission on 30/09
    # Table 1's total is Red, Amber and Green: inpatients are row 2, J is apart.
    assert r.on_register_total == ByBand(2, 3)
    table = md_tables(as_markdown(r))[TABLE_1]
    assert ["Total on the DSR (Red, Amber and Green)", "2", "3"] in table


def test_named_keyworkers_against_the_target() -> None:
    r = report()
    assert r.red_amber == ByBand(2, 2) and r.red_amber_with_keyworker == ByBand(1, 1)
    assert r.red_with_keyworker == ByBand(1, 0)  # A (Kim); C has none
    assert r.amber_with_keyworker == ByBand(0, 1)  # B (Sol); L's came after
    assert r.inpatients == ByBand(2, 0) and r.inpatients_with_keyworker == ByBand(1, 0)
    table = md_tables(as_markdown(r))[TABLE_1]
    assert ["Red with a named keyworker", "1", "0"] in table
    assert ["Amber with a named keyworker", "0", "1"] in table
    assert ["Red and Amber with a named keyworker", "1", "1"] in table
    assert [
        "% of Red and Amber with a named keyworker (target 90%)",
        "50% (1/2)",
        "50% (1/2)",
    ] in table
    assert ["Meets the 90% target", "No", "No"] in table
    assert ["% of inpatients with a named keyworker", "50% (1/2)", "n/a"] in table


def test_admissions_readmissions_across_the_quarter_boundary_and_discharges() -> None:
    r = report()
    assert r.readmissions == ByBand(1, 0)  # D: discharged 10/05, back on 02/07
    assert r.new_admissions == ByBand(1, 1)  # F (last discharge over 12 months ago), E
    assert r.discharges == ByBand(0, 1)  # E
    shorter = report(rules=Rules(readmission_months=1))
    assert shorter.readmissions == ByBand(0, 0) and shorter.new_admissions == ByBand(2, 1)


def test_keyworking_support_in_the_quarter_and_step_downs() -> None:
    r = report()
    assert r.supported["red"] == ByBand(1, 0)  # A
    assert r.supported["amber"] == ByBand(1, 1)  # G (stepped down 15/09), B
    assert r.supported["blue"] == ByBand(1, 0)  # D
    assert r.supported["preventive"] == ByBand(0, 0)  # none recorded
    assert r.supported_total == ByBand(3, 1)
    # E and H had keyworkers while Green, not recorded as preventive: apart.
    assert r.supported["other"] == ByBand(0, 2)
    assert "Not in the total: 2 with a named keyworker" in as_markdown(r)
    assert r.stepped_down == ByBand(1, 0)  # G only: H was removed, K left before


def test_caseloads_per_keyworker_at_the_end_of_the_quarter() -> None:
    r = report()
    assert [(k.name, k.caseload, k.step_downs, k.over_limit) for k in r.keyworkers] == [
        ("KL", 2, 0, False),  # Kim Lee: A, D (B and L only came to Kim after)
        ("AO", 1, 0, False),  # Ade Okafor: E
        ("SB", 1, 1, False),  # Sol Byrne: B; G's step-down
        ("TH", 0, 0, False),  # Tom Hale: in the directory, no caseload
    ]
    assert r.caseload_median == 1.0 and not r.uneven  # 2 is not more than twice 1
    assert r.without_keyworker == ByBand(3, 1)  # F, J, L; C (18 since September)
    tight = report(rules=Rules(caseload_limit=1, workforce_names="names"))
    assert [k.name for k in tight.keyworkers if k.over_limit] == ["Kim Lee"]


def test_uneven_caseloads_are_flagged() -> None:
    data = area()
    extra = tuple(yp(100 + n, "under-18", "01/04/2026") for n in range(3))
    data = replace(
        data,
        young_people=(*data.young_people, *extra),
        ratings=(*data.ratings, *(Change(p.id, at("01/04/2026"), "green") for p in extra)),
        keyworkers=(*data.keyworkers, *(Change(p.id, at("01/04/2026"), KIM) for p in extra)),
    )
    r = report(data)
    assert r.largest_caseload == 5 and r.caseload_median == 1.0 and r.uneven
    assert "Uneven: the largest caseload (5) is more than twice the median (1)." in as_markdown(r)


def test_actions_by_agency() -> None:
    r = report()
    camhs, social = r.agencies
    assert (camhs.agency, camhs.created, camhs.completed, camhs.overdue) == ("CAMHS", 4, 2, 2)
    assert camhs.median_days == 3.0  # 5 working days and 1
    assert camhs.escalations == (1, 1, 0, 0)
    assert (social.created, social.completed, social.overdue) == (3, 2, 1)
    assert social.median_days == 5.0  # 7 (over the bank holiday) and 3
    assert social.escalations == (1, 0, 0, 0)
    total = r.actions_total
    assert (total.created, total.completed, total.overdue, total.median_days) == (7, 4, 3, 4.0)
    assert total.escalations == (2, 1, 0, 0)


def test_the_rating_mix_over_the_last_four_quarters() -> None:
    r = report()
    assert [m.quarter.label for m in r.rating_mix] == [
        "Q3 2025/26",
        "Q4 2025/26",
        "Q1 2026/27",
        "Q2 2026/27",
    ]
    assert [sum(m.counts.values()) for m in r.rating_mix] == [0, 1, 9, 8]
    # As at 30/06: C Red; A, B, D (discharged in May), E, F, G, L Amber; H Green.
    q1 = r.rating_mix[2].counts
    assert (q1["red"], q1["amber"], q1["green"], q1["blue"], q1["unrated"]) == (1, 7, 1, 0, 0)
    assert r.rating_mix[1].counts["blue"] == 1  # D, in hospital on 31/03


def test_percentages_of_nobody_read_n_a_and_an_empty_quarter_says_so() -> None:
    assert str(Percent(0, 0)) == "n/a" and Percent(0, 0).meets(90) == "n/a"
    assert str(Percent(5, 6)) == "83%" and str(Percent(1, 8)) == "13%"  # 12.5 rounds up
    empty = report(ReportData(register="Quiet Area"))
    assert empty.empty
    text = as_markdown(empty)
    assert "Nothing was recorded on this register for Q2 2026/27" in text
    assert "| % of Red and Amber with a named keyworker (target 90%) | n/a | n/a |" in text
    assert "| All agencies | 0 | 0 | 0 | n/a | 0 | 0 | 0 | 0 |" in text
    for document in documents(empty, Format.all):  # every file is still made
        assert document.content


def test_a_quarter_still_running_is_figured_as_at_today() -> None:
    r = build(area(), quarter=Quarter(2026, 3), today=TODAY, calendar=CAL, rules=Rules())
    assert r.in_progress and r.as_at == TODAY
    assert sum(c.total for c in r.on_register.values()) == 9  # I joined on 05/10
    assert r.notes[0].startswith("Q3 2026/27 has not finished")


# -- the documents ----------------------------------------------------------------


def test_the_markdown_report_matches_the_golden_file() -> None:
    text = as_markdown(report())
    assert "YP-" not in text  # the report never lists young people
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.exists(), f"{GOLDEN} is missing; run with UPDATE_GOLDEN=1 to create it"
    expected = GOLDEN.read_text(encoding="utf-8")
    assert text == expected, (
        "The quarterly report changed. If the change is deliberate, run with "
        f"UPDATE_GOLDEN=1 and check the file.\n--- got\n{text}"
    )


def _shown(cell: object, number_format: str) -> str:
    """An XLSX cell as a spreadsheet displays it."""
    if cell is None:
        return ""
    if isinstance(cell, float) and number_format.endswith("%"):
        return f"{round(cell * 100)}%"
    if isinstance(cell, float):
        return f"{cell:.1f}".removesuffix(".0")
    return str(cell)


def sheet_rows(sheet: object) -> list[list[str]]:
    """Every row of a sheet as a spreadsheet displays it (trailing blanks dropped)."""
    rows = []
    for row in sheet.iter_rows():  # type: ignore[attr-defined]
        cells = [_shown(c.value, c.number_format) for c in row]
        while cells and cells[-1] == "":
            cells.pop()
        rows.append(cells)
    return rows


def xlsx_tables(workbook: object) -> dict[str, list[list[str]]]:
    """Each table of the workbook by the heading above it (as md_tables): the
    header row, then its rows, as displayed."""
    found: dict[str, list[list[str]]] = {}
    for sheet in workbook.worksheets:  # type: ignore[attr-defined]
        rows = sheet_rows(sheet)
        heading = ""
        n = 0
        while n < len(rows):
            row = rows[n]
            if n == 1:  # the line under the sheet's title: the area, quarter and status
                n += 1
                continue
            if len(row) == 1 and row[0]:
                heading = row[0]
            elif len(row) > 1 and heading not in found:
                width = len(row)
                table = [row]
                n += 1
                while n < len(rows) and rows[n] and (len(rows[n]) > 1 or rows[n][0][:1].isdigit()):
                    table.append((rows[n] + [""] * width)[:width])
                    n += 1
                found[heading] = table
                continue
            n += 1
    return found


def _as_in_a_spreadsheet(markdown_cell: str) -> str:
    """A Markdown cell as the spreadsheet shows it: headings unbolded, a
    percentage without its numerator and denominator (the rows above)."""
    return re.sub(r" \(\d+/\d+\)$", "", markdown_cell.strip("*"))


def test_the_xlsx_has_the_returns_sections_in_order_and_the_markdowns_figures() -> None:
    r = report()
    workbook = load_workbook(io.BytesIO(as_xlsx(r)))
    assert workbook.sheetnames == [
        "Table 1",
        "Section 2",
        "Section 3",
        "Not in the return",
        "About",
    ]
    assert workbook["About"]["A2"].value == "Provisional – not NHSE-specified."
    assert "Provisional – not NHSE-specified." in str(workbook["Table 1"]["A2"].value)
    expected = {
        heading: [[_as_in_a_spreadsheet(c) for c in row] for row in rows]
        for heading, rows in md_tables(as_markdown(r)).items()
    }
    assert xlsx_tables(workbook) == expected
    table_1 = workbook["Table 1"]
    assert table_1["A5"].value == "1. On the DSR at the end of the quarter"
    assert str(table_1["A13"].value).startswith("% of Red and Amber")
    assert table_1["B13"].value == 0.5 and table_1["B13"].number_format == "0%"
    assert table_1["C18"].value == "n/a"  # 18-25 inpatients: nobody


def test_the_csv_has_one_figure_a_line() -> None:
    rows = list(csv.DictReader(io.StringIO(as_csv(report()))))
    assert rows[0] == {
        "table": "report",
        "row": "status",
        "column": "",
        "value": "Provisional – not NHSE-specified",
    }
    assert {"table": "report", "row": "area", "column": "", "value": "Synthetic"} in rows
    assert {
        "table": "table-1",
        "row": "Total on the DSR (Red, Amber and Green)",
        "column": "18–25",
        "value": "3",
    } in rows
    assert {
        "table": "table-1",
        "row": "% of Red and Amber with a named keyworker (target 90%)",
        "column": "Under 18",
        "value": "50% (1/2)",
    } in rows
    assert {
        "table": "workforce",
        "row": "3",
        "column": "Stepped down in the quarter",
        "value": "1",
    } in rows
    assert {"table": "workforce", "row": "3", "column": "Initials", "value": "SB"} in rows
    # Headings are not figures.
    assert not [row for row in rows if row["row"].startswith("1. On the DSR")]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_pictures_are_small_pngs_that_say_what_they_show() -> None:
    data = area()
    extra = tuple(yp(100 + n, "under-18", "01/04/2026") for n in range(22))
    data = replace(
        data,
        young_people=(*data.young_people, *extra),
        keyworkers=(*data.keyworkers, *(Change(p.id, at("01/04/2026"), KIM) for p in extra)),
    )
    r = report(data)
    drawn = {p.key: p for p in pictures(r)}
    assert set(drawn) == {"rating-mix", "caseloads", "overdue-by-agency"}
    for picture in drawn.values():
        width, height = png_size(picture.png)
        assert 500 <= width <= 1000 and 200 <= height <= 800
        assert len(picture.png) < 150_000
    caseloads = drawn["caseloads"]
    assert "Over the limit: KL" in caseloads.alt  # initials, as in the workforce table
    assert "more than twice the median" in caseloads.alt
    assert "CAMHS 2; Children's Social Care 1" in drawn["overdue-by-agency"].alt
    html = as_html(r, tuple(drawn.values()))
    assert html.count('src="data:image/png;base64,') == 3
    assert "Provisional – not NHSE-specified" in html
    assert "Caseload limit 20; over it: KL." in html


def test_file_names_carry_the_register_and_quarter_only() -> None:
    names = [d.filename for d in documents(report(), Format.all)]
    assert names == [
        "north-area-dsr-keyworking-2026-27-q2.md",
        "north-area-dsr-keyworking-2026-27-q2.csv",
        "north-area-dsr-keyworking-2026-27-q2.xlsx",
        "north-area-dsr-keyworking-2026-27-q2.html",
        "north-area-dsr-keyworking-2026-27-q2-rating-mix.png",
        "north-area-dsr-keyworking-2026-27-q2-caseloads.png",
        "north-area-dsr-keyworking-2026-27-q2-overdue-by-agency.png",
    ]
    assert [d.filename for d in documents(report(), Format.xlsx)] == [names[2]]


# -- a synthetic area shaped like a real service's published quarter ----------------

# A pilot site's quarterly keyworking progress report to NHS England
# (DOMAIN.md, K5 and R6) gives, for under-18s and 18-25s: on the DSR by
# rating, Red and Amber with a named keyworker against 90%, the same for
# inpatients, admissions and re-admissions; everyone receiving keyworking
# support by Red, Amber, inpatients and preventive, the number stepped back;
# and each keyworker's caseload and step-downs. This is that return for a
# synthetic area, as published (tests/e2e/test_cli_return.py brings a whole
# history in with `register import` instead).
PUBLISHED = """\
|  | Under 18 | 18–25 |
|---|---:|---:|
| **1. On the DSR at the end of the quarter** |  |  |
| Red | 5 | 2 |
| Amber | 13 | 5 |
| Green | 2 | 2 |
| Total on the DSR (Red, Amber and Green) | 20 | 9 |
| Red with a named keyworker | 4 | 2 |
| Amber with a named keyworker | 13 | 4 |
| Red and Amber with a named keyworker | 17 | 6 |
| % of Red and Amber with a named keyworker (target 90%) | 94% (17/18) | 86% (6/7) |
| Meets the 90% target | Yes | No |
| **2. Inpatients** |  |  |
| Inpatients | 3 | 1 |
| Inpatients with a named keyworker | 3 | 1 |
| % of inpatients with a named keyworker | 100% (3/3) | 100% (1/1) |
| **3. Admissions in the quarter** |  |  |
| New admissions | 1 | 0 |
| Re-admissions (within 12 months of a discharge) | 1 | 0 |

### 2a. Receiving keyworking support during the quarter

|  | Under 18 | 18–25 |
|---|---:|---:|
| Red | 4 | 2 |
| Amber | 15 | 5 |
| Inpatients | 3 | 1 |
| Preventive | 2 | 3 |
| Total receiving keyworking support | 24 | 11 |
| Stepped back in the quarter (outcomes met) | 2 | 2 |

### 2b. Workforce

| Post | Role | Name | Employer | Grade | Part-time | Vacant | New starter | Current caseload \
| Stepped down in the quarter |
|---|---|---|---|---|---|---|---|---:|---:|
| 1 | Keyworker | Keyworker A | Not recorded |  |  |  |  | 14 | 2 |
| 2 | Keyworker | Keyworker B | Not recorded |  |  |  |  | 7 | 1 |
| 3 | Keyworker | Keyworker C | Not recorded |  |  |  |  | 5 | 1 |
| 4 | Keyworker | Keyworker D | Not recorded |  |  |  |  | 3 | 0 |
| 5 | Keyworker | Keyworker E | Not recorded |  |  |  |  | 2 | 0 |

Caseload limit 12; over it: Keyworker A. Uneven: the largest caseload (14) is more than twice \
the median (5)."""


def published_area() -> ReportData:
    """Built from the published counts: who is on the register at the end of
    the quarter with which rating, band and keyworker, who stepped down, and
    two admissions (one a readmission after a discharge in the last quarter)."""
    spec: list[tuple[str, str, int | None]] = (
        [("red", "under-18", 1)] * 4
        + [("red", "18-25", 1)] * 2
        + [("red", "under-18", None)]
        + [("amber", "under-18", 1)] * 13
        + [("amber", "18-25", 1)] * 4
        + [("amber", "18-25", None)]
        + [("blue", "under-18", 1)] * 3
        + [("blue", "18-25", 1)]
        + [("green", "under-18", 1)] * 2
        + [("green", "18-25", 1)] * 2
    )
    # Caseloads 14, 7, 5, 3, 2 in that order among those with a keyworker.
    loads = [1] * 14 + [2] * 7 + [3] * 5 + [4] * 3 + [5] * 2
    people, ratings, keyworkers, admissions, support = [], [], [], [], []
    n = 0
    for rating, band, has_keyworker in spec:
        n += 1
        people.append(yp(n, band, "01/04/2026"))
        ratings.append(Change(n, at("01/04/2026"), rating))
        if has_keyworker:
            keyworkers.append(Change(n, at("01/04/2026"), loads.pop(0)))
        if rating == "green":  # keyworking for the Green is recorded as preventive
            support.append(Change(n, at("01/04/2026"), "preventive"))
        if rating == "blue":
            admissions.append(AdmissionRow(n, on("01/04/2026")))
    # This quarter's admissions: one new, one a readmission (discharged in May).
    admissions[0] = AdmissionRow(admissions[0].young_person_id, on("15/07/2026"))
    admissions[1] = AdmissionRow(admissions[1].young_person_id, on("20/08/2026"))
    admissions.append(
        AdmissionRow(admissions[1].young_person_id, on("01/03/2026"), on("10/05/2026"))
    )
    # Stepped down in the quarter: two Amber under-18s (A, B), an Amber and a
    # Green 18-25 (C, A).
    for rating, band, keyworker, left in (
        ("amber", "under-18", 1, "10/07/2026"),
        ("amber", "under-18", 2, "14/08/2026"),
        ("amber", "18-25", 3, "01/09/2026"),
        ("green", "18-25", 1, "29/09/2026"),
    ):
        n += 1
        people.append(yp(n, band, "01/04/2026", left_on=on(left), leaving_reason="stepped-down"))
        ratings.append(Change(n, at("01/04/2026"), rating))
        keyworkers.append(Change(n, at("01/04/2026"), keyworker))
        if rating == "green":
            support.append(Change(n, at("01/04/2026"), "preventive"))
    names = tuple(KeyworkerRow(i, f"Keyworker {'ABCDE'[i - 1]}", listed=True) for i in range(1, 6))
    return ReportData(
        register="Synthetic Pilot",
        young_people=tuple(people),
        ratings=tuple(ratings),
        keyworkers=tuple(keyworkers),
        admissions=tuple(admissions),
        people=names,
        support=tuple(support),
    )


def test_a_synthetic_area_reproduces_its_published_quarter_exactly() -> None:
    r = report(published_area(), rules=Rules(caseload_limit=12, workforce_names="names"))
    text = as_markdown(r)
    for block in PUBLISHED.split("\n\n### "):
        block = block if block.startswith("|") else "### " + block
        assert block.strip() in text, f"not reproduced:\n{block}\n--- got\n{text}"
    assert r.uneven and [k.over_limit for k in r.keyworkers] == [True] + [False] * 4


@pytest.mark.parametrize("fmt", list(Format))
def test_every_format_is_labelled_provisional(fmt: Format) -> None:
    for document in documents(report(), fmt):
        if document.media_type == "image/png":
            continue
        if document.filename.endswith(".xlsx"):
            workbook = load_workbook(io.BytesIO(document.content))
            assert workbook["About"]["A2"].value == "Provisional – not NHSE-specified."
            for sheet in workbook.sheetnames[:-1]:
                assert "Provisional – not NHSE-specified." in str(workbook[sheet]["A2"].value)
        else:
            assert "Provisional – not NHSE-specified" in document.content.decode("utf-8-sig")
