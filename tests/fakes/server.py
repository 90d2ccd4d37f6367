"""What every fake platform server shares: an aiohttp app on 127.0.0.1 with an
ephemeral port, started and stopped around a test, that re-raises its own bugs,
and measures every duration on one clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

from aiohttp import web

Clock = Callable[[], float]


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
        self.url = ""
        # Bugs in the fake itself (answered with HTTP 500), re-raised by stop().
        self.internal_errors: list[BaseException] = []
        self._runner: web.AppRunner | None = None
        # Set on stop(), so that injected delays end with the test.
        self._stopping: asyncio.Event | None = None

    @property
    def clock(self) -> Clock:
        return self._clock

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
