"""The installed `teamaround` command for a real area, as an operator runs it:
the README's examples (a register history in both layouts, the console
fortnight) run as printed, and files saved the way Excel saves them."""

# The `env` fixture comes from test_cli.py, as in test_cli_report.py.
# ruff: noqa: F811

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.test_cli import env, no_traceback, run  # noqa: F401 (env is a fixture)

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
KEYWORKERS = (
    "name,email,agency,role,line_manager_email\n"
    "Kim Lee,kim.lee@keyworking.example,Keyworking Service,Keyworker,\n"
    "Ade Okafor,ade.okafor@keyworking.example,Keyworking Service,Keyworker,\n"
)


def readme_blocks(after: str) -> list[str]:
    """The fenced blocks of the README section whose heading is ``after``."""
    text = README.read_text(encoding="utf-8")
    section = text.split(after, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```[a-z]*\n(.*?)```", section, flags=re.S)


def readme_example(header: str) -> str:
    """The README's example CSV that starts with ``header``."""
    for block in readme_blocks("## Bringing your area in"):
        if block.startswith(header):
            return block
    raise AssertionError(f"no README example starts with {header!r}")


@pytest.mark.parametrize(
    ("header", "summary"),
    [
        (
            "reference,date,event,value,detail\n",
            "Applied 11 events for 3 young people (2 joined, 1 keyworker, 3 rated, 1 preventive, "
            "1 admitted, 1 discharged, 1 support-ended, 1 stepped-down), from dated events; 0 "
            "already imported before.",
        ),
        (
            "reference,age_band,ehcp,",
            "Applied 22 events for 9 young people (9 joined, 5 keyworker, 6 rated, 2 admitted), "
            "from one row per person; 0 already imported before.",
        ),
    ],
)
def test_the_readme_register_examples_import_once(
    tmp_path: Path, env: dict[str, str], header: str, summary: str
) -> None:
    (tmp_path / "people.csv").write_text(KEYWORKERS, encoding="utf-8")
    assert run(["directory", "import", "people.csv"], tmp_path, env).returncode == 0
    (tmp_path / "register.csv").write_text(readme_example(header), encoding="utf-8")
    checked = run(["register", "import", "register.csv", "--check"], tmp_path, env)
    assert checked.returncode == 0, checked.stderr
    assert "Checked, nothing written: would apply" in checked.stdout
    first = run(["register", "import", "register.csv"], tmp_path, env)
    assert first.returncode == 0, first.stderr
    assert summary in first.stdout, first.stdout
    again = run(["register", "import", "register.csv"], tmp_path, env)
    assert "Applied 0 events for 0 young people, from " in again.stdout, again.stdout
    assert "already imported before." in again.stdout
    report = run(["report", "quarterly", "--quarter", "2025-Q2", "--format", "md"], tmp_path, env)
    assert report.returncode == 0, report.stderr
    no_traceback(report)


def test_a_register_file_with_problems_is_refused_by_line(
    tmp_path: Path, env: dict[str, str]
) -> None:
    (tmp_path / "register.csv").write_text(
        "reference,date,event,value,detail\n"
        "DSR-0042,01/04/2025,joined,under-18,parental\n"
        "DSR-0042,02/04/2025,discharged,,\n"
        "Jane-Smith-2011,01/04/2025,joined,under-18,parental\n",
        encoding="utf-8",
    )
    result = run(["register", "import", "register.csv"], tmp_path, env)
    assert result.returncode == 1
    assert "line 3: DSR-0042 has no open admission to end." in result.stderr
    assert "line 4: That isn't a register reference this area uses." in result.stderr
    assert "Jane" not in result.stderr
    assert "Nothing was imported: 2 problems in register.csv." in result.stderr
    no_traceback(result)


def test_a_windows_1252_directory_from_excel_is_read_and_said_so(
    tmp_path: Path, env: dict[str, str]
) -> None:
    text = (
        "Name,E-mail,Organisation,Job title,Line manager email\r\n"
        "Zoë Brontë,zoe.bronte@example.org,Équipe Santé,Infirmière,renee@example.org\r\n"
        "Renée Dupont,renee@example.org,ÉQUIPE SANTÉ,Cheffe,\r\n"
    )
    (tmp_path / "hr.csv").write_bytes(text.encode("cp1252"))
    result = run(["directory", "import", "hr.csv"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert "Added 2, updated 0, unchanged 0." in result.stdout
    assert "Read as Windows-1252" in result.stderr
    (tmp_path / "bad.csv").write_bytes(b"name,email,agency\nKim,k@example.org,Key\x81\n")
    refused = run(["directory", "import", "bad.csv"], tmp_path, env)
    assert refused.returncode == 2
    [line] = refused.stderr.strip().splitlines()
    assert "the file is not in UTF-8 or Windows-1252" in line and "CSV UTF-8" in line
    no_traceback(refused)


def test_the_readme_fortnight_runs_as_printed(tmp_path: Path, env: dict[str, str]) -> None:
    blocks = readme_blocks("### A fortnight in one script")
    command, script, expected = blocks[0], blocks[1], blocks[2]
    assert "--at 2026-12-11T16:30" in command and "--channel yp-dsr-0042" in command
    assert run(["demo", "seed"], tmp_path, env).returncode == 0
    result = run(
        [
            "console",
            "--as",
            "kim.lee@example.org",
            "--at",
            "2026-12-11T16:30",
            "--channel",
            "yp-dsr-0042",
        ],
        tmp_path,
        env,
        stdin=script,
    )
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    shown = [line for line in result.stdout.splitlines() if line.startswith(("──", "(1 message"))]
    promised = [
        line.split("──", 2)[1].join(["──", "──"]) if line.startswith("──") else line.strip()
        for line in expected.splitlines()
        if line.startswith(("──", "(1 message"))
    ]
    assert shown == promised, "\n".join(shown)
    # The owners' replies came between the chases, on the right days.
    out = result.stdout
    assert (
        out.index("── Thu 17 Dec 09:30 · chase ──")
        < out.index("chasing waits until Mon 21 Dec")
        < out.index("── Fri 18 Dec 09:30 · chase ──")
    )
    assert (
        out.index("── Tue 22 Dec 09:30 · chase ──")
        < out.index("Action #2 is done. Thank you.")
        < out.index("── Wed 23 Dec 09:30 · chase ──")
    )
    assert "DM to morgan.reed@example.org" in out  # stage 2: Sam's line manager


def test_a_fresh_area_from_policy_to_report_without_the_demo(
    tmp_path: Path, env: dict[str, str]
) -> None:
    (tmp_path / "policy.yaml").write_text(
        "register: Northshire DSR\narea: Northshire\n", encoding="utf-8"
    )
    env = {**env, "TEAMAROUND_CONFIG": str(tmp_path / "policy.yaml")}
    assert run(["db", "upgrade"], tmp_path, env).returncode == 0
    (tmp_path / "people.csv").write_text(
        "name,email,agency,role,line_manager_email\n"
        "Sam Patel,sam.patel@example.org,CAMHS,Clinical psychologist,morgan.reed@example.org\n"
        "Kim Lee,kim.lee@example.org,Keyworking Service,Keyworker,\n"
        "Priya Shah,priya.shah@example.org,ICB,DSR chair (commissioner),\n"
        "Morgan Reed,morgan.reed@example.org,CAMHS,CAMHS team manager,\n",
        encoding="utf-8",
    )
    imported = run(["directory", "import", "people.csv"], tmp_path, env)
    assert "Added 4, updated 0, unchanged 0." in imported.stdout, imported.stderr
    chair = run(
        ["console", "--as", "priya.shah@example.org", "--at", "2026-11-23T10:00"],
        tmp_path,
        env,
        stdin="/dsr add DSR-0100 --age-band under-18 --consent parental --consent-date today\n",
    )
    assert "Added DSR-0100 to the register" in chair.stdout, chair.stdout
    keyworker = run(
        ["console", "--as", "kim.lee@example.org", "--at", "2026-11-23T10:05"],
        tmp_path,
        env,
        stdin="/network open DSR-0100\n/network add @sam.patel\n"
        "/action assign @sam.patel Send the EHCP draft in 5 working days\n",
    )
    assert "Opened #yp-dsr-0100" in keyworker.stdout, keyworker.stdout
    assert "Action #1 is with Sam Patel (CAMHS), due Mon 30 Nov." in keyworker.stdout
    report = run(["report", "quarterly", "--quarter", "2026-Q3", "--format", "md"], tmp_path, env)
    assert report.returncode == 0, report.stderr
    [document] = tmp_path.glob("northshire-dsr-keyworking-*.md")
    text = document.read_text(encoding="utf-8")
    assert "Area: Northshire (register: Northshire DSR)." in text
    assert "synthetic" not in text
    demo = run(["demo", "seed"], tmp_path, env)
    assert demo.returncode == 2
    assert "already holds a real area (1 young person on the register" in demo.stderr
    no_traceback(demo)
