"""What an operator runs Teamaround with: /metrics in the Prometheus text
format (parsed with prometheus_client's own parser), /readyz, and a relay
that hands its claimed rows back when it stops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from sqlalchemy import select, text, update

from bot.scheduler import ScheduledJob
from store.models import Outbox
from tests.integration.slack_harness import SlackRig, running
from tests.integration.test_slack import KIM, SAM, mention, open_network

pytestmark = pytest.mark.db

CANARY = "Zebra-quartz-canary"


@pytest.fixture
async def rig(migrated_url: str) -> AsyncIterator[SlackRig]:
    async with running(migrated_url) as rig:
        yield rig


async def scrape(rig: SlackRig) -> dict[str, list[Sample]]:
    response = await rig.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert CANARY not in response.text  # no label ever carries what people typed
    families = text_string_to_metric_families(response.text)
    return {family.name: list(family.samples) for family in families}


def value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    assert found, (name, labels, [(s.name, s.labels) for s in samples][:20])
    return sum(found)


async def test_metrics_parse_and_hold_latencies_outbox_deliveries_jobs_and_the_pool(
    rig: SlackRig,
) -> None:
    channel = await open_network(rig)
    await rig.command(
        KIM, "/action", f"assign {mention(rig, SAM)} {CANARY} by Friday", channel=channel
    )
    await rig.command(KIM, "/action", "frobnicate everything", channel=channel)  # refused
    metrics = await scrape(rig)

    commands = metrics["teamaround_command_seconds"]
    assert (
        value(
            commands,
            "teamaround_command_seconds_count",
            platform="slack",
            command="action",
            result="ok",
        )
        == 1
    )
    assert (
        value(commands, "teamaround_command_seconds_count", command="action", result="refused") == 1
    )
    assert value(commands, "teamaround_command_seconds_count", command="network", result="ok") == 2
    buckets = [
        s for s in commands if s.name.endswith("_bucket") and s.labels["command"] == "action"
    ]
    assert {s.labels["le"] for s in buckets} >= {"0.01", "0.1", "1.0", "+Inf"}
    http = metrics["teamaround_http_request_seconds"]
    assert (
        value(http, "teamaround_http_request_seconds_count", route="/slack/events", status="2xx")
        == 4
    )

    # The card, the network card's edit and the DM of the new action wait in
    # the outbox: the cards are the channel's (Slack), the DM has no platform
    # until it is tried.
    rows = metrics["teamaround_outbox_rows"]
    assert value(rows, "teamaround_outbox_rows", platform="slack", status="pending") >= 1
    assert value(rows, "teamaround_outbox_rows", status="pending") == 3
    rig.clock.advance(timedelta(seconds=90))
    oldest = metrics = await scrape(rig)
    assert (
        value(
            oldest["teamaround_outbox_oldest_due_seconds"],
            "teamaround_outbox_oldest_due_seconds",
            platform="slack",
        )
        == 90
    )

    report = await rig.deliver()
    assert report.sent == 3
    metrics = await scrape(rig)
    deliveries = metrics["teamaround_deliveries"]
    sent = value(deliveries, "teamaround_deliveries_total", platform="slack", result="sent")
    assert sent >= 2 + 3  # this action's two, and the network's channel, card and invitations
    assert value(deliveries, "teamaround_deliveries_total", result="dead") == 0
    assert value(metrics["teamaround_outbox_rows"], "teamaround_outbox_rows", status="pending") == 0
    assert (
        value(
            metrics["teamaround_outbox_oldest_due_seconds"], "teamaround_outbox_oldest_due_seconds"
        )
        == 0
    )

    async def job(_now: object) -> str:
        return "nothing to do"

    await rig.app.scheduler().run_once(
        ScheduledJob(name="chase", at=rig.clock.now().time(), run=job)
    )
    metrics = await scrape(rig)
    assert (
        value(metrics["teamaround_job_runs"], "teamaround_job_runs_total", job="chase", result="ok")
        == 1
    )
    assert (
        value(metrics["teamaround_job_seconds"], "teamaround_job_seconds_count", job="chase") == 1
    )

    pool = metrics["teamaround_db_pool_connections"]
    assert {s.labels["state"] for s in pool} == {"in_use", "idle", "size", "overflow_allowed"}
    assert value(pool, "teamaround_db_pool_connections", state="size") >= 1
    assert value(metrics["teamaround_ready"], "teamaround_ready") == 1


async def test_readyz_says_ready_only_with_the_schema_at_its_head(rig: SlackRig) -> None:
    ready = await rig.http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "database": "ok", "schema": "ok"}
    async with rig.app.db.transaction() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    behind = await rig.http.get("/readyz")
    assert behind.status_code == 503
    assert behind.json()["schema"].startswith("at 0005, not ")
    assert (await rig.http.get("/healthz")).status_code == 200  # still alive: don't restart it


async def test_a_stopped_relay_hands_its_unsent_rows_back_at_once(rig: SlackRig) -> None:
    """Stopped mid-batch, the relay finishes the delivery in hand and releases
    the rest: due at once for any relay, no attempt counted."""
    channel = await open_network(rig)
    for n in range(4):
        await rig.command(
            KIM, "/action", f"assign {mention(rig, SAM)} Task {n} by Friday", channel=channel
        )
    relay = rig.app.relay(worker="stopping")
    rig.slack.fail_next(None, 1000, status=200, delay=0.3)  # every call slow, then answered
    seen = len(rig.slack.calls)
    run = asyncio.create_task(relay.run_once())
    while len(rig.slack.calls) == seen:  # the first row is being delivered
        await asyncio.sleep(0.01)
    relay.stop()
    report = await run
    rig.slack.heal()
    # Each assignment: its card, the network card's edit, the DM.
    assert (report.claimed, report.sent, report.released) == (12, 1, 11)
    async with rig.app.db.reader() as session:
        rows = (await session.scalars(select(Outbox).where(Outbox.status != "sent"))).all()
    assert len(rows) == 11
    assert {(r.status, r.claimed_by, r.claimed_until, r.attempts) for r in rows} == {
        ("pending", None, None, 0)
    }
    # Another relay delivers them now, not when the two-minute lease is over.
    again = await rig.app.relay(worker="other").drain()
    assert again.sent == 11


async def test_release_leaves_rows_another_relay_holds(rig: SlackRig) -> None:
    channel = await open_network(rig)
    await rig.command(KIM, "/action", f"assign {mention(rig, SAM)} Task by Friday", channel=channel)
    from store.outbox import OutboxStore

    store = OutboxStore(rig.app.db)
    first = await store.claim(now=rig.clock.now(), worker="one", limit=1)
    rest = await store.claim(now=rig.clock.now(), worker="one", limit=10)
    # The card, then the network card's edit and the DM: never more than asked.
    assert (len(first), len(rest)) == (1, 2)
    ids = [c.row_id for c in first + rest]
    assert await store.release(row_ids=ids, worker="two") == 0
    async with rig.app.db.transaction() as session:
        await session.execute(update(Outbox).where(Outbox.id == ids[0]).values(status="sent"))
    assert await store.release(row_ids=ids, worker="one") == 2


async def test_a_job_still_running_at_shutdown_is_abandoned_and_keeps_nothing(
    rig: SlackRig,
) -> None:
    """Shutdown gives a job run a grace period, then cancels it: its one
    transaction rolls back, so nothing of the run is kept."""
    from store import audit

    started = asyncio.Event()

    async def slow_job(now: object) -> str:
        async with rig.app.db.transaction() as session:
            audit.record(
                session,
                at=rig.clock.now(),
                actor=None,
                actor_label="test",
                verb="test.half-done",
                object_type="job",
                object_id="slow",
            )
            await session.flush()
            started.set()
            await asyncio.sleep(30)  # still working when the replica stops
        return "done"

    scheduler = rig.app.scheduler()
    job = ScheduledJob(name="chase", at=rig.clock.now().time(), run=slow_job)
    run = asyncio.create_task(scheduler.run_once(job))
    await started.wait()
    await scheduler.shutdown(grace=0.2)
    assert run.cancelled()
    async with rig.app.db.reader() as session:
        kept = await session.scalar(
            text("SELECT count(*) FROM audit_events WHERE verb = 'test.half-done'")
        )
    assert kept == 0
    metrics = await scrape(rig)
    runs = metrics["teamaround_job_runs"]
    assert value(runs, "teamaround_job_runs_total", job="chase", result="abandoned") == 1
