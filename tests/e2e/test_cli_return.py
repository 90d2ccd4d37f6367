"""The quarterly keyworking return as a service manager makes it: the area's
directory and register history imported with the installed `teamaround`, a
narrative written from `report notes-template`, then `report quarterly
--notes`: Table 1 matches the published return cell for cell where the
return is consistent, and the report explains each cell where it is not
(tests/published_return.py has the area and the return as published)."""

# The `env` fixture comes from test_cli.py, as in test_cli_report.py.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests import published_return as published
from tests.e2e.test_cli import env, no_traceback, run  # noqa: F401 (env is a fixture)

pytestmark = pytest.mark.e2e

BANDS = ("Under 18", "18–25")
BASE = "northshire-dsr-keyworking-2025-26-q2"


def prepare(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    (tmp_path / "policy.yaml").write_text(published.policy_yaml(), encoding="utf-8")
    env = {**env, "TEAMAROUND_CONFIG": str(tmp_path / "policy.yaml")}
    (tmp_path / "people.csv").write_text(published.directory_csv(), encoding="utf-8")
    people = run(["directory", "import", "people.csv"], tmp_path, env)
    assert people.returncode == 0, people.stderr
    assert "Added 17" in people.stdout, people.stdout
    (tmp_path / "register.csv").write_text(published.history_csv(), encoding="utf-8")
    history = run(["register", "import", "register.csv"], tmp_path, env)
    assert history.returncode == 0, history.stderr
    assert "preventive" in history.stdout and "support-ended" in history.stdout
    return env


def rows_of(sheet: object) -> dict[str, tuple[object, ...]]:
    """A sheet's rows by their first cell."""
    return {
        str(row[0]): tuple(row[1:])
        for row in sheet.iter_rows(values_only=True)  # type: ignore[attr-defined]
        if row and row[0] is not None
    }


def test_a_published_quarter_imported_gives_its_table_1_and_explains_the_rest(
    tmp_path: Path, env: dict[str, str]
) -> None:
    env = prepare(tmp_path, env)
    template = run(["report", "notes-template", "--out", "notes.yaml"], tmp_path, env)
    assert template.returncode == 0, template.stderr
    again = run(["report", "notes-template", "--out", "notes.yaml"], tmp_path, env)
    assert again.returncode == 2 and "already exists" in again.stderr
    (tmp_path / "notes.yaml").write_text(published.NOTES, encoding="utf-8")
    out = tmp_path / "return"
    result = run(
        ["report", "quarterly", "--quarter", published.QUARTER, "--notes", "notes.yaml",
         "--out", str(out)],
        tmp_path,
        env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    no_traceback(result)

    workbook = load_workbook(out / f"{BASE}.xlsx")
    assert workbook.sheetnames == [
        "Table 1",
        "Section 2",
        "Section 3",
        "Not in the return",
        "About",
    ]
    markdown = (out / f"{BASE}.md").read_text(encoding="utf-8")

    # Table 1, cell for cell, where the return is consistent.
    table_1 = rows_of(workbook["Table 1"])
    differ = []
    for label, *cells in published.PUBLISHED_TABLE_1:
        for band, want, got in zip(BANDS, cells, table_1[label][:2], strict=True):
            if (label, band) in published.INCONSISTENT_TABLE_1:
                differ.append((label, band, got))
            else:
                assert got == want, (label, band, got, want)
    # Where it is not: counted one documented way, and explained.
    assert differ == [
        ("% of Red and Amber with a named keyworker (target 90%)", "18–25", 0.88),
        ("Meets the 90% target", "18–25", "No"),
    ]
    assert "| % of Red and Amber with a named keyworker (target 90%) | 90% (18/20) | " in (markdown)
    assert "88% (7/8) |" in markdown
    assert "A published return divided its 18–25 percentage by Red only" in markdown

    # Section 2: preventive support counted, never on the DSR; the support total
    # leaves out those without a keyworker, shown apart.
    support = rows_of(workbook["Section 2"])
    for label, *cells in published.PUBLISHED_SUPPORT:
        for band, want, got in zip(BANDS, cells, support[label][:2], strict=True):
            if (label, band) in published.INCONSISTENT_SUPPORT:
                assert got == want - (2 if band == "Under 18" else 1), (label, band)
            else:
                assert got == want, (label, band, got, want)
    apart = rows_of(workbook["Not in the return"])
    assert apart["Red or Amber without a named keyworker at the end"][:3] == (2, 1, 3)
    assert "a published return's support total counted Red and Amber young people" in markdown
    assert table_1["Total on the DSR (Red, Amber and Green)"][:2] == (29, 12)  # no preventive

    # The workforce: eighteen posts, two vacant, a new starter, initials.
    posts = [
        row for row in workbook["Section 2"].iter_rows(values_only=True) if isinstance(row[0], int)
    ]
    assert len(posts) == 18
    first, *_ = posts
    assert first[:10] == (1, "Keyworker", "KL", "NHS", "Band 6", "No", "No", "No", 4, 1)
    assert [p[8] for p in posts[:16]] == list(published.CASELOADS)
    assert sum(p[9] for p in posts[:16]) == 3  # the step-downs
    assert [p[2] for p in posts if p[6] == "Yes"] == [None, None]  # vacant: nobody's
    assert [p[2] for p in posts if p[7] == "Yes"] == ["JW"]  # Jay Ward, since 01/09
    assert {p[3] for p in posts} == {"NHS", "Local authority", "Third sector"}
    assert [p[2] for p in posts if p[5] == "Yes"] == ["RP", "HV", "ME", None]
    assert "Kim Lee" not in markdown  # initials, as returns show

    # Section 3: the narrative and risks, in every document.
    section_3 = [
        [c for c in row if c is not None]
        for row in workbook["Section 3"].iter_rows(values_only=True)
    ]
    assert ["Keyworkers joined 14 C(E)TRs and every DSR meeting."] in section_3
    assert [
        2,
        "Out-of-area beds far from home",
        "Red",
        "Weekly calls with the provider collaborative",
        "Amber",
    ] in section_3
    assert "### 3d. Top three risks" in markdown
    html = (out / f"{BASE}.html").read_text(encoding="utf-8")
    assert "Transition to adult services for 18-25s" in html
    rows = list(csv.DictReader(io.StringIO((out / f"{BASE}.csv").read_text("utf-8-sig"))))
    assert {"table": "risks", "row": "3", "column": "RAG after mitigation", "value": "Amber"} in (
        rows
    )
    assert "DSR-0" not in markdown + html  # the report never lists young people


def test_a_bad_notes_file_is_refused_by_line_and_writes_nothing(
    tmp_path: Path, env: dict[str, str]
) -> None:
    env = prepare(tmp_path, env)
    (tmp_path / "notes.yaml").write_text(
        "successes:\n  - DSR-0101 settled at college\nrisks:\n  - description: Beds\n    rag: x\n",
        encoding="utf-8",
    )
    out = tmp_path / "return"
    result = run(
        ["report", "quarterly", "--quarter", published.QUARTER, "--notes", "notes.yaml",
         "--out", str(out)],
        tmp_path,
        env,
    )  # fmt: skip
    assert result.returncode == 2
    no_traceback(result)
    said = result.stderr
    assert "The notes file notes.yaml has 4 problems:" in said, said
    assert "line 2 (successes, item 1): that names a young person's register reference" in said
    assert "line 5 (risks, item 1, rag): use red, amber or green, not 'x'." in said
    assert "DSR-0101" not in said
    assert "teamaround report notes-template" in said
    assert not out.exists()
