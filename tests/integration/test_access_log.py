"""The access log: reads of a young person's data by people outside their
network (`/dsr show`, the agenda, an export) are recorded, and `teamaround
audit export` gives them, with the audit log, to an IG review."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy import select

from bot.errors import PermissionDenied, UserError
from commands.records.audit_export import export
from store.models import AuditEvent
from tests.conftest import Harness, text_of

KIM = "kim.lee@example.org"
PRIYA = "priya.shah@example.org"  # DSR chair
CHRIS = "chris.evans@example.org"  # admin
DEMO = {"DSR-0042", "DSR-0043", "DSR-0051", "DSR-0057", "DSR-0063"}


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


async def reads(h: Harness) -> list[tuple[str, str, str]]:
    async with h.app.db.reader() as session:
        rows = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.verb == "access.read").order_by(AuditEvent.id)
            )
        ).all()
    return [(r.actor_label, (r.after or {})["reference"], (r.after or {})["how"]) for r in rows]


async def test_reads_from_outside_the_network_are_logged_and_members_reads_are_not(
    h: Harness,
) -> None:
    channel = (await h.say(KIM, "/network open DSR-0042")).switch_to
    assert channel
    assert "DSR-0042" in text_of(await h.say(KIM, "/dsr show DSR-0042"))
    assert await reads(h) == []  # Kim is in DSR-0042's network
    assert "DSR-0042" in text_of(await h.say(PRIYA, "/dsr show DSR-0042"))
    assert await reads(h) == [(PRIYA, "DSR-0042", "/dsr show")]
    await h.say(PRIYA, "/dsr agenda preview")
    agenda = [r for r in await reads(h) if r[2] == "DSR agenda"]
    assert {ref for _, ref, _ in agenda} == DEMO
    # A refused read is no read.
    before = len(await reads(h))
    assert text_of(await h.say("sam.patel@example.org", "/dsr show DSR-0043")).startswith("Only")
    assert len(await reads(h)) == before


async def audit_export(h: Harness, *, fmt: str, as_email: str | None = CHRIS) -> str:
    async with h.app.db.transaction() as session:
        return await export(
            session,
            start=date(2026, 11, 23),
            end=date(2026, 11, 23),
            fmt=fmt,  # type: ignore[arg-type]
            as_email=as_email,
            operator_label="cli:operator",
            policy=h.app.policy,
            calendar=h.app.services.calendar,
            now=h.clock.now(),
        )


async def test_the_audit_export_gives_changes_and_reads_for_the_period(h: Harness) -> None:
    await h.say(PRIYA, '/dsr rate DSR-0051 amber "=HYPERLINK(\\"x\\")"')
    await h.say(PRIYA, "/dsr show DSR-0051")
    items = json.loads(await audit_export(h, fmt="json"))
    verbs = [(i["verb"], i["reference"]) for i in items]
    assert ("register.rate", "DSR-0051") in verbs and ("access.read", "DSR-0051") in verbs
    assert all(i["at"].startswith("2026-11-23T") for i in items)
    table = list(csv.DictReader(io.StringIO(await audit_export(h, fmt="csv"))))
    assert [r["verb"] for r in table][-2:] == ["access.read", "export.audit"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in table for cell in r.values())
    async with h.app.db.reader() as session:
        exports = (
            await session.scalars(select(AuditEvent).where(AuditEvent.verb == "export.audit"))
        ).all()
    assert len(exports) == 2


async def test_only_admins_and_a_sane_period(h: Harness) -> None:
    before = await h.audit_and_outbox()
    with pytest.raises(PermissionDenied, match="Only an admin can export the audit"):
        await audit_export(h, fmt="csv", as_email=PRIYA)
    with pytest.raises(UserError, match="--to is before --from"):
        async with h.app.db.transaction() as session:
            await export(
                session,
                start=date(2026, 11, 23),
                end=date(2026, 11, 1),
                fmt="csv",
                as_email=None,
                operator_label="cli:operator",
                policy=h.app.policy,
                calendar=h.app.services.calendar,
                now=h.clock.now(),
            )
    assert await h.audit_and_outbox() == before
