"""The Slack Web API client, with slack_sdk's retry handlers switched on."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient


def make_client(*, token: str, base_url: str, timeout: int = 10) -> AsyncWebClient:
    """A client for ``base_url`` (a fake in tests). Rate limits honour
    ``Retry-After``; 5xx and connection errors are retried a little here, and
    the outbox relay retries further with back-off."""
    return AsyncWebClient(
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        timeout=timeout,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=1),
            AsyncServerErrorRetryHandler(max_retry_count=1),
        ],
    )
