"""The outbox relay over a real database: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.gateway import Delivery, DeliveryError, SendResult
from bot.messages import plain
from bot.relay import Relay, RetryPolicy
from store import outbox
from store.models import Outbox, Person
from store.outbox import OutboxStore
from tests.conftest import Harness


class ScriptedGateway:
    """Fails as told, then delivers; counts deliveries per outbox key."""

    platform = "console"

    def __init__(self) -> None:
        self.failures: list[DeliveryError | Exception] = []
        self.delivered: Counter[str] = Counter()

    async def deliver(self, delivery: Delivery) -> SendResult:
        await asyncio.sleep(0)
        if self.failures:
            raise self.failures.pop(0)
        self.delivered[delivery.key] += 1
        return SendResult(conversation_id="x", message_id=f"m{sum(self.delivered.values())}")


async def queue(h: Harness, n: int = 1, *, prefix: str = "note") -> None:
    async with h.app.db.transaction() as session:
        sam = await session.scalar(select(Person).where(Person.email == "sam.patel@example.org"))
        assert sam is not None
        for i in range(n):
            await outbox.enqueue(
                session,
                key=f"{prefix}:{i}",
                target_kind="person",
                target_id=sam.id,
                op="dm",
                message=plain(f"Note {i}"),
                now=h.clock.now(),
            )


def relay(h: Harness, gateway: ScriptedGateway, *, worker: str = "r1") -> Relay:
    return Relay(
        outbox=OutboxStore(h.app.db),
        gateways={"console": gateway},
        clock=h.clock,
        worker=worker,
        policy=RetryPolicy(max_attempts=3),
    )


async def rows(h: Harness) -> list[Outbox]:
    async with h.app.db.reader() as session:
        return list((await session.scalars(select(Outbox).order_by(Outbox.id))).all())


async def test_the_same_key_is_queued_once(harness: Harness) -> None:
    await queue(harness)
    await queue(harness)
    assert len(await rows(harness)) == 1


async def test_retry_after_is_honoured_then_delivered_once(harness: Harness) -> None:
    h, gateway = harness, ScriptedGateway()
    await queue(h)
    gateway.failures.append(DeliveryError("ratelimited", retryable=True, retry_after=30))
    await relay(h, gateway).run_once()
    [row] = await rows(h)
    assert row.status == "pending" and row.attempts == 1
    assert timedelta(seconds=30) <= row.next_attempt_at - h.clock.now() <= timedelta(seconds=31)
    h.clock.advance(timedelta(seconds=20))
    await relay(h, gateway).run_once()
    assert gateway.delivered == Counter()
    h.clock.advance(timedelta(seconds=15))
    await relay(h, gateway).run_once()
    assert gateway.delivered == Counter({"note:0": 1})
    [row] = await rows(h)
    assert row.status == "sent"


async def test_dead_rows_are_visible_and_can_be_retried(harness: Harness) -> None:
    h, gateway = harness, ScriptedGateway()
    await queue(h)
    gateway.failures += [DeliveryError("boom", retryable=True)] * 3
    for _ in range(3):
        await relay(h, gateway).run_once()
        h.clock.advance(timedelta(hours=1))
    async with h.app.db.reader() as session:
        dead = await outbox.list_rows(session, status="dead")
    assert [r.last_error for r in dead] == ["boom"]
    async with h.app.db.transaction() as session:
        assert await outbox.retry_dead(session, now=h.clock.now()) == 1
    await relay(h, gateway).run_once()
    assert gateway.delivered == Counter({"note:0": 1})


async def test_a_gateway_bug_does_not_stop_the_batch(harness: Harness) -> None:
    h, gateway = harness, ScriptedGateway()
    await queue(h, 3)
    gateway.failures.append(RuntimeError("bug"))
    report = await relay(h, gateway).run_once()
    assert report.sent == 2 and report.retried == 1
    assert set(gateway.delivered) == {"note:1", "note:2"}


async def test_two_relays_deliver_each_row_exactly_once(harness: Harness) -> None:
    h = harness
    gateway = ScriptedGateway()
    await queue(h, 50)
    await asyncio.gather(
        relay(h, gateway, worker="a").drain(), relay(h, gateway, worker="b").drain()
    )
    assert len(gateway.delivered) == 50
    assert set(gateway.delivered.values()) == {1}


async def test_a_crashed_relays_claim_is_picked_up_after_its_lease(harness: Harness) -> None:
    h, gateway = harness, ScriptedGateway()
    await queue(h)
    claimed = await OutboxStore(h.app.db).claim(now=h.clock.now(), worker="crashed", limit=10)
    assert len(claimed) == 1  # ... and that relay dies here
    await relay(h, gateway).run_once()
    assert gateway.delivered == Counter()
    h.clock.advance(timedelta(minutes=3))
    await relay(h, gateway).run_once()
    assert gateway.delivered == Counter({"note:0": 1})
