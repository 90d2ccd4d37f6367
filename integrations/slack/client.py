"""The Slack Web API client, with slack_sdk's retry handlers switched on."""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient


def make_client(
    *, token: str, base_url: str, timeout: int = 10, safe_to_repeat: bool = True
) -> AsyncWebClient:
    """A client for ``base_url`` (a fake in tests) with slack_sdk's retry handlers.

    Rate limits (HTTP 429) are always retried after ``Retry-After``: Slack did
    nothing. Server errors and connection errors are retried here only when
    ``safe_to_repeat``: a post whose response was lost may have landed, so
    posting clients leave that to the relay, which checks before posting again.
    """
    handlers: list[AsyncRetryHandler] = [AsyncRateLimitErrorRetryHandler(max_retry_count=1)]
    if safe_to_repeat:
        handlers += [
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncServerErrorRetryHandler(max_retry_count=1),
        ]
    return AsyncWebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        timeout=timeout,
        retry_handlers=handlers,
    )


class SharedSession:
    """One aiohttp session (and so kept-alive connections to Slack) for the
    Web API clients of a running server. Without it slack_sdk opens a session,
    a TCP connection and a TLS handshake for every call. Opened inside the
    server's event loop; clients used outside it (a command run by hand)
    keep slack_sdk's session per call."""

    def __init__(self, *clients: AsyncWebClient) -> None:
        self._clients = clients
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._clients[0].timeout)
            )
            for client in self._clients:
                client.session = self._session

    async def close(self) -> None:
        if self._session is not None:
            for client in self._clients:
                client.session = None
            await self._session.close()
            self._session = None
