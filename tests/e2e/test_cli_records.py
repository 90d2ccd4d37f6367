"""The information-governance commands of the installed `teamaround`, as an
operator runs them: the case record, the audit export, the purge."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.e2e.test_cli import env, no_traceback, run  # noqa: F401  (env is a fixture)

pytestmark = pytest.mark.e2e


def test_record_export_audit_export_and_purge(tmp_path: Path, env: dict[str, str]) -> None:  # noqa: F811
    assert run(["demo", "seed"], tmp_path, env).returncode == 0
    out = tmp_path / "DSR-0042.html"
    result = run(
        [
            "export",
            "record",
            "DSR-0042",
            "--format",
            "html",
            "--out",
            str(out),
            "--as",
            "chris.evans@example.org",
        ],
        tmp_path,
        env,
    )
    no_traceback(result)
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert "<h1>Case record: DSR-0042</h1>" in page and "DSR-0043" not in page
    refused = run(["export", "record", "DSR-0042", "--as", "kim.lee@example.org"], tmp_path, env)
    assert refused.returncode == 2 and "Only a DSR chair or an admin" in refused.stderr
    result = run(["audit", "export", "--from", "2000-01-01", "--to", "2100-01-01"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    verbs = [row["verb"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert "export.record" in verbs and "access.read" in verbs
    bad = run(["audit", "export", "--from", "1/10/2026", "--to", "2026-12-31"], tmp_path, env)
    no_traceback(bad)
    assert bad.returncode == 2 and "give it as YYYY-MM-DD" in bad.stderr
    result = run(["records", "purge", "--dry-run"], tmp_path, env)
    assert result.returncode == 0 and "Nothing is past its retention." in result.stdout
    result = run(["jobs", "run", "chat-copies"], tmp_path, env)
    assert result.returncode == 0 and "no transferred network is due" in result.stdout
    result = run(["jobs", "run", "membership-review"], tmp_path, env)
    assert result.returncode == 0 and "membership review: no network is due." in result.stdout
    result = run(["records", "erase", "DSR-0042", "--reason", "IG request 14"], tmp_path, env)
    assert result.returncode == 2 and "still on the register" in result.stderr
