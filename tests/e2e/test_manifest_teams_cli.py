"""`teamaround manifest teams`, run as an operator would (the installed command,
in a subprocess, in an empty folder, with no .env and no credentials)."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.e2e.test_cli import env, run, teamaround

pytestmark = pytest.mark.e2e
__all__ = ["env"]  # the shared fixture: an empty environment with a throwaway database

APP_ID = "0b4f6a52-3c1d-4e8f-9a7b-2d5c6e8f0a1b"


def test_without_an_app_id_it_says_what_to_set(tmp_path: Path, env: dict[str, str]) -> None:
    result = run(["manifest", "teams"], tmp_path, env)

    assert result.returncode == 2
    assert "Set MICROSOFT_APP_ID" in result.stderr and "TEAMAROUND_PUBLIC_URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "teamaround-teams.zip").exists()


def test_it_writes_the_package_and_prints_the_path_and_the_app_id(
    tmp_path: Path, env: dict[str, str]
) -> None:
    env = {**env, "MICROSOFT_APP_ID": APP_ID, "TEAMAROUND_PUBLIC_URL": "https://bot.example.org"}

    result = run(["manifest", "teams"], tmp_path, env)

    assert result.returncode == 0, result.stderr
    package = tmp_path / "teamaround-teams.zip"
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["validDomains"] == ["bot.example.org"]
    assert f"Wrote teamaround-teams.zip (Teams app id {manifest['id']})" in result.stdout

    elsewhere = tmp_path / "out" / "app.zip"
    elsewhere.parent.mkdir()
    again = run(["manifest", "teams", "--out", str(elsewhere)], tmp_path, env)
    assert again.returncode == 0, again.stderr
    assert elsewhere.read_bytes() == package.read_bytes()
    assert str(elsewhere) in again.stdout


def test_an_address_teams_cannot_use_is_explained(tmp_path: Path, env: dict[str, str]) -> None:
    env = {**env, "MICROSOFT_APP_ID": APP_ID}  # TEAMAROUND_PUBLIC_URL defaults to http://localhost

    result = run(["manifest", "teams"], tmp_path, env)

    assert result.returncode == 2
    assert "public https address" in result.stderr and "TEAMAROUND_PUBLIC_URL" in result.stderr

    bad_id = run(["manifest", "teams"], tmp_path, {**env, "MICROSOFT_APP_ID": "my-bot"})
    assert bad_id.returncode == 2 and "must be the bot's Microsoft App ID" in bad_id.stderr

    folder = run(
        ["manifest", "teams", "--out", str(tmp_path / "missing" / "app.zip")],
        tmp_path,
        {**env, "TEAMAROUND_PUBLIC_URL": "https://bot.example.org"},
    )
    assert folder.returncode == 2 and "I can't write the package" in folder.stderr
    assert "Traceback" not in result.stderr + bad_id.stderr + folder.stderr


def test_serve_with_teams_credentials_refuses_unsigned_activities_and_serves_its_pages(
    tmp_path: Path, env: dict[str, str]
) -> None:
    import time
    import urllib.error
    import urllib.request

    from tests.integration.loopback import free_port

    env = {
        **env,
        "MICROSOFT_APP_ID": APP_ID,
        "MICROSOFT_APP_PASSWORD": "not-a-real-secret",
        "MICROSOFT_APP_TENANT_ID": "6f1a2b3c-0000-4000-8000-00000000a001",
    }
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [teamaround(), "serve", "--port", str(port), "--no-scheduler", "--no-relay"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while True:
                assert proc.poll() is None, log_path.read_text(encoding="utf-8")
                try:
                    with urllib.request.urlopen(f"{base}/privacy", timeout=2) as response:
                        assert "pseudonymous" in response.read().decode()
                    break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    assert time.monotonic() < deadline, log_path.read_text(encoding="utf-8")
                    time.sleep(0.2)
            activity = json.dumps({"type": "message", "text": "network help"}).encode()
            request = urllib.request.Request(
                f"{base}/api/messages",
                data=activity,
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=5)
            refused.value.close()
            assert refused.value.code == 401
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    output = log_path.read_text(encoding="utf-8")
    assert "refused a request to /api/messages" in output
    assert "not-a-real-secret" not in output and "Traceback" not in output
