"""The quarterly report as NHS England's keyworking return: preventive support
(section 2, never on the DSR), support at any time in the quarter, bands the
service does not cover, the workforce table, and the narrative in every
document. Worked out by hand for small synthetic areas.

Q2 2026/27 is Wed 1 Jul to Wed 30 Sep 2026; "today" is Mon 23 Nov 2026.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from bot.errors import UserError
from bot.policy import Policy, Post
from commands.report.charts import pictures
from commands.report.csv_document import as_csv
from commands.report.figures import (
    ByBand,
    Change,
    KeyworkerRow,
    ReportData,
    Rules,
    build,
    initials,
)
from commands.report.html_document import as_html
from commands.report.markdown import as_markdown
from commands.report.notes import TEMPLATE, Narrative, read_notes
from commands.report.quarters import Quarter
from commands.report.xlsx import as_xlsx
from tests.nhs import reserved_numbers, spaced
from tests.unit.test_report_figures import CAL, TODAY, at, md_tables, yp

Q2 = Quarter(2026, 2)
KIM, ADE, SOL = 1, 2, 3
STAFF = (
    KeyworkerRow(
        KIM,
        "Kim Lee",
        listed=True,
        email="kim.lee@example.org",
        grade="Band 6",
        part_time=False,
        agency_kind="nhs",
    ),
    KeyworkerRow(
        ADE,
        "Ade Okafor",
        listed=True,
        email="ade.okafor@example.org",
        grade="Band 5",
        part_time=True,
        agency_kind="local-authority",
    ),
    KeyworkerRow(
        SOL,
        "Sol Byrne",
        listed=True,
        email="sol.byrne@example.org",
        role="Senior keyworker",
        agency_kind="third-sector",
    ),
)


def preventive_area() -> ReportData:
    """Seven young people (each comment says what they are in Q2)."""
    people = (
        # P1: not on the DSR, preventive since June, still: preventive, Kim's caseload.
        yp(1, "under-18", "01/06/2026", preventive_only=True),
        # P2: not on the DSR, preventive 01/07-20/07: counted (any time in the quarter).
        yp(2, "18-25", "01/07/2026", preventive_only=True),
        # P3: not on the DSR, preventive in May and June only: not counted.
        yp(3, "under-18", "01/05/2026", preventive_only=True),
        # G1: Green on the DSR, preventive since April: preventive.
        yp(4, "18-25", "01/04/2026"),
        # G2: Green and preventive from May, Amber from 10/08: counted once, Amber.
        yp(5, "under-18", "01/04/2026"),
        # A1: Amber with Sol until 15/07, then nobody: counted, Amber.
        yp(6, "under-18", "01/04/2026"),
        # P4: preventive from 01/06, joined the DSR on 01/08, Green: preventive.
        yp(7, "under-18", "01/08/2026"),
    )
    ratings = (
        Change(4, at("01/04/2026"), "green"),
        Change(5, at("01/04/2026"), "green"),
        Change(5, at("10/08/2026"), "amber"),
        Change(6, at("01/04/2026"), "amber"),
        Change(7, at("01/08/2026"), "green"),
    )
    keyworkers = (
        Change(1, at("01/06/2026"), KIM),
        Change(2, at("01/07/2026"), ADE),
        Change(2, at("20/07/2026"), None),
        Change(3, at("01/05/2026"), KIM),
        Change(3, at("30/06/2026"), None),
        Change(4, at("01/04/2026"), ADE),
        Change(5, at("01/05/2026"), KIM),
        Change(6, at("01/04/2026"), SOL),
        Change(6, at("15/07/2026"), None),
        Change(7, at("01/06/2026"), KIM),
    )
    support = (
        Change(1, at("01/06/2026"), "preventive"),
        Change(2, at("01/07/2026"), "preventive"),
        Change(2, at("20/07/2026"), None),
        Change(3, at("01/05/2026"), "preventive"),
        Change(3, at("30/06/2026"), None),
        Change(4, at("01/04/2026"), "preventive"),
        Change(5, at("01/05/2026"), "preventive"),
        Change(7, at("01/06/2026"), "preventive"),
    )
    return ReportData(
        register="North Area DSR",
        area="Northshire",
        young_people=people,
        ratings=ratings,
        keyworkers=keyworkers,
        support=support,
        people=STAFF,
    )


def figures(data: ReportData | None = None, **rules: object):  # type: ignore[no-untyped-def]
    return build(
        data or preventive_area(),
        quarter=Q2,
        today=TODAY,
        calendar=CAL,
        rules=Rules(**rules),  # type: ignore[arg-type]
    )


def test_preventive_support_is_counted_in_section_2_and_never_on_the_dsr() -> None:
    r = figures()
    # On the DSR at the end: G1 Green (18-25); G2 Amber, A1 Amber, P4 Green (under 18).
    assert r.on_register["green"] == ByBand(1, 1)
    assert r.on_register["amber"] == ByBand(2, 0)
    assert r.on_register_total == ByBand(3, 1)  # P1, P2, P3 are never on it
    assert sum(c.total for c in r.on_register.values()) == 4
    assert r.supported["preventive"] == ByBand(2, 2)  # P1, P4; P2, G1
    assert r.supported["amber"] == ByBand(2, 0)  # G2 (Amber by the end), A1 (until 15/07)
    assert r.supported_total == ByBand(4, 2)
    assert r.supported["other"] == ByBand(0, 0)
    table = md_tables(as_markdown(r))["2a. Receiving keyworking support during the quarter"]
    assert ["Preventive", "2", "2"] in table
    assert ["Total receiving keyworking support", "4", "2"] in table
    # Caseloads at the end: Kim holds P1, G2, P4; Ade holds G1.
    loads = {line.name: line.caseload for line in r.keyworkers}
    assert loads == {"KL": 3, "AO": 1, "SB": 0}


def test_a_band_the_service_does_not_cover_reads_n_a() -> None:
    r = figures(bands=("under-18",))
    markdown = as_markdown(r)
    table_1 = md_tables(markdown)[
        "Table 1: Children and young people on the DSR with a named keyworker"
    ]
    assert ["Green", "1", "N/A"] in table_1
    # G2 (Kim's) of G2 and A1 (nobody's since 15/07).
    assert ["% of Red and Amber with a named keyworker (target 90%)", "50% (1/2)", "N/A"] in (
        table_1
    )
    assert ["Meets the 90% target", "No", "N/A"] in table_1
    support = md_tables(markdown)["2a. Receiving keyworking support during the quarter"]
    assert ["Preventive", "2", "N/A"] in support
    assert (
        "The service does not cover the 18-25 band (policy report.bands), so its column reads "
        "N/A, but 3 young people in it are on the DSR or receiving preventive support."
    ) in markdown
    sheet = load_workbook(io.BytesIO(as_xlsx(r)))["Table 1"]
    assert [sheet.cell(row=8, column=c).value for c in (1, 2, 3)] == ["Green", 1, "N/A"]


def test_the_workforce_table_has_the_policys_posts_with_vacancies_and_new_starters() -> None:
    posts = (
        Post(role="Keyworker", person="kim.lee@example.org", since=date(2026, 8, 17)),
        Post(role="Keyworker", employer="third-sector", grade="Band 5", part_time=True),
        Post(role="Lead keyworker", person="ade.okafor@example.org", grade="Band 7"),
    )
    r = figures(posts=posts)
    rows = md_tables(as_markdown(r))["2b. Workforce"]
    assert rows == [
        [
            "Post",
            "Role",
            "Initials",
            "Employer",
            "Grade",
            "Part-time",
            "Vacant",
            "New starter",
            "Current caseload",
            "Stepped down in the quarter",
        ],
        ["1", "Keyworker", "KL", "NHS", "Band 6", "No", "No", "Yes", "3", "0"],
        ["2", "Keyworker", "", "Third sector", "Band 5", "Yes", "Yes", "No", "", ""],
        ["3", "Lead keyworker", "AO", "Local authority", "Band 7", "Yes", "No", "No", "1", "0"],
    ]
    # Sol has no caseload at the end and no post: not shown. With one, he is, flagged.
    data = preventive_area()
    held = figures(
        ReportData(
            **{
                **data.__dict__,
                "keyworkers": (*data.keyworkers, Change(6, at("01/09/2026"), SOL)),
            }
        ),
        posts=posts,
        workforce_names="names",
    )
    last = md_tables(as_markdown(held))["2b. Workforce"][-1]
    assert last == [
        "4",
        "Senior keyworker",
        "Sol Byrne",
        "Third sector",
        "",
        "",
        "No",
        "",
        "1",
        "0",
    ]
    assert "No post in the policy's workforce for Sol Byrne" in as_markdown(held)
    assert "Kim Lee 3" in pictures(held)[1].alt  # the chart names them as the table does


def test_initials_are_taken_from_every_part_of_a_name() -> None:
    assert initials("Kim Lee") == "KL"
    assert initials("Mary-Jane O'Neil") == "MJO"
    assert initials("  ade   okafor ") == "AO"


NOTES = """\
successes:
  - Every Red young person had a named keyworker by September.
  - "Keyworkers joined two C(E)TRs a week: a first."
developments:
  - A keyworker now sits in the weekly DSR meeting.
learning_and_challenges:
  - Referrals from adult services arrive late.
risks:
  - description: Two posts vacant since August
    rag: amber
    mitigation: Recruitment agreed; bank staff cover the caseload
    rag_after: green
  - description: Out-of-area beds
    rag: R
    mitigation: Weekly calls with the provider collaborative
    rag_after: amber
"""


def narrative() -> Narrative:
    return read_notes(NOTES, policy=Policy(), source="notes.yaml")


def test_the_narrative_and_risks_are_in_every_document_in_the_returns_order() -> None:
    r = figures()
    notes = narrative()
    markdown = as_markdown(r, notes)
    order = [
        "## Table 1:",
        "## Section 2:",
        "### 2a.",
        "### 2b. Workforce",
        "## Section 3: Narrative and risks",
        "### 3a. Successes",
        "### 3b. Developments",
        "### 3c. Learning and challenges",
        "### 3d. Top three risks",
        "## Not in the return",
        "## How each figure is counted",
    ]
    assert [markdown.index(h) for h in order] == sorted(markdown.index(h) for h in order)
    assert "- Keyworkers joined two C(E)TRs a week: a first." in markdown
    assert md_tables(markdown)["3d. Top three risks"][1:] == [
        [
            "1",
            "Two posts vacant since August",
            "Amber",
            "Recruitment agreed; bank staff cover the caseload",
            "Green",
        ],
        ["2", "Out-of-area beds", "Red", "Weekly calls with the provider collaborative", "Amber"],
    ]
    rows = list(csv.DictReader(io.StringIO(as_csv(r, notes))))
    assert {
        "table": "successes",
        "row": "2",
        "column": "text",
        "value": "Keyworkers joined two C(E)TRs a week: a first.",
    } in rows
    assert {"table": "risks", "row": "2", "column": "RAG", "value": "Red"} in rows
    workbook = load_workbook(io.BytesIO(as_xlsx(r, notes)))
    section_3 = [
        [c.value for c in row if c.value is not None] for row in workbook["Section 3"].iter_rows()
    ]
    assert ["3a. Successes"] in section_3
    assert ["A keyworker now sits in the weekly DSR meeting."] in section_3
    assert [
        2,
        "Out-of-area beds",
        "Red",
        "Weekly calls with the provider collaborative",
        "Amber",
    ] in section_3
    html = as_html(r, (), notes)
    assert html.index("3a. Successes") < html.index("3d. Top three risks")
    assert "<td>Two posts vacant since August</td>" in html
    without = as_markdown(r)
    assert "No notes were given" in without and "--notes FILE" in without


def test_the_notes_template_is_valid_and_says_what_stays_out() -> None:
    assert read_notes(TEMPLATE, policy=Policy(), source="notes.yaml") == Narrative()
    assert "Case stories stay outside" in TEMPLATE
    assert read_notes("", policy=Policy(), source="notes.yaml") == Narrative()


def refusal(text: str, policy: Policy | None = None) -> str:
    with pytest.raises(UserError) as refused:
        read_notes(text, policy=policy or Policy(), source="notes.yaml")
    return refused.value.message


def test_a_bad_notes_file_is_refused_with_every_problem_by_line() -> None:
    said = refusal(
        "successes:\n"
        "  - Good work\n"
        "developments: a sentence, not a list\n"
        "risks:\n"
        "  - description: Posts vacant\n"
        "    rag: purple\n"
        "    mitigation: Recruit\n"
        "colour: blue\n"
    )
    assert said.splitlines() == [
        "The notes file notes.yaml has 4 problems:",
        "  line 3 (developments): give a list: each item on its own line, starting with '- '.",
        "  line 5 (risks, item 1, rag_after): rag_after is missing (a risk needs its "
        "description, rag, mitigation and rag_after).",
        "  line 6 (risks, item 1, rag): use red, amber or green, not 'purple'.",
        "  line 8 (colour): I don't know 'colour': the notes have successes, developments, "
        "learning_and_challenges and risks.",
        "No report was written.",
    ]
    four = "risks:\n" + "".join(
        f"  - {{description: R{n}, rag: red, mitigation: M, rag_after: red}}\n" for n in range(4)
    )
    assert "the return asks for the top three risks: give at most 3" in refusal(four)
    assert "line 2: mapping values are not allowed here" in refusal("successes:\n  - a: b: c\n")


def test_the_narrative_never_names_a_young_person() -> None:
    number = reserved_numbers(1)[0]
    said = refusal(
        "successes:\n"
        f"  - Found the record for {spaced(number)} quickly\n"
        "learning_and_challenges:\n"
        "  - DSR-0042's placement broke down twice\n"
        "risks:\n"
        "  - description: Delays for km-1234\n"
        "    rag: red\n"
        "    mitigation: Escalated\n"
        "    rag_after: amber\n"
    )
    assert number not in said and spaced(number) not in said
    assert "line 2 (successes, item 1): that looks like an NHS number" in said
    assert "line 4 (learning_and_challenges, item 1): that names a young person's register " in (
        said
    )
    assert "line 6 (risks, item 1, description): that names a young person's register" in said
    assert "DSR-0042" not in said and "km-1234" not in said
    # The area's own pattern decides what a reference looks like.
    mine = Policy.model_validate({"register_rules": {"reference_pattern": "YP[0-9]{5}"}})
    assert "register reference" in refusal("successes:\n  - Helped YP00042 settle\n", mine)
    assert read_notes("successes:\n  - Helped DSR-0042 settle\n", policy=mine, source="n")
