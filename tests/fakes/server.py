"""What every fake platform server shares: an aiohttp app on 127.0.0.1 with an
ephemeral port, started and stopped around a test, that re-raises its own bugs."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

from aiohttp import web


class LoopbackServer:
    """Subclasses build their routes and call :meth:`_listen` from ``start()``."""

    def __init__(self) -> None:
        self.url = ""
        # Bugs in the fake itself (answered with HTTP 500), re-raised by stop().
        self.internal_errors: list[BaseException] = []
        self._runner: web.AppRunner | None = None
        # Set on stop(), so that injected delays end with the test.
        self._stopping: asyncio.Event | None = None

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
