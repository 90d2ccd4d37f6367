"""``POST /slack/events``: the signature first, then the body, then bolt.

Slack signs the raw bytes of every request (PLATFORMS.md A1): the signature is
checked on those bytes before anything is decoded or parsed, so an unsigned
request gets 401 however malformed it is (bolt parses the body as it builds
its request, and a body that is not UTF-8 or not JSON would fail there with
a 500). A signed request that is not the shape Slack sends gets 400. Neither
is an error of ours, so neither is logged as one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.async_app import AsyncApp
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger("teamaround.slack")

MAX_AGE_SECONDS = 300  # Slack's own rule: older timestamps may be replays
# The parts of an interactive payload we read, in the types Slack sends.
_OBJECTS = ("user", "team", "channel", "container", "message", "view", "state")
_LISTS = ("actions",)


def signature_valid(body: bytes, headers: Mapping[str, str], *, secret: str, now: float) -> bool:
    """Slack's v0 signature over the raw body, and a timestamp within five minutes."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit()) or not signature:
        return False
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    expected = "v0=" + digest.hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def payload_problem(payload: Any) -> str | None:
    """Why a parsed body is not what Slack sends (None when it is)."""
    if not isinstance(payload, dict):
        return "the body is not an object"
    for key in _OBJECTS:
        if payload.get(key) is not None and not isinstance(payload[key], dict):
            return f"{key} is not an object"
    for key in _LISTS:
        value = payload.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(item, dict) for item in value)
        ):
            return f"{key} is not a list of objects"
    for action in payload.get("actions") or []:
        if not isinstance(action.get("action_id"), str):
            return "an action has no action_id"
    view = payload.get("view") or {}
    if payload.get("type") in ("view_submission", "view_closed") and not isinstance(
        view.get("callback_id"), str
    ):
        return "the view has no callback_id"
    for key in ("private_metadata", "callback_id", "id"):
        if view.get(key) is not None and not isinstance(view[key], str):
            return f"view.{key} is not a string"
    if view.get("state") is not None and not isinstance(view["state"], dict):
        return "view.state is not an object"
    return None


class SlackEndpoint:
    """Serves one bolt app over HTTP, checking each request before bolt sees it."""

    def __init__(
        self, app: AsyncApp, *, signing_secret: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._app = app
        self._secret = signing_secret
        self._clock = clock

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        if not signature_valid(body, request.headers, secret=self._secret, now=self._clock()):
            log.warning("slack: refused a request whose signature does not verify")
            return JSONResponse({"error": "invalid request"}, 401)
        try:
            bolt_request = to_async_bolt_request(request, body)
        except (ValueError, AttributeError, TypeError) as exc:
            # Not UTF-8, JSON that does not parse, or JSON bolt cannot read
            # (a payload that is a list): Slack sends none of these.
            log.warning("slack: refused a signed request that could not be read: %s", exc)
            return JSONResponse({"error": "malformed request"}, 400)
        problem = payload_problem(bolt_request.body)
        if problem is not None:
            log.warning("slack: refused a signed request: %s", problem)
            return JSONResponse({"error": "malformed request"}, 400)
        return to_starlette_response(await self._app.async_dispatch(bolt_request))
