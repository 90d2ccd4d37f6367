"""A fake GOV.UK Notify REST API on loopback, strict where Notify is strict.

What it checks, as Notify does (https://docs.notifications.service.gov.uk/rest-api.html):

- ``Authorization: Bearer <JWT>``: HS256, header ``typ: JWT``; ``iss`` is the
  service id and the signature uses the secret part of the API key (the key
  reads ``{name}-{service id}-{secret}``); ``iat`` must be within 30 seconds
  of the host's clock (the client signs with it, so the fake checks with it).
  Anything else is ``403 AuthError``, in Notify's error shape.
- ``POST /v2/notifications/email``: ``email_address`` must look like an
  address, ``template_id`` must be a template the service has, and every
  ``((placeholder))`` of the template must be given in ``personalisation``;
  otherwise ``400 ValidationError`` / ``BadRequestError``. ``201`` answers as
  Notify does (id, reference, content, uri, template).
- ``GET /v2/notifications?reference=…&template_type=email``: the notifications
  with that reference, newest first.

Faults (``tests.fakes.server``): ``inject(Fault(target="send", status=429))``
answers Notify's ``RateLimitError``; 500 its ``Exception``; a ``400`` fault
with ``error="ValidationError"`` a refusal of the address. ``apply_then_fail``
sends and loses the answer. ``refuse`` lists addresses Notify refuses as
invalid, like a syntax error in the address.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web

from tests.fakes.server import Clock, Fault, LoopbackServer

SERVICE_ID = "3f7a2c1e-5b4d-4e6f-8a9b-0c1d2e3f4a5b"
SECRET = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
API_KEY = f"teamaround_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
BOUND = 30  # seconds either side of now that Notify accepts a token's iat
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class SentEmail:
    id: str
    email_address: str
    template_id: str
    personalisation: dict[str, str]
    reference: str | None
    subject: str
    body: str
    status: str = "sending"


@dataclass
class Template:
    subject: str = "((subject))"
    body: str = "((body))"


@dataclass
class Refused:
    """A request the fake refused, and why (for tests to assert on)."""

    path: str
    status: int
    error: str
    message: str


class FakeNotify(LoopbackServer):
    def __init__(
        self,
        *,
        service_id: str = SERVICE_ID,
        secret: str = SECRET,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.service_id = service_id
        self.secret = secret
        self.wall_clock: Callable[[], float] = time.time
        self.templates: dict[str, Template] = {TEMPLATE_ID: Template()}
        self.sent: list[SentEmail] = []
        self.refused: list[Refused] = []
        self.refuse: set[str] = set()  # addresses refused as invalid
        self.requests: list[str] = []  # "POST send", "GET list": every request, in order

    @property
    def api_key(self) -> str:
        return f"teamaround_test-{self.service_id}-{self.secret}"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._errors])
        app.router.add_post("/v2/notifications/email", self._send)
        app.router.add_get("/v2/notifications", self._list)
        await self._listen(app)

    # -- helpers --------------------------------------------------------------

    @web.middleware
    async def _errors(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
            return response
        except web.HTTPException:
            raise
        except Exception as exc:  # a bug in the fake: fail the test
            self.internal_errors.append(exc)
            return self._error(request, 500, "Exception", "Internal server error")

    def _error(self, request: web.Request, status: int, error: str, message: str) -> web.Response:
        self.refused.append(Refused(request.path, status, error, message))
        body = {"status_code": status, "errors": [{"error": error, "message": message}]}
        return web.json_response(body, status=status)

    def _auth(self, request: web.Request) -> web.Response | None:
        """Notify's checks of the bearer JWT (None: it is good)."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token:
            return self._error(
                request,
                401,
                "AuthError",
                "Unauthorized: authentication token must be provided",
            )
        try:
            head = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return self._error(request, 403, "AuthError", "Invalid token: signature, api token")
        if head.get("alg") != "HS256" or head.get("typ") != "JWT":
            return self._error(
                request, 403, "AuthError", "Invalid token: algorithm used is not HS256"
            )
        if "iss" not in claims:
            return self._error(request, 403, "AuthError", "Invalid token: iss field not provided")
        if claims["iss"] != self.service_id:
            return self._error(request, 403, "AuthError", "Invalid token: service not found")
        try:
            jwt.decode(token, key=self.secret, algorithms=["HS256"], options={"verify_iat": False})
        except jwt.PyJWTError:
            return self._error(request, 403, "AuthError", "Invalid token: API key not found")
        if "iat" not in claims:
            return self._error(request, 403, "AuthError", "Invalid token: iat field not provided")
        now = int(self.wall_clock())
        iat = int(claims["iat"])
        if now > iat + BOUND or iat > now + BOUND:
            return self._error(
                request,
                403,
                "AuthError",
                "Error: Your system clock must be accurate to within 30 seconds",
            )
        return None

    def _fault(self, request: web.Request, fault: Fault) -> web.Response:
        if fault.status == 429:
            return self._error(
                request,
                429,
                "RateLimitError",
                "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
            )
        if fault.status >= 500 and fault.error is None:
            return self._error(request, fault.status, "Exception", "Internal server error")
        return self._error(
            request, fault.status, fault.error or "BadRequestError", fault.message or "Bad request"
        )

    # -- endpoints ------------------------------------------------------------

    async def _send(self, request: web.Request) -> web.Response:
        self.requests.append("POST send")
        refused = self._auth(request)
        if refused is not None:
            return refused
        fault = self._take_fault("send")
        if fault is not None and fault.delay:
            await self._sleep(fault.delay)
        if fault is not None and fault.status != 200 and not fault.apply_then_fail:
            return self._fault(request, fault)
        try:
            data = json.loads(await request.read())
        except ValueError:
            return self._error(request, 400, "ValidationError", "Invalid JSON supplied")
        address = str(data.get("email_address", ""))
        template = self.templates.get(str(data.get("template_id", "")))
        personalisation = data.get("personalisation") or {}
        if not _ADDRESS.match(address) or address in self.refuse:
            return self._error(
                request, 400, "ValidationError", "email_address Not a valid email address"
            )
        if template is None:
            return self._error(request, 400, "BadRequestError", "Template not found")
        missing = [
            name
            for name in re.findall(r"\(\((\w+)\)\)", template.subject + template.body)
            if name not in personalisation
        ]
        if missing:
            return self._error(
                request, 400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}"
            )
        reference = data.get("reference")
        subject = _fill(template.subject, personalisation)
        body = _fill(template.body, personalisation)
        sent = SentEmail(
            id=str(uuid.uuid4()),
            email_address=address,
            template_id=str(data["template_id"]),
            personalisation={k: str(v) for k, v in personalisation.items()},
            reference=str(reference) if reference is not None else None,
            subject=subject,
            body=body,
        )
        self.sent.append(sent)
        if fault is not None and fault.apply_then_fail:
            return self._fault(request, fault)
        return web.json_response(
            {
                "id": sent.id,
                "reference": sent.reference,
                "content": {
                    "subject": subject,
                    "body": body,
                    "from_email": "teamaround@notifications.service.gov.uk",
                },
                "uri": f"{self.url}/v2/notifications/{sent.id}",
                "template": {
                    "id": sent.template_id,
                    "version": 1,
                    "uri": f"{self.url}/services/{self.service_id}/templates/{sent.template_id}",
                },
                "scheduled_for": None,
            },
            status=201,
        )

    async def _list(self, request: web.Request) -> web.Response:
        self.requests.append("GET list")
        refused = self._auth(request)
        if refused is not None:
            return refused
        fault = self._take_fault("list")
        if fault is not None and fault.status != 200:
            return self._fault(request, fault)
        reference = request.query.get("reference")
        kind = request.query.get("template_type")
        if kind not in (None, "email", "sms", "letter"):
            return self._error(
                request,
                400,
                "ValidationError",
                f"template_type {kind} is not one of [sms, email, letter]",
            )
        found = [s for s in reversed(self.sent) if reference is None or s.reference == reference]
        return web.json_response(
            {
                "notifications": [
                    {
                        "id": s.id,
                        "reference": s.reference,
                        "email_address": s.email_address,
                        "type": "email",
                        "status": s.status,
                        "subject": s.subject,
                        "body": s.body,
                        "template": {"id": s.template_id, "version": 1},
                    }
                    for s in found
                ],
                "links": {"current": f"{self.url}/v2/notifications"},
            }
        )


def _fill(text: str, values: dict[str, Any]) -> str:
    return re.sub(r"\(\((\w+)\)\)", lambda m: str(values.get(m.group(1), "")), text)


__all__ = ["API_KEY", "TEMPLATE_ID", "FakeNotify", "Fault", "SentEmail"]
