"""What every fake platform server shares: an aiohttp app on 127.0.0.1 with an
ephemeral port, started and stopped around a test, that re-raises its own bugs,
measures every duration on one clock, and fails on purpose when told to.

Fault injection lives here, once: a fake asks :meth:`LoopbackServer._take_fault`
for the fault (if any) that applies to the request in hand, and renders it in
its platform's error shape. Faults are queued (``inject``: the next N requests
to a method), an outage (every request until ``heal``), or chaos (a share of
all requests, at random, for soak tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from aiohttp import web

Clock = Callable[[], float]


@dataclass
class Fault:
    """One injected failure of a request to ``target`` (a method, operation or
    service name the fake understands; None: any request).

    ``status`` 429 is a rate limit (``Retry-After: retry_after``, 1 if None);
    another status with ``error`` is the platform's own error answer; a 5xx
    without ``error`` is a plain-text error page; 200 is a normal answer (with
    ``delay``: a slow one). ``delay`` waits first (cut short by ``stop()``).
    ``apply_then_fail`` carries the request out and *then* fails: the platform
    accepted it but the answer was lost.
    """

    target: str | None = None
    remaining: int = 1  # -1: until heal()
    status: int = 500
    error: str | None = None
    message: str | None = None
    retry_after: int | None = None
    delay: float | None = None
    apply_then_fail: bool = False
    until: float | None = None  # clock() deadline (timed outages)


# What chaos injects, equally often: the platform refusing (nothing happened),
# rate limiting (nothing happened), or accepting and losing the answer.
CHAOS_KINDS: dict[str, Fault] = {
    "refused": Fault(status=503),
    "rate limited": Fault(status=429, retry_after=1),
    "answer lost": Fault(status=503, apply_then_fail=True),
}


class ManualClock:
    """Seconds that move only when a test moves them. Give it to a fake when it
    is built (``FakeSlack(clock=ManualClock())``): everything the fake times
    (token lifetimes, rate-limit windows, trigger ids) is then on this clock."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class LoopbackServer:
    """Subclasses build their routes and call :meth:`_listen` from ``start()``.

    ``clock`` is fixed when the fake is built (the host's ``time.monotonic``
    unless a test gives its own): an instant recorded on one clock is only
    ever compared with the same clock, so no test depends on how long the
    machine has been up.
    """

    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock: Clock = clock or time.monotonic
        self._faults: list[Fault] = []
        self._outage: Fault | None = None
        self._chaos_rate = 0.0
        self._chaos_rng = random.Random(0)
        self._chaos_spared: frozenset[str] = frozenset()
        # What chaos injected, by kind ("refused", "rate limited", "answer lost").
        self.chaos_injected: Counter[str] = Counter()
        self.url = ""
        # Bugs in the fake itself (answered with HTTP 500), re-raised by stop().
        self.internal_errors: list[BaseException] = []
        self._runner: web.AppRunner | None = None
        # Set on stop(), so that injected delays end with the test.
        self._stopping: asyncio.Event | None = None

    @property
    def clock(self) -> Clock:
        return self._clock

    # -- faults -------------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        """Queue ``fault`` for the next ``fault.remaining`` matching requests."""
        self._faults.append(fault)

    def outage(
        self, *, status: int = 503, seconds: float | None = None, target: str | None = None
    ) -> None:
        """Every request (to ``target`` if given) fails with ``status`` until
        ``heal()`` (or for ``seconds`` of ``clock``)."""
        until = None if seconds is None else self.clock() + seconds
        self._outage = Fault(target=target, remaining=-1, status=status, until=until)

    def chaos(self, rate: float, *, seed: int = 0, spare: Iterable[str] = ()) -> None:
        """From now on fail a ``rate`` share of requests at random (never those
        to ``spare``), each as one of :data:`CHAOS_KINDS`; ``chaos_injected``
        counts them. ``rate=0`` stops it."""
        self._chaos_rate = rate
        self._chaos_rng = random.Random(seed)
        self._chaos_spared = frozenset(spare)

    def heal(self) -> None:
        """End an outage and chaos, and drop every queued fault."""
        self._outage = None
        self._faults.clear()
        self._chaos_rate = 0.0

    def _take_fault(self, *names: str) -> Fault | None:
        """The fault for a request known by ``names`` (its method, operation,
        service…), if any: an outage first, then a queued fault, then chaos."""
        if self._outage is not None:
            if self._outage.until is not None and self.clock() >= self._outage.until:
                self._outage = None
            elif self._outage.target in (None, *names):
                return self._outage
        for fault in self._faults:
            if fault.target in (None, *names):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        spared = self._chaos_spared.intersection(names)
        if self._chaos_rate and not spared and self._chaos_rng.random() < self._chaos_rate:
            kind = self._chaos_rng.choice(sorted(CHAOS_KINDS))
            self.chaos_injected[kind] += 1
            return CHAOS_KINDS[kind]
        return None

    async def _sleep(self, seconds: float) -> None:
        """Wait (an injected delay), ending early when the fake stops."""
        assert self._stopping is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def start(self) -> None:
        raise NotImplementedError

    async def _listen(self, app: web.Application) -> str:
        """Serve ``app`` on an ephemeral loopback port; returns its base URL."""
        self._stopping = asyncio.Event()
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        """Shut down (waking any injected delays); re-raise the fake's own bugs."""
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.internal_errors:
            raise self.internal_errors[0]

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
