"""The installed `teamaround` command, driven in a subprocess as an operator would.

Every test uses its own SQLite file in tmp_path (whatever --db says) and runs
with cwd=tmp_path, so no `.env` file and no Slack or Teams credentials apply.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.policy import load_policy
from tests.integration.loopback import free_port

pytestmark = pytest.mark.e2e

DATA = Path(__file__).parent / "data"
LONDON = ZoneInfo("Europe/London")
KIM = "kim.lee@example.org"


def teamaround() -> str:
    beside = Path(sys.executable).parent / "teamaround"
    if beside.exists():
        return str(beside)
    found = shutil.which("teamaround")
    assert found, "the teamaround console script is not installed"
    return found


def run(
    args: list[str], cwd: Path, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [teamaround(), *args],
        cwd=cwd,
        env=env,
        input=stdin,
        text=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MICROSOFT_", "TEAMAROUND_"))
    }
    return {**keep, "TEAMAROUND_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr


def london_today() -> date:
    return datetime.now(LONDON).date()


# -- help and demo ---------------------------------------------------------------


def test_help_lists_every_command(tmp_path: Path, env: dict[str, str]) -> None:
    result = run(["--help"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    for command in (
        "serve",
        "console",
        "db",
        "directory",
        "export",
        "demo",
        "jobs",
        "outbox",
        "manifest",
        "register",
    ):
        assert command in result.stdout, command
    no_traceback(result)


def test_demo_seed_twice_adds_nothing_the_second_time(tmp_path: Path, env: dict[str, str]) -> None:
    first = run(["demo", "seed"], tmp_path, env)
    assert first.returncode == 0, first.stderr
    assert "13 people and 5 young people added" in first.stdout
    second = run(["demo", "seed"], tmp_path, env)
    assert second.returncode == 0, second.stderr
    assert "0 people and 0 young people added" in second.stdout
    assert "teamaround console --as kim.lee@example.org" in second.stdout
    no_traceback(second)


# -- a console session -----------------------------------------------------------

SCRIPT = """\
# Kim, the keyworker, opens the network and gives out actions.
/network open DSR-0042
/network add @sam.patel jo.hughes@example.org @alex.morgan
/action assign @sam.patel Send the EHCP draft by tomorrow
/action assign @jo.hughes Book the housing visit by in 2 weeks
/action assign @alex.morgan Update the school plan by in 5 working days
/action assign @sam.patel Review the care plan by end of next month
/action assign @jo.hughes Ring the family by next Friday
/action list

# Bad input: each is refused kindly and changes nothing.
/action assign @nobody.here Ring the GP by tomorrow
/action assign @sam.patel Ring the GP by 01/01/2020
/action assign @sam.patel Ring the GP
/action assign @sam.patel {long} by tomorrow
:as taylor.brown@example.org
/action done 1

# Sam finishes his action.
:as sam.patel@example.org
/action done 1 Sent by secure email
"""


def expected_actions(today: date) -> list[tuple[str, str, date]]:
    following = today.replace(day=1) + timedelta(days=32)
    end_of_next_month = following.replace(
        day=stdlib_calendar.monthrange(following.year, following.month)[1]
    )
    monday = today - timedelta(days=today.weekday())
    return [
        ("Send the EHCP draft", "sam.patel@example.org", today + timedelta(days=1)),
        ("Book the housing visit", "jo.hughes@example.org", today + timedelta(weeks=2)),
        (
            "Update the school plan",
            "alex.morgan@example.org",
            load_policy(None).calendar().add_working_days(today, 5),
        ),
        ("Review the care plan", "sam.patel@example.org", end_of_next_month),
        ("Ring the family", "jo.hughes@example.org", monday + timedelta(weeks=1, days=4)),
    ]


def test_a_console_script_from_opening_to_done(tmp_path: Path, env: dict[str, str]) -> None:
    assert run(["demo", "seed"], tmp_path, env).returncode == 0
    # A working morning, whatever the host's clock says (direct messages
    # written outside service hours wait for the next one).
    started = date(2026, 11, 23)
    result = run(
        ["console", "--as", KIM, "--at", "2026-11-23T10:00"],
        tmp_path,
        env,
        stdin=SCRIPT.format(long="x" * 5000),
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    no_traceback(result)

    # What went right.
    assert "Opened #yp-dsr-0042" in out
    assert "Added Sam Patel (CAMHS), Jo Hughes (Children's Social Care), Alex Morgan" in out
    assert "Action #1 is with Sam Patel (CAMHS)" in out
    assert "Action #2 is with Jo Hughes (Children's Social Care)" in out
    assert "Action #3 is with Alex Morgan (Oakfield School)" in out
    assert "Action #4 is with Sam Patel (CAMHS)" in out
    assert "Action #5 is with Jo Hughes (Children's Social Care)" in out
    assert "→ DM to sam.patel@example.org" in out
    listing = out.split("/action list", 1)[1].split("/action assign @nobody.here", 1)[0]
    for number, (text, _, _) in enumerate(expected_actions(started), start=1):
        assert f"#{number} {text}" in listing
    assert "Action #1 is done" in out
    assert "(card edited in place)" in out

    # What was refused, kindly.
    assert "I can't find anyone called @nobody.here in the directory" in out
    assert "Wed 1 Jan 2020 has already passed" in out
    assert "Every action needs a due date: end with `by` and a date, or a relative one" in out
    assert "characters long; please keep it short" in out
    assert "Only the keyworker (Kim Lee), the owner (Sam Patel)" in out  # Taylor
    assert "Action #6" not in out

    exported = run(["export", "actions", "--format", "json"], tmp_path, env)
    assert exported.returncode == 0, exported.stderr
    actions = json.loads(exported.stdout)
    expected = expected_actions(started)
    assert [(a["id"], a["text"], a["owner_email"]) for a in actions] == [
        (i, text, owner) for i, (text, owner, _) in enumerate(expected, start=1)
    ]
    assert [a["status"] for a in actions] == ["done", "open", "open", "open", "open"]
    assert {a["network_reference"] for a in actions} == {"DSR-0042"}
    assert [date.fromisoformat(a["due_date"]) for a in actions] == [d for _, _, d in expected]
    assert actions[0]["closed_at"] is not None
    assert all(a["closed_at"] is None for a in actions[1:])

    dead = run(["outbox", "list", "--status", "dead"], tmp_path, env)
    assert "Nothing in the outbox with status dead." in dead.stdout


def test_export_to_a_csv_file(tmp_path: Path, env: dict[str, str]) -> None:
    assert run(["demo", "seed"], tmp_path, env).returncode == 0
    script = (
        "/network open DSR-0042\n"
        "/network add @sam.patel\n"
        "/action assign @sam.patel Ring the family, then the school by tomorrow\n"
        '/action assign @sam.patel =HYPERLINK("https://evil.example/x","Open the plan") '
        "by tomorrow\n"
    )
    assert run(["console", "--as", KIM], tmp_path, env, stdin=script).returncode == 0
    target = tmp_path / "actions.csv"
    result = run(["export", "actions", "--format", "csv", "--out", str(target)], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert f"Wrote {target}" in result.stdout
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        "id,network_reference,text,owner_email,agency,due_date,status,escalation_stage,"
        "created_at,closed_at"
    )
    assert len(lines) == 3
    assert '"Ring the family, then the school"' in lines[1]
    # Shown as text in a spreadsheet, never run as a formula (a live link).
    [row] = list(csv.DictReader(io.StringIO(lines[0] + "\n" + lines[2])))
    assert row["text"] == """'=HYPERLINK("https://evil.example/x","Open the plan")"""


# -- the directory ---------------------------------------------------------------


def test_directory_import_add_and_reimport(tmp_path: Path, env: dict[str, str]) -> None:
    people = DATA / "people.csv"
    first = run(["directory", "import", str(people)], tmp_path, env)
    assert first.returncode == 0, first.stderr
    assert "Added 4, updated 0, unchanged 0." in first.stdout

    added = run(
        [
            "directory",
            "add",
            "Alex.Morgan@example.org",
            "--name",
            "Alex Morgan",
            "--agency",
            "Oakfield School",
            "--role",
            "SENCo",
            "--manager",
            KIM,
        ],
        tmp_path,
        env,
    )
    assert added.returncode == 0, added.stderr
    assert "alex.morgan@example.org: added." in added.stdout

    changed = run(
        [
            "directory",
            "add",
            "sam.patel@example.org",
            "--name",
            "Sam Patel",
            "--agency",
            "CAMHS",
            "--role",
            "Senior clinical psychologist",
        ],
        tmp_path,
        env,
    )
    assert "sam.patel@example.org: updated." in changed.stdout

    again = run(["directory", "import", str(people)], tmp_path, env)
    assert again.returncode == 0, again.stderr
    assert "Added 0, updated 1, unchanged 3." in again.stdout  # Sam's role goes back
    third = run(["directory", "import", str(people)], tmp_path, env)
    assert "Added 0, updated 0, unchanged 4." in third.stdout
    no_traceback(third)


def test_directory_import_reports_every_bad_row_and_writes_nothing(
    tmp_path: Path, env: dict[str, str]
) -> None:
    result = run(["directory", "import", str(DATA / "people_with_problems.csv")], tmp_path, env)
    assert result.returncode == 1
    assert "line 3:" in result.stderr and "kim.lee-at-example.org" in result.stderr
    assert "line 4:" in result.stderr and "nobody.here@example.org" in result.stderr
    assert "Nothing was imported: 2 problems in people_with_problems.csv." in result.stderr
    assert result.stdout == ""
    no_traceback(result)
    checked = run(["directory", "import", str(DATA / "people.csv"), "--check"], tmp_path, env)
    assert checked.returncode == 0, checked.stderr
    assert "Checked, nothing written: would add 4, update 0, leave 0 unchanged." in checked.stdout
    first = run(["directory", "import", str(DATA / "people.csv")], tmp_path, env)
    assert "Added 4, updated 0, unchanged 0." in first.stdout


def test_directory_import_of_a_file_without_the_columns(
    tmp_path: Path, env: dict[str, str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nKim Lee,kim.lee@example.org\n", encoding="utf-8")
    result = run(["directory", "import", str(bad)], tmp_path, env)
    assert result.returncode == 2
    assert "missing: agency." in result.stderr
    no_traceback(result)


# -- jobs and settings -----------------------------------------------------------


def test_jobs_run_relay_without_a_platform_changes_nothing(
    tmp_path: Path, env: dict[str, str]
) -> None:
    # With no Slack or Teams connection every waiting row would be parked as
    # undeliverable; the job refuses instead.
    result = run(["jobs", "run", "relay", "--at", "2026-12-14T09:30:00+00:00"], tmp_path, env)
    assert result.returncode == 2
    assert "No Slack or Teams connection is configured" in result.stderr
    no_traceback(result)


def test_jobs_run_with_a_bad_instant_or_name(tmp_path: Path, env: dict[str, str]) -> None:
    bad_at = run(["jobs", "run", "relay", "--at", "next tuesday"], tmp_path, env)
    assert bad_at.returncode == 2
    assert "'next tuesday' is not an ISO-8601 instant" in bad_at.stderr
    assert "2026-12-14T09:30:00+00:00" in bad_at.stderr  # shows what to type
    no_traceback(bad_at)
    unknown = run(["jobs", "run", "sweep"], tmp_path, env)
    assert unknown.returncode == 2
    assert "No job called 'sweep'" in unknown.stderr
    no_traceback(unknown)


def test_a_database_url_of_an_unknown_kind_is_explained(
    tmp_path: Path, env: dict[str, str]
) -> None:
    for url in ("mysql://nope", "sqlite:///plain-driver.db", ""):
        result = run(["demo", "seed"], tmp_path, {**env, "TEAMAROUND_DATABASE_URL": url})
        assert result.returncode == 2, url
        assert "TEAMAROUND_DATABASE_URL" in result.stderr, url
        assert "sqlite+aiosqlite:///" in result.stderr  # says what a good one looks like
        no_traceback(result)


def test_a_database_that_cannot_be_opened_is_explained(tmp_path: Path, env: dict[str, str]) -> None:
    """The URL is well formed but the database cannot be reached: the operator
    needs to hear which setting to fix, not a stack trace."""
    missing_dir = tmp_path / "no-such-directory" / "teamaround.db"
    result = run(
        ["demo", "seed"],
        tmp_path,
        {**env, "TEAMAROUND_DATABASE_URL": f"sqlite+aiosqlite:///{missing_dir}"},
    )
    assert result.returncode != 0
    assert "TEAMAROUND_DATABASE_URL" in result.stderr
    no_traceback(result)


# -- serve -----------------------------------------------------------------------


def test_serve_answers_healthz_and_says_how_to_connect(tmp_path: Path, env: dict[str, str]) -> None:
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [teamaround(), "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 20
            status, body = None, None
            while time.monotonic() < deadline:
                assert proc.poll() is None, log_path.read_text(encoding="utf-8")
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/healthz", timeout=2
                    ) as response:
                        status, body = response.status, json.loads(response.read())
                    break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    time.sleep(0.2)
            assert status == 200, log_path.read_text(encoding="utf-8")
            assert body is not None and body["status"] == "ok"
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
                assert json.loads(r.read())["status"] == "ready"
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                names = {f.name for f in text_string_to_metric_families(r.read().decode())}
            assert {"teamaround_command_seconds", "teamaround_outbox_rows"} <= names
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)
    output = log_path.read_text(encoding="utf-8")
    assert "No Slack or Teams credentials are set" in output
    assert "teamaround console --as kim.lee@example.org" in output
    assert "Traceback" not in output
    assert (tmp_path / "cli.db").exists()  # the SQLite file was created and migrated


def test_quoted_options_and_typed_markup_survive_the_console(
    tmp_path: Path, env: dict[str, str]
) -> None:
    assert run(["demo", "seed"], tmp_path, env).returncode == 0
    script = (
        "/network open DSR-0042\n"
        "/network add @sam.patel @alex.morgan\n"
        '/action assign @alex.morgan Update the school plan by tomorrow --agency "SEN Team"\n'
        "/action assign @sam.patel Tell <!channel> and <@U123> by tomorrow\n"
    )
    result = run(["console", "--as", KIM], tmp_path, env, stdin=script)
    assert result.returncode == 0, result.stderr
    assert "Action #1 is with Alex Morgan (SEN Team)" in result.stdout
    assert "Tell <!channel> and <@U123>" in result.stdout  # kept as typed
    actions = json.loads(run(["export", "actions", "--format", "json"], tmp_path, env).stdout)
    assert set(actions[0]) == {
        "id",
        "network_reference",
        "text",
        "owner_email",
        "agency",
        "due_date",
        "status",
        "escalation_stage",
        "created_at",
        "closed_at",
    }
    assert actions[1]["text"] == "Tell <!channel> and <@U123>"


def test_several_recommendations_one_a_line_in_a_console_script(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """The multi-line /cetr rec form, as typed in Slack, works in the console
    too: the lines after a command belong to it; a trailing backslash also
    carries a command on."""
    assert run(["demo", "seed"], tmp_path, env).returncode == 0
    script = (
        "/network open DSR-0042\n"
        "/network add @sam.patel @jo.hughes @priya.shah\n"
        "/cetr record community-cetr today --chair @priya.shah "
        '--clinical-expert "Dr A Khan" --expert-by-experience "R Jones"\n'
        "/cetr rec 1 --confirm\n"
        "@sam.patel | Review the medication plan | in 2 weeks\n"
        "jo.hughes@example.org | Book the family meeting | in 3 weeks | Children's Social Care\n"
        "\n"
        "/cetr rec 1 --confirm \\\n"
        "@jo.hughes | Confirm the short-break offer | in 4 weeks\n"
        "/action list\n"
    )
    result = run(["console", "--as", KIM], tmp_path, env, stdin=script)
    assert result.returncode == 0, result.stderr
    no_traceback(result)
    assert "three parts separated by |" not in result.stdout
    assert "Commands start with a slash" not in result.stdout
    actions = json.loads(run(["export", "actions", "--format", "json"], tmp_path, env).stdout)
    recommended = [(a["text"], a["owner_email"]) for a in actions][-3:]
    assert recommended == [
        ("Review the medication plan", "sam.patel@example.org"),
        ("Book the family meeting", "jo.hughes@example.org"),
        ("Confirm the short-break offer", "jo.hughes@example.org"),
    ]


def test_jobs_run_reminders_and_chase_by_hand_then_export_the_trail(
    tmp_path: Path, env: dict[str, str]
) -> None:
    assert run(["demo", "seed"], tmp_path, env).returncode == 0
    script = (
        "/network open DSR-0042\n"
        "/network add @sam.patel\n"
        "/action assign @sam.patel Send the EHCP draft by in 3 working days\n"
    )
    today = london_today()
    opened = run(["console", "--as", KIM], tmp_path, env, stdin=script)
    assert "Action #1 is with Sam Patel (CAMHS)" in opened.stdout, opened.stdout
    if london_today() != today:  # pragma: no cover - a run across midnight
        pytest.skip("the day changed while the script ran")
    calendar = load_policy(None).calendar()
    due = calendar.add_working_days(today, 3)
    remind_on = calendar.add_working_days(due, -2)
    chase_on = calendar.add_working_days(due, 1)

    reminded = run(["jobs", "run", "reminders", "--at", f"{remind_on}T09:00:00"], tmp_path, env)
    assert reminded.returncode == 0, reminded.stderr
    assert "reminders: 1 action(s) reminded" in reminded.stdout
    chased = run(["jobs", "run", "chase", "--at", f"{chase_on}T09:30:00"], tmp_path, env)
    assert "chase: 1 action(s) moved up the ladder" in chased.stdout
    assert "#1 stage 1 (the owner)" in chased.stdout
    again = run(["jobs", "run", "chase", "--at", f"{chase_on}T10:30:00"], tmp_path, env)
    assert "chase: 0 action(s) moved up the ladder, 0 message(s) queued." in again.stdout

    trail = run(["export", "action", "1"], tmp_path, env)
    assert trail.returncode == 0, trail.stderr
    assert trail.stdout.startswith("Action #1 — DSR-0042\n")
    assert "Reminder by Teamaround: Reminder sent to Sam Patel" in trail.stdout
    assert "Escalated by Teamaround: Stage 1, the owner: asked Sam Patel" in trail.stdout
    missing = run(["export", "action", "99"], tmp_path, env)
    assert missing.returncode == 2
    assert "There is no action #99" in missing.stderr
    no_traceback(missing)


def test_the_posted_agenda_can_be_exported_as_a_document(
    tmp_path: Path, env: dict[str, str]
) -> None:
    assert run(["demo", "seed"], tmp_path, env).returncode == 0
    missing = run(["export", "agenda"], tmp_path, env)
    assert missing.returncode == 2
    assert "No agenda has been posted for that meeting yet" in missing.stderr
    posted = run(["console", "--as", "priya.shah@example.org"], tmp_path, env, "/dsr agenda post\n")
    assert "is on its way to the DSR chair" in posted.stdout, posted.stdout
    document = run(["export", "agenda"], tmp_path, env)
    assert document.returncode == 0, document.stderr
    assert document.stdout.startswith("# DSR review agenda — ")
    assert "## Red\n\n- DSR-0043 — Red — no keyworker" in document.stdout
    assert document.stdout.endswith("## Outcomes recorded\n\nNone recorded yet.\n")
    # Whatever the day (the meeting may still be to come), the posted agenda's
    # meeting takes its outcomes, and the exported agenda shows them.
    decided = run(
        ["console", "--as", "priya.shah@example.org"],
        tmp_path,
        env,
        '/dsr outcome DSR-0043 "Hold a C(E)TR this week" --rate red\n',
    )
    assert "Outcome recorded for DSR-0043" in decided.stdout, decided.stdout
    document = run(["export", "agenda"], tmp_path, env)
    assert "## Outcomes recorded\n\n- DSR-0043: Hold a C(E)TR this week; rated Red" in (
        document.stdout
    ), document.stdout
    bad = run(["export", "agenda", "next monday"], tmp_path, env)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    no_traceback(bad)
