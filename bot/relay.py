"""The outbox relay: delivers outbox rows through platform gateways.

Rows are claimed (so several relays can run), delivered, and marked sent; a
failure is retried with capped exponential back-off and jitter, honouring a
platform's ``Retry-After``; after ``max_attempts`` a row is parked as dead,
where an operator can see it and retry it (``teamaround outbox``).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.gateway import ChatGateway, Delivery, DeliveryError, SendResult

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
    why: it is parked as dead), when it must wait (``wait_seconds``: for
    example its network's space is still being created), or when a newer
    version of the same card was already delivered (``superseded``).
    """

    delivery: Delivery | None
    problem: str | None = None
    wait_seconds: float | None = None
    superseded: bool = False


class OutboxPort(Protocol):
    async def claim(self, *, now: datetime, worker: str, limit: int) -> list[Claimed]: ...

    async def prepare(
        self, *, row_id: int, attempts: int, platforms: tuple[str, ...]
    ) -> Prepared: ...

    async def mark_sent(self, *, row_id: int, result: SendResult, now: datetime) -> None: ...

    async def mark_failed(
        self,
        *,
        row_id: int,
        error: str,
        retry_at: datetime | None,
        now: datetime,
        count_attempt: bool = True,
    ) -> None: ...


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
    ) -> None:
        self._outbox = outbox
        self._gateways = dict(gateways)
        self._clock = clock
        self._worker = worker
        self._policy = policy or RetryPolicy()
        self._rng = rng or random.Random()

    async def run_once(self, *, limit: int = 50) -> RelayReport:
        """Claim and deliver one batch of due rows."""
        report = RelayReport()
        now = self._clock.now()
        batch = await self._outbox.claim(now=now, worker=self._worker, limit=limit)
        for item in batch:
            await self._deliver(item, report)
        return report

    async def drain(self, *, max_batches: int = 100) -> RelayReport:
        """Deliver until nothing due is left (console, tests, `outbox retry`)."""
        total = RelayReport()
        for _ in range(max_batches):
            report = await self.run_once()
            total.sent += report.sent
            total.retried += report.retried
            total.dead += report.dead
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
            report.sent += 1
            return
        if prepared.wait_seconds is not None:
            await self._outbox.mark_failed(
                row_id=item.row_id,
                error=prepared.problem or "waiting",
                retry_at=now + timedelta(seconds=prepared.wait_seconds),
                now=now,
                count_attempt=False,
            )
            report.retried += 1
            return
        if prepared.delivery is None:
            await self._outbox.mark_failed(
                row_id=item.row_id, error=prepared.problem or "unreachable", retry_at=None, now=now
            )
            report.dead += 1
            return
        delivery = prepared.delivery
        gateway = self._gateways[delivery.address.platform]
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
                )
                report.retried += 1
                return
            attempts = item.attempts + 1
            retry_at: datetime | None = None
            if exc.retryable and attempts < self._policy.max_attempts:
                delay = self._policy.delay(attempts, exc.retry_after, self._rng)
                retry_at = now + timedelta(seconds=delay)
                report.retried += 1
            else:
                report.dead += 1
            log.warning("outbox row %s (%s) failed: %s", item.row_id, delivery.key, exc)
            await self._outbox.mark_failed(
                row_id=item.row_id, error=str(exc), retry_at=retry_at, now=now
            )
            return
        await self._outbox.mark_sent(row_id=item.row_id, result=result, now=self._clock.now())
        report.sent += 1
