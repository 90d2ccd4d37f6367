"""The outbox relay: delivers outbox rows through platform gateways.

Rows are claimed (so several relays can run), delivered, and marked sent; a
failure is retried with capped exponential back-off and jitter, honouring a
platform's ``Retry-After``; after ``max_attempts`` a row is parked as dead,
where an operator can see it and retry it (``teamaround outbox``).

On shutdown (``stop``) the relay finishes the delivery in hand and hands the
rest of its batch back at once (``release``), so another replica delivers
them now rather than when the claim's lease runs out.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.gateway import ChatGateway, Delivery, DeliveryError, SendResult
from bot.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    """A claimed outbox row."""

    row_id: int
    attempts: int


@dataclass(frozen=True)
class Prepared:
    """A claimed row resolved to a platform delivery, just before sending.

    ``delivery`` is None when the row cannot be delivered (``problem`` says
    why: it is parked as dead), when it must wait (``wait_seconds``, or until
    ``wait_until`` if that is later: for example its network's space is still
    being created, or an earlier version of its card is still to go), or when
    a newer version of the same card will carry its content (``superseded``).
    """

    delivery: Delivery | None
    problem: str | None = None
    wait_seconds: float | None = None
    wait_until: datetime | None = None
    superseded: bool = False


class OutboxPort(Protocol):
    async def claim(self, *, now: datetime, worker: str, limit: int) -> list[Claimed]: ...

    async def prepare(
        self, *, row_id: int, attempts: int, platforms: tuple[str, ...]
    ) -> Prepared: ...

    async def mark_sent(
        self, *, row_id: int, result: SendResult, now: datetime, platform: str | None = None
    ) -> None: ...

    async def mark_failed(
        self,
        *,
        row_id: int,
        error: str,
        retry_at: datetime | None,
        now: datetime,
        count_attempt: bool = True,
        platform: str | None = None,
        undeliverable: bool = False,
    ) -> None: ...

    async def release(self, *, row_ids: Sequence[int], worker: str) -> int: ...


@dataclass
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 600.0

    def delay(self, attempts: int, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None:
            return float(retry_after) + rng.uniform(0, 1)
        backoff = min(self.cap_seconds, self.base_seconds * (2 ** max(0, attempts - 1)))
        return float(backoff / 2 + rng.uniform(0, backoff / 2))


@dataclass
class RelayReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    claimed: int = 0
    released: int = 0  # handed back unsent on shutdown


class Relay:
    def __init__(
        self,
        *,
        outbox: OutboxPort,
        gateways: Mapping[str, ChatGateway],
        clock: Clock,
        worker: str = "relay",
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        metrics: Metrics | None = None,
        pause: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """``pause``: awaited before each delivery, to let something more
        urgent go first (the replica's requests: ``bot.traffic``)."""
        self._outbox = outbox
        self._gateways = dict(gateways)
        self._clock = clock
        self._worker = worker
        self._policy = policy or RetryPolicy()
        self._rng = rng or random.Random()
        self._metrics = metrics
        self._pause = pause
        self._stopping = False

    def stop(self) -> None:
        """Finish the delivery in hand, hand the rest of the batch back, claim no more."""
        self._stopping = True

    async def run_once(self, *, limit: int = 50) -> RelayReport:
        """Claim and deliver one batch of due rows."""
        report = RelayReport()
        if self._stopping:
            return report
        now = self._clock.now()
        batch = await self._outbox.claim(now=now, worker=self._worker, limit=limit)
        report.claimed = len(batch)
        waiting = [item.row_id for item in batch]
        try:
            for item in batch:
                if self._stopping:
                    break
                if self._pause is not None:
                    await self._pause()
                    if self._stopping:
                        break
                waiting.remove(item.row_id)
                await self._deliver(item, report)
        finally:
            # Stopped (or cancelled) mid-batch: what was not started goes back
            # now. A row cancelled mid-send keeps its claim: it may have
            # landed, and the lease makes the next relay check first.
            if waiting:
                report.released = await self._outbox.release(row_ids=waiting, worker=self._worker)
                log.info("handed %s claimed outbox row(s) back", report.released)
        return report

    async def drain(self, *, max_batches: int = 100) -> RelayReport:
        """Deliver until nothing due is left (console, tests, `outbox retry`)."""
        total = RelayReport()
        for _ in range(max_batches):
            report = await self.run_once()
            total.sent += report.sent
            total.retried += report.retried
            total.dead += report.dead
            total.claimed += report.claimed
            if not (report.sent or report.retried or report.dead):
                break
        return total

    async def _deliver(
        self, item: Claimed, report: RelayReport, platforms: tuple[str, ...] | None = None
    ) -> None:
        # Rows are resolved one at a time, just before sending, so that a row
        # sees what earlier rows of the same batch did (a space just created).
        platforms = platforms or tuple(self._gateways)
        prepared = await self._outbox.prepare(
            row_id=item.row_id, attempts=item.attempts, platforms=platforms
        )
        now = self._clock.now()
        if prepared.superseded:
            self._count(report, "superseded", None)
            return
        if prepared.wait_seconds is not None:
            resume_at = now + timedelta(seconds=prepared.wait_seconds)
            if prepared.wait_until is not None:
                resume_at = max(resume_at, prepared.wait_until)
            await self._outbox.mark_failed(
                row_id=item.row_id,
                error=prepared.problem or "waiting",
                retry_at=resume_at,
                now=now,
                count_attempt=False,
            )
            self._count(report, "retried", None)
            return
        if prepared.delivery is None:
            await self._outbox.mark_failed(
                row_id=item.row_id, error=prepared.problem or "unreachable", retry_at=None, now=now
            )
            self._count(report, "dead", None)
            return
        delivery = prepared.delivery
        platform = delivery.address.platform
        gateway = self._gateways[platform]
        try:
            result = await gateway.deliver(delivery)
        except Exception as exc:
            if not isinstance(exc, DeliveryError):
                # A gateway bug must not stop the relay: log it, retry the row.
                log.exception("outbox row %s: unexpected delivery failure", item.row_id)
                exc = DeliveryError(f"unexpected: {type(exc).__name__}", retryable=True)
            others = tuple(p for p in platforms if p != delivery.address.platform)
            if exc.not_on_platform and any(p != "console" for p in others):
                # Not on this platform (a Teams-only person, say): try the next one.
                log.info("outbox row %s: %s; trying %s", item.row_id, exc, ", ".join(others))
                await self._deliver(item, report, others)
                return
            if exc.waiting:
                await self._outbox.mark_failed(
                    row_id=item.row_id,
                    error=str(exc),
                    retry_at=now + timedelta(seconds=exc.retry_after or 60),
                    now=now,
                    count_attempt=False,
                    platform=platform,
                )
                self._count(report, "retried", platform)
                return
            attempts = item.attempts + 1
            retry_at: datetime | None = None
            if exc.retryable and not exc.undeliverable and attempts < self._policy.max_attempts:
                delay = self._policy.delay(attempts, exc.retry_after, self._rng)
                retry_at = now + timedelta(seconds=delay)
                self._count(report, "retried", platform)
            else:
                self._count(report, "dead", platform)
            log.warning("outbox row %s (%s) failed: %s", item.row_id, delivery.key, exc)
            await self._outbox.mark_failed(
                row_id=item.row_id,
                error=str(exc),
                retry_at=retry_at,
                now=now,
                platform=platform,
                undeliverable=exc.undeliverable,
            )
            return
        await self._outbox.mark_sent(
            row_id=item.row_id, result=result, now=self._clock.now(), platform=platform
        )
        self._count(report, "sent", platform)

    def _count(self, report: RelayReport, result: str, platform: str | None) -> None:
        # A superseded row counts as sent: a newer version of it was delivered.
        field = "sent" if result == "superseded" else result
        setattr(report, field, getattr(report, field) + 1)
        if self._metrics is not None:
            self._metrics.deliveries.labels(platform or "unassigned", result).inc()
