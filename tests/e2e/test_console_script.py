"""The installed `teamaround` command, driven as a new user would."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

TEAMAROUND = str(Path(sys.executable).parent / "teamaround")

SCRIPT = """\
# A keyworker opens a network and gives out actions.
/network open DSR-0042
/network add @sam.patel jo.hughes@example.org @alex.morgan
/action assign @sam.patel Send the EHCP draft to the family by tomorrow
/action assign @jo.hughes Book the housing visit by in 2 weeks
/action assign @alex.morgan Update the school plan by next Friday --agency "SEN Team"
/action list
# Bad input: each must be refused kindly and change nothing.
/action assign @nobody.here Ring the family by tomorrow
/action assign @sam.patel Ring the family by 01/01/2020
/action assign @sam.patel Ring the family tomorrow
/action assign @sam.patel {long} by tomorrow
/action assign @sam.patel Tell <!channel> and <@U123> by tomorrow
:as taylor.brown@example.org
/action done 1
:as sam.patel@example.org
/action done 1 Sent by secure email
"""


def run(
    args: list[str], cwd: Path, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TEAMAROUND, *args],
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
    return {**keep, "TEAMAROUND_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/e2e.db"}


def test_help_lists_the_commands(tmp_path: Path, env: dict[str, str]) -> None:
    result = run(["--help"], tmp_path, env)
    assert result.returncode == 0
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
    ):
        assert command in result.stdout


def test_a_console_script_from_open_to_done(tmp_path: Path, env: dict[str, str]) -> None:
    assert run(["demo", "seed"], tmp_path, env).returncode == 0
    again = run(["demo", "seed"], tmp_path, env)
    assert "0 people and 0 young people added" in again.stdout

    script = SCRIPT.format(long="x" * 5000)
    result = run(["console", "--as", "kim.lee@example.org"], tmp_path, env, stdin=script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Opened #yp-dsr-0042" in out
    assert "Added Sam Patel (CAMHS), Jo Hughes (Children's Social Care), Alex Morgan" in out
    assert "Action #1 is with Sam Patel (CAMHS)" in out
    assert "Action #2 is with Jo Hughes" in out
    assert "Action #3 is with Alex Morgan (SEN Team)" in out
    assert "→ DM to sam.patel@example.org" in out
    assert "I can't find anyone called @nobody.here in the directory" in out
    assert "has already passed" in out
    assert "Every action needs a due date" in out
    assert "characters long; please keep it short" in out
    assert "Tell <!channel> and <@U123>" in out  # kept as typed
    assert "I can't find action #1 in any network you belong to" in out  # the stranger
    assert "Action #1 is done" in out
    assert "(card edited in place)" in out
    assert "Traceback" not in out + result.stderr

    exported = run(["export", "actions", "--format", "json"], tmp_path, env)
    actions = json.loads(exported.stdout)
    assert [a["id"] for a in actions] == [1, 2, 3, 4]  # 4: the <!channel> one; no bad input
    assert [a["status"] for a in actions] == ["done", "open", "open", "open"]
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
    csv_out = run(["export", "actions", "--format", "csv"], tmp_path, env).stdout
    assert csv_out.splitlines()[0].startswith("id,network_reference,text,owner_email")


def test_directory_import_updates_and_never_duplicates(tmp_path: Path, env: dict[str, str]) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "name,email,agency,role,line_manager_email\n"
        "Lee Grant,lee.grant@example.org,CAMHS,Team manager,\n"
        "Ash Field,ash.field@example.org,CAMHS,Nurse,lee.grant@example.org\n",
        encoding="utf-8",
    )
    first = run(["directory", "import", str(csv_file)], tmp_path, env)
    assert "Added 2, updated 0, unchanged 0." in first.stdout
    second = run(["directory", "import", str(csv_file)], tmp_path, env)
    assert "Added 0, updated 0, unchanged 2." in second.stdout
    added = run(
        [
            "directory",
            "add",
            "ash.field@example.org",
            "--name",
            "Ash Field",
            "--agency",
            "CAMHS",
            "--role",
            "Senior nurse",
        ],
        tmp_path,
        env,
    )
    assert "ash.field@example.org: updated." in added.stdout


def test_bad_settings_are_explained_without_a_traceback(
    tmp_path: Path, env: dict[str, str]
) -> None:
    result = run(["demo", "seed"], tmp_path, {**env, "TEAMAROUND_DATABASE_URL": "mysql://nope"})
    assert result.returncode == 2
    assert "TEAMAROUND_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
    bad_at = run(["jobs", "run", "relay", "--at", "next tuesday"], tmp_path, env)
    assert bad_at.returncode == 2 and "ISO-8601" in bad_at.stderr


def test_serve_answers_healthz_and_says_how_to_connect(tmp_path: Path, env: dict[str, str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [TEAMAROUND, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    body = json.loads(r.read())
            except OSError:
                time.sleep(0.2)
        assert body == {"status": "ok", "database": "ok"}
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    assert "No Slack or Teams credentials are set" in output
    assert "teamaround console" in output
