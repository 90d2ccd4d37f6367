"""Signed links to the one-action page, and the page's CSRF tokens.

An emailed link (``/a/{token}``) is scoped to one person and one action and
carries when it was issued; it is signed with a key derived from
``TEAMAROUND_SECRET_KEY`` (HMAC-SHA256), so it cannot be made or altered
without the key. Whether it still works (expiry, a closed action, someone
who left, a revocation) is decided where the page is served, against the
database: this module only proves who issued the token and when.

Tokens start with ``ta1.``: the log filter (``bot.logs``) redacts anything of
that shape, so a token never reaches a log line even if a path were logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

PREFIX = "ta1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class LinkClaims:
    """What a genuine token says: whose link to which action, issued when."""

    action_id: int
    person_id: int
    issued_at: datetime


class LinkSigner:
    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("the secret key must be at least 16 characters")
        root = secret.encode()
        self._link_key = hmac.new(root, b"teamaround one-action link v1", hashlib.sha256).digest()
        self._csrf_key = hmac.new(root, b"teamaround page form v1", hashlib.sha256).digest()

    def issue(self, *, action_id: int, person_id: int, at: datetime) -> str:
        body = _b64(f"{action_id}.{person_id}.{int(at.timestamp())}".encode())
        return f"{PREFIX}.{body}.{self._mac(self._link_key, body)}"

    def read(self, token: str) -> LinkClaims | None:
        """The claims of a token we issued; None for anything else (forged,
        altered, truncated or not a token at all)."""
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != PREFIX or len(token) > 200:
            return None
        _, body, mac = parts
        if not hmac.compare_digest(mac, self._mac(self._link_key, body)):
            return None
        try:
            action, person, issued = _unb64(body).decode("ascii").split(".")
            return LinkClaims(
                action_id=int(action),
                person_id=int(person),
                issued_at=datetime.fromtimestamp(int(issued), UTC),
            )
        except (ValueError, UnicodeDecodeError):
            return None

    def form_token(self, token: str) -> str:
        """A CSRF token for a form on the page of ``token``: a fresh nonce
        (which also keys the submission, so a double click acts once) and
        its signature bound to the link."""
        nonce = secrets.token_urlsafe(12)
        return f"{nonce}.{self._mac(self._csrf_key, token + '|' + nonce)}"

    def form_nonce(self, token: str, value: str) -> str | None:
        """The nonce of a genuine CSRF token for ``token``'s page, else None."""
        nonce, _, mac = value.partition(".")
        if not nonce or not mac or len(value) > 200:
            return None
        if not hmac.compare_digest(mac, self._mac(self._csrf_key, token + "|" + nonce)):
            return None
        return nonce

    @staticmethod
    def _mac(key: bytes, text: str) -> str:
        return _b64(hmac.new(key, text.encode(), hashlib.sha256).digest())
