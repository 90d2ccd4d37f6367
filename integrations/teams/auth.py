"""Checks that a request to ``/api/messages`` really comes from the Bot Connector.

The rules are the Bot Framework's (PLATFORMS.md B2): a Bearer JWT signed with
RS256 by a key from the Bot Framework's OpenID metadata, that key endorsed for
the activity's channel (``msteams``), issued by ``https://api.botframework.com``
for our app id, in date (five minutes' skew allowed), and naming the same
service URL as the activity. Anything else is a rejection, and nothing runs.

Keys are cached for a day; an unknown key id refreshes them at once, but at
most once every ``refresh_floor`` seconds so that forged key ids cannot make
us hammer Microsoft.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt

log = logging.getLogger("teamaround.teams")

ISSUER = "https://api.botframework.com"
SKEW_SECONDS = 300
KEYS_MAX_AGE = 24 * 3600.0
REFRESH_FLOOR = 3600.0
FAILED_FETCH_WAIT = 60.0  # after a failed fetch, the keys we have serve for this long
CHANNEL = "msteams"


class AuthError(Exception):
    """The request is not from the Bot Connector (the reason is for the logs only)."""


@dataclass(frozen=True)
class Claims:
    app_id: str
    service_url: str


@dataclass
class _KeySet:
    keys: dict[str, dict[str, Any]]
    fetched_at: float


class BotFrameworkAuth:
    def __init__(
        self,
        *,
        app_id: str,
        tenant_id: str,
        openid_url: str,
        session: Callable[[], aiohttp.ClientSession],
        clock: Callable[[], float] = time.monotonic,
        refresh_floor: float = REFRESH_FLOOR,
    ) -> None:
        self._app_id = app_id
        self._tenant_id = tenant_id
        self._openid_url = openid_url
        self._session = session
        self._clock = clock
        self._refresh_floor = refresh_floor
        self._keys: _KeySet | None = None
        self._last_forced: float | None = None
        self._last_failure: float | None = None
        self._lock = asyncio.Lock()

    async def authenticate(self, authorization: str | None, activity: dict[str, Any]) -> Claims:
        """The token's claims, or :class:`AuthError`."""
        if activity.get("channelId") != CHANNEL:
            # Only Teams: Web Chat or Direct Line would let a sender choose its own ids.
            raise AuthError(f"channel {activity.get('channelId')!r} is not {CHANNEL}")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("no Bearer token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError(f"malformed token: {exc}") from exc
        if header.get("alg") != "RS256":
            raise AuthError(f"algorithm {header.get('alg')!r} is not allowed")
        kid = str(header.get("kid") or "")
        jwk = await self._key(kid)
        if CHANNEL not in (jwk.get("endorsements") or []):
            raise AuthError(f"key {kid} is not endorsed for {CHANNEL}")
        try:
            key = jwt.PyJWK(jwk, algorithm="RS256")
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=["RS256"],
                audience=self._app_id,
                issuer=ISSUER,
                leeway=SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"token rejected: {exc}") from exc
        service_url = str(activity.get("serviceUrl") or "")
        if not service_url or claims.get("serviceurl") != service_url:
            raise AuthError("the token's serviceurl does not match the activity")
        conversation = activity.get("conversation") or {}
        tenant = conversation.get("tenantId") or (
            (activity.get("channelData") or {}).get("tenant") or {}
        ).get("id")
        if tenant != self._tenant_id:
            raise AuthError(f"the activity is from another tenant ({tenant!r})")
        return Claims(app_id=self._app_id, service_url=service_url)

    async def _key(self, kid: str) -> dict[str, Any]:
        keys = self._keys
        if (
            keys is not None
            and kid in keys.keys
            and self._clock() - keys.fetched_at <= KEYS_MAX_AGE
        ):
            return keys.keys[kid]  # the usual case: no lock, no fetch
        async with self._lock:
            now = self._clock()
            stale = self._keys is None or now - self._keys.fetched_at > KEYS_MAX_AGE
            unknown = self._keys is not None and kid not in self._keys.keys
            recently_failed = (
                self._last_failure is not None and now - self._last_failure < FAILED_FETCH_WAIT
            )
            forced_ok = self._last_forced is None or now - self._last_forced >= self._refresh_floor
            if not recently_failed and (stale or (unknown and forced_ok)):
                if unknown and not stale:
                    self._last_forced = now
                    log.info("teams: unknown signing key %s; fetching the keys again", kid)
                await self._refresh(now)
            found = self._keys.keys.get(kid) if self._keys is not None else None
        if found is None:
            raise AuthError(f"unknown signing key {kid!r}")
        return found

    async def _refresh(self, now: float) -> None:
        session = self._session()
        try:
            metadata = await _get_json(session, self._openid_url)
            jwks = await _get_json(session, str(metadata["jwks_uri"]))
        except (TimeoutError, aiohttp.ClientError, KeyError, ValueError) as exc:
            # Keep what we have; don't try again for a while (every request would wait).
            self._last_failure = now
            log.warning("teams: could not fetch the Bot Framework signing keys (%s)", exc)
            return
        self._last_failure = None
        keys = {str(k["kid"]): k for k in jwks.get("keys", []) if k.get("kid")}
        self._keys = _KeySet(keys=keys, fetched_at=now)


async def _get_json(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response:
        response.raise_for_status()
        body = json.loads(await response.text())
    if not isinstance(body, dict):
        raise ValueError(f"{url} did not return a JSON object")
    return body
