"""App-only tokens from Entra ID with msal (single-tenant confidential client).

One token for the Bot Connector (``https://api.botframework.com/.default``)
and one for Microsoft Graph (``https://graph.microsoft.com/.default``). msal
caches them until shortly before they expire. msal is blocking (it uses
requests), so every call runs on a worker thread, never on the event loop.

``login_url`` lets tests point msal at a fake Entra: msal insists on an https
authority, so the authority stays ``https://login.microsoftonline.com/<tenant>``
and the HTTP session below rewrites that prefix to ``login_url``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msal
import requests

log = logging.getLogger("teamaround.teams")

PUBLIC_LOGIN = "https://login.microsoftonline.com"
BOT_SCOPE = "https://api.botframework.com/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class TokenError(Exception):
    """Entra refused to issue a token (wrong secret, unknown app, …)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class RewritingSession(requests.Session):
    """A requests session that sends ``https://login.microsoftonline.com/…``
    to another base URL (a fake Entra in tests, a proxy in odd deployments)."""

    def __init__(self, login_url: str) -> None:
        super().__init__()
        self._target = login_url.rstrip("/")

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        text = url.decode() if isinstance(url, bytes) else url
        if self._target != PUBLIC_LOGIN and text.startswith(PUBLIC_LOGIN):
            text = self._target + text[len(PUBLIC_LOGIN) :]
        kwargs.setdefault("timeout", 10)
        verb = method.decode() if isinstance(method, bytes) else method
        return super().request(verb, text, *args, **kwargs)


class TokenProvider:
    def __init__(
        self, *, app_id: str, secret: str, tenant_id: str, login_url: str = PUBLIC_LOGIN
    ) -> None:
        self._app_id = app_id
        self._secret = secret
        self._tenant_id = tenant_id
        # Built on first use, on a worker thread: msal reads the tenant's
        # OpenID metadata over the network as soon as it is constructed.
        self._app: msal.ConfidentialClientApplication | None = None
        self._http = RewritingSession(login_url)
        self._lock = asyncio.Lock()

    def _acquire(self, scope: str) -> dict[str, Any]:
        if self._app is None:
            self._app = msal.ConfidentialClientApplication(
                self._app_id,
                client_credential=self._secret,
                authority=f"{PUBLIC_LOGIN}/{self._tenant_id}",
                http_client=self._http,
                # The authority is fixed and known: no need to ask Microsoft about it.
                instance_discovery=False,
            )
        result: dict[str, Any] = self._app.acquire_token_for_client(scopes=[scope])
        return result

    async def close(self) -> None:
        """Close msal's HTTP connections (they would otherwise linger until exit)."""
        self._http.close()

    async def forget(self) -> None:
        """Drop cached tokens (one was refused), so the next call asks Entra."""
        async with self._lock:
            if self._app is not None:
                await asyncio.to_thread(self._app.remove_tokens_for_client)

    async def token(self, scope: str) -> str:
        """An access token for ``scope``, from msal's cache when still valid."""
        async with self._lock:  # one msal call at a time: its cache is not async-aware
            try:
                result = await asyncio.to_thread(self._acquire, scope)
            except (requests.RequestException, ValueError) as exc:
                log.error("teams: could not reach Entra for a token: %s", type(exc).__name__)
                raise TokenError(
                    f"teams: could not reach Entra ({type(exc).__name__})", retryable=True
                ) from exc
        token = result.get("access_token")
        if token:
            return str(token)
        error = str(result.get("error", "unknown_error"))
        description = (str(result.get("error_description") or "").splitlines() or [""])[0][:200]
        # Bad credentials won't fix themselves; anything else may be passing.
        retryable = error not in ("invalid_client", "unauthorized_client", "invalid_scope")
        log.error("teams: Entra refused a token for %s: %s %s", scope, error, description)
        raise TokenError(f"teams: Entra refused a token ({error})", retryable=retryable)
