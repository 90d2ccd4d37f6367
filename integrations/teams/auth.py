"""Checks that a request to ``/api/messages`` really comes from the Bot Connector.

The verdicts are those of Microsoft's reference validator (botbuilder-python's
``JwtTokenValidation``, ``ChannelValidation``, ``JwtTokenExtractor``;
PLATFORMS.md B2, D6): the header is exactly ``Bearer <token>``; the JWT is
signed (RS256, RS384 or RS512) by a key from the Bot Framework's OpenID
metadata; issued by ``https://api.botframework.com``; its ``aud`` is our app
id as a single string (a list, even one holding our id, is refused: the
reference compares the claim to the app id); in date (five minutes' skew);
and its ``serviceurl`` is the activity's. Stricter than the reference, we
also require ``exp``, the key's endorsement for the channel, the channel
``msteams`` and our own tenant. Anything else is a rejection, and nothing runs.

The token is checked before the body is even parsed (:meth:`verify_token`);
the claims that need the activity are checked once it is (:meth:`check_activity`).

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
ALGORITHMS = ("RS256", "RS384", "RS512")  # the reference's ALLOWED_SIGNING_ALGORITHMS
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


@dataclass(frozen=True)
class Token:
    """A token whose signature, issuer, audience and dates were checked."""

    claims: dict[str, Any]
    endorsements: tuple[str, ...]


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
        """The token's claims for this activity, or :class:`AuthError`."""
        return self.check_activity(await self.verify_token(authorization), activity)

    async def verify_token(self, authorization: str | None) -> Token:
        """Check the Authorization header on its own (nothing of the request's
        body is needed, or read, for this); :class:`AuthError` if it fails."""
        parts = (authorization or "").split(" ")
        if len(parts) != 2 or parts[0] != "Bearer" or not parts[1]:
            raise AuthError("the Authorization header is not exactly 'Bearer <token>'")
        token = parts[1]
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError(f"malformed token: {exc}") from exc
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise AuthError(f"algorithm {algorithm!r} is not allowed")
        kid = str(header.get("kid") or "")
        jwk = await self._key(kid)
        try:
            key = jwt.PyJWK(jwk, algorithm=algorithm)
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[algorithm],
                audience=self._app_id,
                issuer=ISSUER,
                leeway=SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"token rejected: {exc}") from exc
        if claims.get("aud") != self._app_id:
            raise AuthError("the token's aud is not our app id (a list is not accepted)")
        endorsements = jwk.get("endorsements") or []
        return Token(claims=claims, endorsements=tuple(str(e) for e in endorsements))

    def check_activity(self, token: Token, activity: dict[str, Any]) -> Claims:
        """The claims that depend on the activity: channel, endorsement,
        service URL and tenant; :class:`AuthError` if one fails."""
        if activity.get("channelId") != CHANNEL:
            # Only Teams: Web Chat or Direct Line would let a sender choose its own ids.
            raise AuthError(f"channel {activity.get('channelId')!r} is not {CHANNEL}")
        if CHANNEL not in token.endorsements:
            raise AuthError(f"the signing key is not endorsed for {CHANNEL}")
        service_url = activity.get("serviceUrl")
        if not isinstance(service_url, str) or not service_url:
            raise AuthError("the activity has no serviceUrl")
        if token.claims.get("serviceurl") != service_url:
            raise AuthError("the token's serviceurl does not match the activity")
        conversation = activity.get("conversation")
        channel_data = activity.get("channelData")
        tenant = (conversation.get("tenantId") if isinstance(conversation, dict) else None) or (
            channel_data.get("tenant") if isinstance(channel_data, dict) else None
        )
        if isinstance(tenant, dict):
            tenant = tenant.get("id")
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
