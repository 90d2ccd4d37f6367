"""The outbox relay over a real database (SQLite or PostgreSQL).

Rows are written with ``store.outbox.enqueue`` and delivered by ``bot.relay.Relay``
through a scripted fake gateway, with a frozen clock that only moves when told.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot.clock import FrozenClock
from bot.gateway import Delivery, DeliveryError, SendResult
from bot.messages import plain
from bot.relay import Relay, RelayReport, RetryPolicy
from store import outbox
from store.db import Database
from store.models import Agency, CardRef, Outbox, Person
from store.outbox import CLAIM_LEASE, OutboxStore
from tests.conftest import MONDAY

SAM = "sam.patel@example.org"
JO = "jo.hughes@example.org"


class FakeGateway:
    """A console-platform gateway that fails as scripted (per outbox key), then
    delivers; it records every delivery it carried out."""

    platform = "console"

    def __init__(self) -> None:
        self.failures: dict[str, list[Exception]] = {}
        self.deliveries: list[Delivery] = []
        self.tries: Counter[str] = Counter()
        self._ids = 0

    def fail(self, key: str, *errors: Exception) -> None:
        self.failures.setdefault(key, []).extend(errors)

    @property
    def delivered(self) -> Counter[str]:
        return Counter(d.key for d in self.deliveries)

    async def deliver(self, delivery: Delivery) -> SendResult:
        await asyncio.sleep(0)  # let a concurrent relay run in between
        self.tries[delivery.key] += 1
        pending = self.failures.get(delivery.key)
        if pending:
            raise pending.pop(0)
        self.deliveries.append(delivery)
        if delivery.op == "update":
            assert delivery.message_id is not None
            message_id = delivery.message_id  # an edit keeps the message's id
        else:
            self._ids += 1
            message_id = f"msg-{self._ids}"
        return SendResult(
            conversation_id=delivery.address.conversation_id or "D-console",
            message_id=message_id,
        )


@pytest.fixture
async def db(migrated_url: str) -> AsyncIterator[Database]:
    database = Database(migrated_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MONDAY)


@pytest.fixture
async def people(db: Database, clock: FrozenClock) -> dict[str, int]:
    """Two professionals from the demo directory: email -> person id."""
    now = clock.now()
    async with db.transaction() as session:
        camhs = Agency(name="CAMHS", kind="nhs", created_at=now)
        social_care = Agency(name="Children's Social Care", kind="social_care", created_at=now)
        session.add_all([camhs, social_care])
        await session.flush()
        sam = Person(
            email=SAM,
            name="Sam Patel",
            agency_id=camhs.id,
            role="Clinical psychologist",
            created_at=now,
            updated_at=now,
        )
        jo = Person(
            email=JO,
            name="Jo Hughes",
            agency_id=social_care.id,
            role="Social worker",
            created_at=now,
            updated_at=now,
        )
        session.add_all([sam, jo])
        await session.flush()
        return {SAM: sam.id, JO: jo.id}


async def queue(
    db: Database,
    clock: FrozenClock,
    person_id: int,
    *keys: str,
    op: str = "dm",
    card_key: str | None = None,
) -> list[bool]:
    """Enqueue one message per key, in one transaction; returns enqueue's results."""
    written = []
    async with db.transaction() as session:
        for key in keys:
            written.append(
                await outbox.enqueue(
                    session,
                    key=key,
                    target_kind="person",
                    target_id=person_id,
                    op=op,
                    message=plain(f"Message {key}", audience="space"),
                    now=clock.now(),
                    card_key=card_key,
                )
            )
    return written


def make_relay(
    db: Database,
    gateway: FakeGateway,
    clock: FrozenClock,
    *,
    worker: str = "relay-1",
    max_attempts: int = 8,
) -> Relay:
    return Relay(
        outbox=OutboxStore(db),
        gateways={"console": gateway},
        clock=clock,
        worker=worker,
        policy=RetryPolicy(max_attempts=max_attempts),
        rng=random.Random(7),
    )


async def all_rows(db: Database) -> list[Outbox]:
    async with db.reader() as session:
        return list((await session.scalars(select(Outbox).order_by(Outbox.id))).all())


async def row_by_key(db: Database, key: str) -> Outbox:
    async with db.reader() as session:
        row = await session.scalar(select(Outbox).where(Outbox.idempotency_key == key))
    assert row is not None, key
    return row


# -- enqueue -------------------------------------------------------------------


async def test_the_same_key_twice_is_one_row_and_one_delivery(
    db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    assert await queue(db, clock, people[SAM], "dm:1", "dm:1") == [True, False]
    # A later transaction (a platform retry of the same command) adds nothing either.
    async with db.transaction() as session:
        again = await outbox.enqueue(
            session,
            key="dm:1",
            target_kind="person",
            target_id=people[JO],
            op="dm",
            message=plain("A different text"),
            now=clock.now(),
        )
    assert again is False
    [row] = await all_rows(db)
    assert (row.target_id, row.payload["text"]) == (people[SAM], "Message dm:1")
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, clock.now())

    gateway = FakeGateway()
    report = await make_relay(db, gateway, clock).drain()
    assert (report.sent, report.retried, report.dead) == (1, 0, 0)
    assert gateway.delivered == Counter({"dm:1": 1})
    [delivery] = gateway.deliveries
    assert delivery.op == "dm"
    assert delivery.address.kind == "user"
    assert delivery.address.conversation_id == SAM  # console address of a person: the email
    assert delivery.attempt == 0
    assert delivery.message is not None and delivery.message.text == "Message dm:1"


async def test_a_row_is_not_sent_before_its_not_before_time(
    db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    async with db.transaction() as session:
        await outbox.enqueue(
            session,
            key="later:1",
            target_kind="person",
            target_id=people[SAM],
            op="dm",
            message=plain("Later"),
            now=clock.now(),
            not_before=clock.now() + timedelta(hours=1),
        )
    gateway = FakeGateway()
    relay = make_relay(db, gateway, clock)
    assert await relay.run_once() == RelayReport()
    clock.advance(timedelta(minutes=59))
    assert await relay.run_once() == RelayReport()
    clock.advance(timedelta(minutes=1))
    assert (await relay.run_once()).sent == 1
    assert gateway.delivered == Counter({"later:1": 1})


# -- retries -------------------------------------------------------------------


async def test_a_retryable_failure_waits_for_retry_after_then_delivers_once(
    db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    await queue(db, clock, people[SAM], "dm:1")
    gateway = FakeGateway()
    gateway.fail("dm:1", DeliveryError("rate limited", retryable=True, retry_after=30))
    relay = make_relay(db, gateway, clock)
    failed_at = clock.now()

    report = await relay.run_once()
    assert (report.sent, report.retried, report.dead) == (0, 1, 0)
    row = await row_by_key(db, "dm:1")
    assert row.status == "pending"
    assert row.attempts == 1
    assert row.last_error == "rate limited"
    assert row.claimed_until is None
    wait = row.next_attempt_at - failed_at
    assert timedelta(seconds=30) <= wait < timedelta(seconds=31)  # retry_after + <1 s jitter

    # Not before that time, however often the relay runs.
    for step in (timedelta(seconds=1), timedelta(seconds=20), timedelta(seconds=8)):
        clock.advance(step)
        assert await relay.run_once() == RelayReport()
    assert clock.now() < row.next_attempt_at
    assert gateway.tries == Counter({"dm:1": 1})
    assert (await row_by_key(db, "dm:1")).status == "pending"

    clock.set(row.next_attempt_at)  # due exactly now
    report = await relay.run_once()
    assert (report.sent, report.retried, report.dead) == (1, 0, 0)
    assert gateway.delivered == Counter({"dm:1": 1})
    assert gateway.deliveries[0].attempt == 1  # the gateway is told an earlier try happened
    row = await row_by_key(db, "dm:1")
    assert row.status == "sent"
    assert row.attempts == 2
    assert row.sent_at == clock.now()
    assert row.last_error is None
    assert row.platform == "console"
    assert row.platform_message_id == "msg-1"

    clock.advance(timedelta(days=1))
    assert await relay.drain() == RelayReport()
    assert gateway.delivered == Counter({"dm:1": 1})


async def test_without_retry_after_the_backoff_grows(
    db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    await queue(db, clock, people[SAM], "dm:1")
    gateway = FakeGateway()
    gateway.fail("dm:1", *[DeliveryError("timeout", retryable=True) for _ in range(3)])
    relay = make_relay(db, gateway, clock)
    waits = []
    for _ in range(3):
        failed_at = clock.now()
        await relay.run_once()
        row = await row_by_key(db, "dm:1")
        assert row.status == "pending"
        waits.append(row.next_attempt_at - failed_at)
        clock.set(row.next_attempt_at)
    # base 2 s: attempt n waits between half and all of 2 * 2**(n-1) seconds.
    for n, wait in enumerate(waits, start=1):
        full = timedelta(seconds=2 * 2 ** (n - 1))
        assert full / 2 <= wait <= full, (n, wait)
    await relay.run_once()
    assert gateway.delivered == Counter({"dm:1": 1})
    assert (await row_by_key(db, "dm:1")).attempts == 4


async def test_a_non_retryable_failure_is_dead_at_once(
    db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    await queue(db, clock, people[SAM], "dm:1")
    gateway = FakeGateway()
    gateway.fail("dm:1", DeliveryError("channel_not_found", retryable=False))
    relay = make_relay(db, gateway, clock)
    report = await relay.run_once()
    assert (report.sent, report.retried, report.dead) == (0, 0, 1)
    row = await row_by_key(db, "dm:1")
    assert (row.status, row.attempts, row.last_error) == ("dead", 1, "channel_not_found")
    clock.advance(timedelta(days=2))
    assert await relay.drain() == RelayReport()
    assert gateway.tries == Counter({"dm:1": 1})


async def test_after_max_attempts_the_row_is_dead_and_retry_dead_delivers_it_once(
    db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    await queue(db, clock, people[SAM], "dm:1", "dm:2")
    gateway = FakeGateway()
    errors = [
        DeliveryError(f"service unavailable ({n})", retryable=True, retry_after=5)
        for n in (1, 2, 3)
    ]
    gateway.fail("dm:1", *errors)
    relay = make_relay(db, gateway, clock, max_attempts=3)

    reports = []
    for _ in range(3):
        reports.append(await relay.run_once())
        clock.advance(timedelta(seconds=10))
    assert [(r.sent, r.retried, r.dead) for r in reports] == [(1, 1, 0), (0, 1, 0), (0, 0, 1)]
    row = await row_by_key(db, "dm:1")
    assert row.status == "dead"
    assert row.attempts == 3
    assert row.last_error == "service unavailable (3)"
    assert row.claimed_until is None

    # Parked: not tried again, however long we wait.
    clock.advance(timedelta(days=1))
    assert await relay.drain() == RelayReport()
    assert gateway.tries["dm:1"] == 3

    async with db.reader() as session:
        dead = await outbox.list_rows(session, status="dead")
        pending = await outbox.list_rows(session, status="pending")
        everything = await outbox.list_rows(session)
    assert [(r.idempotency_key, r.last_error) for r in dead] == [
        ("dm:1", "service unavailable (3)")
    ]
    assert pending == []
    assert [r.idempotency_key for r in everything] == ["dm:2", "dm:1"]  # newest first

    async with db.transaction() as session:
        assert await outbox.retry_dead(session, now=clock.now(), row_id=row.id + 100) == 0
        assert await outbox.retry_dead(session, now=clock.now(), row_id=row.id) == 1
    row = await row_by_key(db, "dm:1")
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, clock.now())

    report = await relay.drain()
    assert (report.sent, report.retried, report.dead) == (1, 0, 0)
    assert gateway.delivered == Counter({"dm:1": 1, "dm:2": 1})
    assert (await row_by_key(db, "dm:1")).status == "sent"
    async with db.transaction() as session:
        assert await outbox.retry_dead(session, now=clock.now()) == 0  # nothing dead now
    clock.advance(timedelta(hours=1))
    assert await relay.drain() == RelayReport()
    assert gateway.delivered == Counter({"dm:1": 1, "dm:2": 1})


async def test_an_unexpected_gateway_exception_does_not_stop_the_batch(
    db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    await queue(db, clock, people[SAM], "dm:1", "dm:2", "dm:3")
    await queue(db, clock, people[JO], "dm:4")
    gateway = FakeGateway()
    gateway.fail("dm:2", RuntimeError("a bug in the gateway"))
    gateway.fail("dm:3", KeyError("ts"))
    relay = make_relay(db, gateway, clock)

    report = await relay.run_once()
    assert (report.sent, report.retried, report.dead) == (2, 2, 0)
    assert gateway.delivered == Counter({"dm:1": 1, "dm:4": 1})
    for key, kind in (("dm:2", "RuntimeError"), ("dm:3", "KeyError")):
        row = await row_by_key(db, key)
        assert row.status == "pending" and row.attempts == 1
        assert row.last_error is not None and kind in row.last_error

    clock.advance(timedelta(minutes=5))
    await relay.drain()
    assert gateway.delivered == Counter({"dm:1": 1, "dm:2": 1, "dm:3": 1, "dm:4": 1})
    assert {r.status for r in await all_rows(db)} == {"sent"}


async def test_a_row_whose_person_is_gone_is_parked_without_calling_the_gateway(
    db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    await queue(db, clock, 987_654, "dm:ghost")
    await queue(db, clock, people[SAM], "dm:1")
    gateway = FakeGateway()
    report = await make_relay(db, gateway, clock).run_once()
    assert (report.sent, report.dead) == (1, 1)
    assert gateway.tries == Counter({"dm:1": 1})
    row = await row_by_key(db, "dm:ghost")
    assert row.status == "dead"
    assert row.last_error == "person 987654 no longer exists"


# -- cards ---------------------------------------------------------------------


async def test_a_card_is_posted_once_then_edited_in_place(
    db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    gateway = FakeGateway()
    relay = make_relay(db, gateway, clock)

    await queue(db, clock, people[SAM], "card:action:7:v1", op="post", card_key="action:7")
    await relay.drain()
    [first] = gateway.deliveries
    assert first.op == "post"
    assert first.message_id is None
    assert first.pin is False  # only network cards are pinned
    async with db.reader() as session:
        [ref] = (await session.scalars(select(CardRef))).all()
    assert (ref.card_key, ref.platform, ref.message_id) == ("action:7", "console", "msg-1")
    assert (await row_by_key(db, "card:action:7:v1")).platform_message_id == "msg-1"

    clock.advance(timedelta(minutes=1))
    await queue(db, clock, people[SAM], "card:action:7:v2", op="post", card_key="action:7")
    await relay.drain()
    clock.advance(timedelta(minutes=1))
    await queue(db, clock, people[SAM], "card:action:7:v3", op="post", card_key="action:7")
    await queue(db, clock, people[SAM], "card:action:7:v4", op="post", card_key="action:7")
    await relay.drain()
    # v3 and v4 were both waiting: v4 holds the latest state, so v3 is not sent.
    assert [d.key for d in gateway.deliveries] == [
        "card:action:7:v1",
        "card:action:7:v2",
        "card:action:7:v4",
    ]
    for edit in gateway.deliveries[1:]:
        assert edit.op == "update"
        assert edit.message_id == "msg-1"  # the first post's message
        assert edit.address.conversation_id == ref.conversation_id
    v3 = await row_by_key(db, "card:action:7:v3")
    assert v3.status == "sent" and "superseded" in (v3.last_error or "")
    async with db.reader() as session:
        refs = (await session.scalars(select(CardRef))).all()
    assert [(r.card_key, r.message_id) for r in refs] == [("action:7", "msg-1")]


async def test_a_later_version_waits_for_the_first_post_then_edits_it(
    db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    """The first post failed (its answer may have been lost): a later version
    must not post a second card; it waits, then edits the first."""
    gateway = FakeGateway()
    relay = make_relay(db, gateway, clock)
    await queue(db, clock, people[SAM], "card:v1", op="post", card_key="action:8")
    await queue(db, clock, people[SAM], "card:v2", op="post", card_key="action:8")
    gateway.fail("card:v1", DeliveryError("timed out", retryable=True, retry_after=60))

    report = await relay.run_once()
    assert gateway.deliveries == [] and report.retried == 2
    v1, v2 = await row_by_key(db, "card:v1"), await row_by_key(db, "card:v2")
    assert v2.status == "pending" and v2.attempts == 0  # waiting is not a failure
    assert v2.next_attempt_at >= v1.next_attempt_at  # not before the first is tried again
    assert "earlier version" in (v2.last_error or "")

    clock.advance(timedelta(minutes=2))
    await relay.drain()
    assert [(d.key, d.op) for d in gateway.deliveries] == [
        ("card:v1", "post"),
        ("card:v2", "update"),
    ]
    assert gateway.deliveries[1].message_id == "msg-1"
    assert {r.status for r in await all_rows(db)} == {"sent"}


async def test_a_dead_first_version_lets_the_next_one_post(
    db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    gateway = FakeGateway()
    relay = make_relay(db, gateway, clock, max_attempts=1)
    await queue(db, clock, people[SAM], "card:v1", op="post", card_key="action:9")
    await queue(db, clock, people[SAM], "card:v2", op="post", card_key="action:9")
    gateway.fail("card:v1", DeliveryError("channel_not_found", retryable=False))
    await relay.drain()
    assert [(d.key, d.op) for d in gateway.deliveries] == [("card:v2", "post")]
    assert (await row_by_key(db, "card:v1")).status == "dead"


# -- several relays --------------------------------------------------------------


async def test_two_relays_at_once_deliver_each_of_50_rows_exactly_once(
    migrated_url: str, db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    await queue(db, clock, people[SAM], *[f"bulk:{i}" for i in range(25)])
    await queue(db, clock, people[JO], *[f"bulk:{i}" for i in range(25, 50)])
    gateway = FakeGateway()
    # Two engines on the same database: as two relay processes would be.
    other_db = Database(migrated_url)
    try:
        relay_a = make_relay(db, gateway, clock, worker="relay-a")
        relay_b = make_relay(other_db, gateway, clock, worker="relay-b")
        sent = 0
        for _ in range(20):
            a, b = await asyncio.gather(relay_a.run_once(limit=10), relay_b.run_once(limit=10))
            sent += a.sent + b.sent
            assert a.retried == b.retried == a.dead == b.dead == 0
            if not (a.sent or b.sent):
                break
    finally:
        await other_db.dispose()

    assert sent == 50
    assert len(gateway.delivered) == 50
    assert set(gateway.delivered.values()) == {1}
    assert gateway.tries == gateway.delivered
    rows = await all_rows(db)
    assert {r.status for r in rows} == {"sent"}
    assert {r.attempts for r in rows} == {1}
    assert {r.claimed_by for r in rows} == {"relay-a", "relay-b"}  # both did some work


async def test_two_draining_relays_share_the_work_without_doubling(
    migrated_url: str, db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    await queue(db, clock, people[SAM], *[f"bulk:{i}" for i in range(50)])
    gateway = FakeGateway()
    other_db = Database(migrated_url)
    try:
        reports = await asyncio.gather(
            make_relay(db, gateway, clock, worker="relay-a").drain(),
            make_relay(other_db, gateway, clock, worker="relay-b").drain(),
        )
    finally:
        await other_db.dispose()
    assert sum(r.sent for r in reports) == 50
    assert gateway.delivered == Counter({f"bulk:{i}": 1 for i in range(50)})


async def test_a_crashed_relays_claim_is_picked_up_after_the_lease(
    db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    await queue(db, clock, people[SAM], "dm:1")
    claimed = await OutboxStore(db).claim(now=clock.now(), worker="crashed", limit=10)
    assert len(claimed) == 1  # ... and that relay dies before settling the row
    row = await row_by_key(db, "dm:1")
    assert (row.status, row.claimed_by) == ("sending", "crashed")
    assert row.claimed_until == clock.now() + CLAIM_LEASE

    gateway = FakeGateway()
    relay = make_relay(db, gateway, clock)
    assert await relay.run_once() == RelayReport()  # still leased
    clock.advance(CLAIM_LEASE - timedelta(seconds=1))
    assert await relay.run_once() == RelayReport()
    assert gateway.tries == Counter()

    clock.advance(timedelta(seconds=2))
    report = await relay.run_once()
    assert report.sent == 1
    assert gateway.delivered == Counter({"dm:1": 1})
    row = await row_by_key(db, "dm:1")
    assert (row.status, row.claimed_by) == ("sent", "relay-1")
    assert await relay.drain() == RelayReport()


async def test_a_stale_sending_row_is_reclaimed(
    db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    """A row left in `sending` by a relay that died long ago (lease in the past)."""
    await queue(db, clock, people[SAM], "dm:1", "dm:2")
    async with db.transaction() as session:
        await session.execute(
            update(Outbox)
            .where(Outbox.idempotency_key == "dm:1")
            .values(
                status="sending",
                claimed_by="dead-host",
                claimed_until=clock.now() - timedelta(hours=3),
            )
        )
    gateway = FakeGateway()
    report = await make_relay(db, gateway, clock).run_once()
    assert report.sent == 2
    assert gateway.delivered == Counter({"dm:1": 1, "dm:2": 1})
    async with db.reader() as session:
        left = await session.scalar(
            select(func.count()).select_from(Outbox).where(Outbox.status != "sent")
        )
    assert left == 0


async def test_a_reclaimed_row_tells_the_gateway_an_earlier_try_may_have_landed(
    db: Database, clock: FrozenClock, people: dict[str, int]
) -> None:
    """The crashed relay may have posted before dying. ``Delivery.attempt`` > 0 is
    how a gateway (Slack) knows to look for the earlier post instead of posting
    a second copy."""
    await queue(db, clock, people[SAM], "dm:1")
    await OutboxStore(db).claim(now=clock.now(), worker="crashed", limit=10)
    clock.advance(CLAIM_LEASE + timedelta(seconds=1))
    gateway = FakeGateway()
    await make_relay(db, gateway, clock).run_once()
    [delivery] = gateway.deliveries
    assert delivery.attempt >= 1
