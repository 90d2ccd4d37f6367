"""`/dsr report` in Slack: the summary goes to the chair by direct message
and the files follow it into its thread, uploaded with files_upload_v2 to the
fake Slack on loopback, once, even when Slack fails half-way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from tests.integration.slack_harness import SlackRig, running

PRIYA = "priya.shah@example.org"
KIM = "kim.lee@example.org"
FILES = [
    "default-register-keyworking-2026-27-q2.csv",
    "default-register-keyworking-2026-27-q2.xlsx",
    "default-register-keyworking-2026-27-q2.html",
    "default-register-keyworking-2026-27-q2-rating-mix.png",
    "default-register-keyworking-2026-27-q2-caseloads.png",
    "default-register-keyworking-2026-27-q2-overdue-by-agency.png",
]


@pytest.fixture
async def rig(migrated_url: str) -> AsyncIterator[SlackRig]:
    async with running(migrated_url) as rig:
        yield rig


async def test_the_chair_gets_the_report_and_its_files_in_one_thread(rig: SlackRig) -> None:
    reply = await rig.command(PRIYA, "/dsr", "report")
    assert "on its way to you by direct message" in reply["text"]
    report = await rig.deliver()
    assert report.sent == 1 and report.dead == 0

    dm = rig.slack.ims[rig.uid(PRIYA)]
    [summary, shared] = rig.messages_in(dm)
    assert summary.text.startswith("Quarterly keyworking report — Q2 2026/27")
    assert "Provisional – not NHSE-specified" in summary.text
    assert shared.thread_ts == summary.ts  # the files are in its thread
    files = rig.slack.files_in(dm, thread_ts=summary.ts)
    assert [f.name for f in files] == FILES
    assert all(f.completed and f.content for f in files)
    pictures = [f for f in files if f.name.endswith(".png")]
    assert all(f.content and f.content.startswith(b"\x89PNG") for f in pictures)
    assert all(f.alt_txt for f in pictures)  # said in words too
    assert files[1].title == "Keyworking report Q2 2026/27 (spreadsheet)"


async def test_a_failed_upload_is_retried_without_posting_twice(rig: SlackRig) -> None:
    rig.slack.fail_next("files.completeUploadExternal", error="internal_error")
    await rig.command(PRIYA, "/dsr", "report 2026-Q2")
    first = await rig.deliver()
    assert first.sent == 0 and first.retried == 1
    for _ in range(10):
        rig.clock.advance(timedelta(minutes=1))
        await rig.deliver()
    dm = rig.slack.ims[rig.uid(PRIYA)]
    summaries = [m for m in rig.messages_in(dm) if m.thread_ts is None]
    assert len(summaries) == 1
    assert len(rig.slack.calls_to("chat.postMessage")) == 1
    assert [f.name for f in rig.slack.files_in(dm, thread_ts=summaries[0].ts)] == FILES


async def test_a_keyworker_is_told_only_chairs_can(rig: SlackRig) -> None:
    reply = await rig.command(KIM, "/dsr", "report")
    assert "Only a DSR chair or an admin can produce the quarterly report" in reply["text"]
    await rig.deliver()
    assert rig.slack.calls_to("files.getUploadURLExternal") == []
