"""The Slack Web API client, with slack_sdk's retry handlers switched on."""

from __future__ import annotations

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
