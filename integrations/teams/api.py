"""Raw HTTP to the Bot Connector and Microsoft Graph, with their error shapes.

Both answer errors as ``{"error": {"code": …, "message": …}}``. A failure
becomes :class:`TeamsApiError` carrying the HTTP status, the code and any
``Retry-After``; whether to retry is decided by the caller (the outbox relay
retries 429, 412, 500, 502, 503 and 504 with back-off).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

log = logging.getLogger("teamaround.teams")

RETRYABLE_STATUS = frozenset({412, 429, 500, 502, 503, 504})
TIMEOUT = aiohttp.ClientTimeout(total=20)


class TeamsApiError(Exception):
    def __init__(
        self, *, status: int, code: str, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE_STATUS


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class Sessions:
    """One aiohttp session for all Teams traffic, opened on first use (inside
    the running event loop) and closed with the app."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def __call__(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


class JsonApi:
    """One API (connector or Graph): a session, a token source, JSON in and out.

    A 401 with a token msal still thought valid (revoked, or the app's secret
    rotated) drops the cached token and tries once more with a fresh one.
    """

    def __init__(
        self,
        *,
        session: Callable[[], aiohttp.ClientSession],
        token: Callable[[], Awaitable[str]],
        forget_token: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._session = session
        self._token = token
        self._forget_token = forget_token

    async def call(
        self, method: str, url: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, JSON body or {}, headers); raises TeamsApiError on 4xx/5xx."""
        try:
            return await self._call(method, url, body)
        except TeamsApiError as exc:
            if exc.status != 401 or self._forget_token is None:
                raise
            log.warning("teams: %s refused our token (%s); getting a new one", method, exc.code)
            await self._forget_token()
            return await self._call(method, url, body)

    async def _call(
        self, method: str, url: str, body: dict[str, Any] | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        headers = {"Authorization": f"Bearer {await self._token()}"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        async with self._session().request(
            method, url, data=data, headers=headers, timeout=TIMEOUT
        ) as response:
            text = await response.text()
            parsed: Any = {}
            if text.strip():
                try:
                    parsed = json.loads(text)
                except ValueError:
                    parsed = {}
            if response.status >= 400:
                error = parsed.get("error") if isinstance(parsed, dict) else None
                error = error if isinstance(error, dict) else {}
                raise TeamsApiError(
                    status=response.status,
                    code=str(error.get("code") or response.reason or "Error"),
                    message=str(error.get("message") or text[:200]),
                    retry_after=_retry_after(response.headers),
                )
            return (
                response.status,
                parsed if isinstance(parsed, dict) else {},
                dict(response.headers),
            )
