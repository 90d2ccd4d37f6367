"""`teamaround report quarterly`, run as an operator would (see test_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from commands.report.quarters import Quarter
from tests.e2e.test_cli import env, london_today, no_traceback, run  # noqa: F401

pytestmark = pytest.mark.e2e


def test_report_is_listed_and_its_help_explains_the_quarters(
    tmp_path: Path,
    env: dict[str, str],  # noqa: F811
) -> None:
    listed = run(["--help"], tmp_path, env)
    assert "report" in listed.stdout
    help_text = run(["report", "quarterly", "--help"], tmp_path, env)
    assert help_text.returncode == 0, help_text.stderr
    flat = " ".join(help_text.stdout.split())
    assert "2026-Q3 Oct-Dec 2026" in flat
    assert "provisional – not NHSE-specified" in flat


def test_the_quarterly_report_is_written_where_asked(
    tmp_path: Path,
    env: dict[str, str],  # noqa: F811
) -> None:
    assert run(["demo", "seed"], tmp_path, env).returncode == 0
    current = Quarter.containing(london_today())
    out = tmp_path / "reports"
    result = run(
        ["report", "quarterly", "--quarter", current.code, "--out", str(out)], tmp_path, env
    )
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    base = f"default-register-keyworking-{current.slug}"
    assert f"Wrote 7 files to {out}" in result.stdout
    for suffix in (".md", ".csv", ".xlsx", ".html", "-rating-mix.png", "-caseloads.png"):
        assert (out / f"{base}{suffix}").exists(), suffix
        assert f"{base}{suffix}" in result.stdout
    assert "has not finished" in result.stderr  # the quarter is still running
    markdown = (out / f"{base}.md").read_text(encoding="utf-8")
    assert "**Provisional – not NHSE-specified.**" in markdown
    # The demo area: Red, Amber and Green are four, the inpatient is in row 2.
    assert "| Total on the DSR (Red, Amber and Green) | 3 | 1 |" in markdown
    assert "| Inpatients | 0 | 1 |" in markdown
    workbook = load_workbook(out / f"{base}.xlsx")
    assert workbook.sheetnames[:3] == ["Table 1", "Section 2", "Section 3"]
    assert [workbook["Table 1"].cell(row=9, column=c).value for c in (1, 2, 3)] == [
        "Total on the DSR (Red, Amber and Green)",
        3,
        1,
    ]

    last = Quarter.last_completed(london_today())
    one = run(["report", "quarterly", "--format", "md", "--out", str(tmp_path)], tmp_path, env)
    assert one.returncode == 0, one.stderr
    written = (tmp_path / f"default-register-keyworking-{last.slug}.md").read_text("utf-8")
    assert f"Nothing was recorded on this register for {last.label}" in written


def test_bad_quarters_and_registers_say_what_to_type(
    tmp_path: Path,
    env: dict[str, str],  # noqa: F811
) -> None:
    assert run(["demo", "seed"], tmp_path, env).returncode == 0
    bad = run(["report", "quarterly", "--quarter", "2026-Q5"], tmp_path, env)
    assert bad.returncode == 2
    assert "There is no Q5" in bad.stderr and "Write the quarter like" in bad.stderr
    unknown = run(["report", "quarterly", "--register", "Elsewhere"], tmp_path, env)
    assert unknown.returncode == 2
    assert "There is no register called 'Elsewhere'. Registers here: 'Default register'." in (
        unknown.stderr
    )
    assert "--register 'Default register'" in unknown.stderr
    for result in (bad, unknown):
        no_traceback(result)
    assert not list(tmp_path.glob("*.md"))
