"""A stateful fake of Microsoft Teams' HTTP APIs on 127.0.0.1, plus inbound helpers.

One aiohttp server plays four services::

    async with FakeTeams(tenant_id=TENANT, app_id=APP, app_password=SECRET) as teams:
        kim = teams.add_user(email="kim.lee@nhs.example", name="Kim Lee")
        teams.install_for_user(kim)
        # msal, with an http_client that rewrites https://login.microsoftonline.com
        # to teams.login_url, gets a token; the Bot Connector REST API lives under
        # teams.service_url and Graph under f"{teams.graph_url}/v1.0/".

URL layout (``base`` is ``http://127.0.0.1:<ephemeral port>``):

- ``login_url`` = ``{base}/login`` stands in for ``https://login.microsoftonline.com``:
  ``GET {login}/{tenant}/v2.0/.well-known/openid-configuration``,
  ``POST {login}/{tenant}/oauth2/v2.0/token``, ``GET {login}/common/discovery/instance``.
- ``service_url`` = ``{base}/connector/uk/`` is a Bot Connector ``serviceUrl``
  (``v3/conversations…``, ``v3/teams/{teamThreadId}…``); any region segment works.
- ``graph_url`` = ``{base}/graph`` stands in for ``https://graph.microsoft.com``
  (requests go to ``{graph_url}/v1.0/…``).
- ``bf_metadata_url`` = ``{base}/botframework/v1/.well-known/openidconfiguration`` and
  ``{base}/botframework/v1/.well-known/keys`` stand in for login.botframework.com.
- ``rewrites`` maps each real origin to its fake base, for a host-rewriting client.

Spec: ``shared/docs/PLATFORMS.md`` B1-B7 and C. Connector errors are
``{"error": {"code", "message"}}``; Graph errors add ``innerError``; Entra errors
are OAuth ``{"error", "error_description", "error_codes", ...}``.

Choices where the spec or Microsoft's documentation leave the behaviour open:

- Entra documents use ``https://login.microsoftonline.com/...`` URLs (the app under
  test rewrites that host). Wrong secret: 401 ``invalid_client`` AADSTS7000215; an
  unknown ``client_id``: 400 ``unauthorized_client`` AADSTS700016 (what Entra
  answers); unknown tenant: 400 ``invalid_tenant`` AADSTS90002; an unknown or
  missing scope, or two resources at once: 400 ``invalid_scope`` AADSTS70011
  (reserved OIDC scopes are ignored); grant other than client_credentials: 400
  ``unsupported_grant_type`` AADSTS70003. Client secrets may come in the form or
  as HTTP Basic. Tokens are opaque random strings valid for 3599 s of ``clock``;
  ``expire_tokens()`` ends them all early.
- Connector auth: a Bearer token issued for ``https://api.botframework.com``,
  unexpired, else 401 ``Unauthorized``. Graph auth: a token for
  ``https://graph.microsoft.com``, else 401 ``InvalidAuthenticationToken``.
- ``activities`` is keyed by the conversation id *without* ``;messageid=``; each
  activity carries ``thread_id`` (the channel thread's root id, ``None`` in chats).
  Deleted activities stay in the list with ``deleted=True``; ``messages_in`` skips
  them. Inbound messages built by the helpers are recorded too (``from_bot=False``)
  so replies, thread posts and pins can target them. Typing activities are
  accepted (HTTP 200 ``{}``) and not recorded.
- Activity validation (400 ``BadArgument``): a JSON object with a ``type`` of
  ``message`` or ``typing``; a message needs text, attachments or a value;
  attachments are objects with a ``contentType``; an Adaptive Card attachment needs
  ``content`` that is an object of ``type: AdaptiveCard`` (versions are not checked).
  The size check comes first: 413 ``MessageSizeTooBig`` when the compact JSON
  (``separators=(",", ":")``, ``ensure_ascii=False``) of the activity is over
  ``max_activity_bytes`` (100 KiB) in UTF-16-LE.
- Unknown conversation: 404 ``ConversationNotFound`` (also for a ``;messageid=``
  thread root that does not exist). Unknown activity: 404 ``ActivityNotFound``.
  Updating or deleting someone else's message: 403 ``Forbidden``. Posting to an
  archived channel: 403 ``MessageWritesBlocked``; a user who blocked the bot: 403
  ``ConversationBlockedByUser``.
- Where the bot is: a personal conversation while the app is installed for that
  user; a group chat after ``POST /chats/{id}/installedApps``; the standard channels
  of a team with the app installed; private channels of such a team only while
  ``private_channel_bots`` is true (the preview "tier1" behaviour, default on).
  Installing never makes the fake call the bot (no ``conversationUpdate`` is sent):
  tests use the inbound builders for that.
- ``POST v3/conversations``: ``isGroup`` + ``channelData.channel.id`` starts a
  channel thread (``activity`` required); one member (29: id or Entra object id)
  + ``channelData.tenant.id`` opens the personal conversation, the same ``a:`` id
  every time, 403 ``BotNotInConversationRoster`` unless the app is installed for
  that user; anything else (group chats, several members) is 400 ``BadArgument``.
- Rate limits (B7) per conversation (base id): create/send/reply share the
  "send" buckets 7/1 s, 8/2 s, 60/30 s, 1800/h; member reads the "read" buckets
  14/16/120/3600. Updates and deletes are not throttled. Rejected requests do not
  count. 429 ``{"error": {"code": "TooManyRequests"}}`` with an integer
  ``Retry-After`` unless ``retry_after_header`` is false. ``send_limits`` /
  ``read_limits`` can be replaced (``()`` turns them off).
- Activity ids are 13-digit millisecond strings from ``wall_clock``, strictly
  increasing. Chats are ``19:<hex>@thread.v2``, channels ``19:<hex>@thread.tacv2``,
  personal conversations ``a:1…``, users' bot-scoped ids ``29:1…``, Graph
  membership ids unpadded URL-safe base64.
- Graph ``GET /users?$filter=`` (``mail``/``userPrincipalName`` ``eq``, joined by
  ``or``) answers 200 with an empty ``value`` when nobody matches, as Graph does;
  ``GET /users/{id-or-upn}`` answers 404 ``Request_ResourceNotFound``. Users added
  with ``in_tenant=False`` are invisible to Graph. Lists are not paged.
- ``POST /chats``: ``oneOnOne`` needs exactly 2 members, ``group`` at least
  ``min_group_chat_members`` (2); every member needs ``@odata.type`` (the B4 text),
  a ``user@odata.bind`` to a known user and a ``roles`` list; topic ≤250 chars
  without ``:``. ``PATCH /chats/{id}`` answers 200 with the chat. Adding a member
  who is already present (chats, teams, channels) answers 201 with the existing
  membership. Pinning needs a message of that chat; pinning it twice is 409.
- Channels: ``displayName`` required, ≤50 characters, none of
  ``# % & * { } / \\ : < > ? + | ' "``, not starting with ``_`` or ``.``, unique in
  the team (400 "Channel name already existed, please use other name.").
  Private channels need members with an owner (the B4 texts), and every initial or
  added member must already be a team member (400). ``PATCH`` answers 204.
  ``archive`` answers 202 with a ``Location`` of an operation
  (``GET /teams/{id}/operations/{opId}``) and takes ``archive_delay`` seconds of
  ``clock``; it needs an owner (private: a channel owner, standard: a team owner),
  and the General channel cannot be archived.
- ``fail_next``/``outage`` target an operation name (see ``OPERATIONS``), a
  service (``"entra"``, ``"connector"``, ``"graph"``, ``"botframework"``) or
  everything (``None``); answers use that service's error shape. Injected failures
  are consumed before rate limits are checked.
- Every request is recorded in ``calls`` (rejected ones too); Authorization
  headers are never stored and ``client_secret`` is replaced by ``"***"``.
- JWT: ``FakeBotFrameworkIssuer`` signs with RSA keys from a module-level pool
  (generated once per test session; every issuer gets fresh random ``kid``s).
  The JWKS carries ``n``/``e``/``kid``/``endorsements`` but no ``x5c``.
- A bug in the fake answers HTTP 500 and is re-raised by ``stop()``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import math
import re
import secrets
import string
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import aiohttp
import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes.server import Clock, Fault, LoopbackServer

__all__ = [
    "BOTFRAMEWORK_ISSUER",
    "BOTFRAMEWORK_SCOPE",
    "GRAPH_SCOPE",
    "OPERATIONS",
    "FakeActivity",
    "FakeApp",
    "FakeBotFrameworkIssuer",
    "FakeCall",
    "FakeConversation",
    "FakeMember",
    "FakeTeam",
    "FakeTeams",
    "FakeUser",
]

BOTFRAMEWORK_SCOPE = "https://api.botframework.com/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
BOTFRAMEWORK_AUDIENCE = "https://api.botframework.com"
GRAPH_AUDIENCE = "https://graph.microsoft.com"
BOTFRAMEWORK_ISSUER = "https://api.botframework.com"
REAL_LOGIN = "https://login.microsoftonline.com"
REAL_GRAPH = "https://graph.microsoft.com"
REAL_BOTFRAMEWORK_LOGIN = "https://login.botframework.com"
REAL_SERVICE_URL = "https://smba.trafficmanager.net"
OPENID_PATH = ["v2.0", ".well-known", "openid-configuration"]
ODATA_MEMBER = "#microsoft.graph.aadUserConversationMember"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"

TOKEN_LIFETIME = 3599
MAX_ACTIVITY_BYTES = 100 * 1024
SEND_LIMITS: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
READ_LIMITS: tuple[tuple[float, int], ...] = ((1.0, 14), (2.0, 16), (30.0, 120), (3600.0, 3600))
MAX_CHANNEL_NAME = 50
MAX_CHANNEL_MEMBERS = 200
MAX_CHAT_TOPIC = 250
CHANNEL_FORBIDDEN = set("#%&*{}/\\:<>?+|'\"")
RESERVED_SCOPES = {"openid", "profile", "offline_access"}
KNOWN_SCOPES = {BOTFRAMEWORK_SCOPE: BOTFRAMEWORK_AUDIENCE, GRAPH_SCOPE: GRAPH_AUDIENCE}

# Exact texts from PLATFORMS.md B4.
ODATA_TYPE_REQUIRED = "'odata.type' must be specified in the request body for each member."
PRIVATE_NO_MEMBERS = (
    "CreateChannel_Private: Cannot create private channel, "
    "no members specified when calling from an Application."
)
PRIVATE_NO_OWNER = (
    "CreateChannel_Private: Cannot create private channel, "
    "no owner specified when calling from an Application."
)
APP_ONLY_POST = "Message POST is allowed in application-only context only for import purposes"
CHANNEL_NAME_TAKEN = "Channel name already existed, please use other name."
CHANNEL_NAME_CHARS = (
    "Channel.DisplayName doesn't contain allowed characters, please use the valid values."
)

# Operation names, for fail_next()/outage()/calls_to().
OPERATIONS: dict[str, tuple[str, ...]] = {
    "entra": ("openid_configuration", "instance_discovery", "token"),
    "botframework": ("bf_openid_configuration", "bf_keys"),
    "connector": (
        "create_conversation",
        "send",
        "reply",
        "update",
        "delete",
        "get_members",
        "get_member",
        "paged_members",
        "team_details",
        "team_conversations",
    ),
    "graph": (
        "get_user",
        "list_users",
        "list_user_apps",
        "install_user_app",
        "create_chat",
        "get_chat",
        "update_chat",
        "list_chat_members",
        "add_chat_member",
        "remove_chat_member",
        "remove_channel_member",
        "list_chat_apps",
        "install_chat_app",
        "list_pins",
        "pin",
        "unpin",
        "post_chat_message",
        "get_chat_message",
        "list_catalog_apps",
        "get_team",
        "list_team_members",
        "add_team_member",
        "list_team_apps",
        "install_team_app",
        "list_channels",
        "create_channel",
        "get_channel",
        "update_channel",
        "list_channel_members",
        "add_channel_member",
        "archive_channel",
        "unarchive_channel",
        "post_channel_message",
        "get_operation",
    ),
}
_SERVICE_OF = {op: service for service, ops in OPERATIONS.items() for op in ops}
_STATUSES = {status.value for status in HTTPStatus}
_ALNUM = string.ascii_letters + string.digits
_BIND_USER = re.compile(r"users\('([^']+)'\)|users/([^/?'\s]+)")


# -- state ------------------------------------------------------------------------


@dataclass
class FakeUser:
    """A person. ``id`` is the Entra object id (Graph, ``aadObjectId``); ``teams_id``
    the bot-scoped ``29:`` id the connector uses; the UPN is the email."""

    id: str
    email: str
    name: str
    teams_id: str
    in_tenant: bool = True
    enabled: bool = True
    app_installed: bool = False  # the app is installed in the user's personal scope
    blocked_bot: bool = False  # connector sends to the personal chat: 403
    personal_conversation_id: str | None = None

    @property
    def aad_object_id(self) -> str:
        return self.id

    @property
    def upn(self) -> str:
        return self.email

    @property
    def given_name(self) -> str:
        return self.name.split(" ", 1)[0]

    @property
    def surname(self) -> str:
        parts = self.name.split(" ", 1)
        return parts[1] if len(parts) > 1 else ""


@dataclass
class FakeMember:
    membership_id: str
    user_id: str
    roles: list[str] = field(default_factory=list)

    @property
    def is_owner(self) -> bool:
        return "owner" in self.roles


@dataclass
class FakeApp:
    catalog_id: str
    external_id: str
    display_name: str
    bot_id: str  # the Entra app id of the app's bot


@dataclass
class FakeTeam:
    id: str  # the Microsoft 365 group id (Graph)
    name: str
    general_channel_id: str  # also the connector's team id (channelData.team.id)
    members: dict[str, FakeMember] = field(default_factory=dict)  # by user id
    apps: dict[str, str] = field(default_factory=dict)  # installation id → catalog id
    bot_installed: bool = False


@dataclass
class FakeConversation:
    """A personal chat, group chat or channel. Chats and channels keep their Graph
    id as their connector conversation id."""

    id: str
    kind: str  # "personal" | "groupChat" | "channel"
    topic: str | None = None  # group chat topic or channel displayName
    members: dict[str, FakeMember] = field(default_factory=dict)  # by user id
    bot_installed: bool = False  # group chats (channels/personal: computed)
    team_id: str | None = None
    membership_type: str = "standard"  # channels: standard | private | shared
    description: str = ""
    is_general: bool = False
    user_id: str | None = None  # personal: the user
    apps: dict[str, str] = field(default_factory=dict)  # installation id → catalog id
    pins: dict[str, str] = field(default_factory=dict)  # pinned id → message id
    created: str = ""
    archive_at: float | None = None  # clock() when an archive completes
    # The fake's clock (archives complete after a delay measured on it).
    _now: Callable[[], float] = field(repr=False, kw_only=True)

    @property
    def archived(self) -> bool:
        return self.archive_at is not None and self._now() >= self.archive_at

    @property
    def chat_type(self) -> str:
        return {"personal": "oneOnOne", "groupChat": "group"}.get(self.kind, self.kind)


@dataclass
class FakeActivity:
    id: str
    conversation_id: str  # without ;messageid=
    type: str
    text: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    value: Any = None
    reply_to_id: str | None = None
    thread_id: str | None = None  # channel thread root id
    from_id: str = ""
    from_name: str = ""
    from_bot: bool = False
    timestamp: str = ""
    activity: dict[str, Any] = field(default_factory=dict)  # the latest full JSON
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions
    deleted: bool = False

    @property
    def updates(self) -> int:
        return len(self.history)

    @property
    def cards(self) -> list[dict[str, Any]]:
        """Adaptive Card contents among the attachments."""
        return [
            a["content"]
            for a in self.attachments
            if a.get("contentType") == ADAPTIVE_CARD and isinstance(a.get("content"), dict)
        ]


@dataclass
class FakeCall:
    service: str  # entra | connector | graph | botframework
    op: str  # see OPERATIONS; "unknown" for unrouted paths
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None  # parsed JSON or form (client_secret redacted)
    status: int = 0
    code: str | None = None  # error code answered, if any
    time: float = 0.0  # FakeTeams.clock() at arrival


@dataclass
class FakeToken:
    scope: str
    audience: str
    expires_at: float  # clock()
    client_id: str


@dataclass
class _Operation:
    id: str
    team_id: str
    channel_id: str
    kind: str
    done_at: float


class TeamsError(Exception):
    """An error answer; rendered in the shape of the service that raised it."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


@dataclass
class _Request:
    op: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    call: FakeCall
    authorization: str = ""  # the raw header, for HTTP Basic client auth only


@dataclass
class _Reply:
    status: int = 200
    body: Any = None  # None: empty body
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[_Request], _Reply]


# -- small helpers ------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _alnum(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def _utf16_size(obj: Any) -> int:
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-16-le"))


def _bound_user(bind: Any) -> str | None:
    """The id or UPN in ``https://graph.microsoft.com/v1.0/users('<x>')``."""
    if not isinstance(bind, str):
        return None
    match = _BIND_USER.search(bind)
    if match is None:
        return None
    return unquote(match.group(1) or match.group(2))


def _bound_tail(bind: Any, collection: str) -> str | None:
    """The id after ``/{collection}/`` (or ``{collection}('x')``) in a bind URL."""
    if not isinstance(bind, str):
        return None
    match = re.search(rf"{re.escape(collection)}(?:/([^/?]+)|\('([^']+)'\))", bind)
    if match is None:
        return None
    return unquote(match.group(1) or match.group(2))


def _eq_filter(expression: str, fields: Iterable[str]) -> list[tuple[str, str]]:
    """``a eq 'x' or b eq 'y'`` → [(a, x), (b, y)]; 400 for anything else."""
    wanted = {f.lower(): f for f in fields}
    out: list[tuple[str, str]] = []
    for clause in re.split(r"\s+(?:or|and)\s+", expression.strip(), flags=re.IGNORECASE):
        match = re.fullmatch(r"\s*([\w/]+)\s+eq\s+'((?:[^']|'')*)'\s*", clause, re.IGNORECASE)
        if match is None or match.group(1).lower() not in wanted:
            raise TeamsError(
                400,
                "Request_UnsupportedQuery",
                f"Unsupported or invalid query filter clause specified: {clause.strip()!r}.",
            )
        out.append((wanted[match.group(1).lower()], match.group(2).replace("''", "'")))
    return out


# -- Bot Framework token issuer ------------------------------------------------------

_KEY_POOL: list[rsa.RSAPrivateKey] = []


def _pool_key(index: int) -> rsa.RSAPrivateKey:
    """RSA keys are slow to make: share a pool across issuers (fresh kids each)."""
    while len(_KEY_POOL) <= index:
        _KEY_POOL.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _KEY_POOL[index]


@dataclass
class _SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    endorsements: list[str]
    published: bool

    def jwk(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": public["n"],
            "e": public["e"],
            "endorsements": list(self.endorsements),
        }

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


class FakeBotFrameworkIssuer:
    """Mints Bot Framework channel tokens (what Teams sends to ``/api/messages``).

    Keys: ``current`` (published, endorsed for ``msteams``), ``unendorsed``
    (published, endorsements ``["skype"]`` only) and ``pending`` (signs tokens but is
    not in the JWKS until ``rotate()``). ``FakeTeams`` serves ``metadata()`` and
    ``jwks()`` and counts the fetches.
    """

    def __init__(self, *, app_id: str, service_url: str = "", jwks_uri: str = "") -> None:
        self.app_id = app_id
        self.service_url = service_url
        self.jwks_uri = jwks_uri
        self.wall_clock: Callable[[], float] = time.time
        self.metadata_fetches = 0
        self.jwks_fetches = 0
        self._pool_index = itertools.count()
        self.keys: list[_SigningKey] = []
        self.current = self._new_key(published=True)
        self.unendorsed = self._new_key(published=True, endorsements=["skype"])
        self.pending = self._new_key(published=False)

    def _new_key(self, *, published: bool, endorsements: list[str] | None = None) -> _SigningKey:
        key = _SigningKey(
            kid=_b64url(secrets.token_bytes(12)),
            private_key=_pool_key(next(self._pool_index)),
            endorsements=["msteams"] if endorsements is None else endorsements,
            published=published,
        )
        self.keys.append(key)
        return key

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": BOTFRAMEWORK_ISSUER,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": self.jwks_uri,
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.jwk() for key in self.keys if key.published]}

    def rotate(self) -> str:
        """Publish the pending key and sign with it from now on (old keys stay
        published); returns its kid."""
        self.pending.published = True
        self.current = self.pending
        self.pending = self._new_key(published=False)
        return self.current.kid

    def mint(
        self,
        activity_or_service_url: Mapping[str, Any] | str | None = None,
        *,
        audience: str | None = None,
        issuer: str | None = None,
        service_url: str | None = None,
        expired: bool = False,
        lifetime: float = 3600.0,
        not_before: float | None = None,
        unendorsed: bool = False,
        unpublished: bool = False,
        alg: str = "RS256",
        claims: Mapping[str, Any] | None = None,
        drop: Iterable[str] = (),
    ) -> str:
        """A channel JWT for an activity (its ``serviceUrl``) or a service URL.

        Negative cases: ``audience=``/``issuer=`` (wrong aud/iss), ``expired=True``
        (expired ten minutes ago, beyond 5 minutes of skew), ``not_before=`` (an
        absolute time), ``unendorsed=True`` (a published key without ``msteams``),
        ``service_url=`` (a ``serviceurl`` claim that differs from the activity's),
        ``unpublished=True`` (a kid the JWKS does not list until ``rotate()``),
        ``alg="none"`` (unsigned) and ``alg="HS256"`` (HMAC keyed with the current
        key's public PEM); ``alg="RS384"``/``"RS512"`` sign properly with those.
        ``claims`` overrides or adds claims; ``drop`` removes.
        """
        if isinstance(activity_or_service_url, Mapping):
            url = str(activity_or_service_url.get("serviceUrl", ""))
        else:
            url = activity_or_service_url or self.service_url
        now = int(self.wall_clock())
        if expired:
            issued, expires = now - 4200, now - 600
        else:
            issued, expires = now - 5, now + int(lifetime)
        payload: dict[str, Any] = {
            "serviceurl": service_url if service_url is not None else url,
            "nbf": int(not_before) if not_before is not None else issued,
            "iat": issued,
            "exp": expires,
            "iss": issuer if issuer is not None else BOTFRAMEWORK_ISSUER,
            "aud": audience if audience is not None else self.app_id,
        }
        payload.update(claims or {})
        for name in drop:
            payload.pop(name, None)
        key = self.unendorsed if unendorsed else self.pending if unpublished else self.current
        if alg in ("RS256", "RS384", "RS512"):
            return jwt.encode(payload, key.private_key, algorithm=alg, headers={"kid": key.kid})
        header = {"alg": alg, "typ": "JWT", "kid": key.kid}
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(payload, separators=(",", ":")).encode())
        )
        if alg == "none":
            return signing_input + "."
        if alg == "HS256":
            digest = hmac.new(key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
            return signing_input + "." + _b64url(digest)
        raise ValueError(f"unsupported alg for the fake issuer: {alg}")


# -- the fake ---------------------------------------------------------------------

DEFAULT_APP_ID = "0b0b0b0b-1111-4222-8333-444444444444"


class FakeTeams(LoopbackServer):
    """aiohttp web server on 127.0.0.1 with an ephemeral port, answering like Entra
    ID, the Bot Connector, Microsoft Graph and the Bot Framework key endpoints.

    Usable as ``async with FakeTeams(...) as teams:`` or with ``start()``/``stop()``.
    State is plain dataclasses: tests read and arrange it directly.
    """

    def __init__(
        self,
        *,
        tenant_id: str = "6f1a2b3c-0000-4000-8000-00000000a001",
        app_id: str = DEFAULT_APP_ID,
        app_password: str = "fake-client-secret",
        bot_name: str = "Teamaround",
        region: str = "uk",
        clock: Clock | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.tenant_id = tenant_id
        self.app_id = app_id
        self.app_password = app_password
        self.bot_name = bot_name
        self.bot_id = f"28:{app_id}"
        self.region = region

        self.wall_clock: Callable[[], float] = time.time

        self.users: dict[str, FakeUser] = {}  # by Entra object id
        self.teams: dict[str, FakeTeam] = {}  # by group id
        self.conversations: dict[str, FakeConversation] = {}
        self.activities: dict[str, list[FakeActivity]] = {}
        self.apps: dict[str, FakeApp] = {}  # by catalog id
        self.operations: dict[str, _Operation] = {}
        self.calls: list[FakeCall] = []
        self.tokens: dict[str, FakeToken] = {}
        self.tokens_issued: Counter[str] = Counter()

        self.send_limits: tuple[tuple[float, int], ...] = SEND_LIMITS
        self.read_limits: tuple[tuple[float, int], ...] = READ_LIMITS
        self.retry_after_header = True
        self.max_activity_bytes = MAX_ACTIVITY_BYTES
        self.min_group_chat_members = 2
        self.private_channel_bots = True
        self.archive_delay = 0.2  # seconds of clock() an archive takes

        self.issuer = FakeBotFrameworkIssuer(app_id=app_id)
        self._last_activity_ms = 0
        self._rate_log: dict[tuple[str, str], deque[float]] = {}
        self.login_url = ""
        self.service_url = ""
        self.graph_url = ""
        self.bf_metadata_url = ""
        self.bf_jwks_url = ""
        self._graph_routes = self._build_graph_routes()

    # -- lifecycle ----------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/login/{tail:.*}", self._serve_entra)
        app.router.add_route("*", "/connector/{region}/{tail:.*}", self._serve_connector)
        app.router.add_route("*", "/graph/{tail:.*}", self._serve_graph)
        app.router.add_route("*", "/botframework/{tail:.*}", self._serve_botframework)
        await self._listen(app)
        self.login_url = f"{self.url}/login"
        self.service_url = f"{self.url}/connector/{self.region}/"
        self.graph_url = f"{self.url}/graph"
        self.bf_metadata_url = f"{self.url}/botframework/v1/.well-known/openidconfiguration"
        self.bf_jwks_url = f"{self.url}/botframework/v1/.well-known/keys"
        self.issuer.service_url = self.service_url
        self.issuer.jwks_uri = self.bf_jwks_url

    @property
    def rewrites(self) -> dict[str, str]:
        """Real origin → fake base, for an HTTP client that rewrites URLs."""
        return {
            REAL_LOGIN: self.login_url,
            REAL_GRAPH: self.graph_url,
            REAL_BOTFRAMEWORK_LOGIN: f"{self.url}/botframework",
        }

    @property
    def jwks_fetches(self) -> int:
        return self.issuer.jwks_fetches

    @property
    def metadata_fetches(self) -> int:
        return self.issuer.metadata_fetches

    # -- ids and time -------------------------------------------------------------

    def _now_iso(self) -> str:
        moment = datetime.fromtimestamp(self.wall_clock(), UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _next_activity_id(self) -> str:
        ms = max(int(self.wall_clock() * 1000), self._last_activity_ms + 1)
        self._last_activity_ms = ms
        return f"{ms:013d}"

    def _membership_id(self, container: str, user_id: str) -> str:
        return _b64url(f"1#{self.tenant_id}#{container}#{user_id}".encode())

    def _new_conversation(self, conv_id: str, kind: str, **kwargs: Any) -> FakeConversation:
        conversation = FakeConversation(
            id=conv_id, kind=kind, created=self._now_iso(), _now=self.clock, **kwargs
        )
        self.conversations[conv_id] = conversation
        self.activities.setdefault(conv_id, [])
        return conversation

    # -- arranging state ----------------------------------------------------------

    def add_user(
        self, *, email: str, name: str, in_tenant: bool = True, enabled: bool = True
    ) -> FakeUser:
        """A person with an Entra object id (GUID), a bot-scoped ``29:`` id and
        UPN = email. ``in_tenant=False``: someone Graph cannot find."""
        user = FakeUser(
            id=str(uuid.uuid4()),
            email=email,
            name=name,
            teams_id=f"29:1{_alnum(42)}",
            in_tenant=in_tenant,
            enabled=enabled,
        )
        self.users[user.id] = user
        return user

    def add_team(
        self,
        name: str,
        *,
        members: Iterable[FakeUser] = (),
        owners: Iterable[FakeUser] = (),
        bot_installed: bool = False,
    ) -> str:
        """A team with its General channel; returns the team's group id."""
        team_id = str(uuid.uuid4())
        general = f"19:{uuid.uuid4().hex}@thread.tacv2"
        team = FakeTeam(id=team_id, name=name, general_channel_id=general)
        self.teams[team_id] = team
        self._new_conversation(general, "channel", topic="General", team_id=team_id)
        self.conversations[general].is_general = True
        for user in owners:
            self._add_team_member(team, user, ["owner"])
        for user in members:
            self._add_team_member(team, user, [])
        if bot_installed:
            self.install_in_team(team_id)
        return team_id

    def _add_team_member(self, team: FakeTeam, user: FakeUser, roles: list[str]) -> FakeMember:
        member = team.members.get(user.id)
        if member is None:
            member = FakeMember(self._membership_id(team.id, user.id), user.id, list(roles))
            team.members[user.id] = member
        return member

    def add_channel(
        self,
        team_id: str,
        name: str,
        *,
        membership_type: str = "standard",
        members: Iterable[FakeUser] = (),
        owners: Iterable[FakeUser] = (),
        description: str = "",
    ) -> str:
        """A channel that already exists; private-channel members join the team too."""
        team = self.teams[team_id]
        channel = self._new_conversation(
            f"19:{uuid.uuid4().hex}@thread.tacv2",
            "channel",
            topic=name,
            team_id=team_id,
            membership_type=membership_type,
            description=description,
        )
        for roles, people in ((["owner"], owners), ([], members)):
            for user in people:
                self._add_team_member(team, user, [])
                if membership_type != "standard":
                    channel.members[user.id] = FakeMember(
                        self._membership_id(channel.id, user.id), user.id, list(roles)
                    )
        return channel.id

    def add_group_chat(
        self, members: Iterable[FakeUser], *, topic: str | None = None, bot_installed: bool = True
    ) -> str:
        """A group chat that already exists (with the bot, by default)."""
        chat = self._new_conversation(f"19:{uuid.uuid4().hex}@thread.v2", "groupChat", topic=topic)
        for user in members:
            chat.members[user.id] = FakeMember(
                self._membership_id(chat.id, user.id), user.id, ["owner"]
            )
        chat.bot_installed = bot_installed
        return chat.id

    def publish_app(
        self, external_id: str, *, display_name: str | None = None, bot_id: str | None = None
    ) -> str:
        """Upload an app package to the org catalog; returns the catalog id. The app's
        bot is this fake's bot unless ``bot_id`` says otherwise."""
        catalog_id = str(uuid.uuid4())
        self.apps[catalog_id] = FakeApp(
            catalog_id=catalog_id,
            external_id=external_id,
            display_name=display_name or self.bot_name,
            bot_id=bot_id or self.app_id,
        )
        return catalog_id

    def personal_conversation(self, user: FakeUser) -> str:
        """The ``a:`` id of the bot's 1:1 chat with ``user`` (made on first use)."""
        if user.personal_conversation_id is None:
            conv = self._new_conversation(f"a:1{_alnum(60)}", "personal", user_id=user.id)
            conv.members[user.id] = FakeMember(
                self._membership_id(conv.id, user.id), user.id, ["owner"]
            )
            user.personal_conversation_id = conv.id
        return user.personal_conversation_id

    def install_for_user(self, user: FakeUser) -> str:
        """Install the app in ``user``'s personal scope; returns the conversation id."""
        user.app_installed = True
        return self.personal_conversation(user)

    def uninstall_for_user(self, user: FakeUser) -> None:
        user.app_installed = False

    def install_in_team(self, team_id: str) -> None:
        team = self.teams[team_id]
        team.bot_installed = True

    def install_in_chat(self, chat_id: str) -> None:
        self.conversations[chat_id].bot_installed = True

    def bot_in(self, conversation_id: str) -> bool:
        """Whether the connector accepts posts to this conversation."""
        conv = self.conversations.get(conversation_id.split(";", 1)[0])
        return conv is not None and self._bot_present(conv)

    def _bot_present(self, conv: FakeConversation) -> bool:
        if conv.kind == "personal":
            return conv.user_id is not None and self.users[conv.user_id].app_installed
        if conv.kind in ("groupChat", "oneOnOne"):
            return conv.bot_installed
        team = self.teams.get(conv.team_id or "")
        if team is None or not team.bot_installed:
            return False
        return conv.membership_type == "standard" or self.private_channel_bots

    # -- finding state ------------------------------------------------------------

    def user_by_email(self, email: str) -> FakeUser | None:
        for user in self.users.values():
            if user.email.lower() == email.lower():
                return user
        return None

    def _user_by_any(self, ref: str, *, graph: bool = True) -> FakeUser | None:
        """By Entra id, UPN/email or 29: id; Graph cannot see out-of-tenant users."""
        lowered = ref.lower()
        for user in self.users.values():
            if graph and not user.in_tenant:
                continue
            if lowered in (user.id.lower(), user.email.lower(), user.teams_id.lower()):
                return user
        return None

    def chat_with_topic(self, topic: str) -> FakeConversation | None:
        for conv in self.conversations.values():
            if conv.kind == "groupChat" and conv.topic == topic:
                return conv
        return None

    def channel_named(self, name: str, team_id: str | None = None) -> FakeConversation | None:
        for conv in self.conversations.values():
            if (
                conv.kind == "channel"
                and conv.topic == name
                and (team_id is None or conv.team_id == team_id)
            ):
                return conv
        return None

    def channels_of(self, team_id: str) -> list[FakeConversation]:
        return [c for c in self.conversations.values() if c.team_id == team_id]

    def messages_in(
        self, conversation_id: str, *, from_bot: bool | None = None
    ) -> list[FakeActivity]:
        """Live (not deleted) activities in order; ``…;messageid=X`` narrows to that
        channel thread."""
        base, _, thread = conversation_id.partition(";messageid=")
        return [
            a
            for a in self.activities.get(base, [])
            if not a.deleted
            and (not thread or a.thread_id == thread)
            and (from_bot is None or a.from_bot == from_bot)
        ]

    def find_activity(self, conversation_id: str, activity_id: str) -> FakeActivity | None:
        for activity in self.activities.get(conversation_id.split(";", 1)[0], []):
            if activity.id == activity_id:
                return activity
        return None

    def pinned_in(self, chat_id: str) -> list[FakeActivity]:
        conv = self.conversations[chat_id]
        found = [self.find_activity(chat_id, mid) for mid in conv.pins.values()]
        return [a for a in found if a is not None]

    def calls_to(self, op: str) -> list[FakeCall]:
        return [call for call in self.calls if call.op == op]

    def expire_tokens(self) -> None:
        """Make every issued access token expired (to test re-acquisition)."""
        for token in self.tokens.values():
            token.expires_at = -math.inf

    # -- failure injection --------------------------------------------------------

    def fail_next(
        self,
        route_or_op: str | None,
        *,
        status: int = 500,
        code: str | None = None,
        message: str | None = None,
        times: int = 1,
        retry_after: int | None = None,
        delay: float | None = None,
        apply_then_fail: bool = False,
    ) -> None:
        """Fail the next ``times`` requests to an operation (``"send"``,
        ``"create_chat"``, …), a whole service (``"connector"``, ``"graph"``,
        ``"entra"``, ``"botframework"``) or anything (``None``).

        The body is the service's error shape with ``code`` (default from the
        status: 429 ``TooManyRequests``, 412 ``PreconditionFailed``, …) and
        ``message``; ``retry_after`` adds a ``Retry-After`` header. ``status=200``
        with ``delay`` is just a slow answer. ``delay`` waits first (cut short by
        ``stop()``); ``apply_then_fail`` performs the request, then fails (the
        response was lost). ``outage(service=…)``, ``chaos()`` and ``heal()``
        come from the loopback base.
        """
        if route_or_op is not None and route_or_op not in (*OPERATIONS, *_SERVICE_OF):
            raise ValueError(f"unknown operation or service: {route_or_op!r}")
        self.inject(
            Fault(
                target=route_or_op,
                remaining=times,
                status=status,
                error=code,
                message=message,
                retry_after=retry_after,
                delay=delay,
                apply_then_fail=apply_then_fail,
            )
        )

    def outage(
        self,
        *,
        status: int = 503,
        seconds: float | None = None,
        target: str | None = None,
        service: str | None = None,
    ) -> None:
        """Every request (to ``service`` if given) fails with ``status`` until
        ``heal()`` (or for ``seconds`` of ``clock``)."""
        super().outage(status=status, seconds=seconds, target=service or target)

    def _throttle(self, kind: str, thread: str) -> int | None:
        """Seconds to wait if this request would exceed a B7 bucket, else None
        (and the request is counted)."""
        limits = self.send_limits if kind == "send" else self.read_limits
        if not limits:
            return None
        now = self.clock()
        log = self._rate_log.setdefault((kind, thread), deque())
        longest = max(window for window, _ in limits)
        while log and log[0] <= now - longest:
            log.popleft()
        wait = 0.0
        for window, limit in limits:
            recent = [t for t in log if t > now - window]
            if len(recent) >= limit:
                wait = max(wait, recent[-limit] + window - now)
        if wait > 0:
            return max(1, math.ceil(wait))
        log.append(now)
        return None

    def _throttled(self, seconds: int) -> TeamsError:
        headers = {"Retry-After": str(seconds)} if self.retry_after_header else {}
        return TeamsError(
            429, "TooManyRequests", "Too many requests. Retry after some time.", headers=headers
        )

    # -- HTTP plumbing ------------------------------------------------------------

    @staticmethod
    def _segments(request: web.Request, skip: int) -> list[str]:
        """Percent-decoded path segments after the first ``skip`` ones (so ``%2F``
        inside an id does not split it)."""
        raw = request.rel_url.raw_path.split("/")[1 + skip :]
        return [unquote(part) for part in raw if part != ""]

    async def _read_body(self, request: web.Request, service: str) -> Any:
        if request.method in ("GET", "HEAD") or not request.can_read_body:
            return None
        if service == "entra":
            form = await request.post()
            return {k: v for k, v in form.items() if isinstance(v, str)}
        raw = await request.read()
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            if service == "graph":
                raise TeamsError(
                    400, "BadRequest", "Unable to read JSON request payload."
                ) from None
            raise TeamsError(400, "BadSyntax", "The request body is not valid JSON.") from None

    def _authorize(self, request: web.Request, service: str) -> None:
        header = request.headers.get("Authorization", "")
        token = header[len("Bearer ") :].strip() if header.startswith("Bearer ") else ""
        record = self.tokens.get(token)
        audience = BOTFRAMEWORK_AUDIENCE if service == "connector" else GRAPH_AUDIENCE
        expired = record is not None and self.clock() >= record.expires_at
        if record is not None and record.audience == audience and not expired:
            return
        if service == "connector":
            raise TeamsError(401, "Unauthorized", "Authorization has been denied for this request.")
        if not token:
            message = "Access token is empty."
        elif record is None:
            message = "Access token validation failure."
        elif record.audience != audience:
            message = "Access token validation failure. Invalid audience."
        else:
            message = "Lifetime validation failed, the token is expired."
        raise TeamsError(401, "InvalidAuthenticationToken", message)

    @staticmethod
    def _default_code(service: str, status: int) -> str:
        if service == "entra":
            return "temporarily_unavailable" if status >= 429 else "invalid_request"
        codes = {
            400: "BadRequest" if service == "graph" else "BadArgument",
            401: "Unauthorized",
            403: "Forbidden",
            404: "NotFound",
            409: "Conflict",
            412: "PreconditionFailed",
            413: "MessageSizeTooBig",
            429: "TooManyRequests",
            500: "InternalServerError",
            502: "BadGateway",
            503: "ServiceUnavailable",
            504: "GatewayTimeout",
        }
        return codes.get(status, "ServiceError")

    def _failure_error(self, failure: Fault, service: str) -> TeamsError | None:
        if failure.status == 200:
            return None
        headers: dict[str, str] = {}
        retry_after = failure.retry_after
        if failure.status == 429 and retry_after is None and service == "graph":
            retry_after = 1  # Graph always says when to come back
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        phrase = HTTPStatus(failure.status).phrase if failure.status in _STATUSES else "Error"
        return TeamsError(
            failure.status,
            failure.error or self._default_code(service, failure.status),
            failure.message or f"{phrase} (injected by the fake)",
            headers=headers,
        )

    def _error_body(self, service: str, exc: TeamsError) -> dict[str, Any]:
        if service == "entra":
            stamp = self._now_iso()
            trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
            codes = list(exc.extra.get("error_codes", []))
            body: dict[str, Any] = {
                "error": exc.code,
                "error_description": (
                    f"{exc.message}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}"
                    f"\r\nTimestamp: {stamp}"
                ),
                "error_codes": codes,
                "timestamp": stamp,
                "trace_id": trace,
                "correlation_id": correlation,
            }
            if codes:
                body["error_uri"] = f"{REAL_LOGIN}/error?code={codes[0]}"
            return body
        error: dict[str, Any] = {"code": exc.code, "message": exc.message, **exc.extra}
        if service == "graph":
            request_id = str(uuid.uuid4())
            error["innerError"] = {
                "date": self._now_iso()[:19],
                "request-id": request_id,
                "client-request-id": request_id,
            }
        return {"error": error}

    async def _handle(
        self,
        request: web.Request,
        service: str,
        resolve: Callable[[web.Request], tuple[str, Handler, dict[str, str]]],
        *,
        authorize: bool,
    ) -> web.Response:
        call = FakeCall(
            service=service,
            op="unknown",
            method=request.method,
            path=request.path,
            query=dict(request.query),
            time=self.clock(),
        )
        self.calls.append(call)
        try:
            op, handler, params = resolve(request)
            call.op = op
            body = await self._read_body(request, service)
            if isinstance(body, dict) and "client_secret" in body:
                call.body = {**body, "client_secret": "***"}
            else:
                call.body = body
            if authorize:
                self._authorize(request, service)
            failure = self._take_fault(service, op)
            if failure is not None and not failure.apply_then_fail:
                if failure.delay:
                    await self._sleep(failure.delay)
                early = self._failure_error(failure, service)
                if early is not None:
                    raise early
            reply = handler(
                _Request(
                    op,
                    params,
                    dict(request.query),
                    body,
                    call,
                    authorization=request.headers.get("Authorization", ""),
                )
            )
            if failure is not None and failure.apply_then_fail:
                if failure.delay:
                    await self._sleep(failure.delay)
                late = self._failure_error(failure, service)
                if late is not None:
                    raise late
        except TeamsError as exc:
            call.status, call.code = exc.status, exc.code
            return web.json_response(
                self._error_body(service, exc), status=exc.status, headers=exc.headers
            )
        except Exception as exc:  # a bug in the fake: answer, then re-raise at stop()
            self.internal_errors.append(exc)
            call.status, call.code = 500, "fake_teams_internal_error"
            return web.Response(status=500, text=f"fake teams bug: {exc!r}")
        call.status = reply.status
        if reply.body is None:
            return web.Response(status=reply.status, headers=reply.headers)
        return web.json_response(reply.body, status=reply.status, headers=reply.headers)

    # -- Entra ID -------------------------------------------------------------------

    async def _serve_entra(self, request: web.Request) -> web.Response:
        return await self._handle(request, "entra", self._resolve_entra, authorize=False)

    def _resolve_entra(self, request: web.Request) -> tuple[str, Handler, dict[str, str]]:
        segs = self._segments(request, 1)
        verb = request.method
        lowered = [s.lower() for s in segs]
        if verb == "GET" and lowered == ["common", "discovery", "instance"]:
            return "instance_discovery", self._instance_discovery, {}
        if verb == "GET" and len(segs) == 4 and segs[1:] == OPENID_PATH:
            return "openid_configuration", self._openid_configuration, {"tenant": segs[0]}
        if verb == "POST" and len(segs) == 4 and segs[1:] == ["oauth2", "v2.0", "token"]:
            return "token", self._token, {"tenant": segs[0]}
        raise TeamsError(
            404, "invalid_request", "AADSTS900561: The endpoint only accepts known requests."
        )

    def _check_tenant(self, tenant: str) -> None:
        if tenant.lower() != self.tenant_id.lower():
            raise TeamsError(
                400,
                "invalid_tenant",
                f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the "
                "correct tenant ID and are signing into the correct cloud.",
                extra={"error_codes": [90002]},
            )

    def _openid_configuration(self, req: _Request) -> _Reply:
        tenant = req.params["tenant"]
        self._check_tenant(tenant)
        root = f"{REAL_LOGIN}/{self.tenant_id}"
        return _Reply(
            200,
            {
                "token_endpoint": f"{root}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{root}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{root}/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
                "kerberos_endpoint": f"{root}/kerberos",
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.com",
                "rbac_url": "https://pas.windows.net",
            },
        )

    def _instance_discovery(self, req: _Request) -> _Reply:
        endpoint = req.query.get("authorization_endpoint", "")
        parts = urlsplit(endpoint).path.split("/")
        tenant = parts[1] if len(parts) > 1 and parts[1] else "common"
        return _Reply(
            200,
            {
                "tenant_discovery_endpoint": (
                    f"{REAL_LOGIN}/{tenant}/v2.0/.well-known/openid-configuration"
                ),
                "api-version": "1.1",
                "metadata": [
                    {
                        "preferred_network": "login.microsoftonline.com",
                        "preferred_cache": "login.windows.net",
                        "aliases": [
                            "login.microsoftonline.com",
                            "login.windows.net",
                            "login.microsoft.com",
                            "sts.windows.net",
                        ],
                    }
                ],
            },
        )

    def _token(self, req: _Request) -> _Reply:
        self._check_tenant(req.params["tenant"])
        form: dict[str, str] = dict(req.body or {})
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if req.authorization.startswith("Basic "):
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                decoded = base64.b64decode(req.authorization[6:]).decode()
                client_id, _, client_secret = (unquote(p) for p in decoded.partition(":"))
        grant = form.get("grant_type", "")
        if grant != "client_credentials":
            raise TeamsError(
                400,
                "unsupported_grant_type",
                f"AADSTS70003: The app requested an unsupported grant type '{grant}'.",
                extra={"error_codes": [70003]},
            )
        if client_id != self.app_id:
            raise TeamsError(
                400,
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{client_id}' was not found in the "
                f"directory '{self.tenant_id}'. This can happen if the application has not been "
                "installed by the administrator of the tenant or consented to by any user in "
                "the tenant.",
                extra={"error_codes": [700016]},
            )
        if client_secret != self.app_password:
            raise TeamsError(
                401,
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in "
                "the request is the client secret value, not the client secret ID, for a "
                f"secret added to app '{self.app_id}'.",
                extra={"error_codes": [7000215]},
            )
        scopes = [s for s in form.get("scope", "").split() if s not in RESERVED_SCOPES]
        if len(scopes) != 1 or scopes[0] not in KNOWN_SCOPES:
            shown = " ".join(scopes) or "(none)"
            raise TeamsError(
                400,
                "invalid_scope",
                f"AADSTS70011: The provided request must include a 'scope' input parameter. "
                f"The provided value for the input parameter 'scope' is not valid. The scope "
                f"{shown} is not valid.",
                extra={"error_codes": [70011]},
            )
        scope = scopes[0]
        token = secrets.token_urlsafe(48)
        self.tokens[token] = FakeToken(
            scope=scope,
            audience=KNOWN_SCOPES[scope],
            expires_at=self.clock() + TOKEN_LIFETIME,
            client_id=client_id,
        )
        self.tokens_issued[scope] += 1
        return _Reply(
            200,
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "ext_expires_in": TOKEN_LIFETIME,
                "access_token": token,
            },
        )

    # -- Bot Framework keys -----------------------------------------------------------

    async def _serve_botframework(self, request: web.Request) -> web.Response:
        return await self._handle(request, "botframework", self._resolve_bf, authorize=False)

    def _resolve_bf(self, request: web.Request) -> tuple[str, Handler, dict[str, str]]:
        segs = self._segments(request, 1)
        if request.method == "GET" and segs == ["v1", ".well-known", "openidconfiguration"]:
            return "bf_openid_configuration", self._bf_metadata, {}
        if request.method == "GET" and segs == ["v1", ".well-known", "keys"]:
            return "bf_keys", self._bf_keys, {}
        raise TeamsError(404, "NotFound", "No such Bot Framework endpoint.")

    def _bf_metadata(self, req: _Request) -> _Reply:
        self.issuer.metadata_fetches += 1
        return _Reply(200, self.issuer.metadata())

    def _bf_keys(self, req: _Request) -> _Reply:
        self.issuer.jwks_fetches += 1
        return _Reply(200, self.issuer.jwks())

    # -- Bot Connector ----------------------------------------------------------------

    async def _serve_connector(self, request: web.Request) -> web.Response:
        return await self._handle(request, "connector", self._resolve_connector, authorize=True)

    def _resolve_connector(self, request: web.Request) -> tuple[str, Handler, dict[str, str]]:
        segs = self._segments(request, 2)
        verb = request.method
        found: tuple[str, Handler, dict[str, str]] | None = None
        path_known = True
        match segs:
            case ["v3", "conversations"]:
                if verb == "POST":
                    found = ("create_conversation", self._create_conversation, {})
            case ["v3", "conversations", conv, "activities"]:
                if verb == "POST":
                    found = ("send", self._send, {"conversation": conv})
            case ["v3", "conversations", conv, "activities", activity]:
                params = {"conversation": conv, "activity": activity}
                handlers: dict[str, tuple[str, Handler]] = {
                    "POST": ("reply", self._reply),
                    "PUT": ("update", self._update),
                    "DELETE": ("delete", self._delete),
                }
                if verb in handlers:
                    found = (*handlers[verb], params)
            case ["v3", "conversations", conv, "members"]:
                if verb == "GET":
                    found = ("get_members", self._get_members, {"conversation": conv})
            case ["v3", "conversations", conv, "members", member]:
                if verb == "GET":
                    params = {"conversation": conv, "member": member}
                    found = ("get_member", self._get_member, params)
            case ["v3", "conversations", conv, "pagedmembers"]:
                if verb == "GET":
                    found = ("paged_members", self._paged_members, {"conversation": conv})
            case ["v3", "teams", team]:
                if verb == "GET":
                    found = ("team_details", self._team_details, {"team": team})
            case ["v3", "teams", team, "conversations"]:
                if verb == "GET":
                    found = ("team_conversations", self._team_conversations, {"team": team})
            case _:
                path_known = False
        if found is not None:
            return found
        if path_known:
            raise TeamsError(405, "MethodNotAllowed", f"{verb} is not supported here.")
        raise TeamsError(404, "NotFound", f"No Bot Connector route for /{'/'.join(segs)}.")

    def _connector_conversation(self, ref: str) -> tuple[FakeConversation, str | None]:
        """The conversation (bot must be in it) and the channel thread root, if any."""
        base, _, thread = ref.partition(";messageid=")
        conv = self.conversations.get(base)
        if conv is None:
            raise TeamsError(404, "ConversationNotFound", "Conversation not found.")
        if not self._bot_present(conv):
            raise TeamsError(
                403,
                "BotNotInConversationRoster",
                "The bot is not part of the conversation roster.",
            )
        if conv.kind != "channel":
            return conv, None
        if thread and self.find_activity(base, thread) is None:
            raise TeamsError(404, "ConversationNotFound", f"Thread {thread} not found.")
        return conv, thread or None

    def _check_writable(self, conv: FakeConversation) -> None:
        if conv.kind == "channel" and conv.archived:
            raise TeamsError(
                403, "MessageWritesBlocked", "Message writes are blocked: the channel is archived."
            )
        if conv.kind == "personal" and conv.user_id and self.users[conv.user_id].blocked_bot:
            raise TeamsError(
                403, "ConversationBlockedByUser", "User blocked the conversation with the bot."
            )

    def _check_activity(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise TeamsError(400, "BadArgument", "The request body must be an activity object.")
        size = _utf16_size(body)
        if size > self.max_activity_bytes:
            raise TeamsError(
                413,
                "MessageSizeTooBig",
                f"Message size too big: {size} bytes (UTF-16) is over the limit of "
                f"{self.max_activity_bytes}.",
            )
        kind = body.get("type")
        if not isinstance(kind, str) or not kind:
            raise TeamsError(400, "BadArgument", "Activity type is required.")
        if kind not in ("message", "typing"):
            raise TeamsError(400, "BadArgument", f"Unknown activity type '{kind}'.")
        if kind == "typing":
            return body
        attachments = body.get("attachments", [])
        if attachments is None:
            attachments = []
        if not isinstance(attachments, list):
            raise TeamsError(400, "BadArgument", "Activity attachments must be a list.")
        for i, attachment in enumerate(attachments):
            if not isinstance(attachment, dict) or not isinstance(
                attachment.get("contentType"), str
            ):
                raise TeamsError(400, "BadArgument", f"Attachment {i} has no contentType.")
            if attachment["contentType"] == ADAPTIVE_CARD:
                content = attachment.get("content")
                if not isinstance(content, dict):
                    raise TeamsError(
                        400, "BadArgument", f"Adaptive Card attachment {i} has no content."
                    )
                if content.get("type") != "AdaptiveCard":
                    raise TeamsError(
                        400,
                        "BadArgument",
                        f"Adaptive Card attachment {i}: content type must be 'AdaptiveCard'.",
                    )
        entities = body.get("entities", [])
        if entities is not None and not (
            isinstance(entities, list) and all(isinstance(e, dict) for e in entities)
        ):
            raise TeamsError(400, "BadArgument", "Activity entities must be a list of objects.")
        text = body.get("text")
        if text is not None and not isinstance(text, str):
            raise TeamsError(400, "BadArgument", "Activity text must be a string.")
        if not text and not attachments and body.get("value") is None:
            raise TeamsError(
                400, "BadArgument", "A message activity needs text, attachments or a value."
            )
        return body

    def _conversation_account(
        self, conv: FakeConversation, thread_id: str | None = None
    ) -> dict[str, Any]:
        conv_id = conv.id if thread_id is None else f"{conv.id};messageid={thread_id}"
        out: dict[str, Any] = {
            "id": conv_id,
            "conversationType": "personal" if conv.kind == "oneOnOne" else conv.kind,
            "tenantId": self.tenant_id,
        }
        if conv.kind in ("groupChat", "channel"):
            out["isGroup"] = True
        if conv.kind == "channel" and conv.topic:
            out["name"] = conv.topic
        return out

    def _record_bot_activity(
        self,
        conv: FakeConversation,
        body: dict[str, Any],
        *,
        thread_id: str | None,
        reply_to_id: str | None,
    ) -> FakeActivity:
        activity_id = self._next_activity_id()
        if conv.kind == "channel" and thread_id is None:
            thread_id = activity_id  # a new root post starts its own thread
        if conv.kind != "channel":
            thread_id = None
        stamp = self._now_iso()
        full = {
            **body,
            "id": activity_id,
            "timestamp": stamp,
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": {"id": self.bot_id, "name": self.bot_name},
            "conversation": self._conversation_account(conv, thread_id),
        }
        if reply_to_id is not None:
            full["replyToId"] = reply_to_id
        activity = FakeActivity(
            id=activity_id,
            conversation_id=conv.id,
            type=str(body["type"]),
            text=str(body.get("text") or ""),
            attachments=list(body.get("attachments") or []),
            entities=list(body.get("entities") or []),
            value=body.get("value"),
            reply_to_id=reply_to_id,
            thread_id=thread_id,
            from_id=self.bot_id,
            from_name=self.bot_name,
            from_bot=True,
            timestamp=stamp,
            activity=full,
        )
        self.activities.setdefault(conv.id, []).append(activity)
        return activity

    def _send_into(
        self,
        conv: FakeConversation,
        body: Any,
        *,
        thread_id: str | None,
        reply_to_id: str | None = None,
    ) -> FakeActivity | None:
        """Validate, throttle and record; None for typing activities."""
        self._check_writable(conv)
        activity = self._check_activity(body)
        wait = self._throttle("send", conv.id)
        if wait is not None:
            raise self._throttled(wait)
        if activity["type"] == "typing":
            return None
        reply_to = reply_to_id or activity.get("replyToId")
        return self._record_bot_activity(
            conv, activity, thread_id=thread_id, reply_to_id=reply_to or None
        )

    def _create_conversation(self, req: _Request) -> _Reply:
        body = req.body
        if not isinstance(body, dict):
            raise TeamsError(400, "BadArgument", "Conversation parameters are required.")
        channel_data = body.get("channelData") if isinstance(body.get("channelData"), dict) else {}
        assert isinstance(channel_data, dict)
        channel = channel_data.get("channel")
        channel_ref = channel.get("id") if isinstance(channel, dict) else None
        tenant = channel_data.get("tenant")
        tenant_id = (tenant.get("id") if isinstance(tenant, dict) else None) or body.get("tenantId")
        bot = body.get("bot")
        if isinstance(bot, dict) and bot.get("id") not in (None, self.bot_id, self.app_id):
            raise TeamsError(400, "BadArgument", f"Unknown bot id '{bot.get('id')}'.")
        if tenant_id is not None and str(tenant_id).lower() != self.tenant_id.lower():
            raise TeamsError(400, "BadArgument", f"Unknown tenant '{tenant_id}'.")
        activity_body = body.get("activity")

        if body.get("isGroup") and channel_ref:
            conv = self.conversations.get(str(channel_ref))
            if conv is None or conv.kind != "channel":
                raise TeamsError(404, "ConversationNotFound", "Channel not found.")
            conv, _ = self._connector_conversation(conv.id)
            if activity_body is None:
                raise TeamsError(400, "BadArgument", "Starting a channel thread needs an activity.")
            sent = self._send_into(conv, activity_body, thread_id=None)
            if sent is None:
                raise TeamsError(
                    400, "BadArgument", "A thread cannot start with a typing activity."
                )
            return _Reply(
                201,
                {
                    "id": f"{conv.id};messageid={sent.id}",
                    "activityId": sent.id,
                    "serviceUrl": self.service_url,
                },
            )

        members = body.get("members")
        if body.get("isGroup") or not isinstance(members, list) or len(members) != 1:
            raise TeamsError(
                400,
                "BadArgument",
                "Only channel threads (isGroup + channelData.channel) and 1:1 conversations "
                "(one member) can be created.",
            )
        if tenant_id is None:
            raise TeamsError(400, "BadArgument", "A tenant id (channelData.tenant.id) is required.")
        member = members[0]
        ref = member.get("id") if isinstance(member, dict) else None
        user = self._user_by_any(str(ref), graph=False) if ref else None
        if user is None:
            raise TeamsError(400, "BadArgument", f"Member '{ref}' was not found in the tenant.")
        if not user.app_installed:
            raise TeamsError(
                403,
                "BotNotInConversationRoster",
                "The bot is not part of the conversation roster.",
            )
        conv = self.conversations[self.personal_conversation(user)]
        if activity_body is None:
            wait = self._throttle("send", conv.id)
            if wait is not None:
                raise self._throttled(wait)
            return _Reply(201, {"id": conv.id})
        sent = self._send_into(conv, activity_body, thread_id=None)
        out: dict[str, Any] = {"id": conv.id}
        if sent is not None:
            out["activityId"] = sent.id
        return _Reply(201, out)

    def _send(self, req: _Request) -> _Reply:
        conv, thread = self._connector_conversation(req.params["conversation"])
        sent = self._send_into(conv, req.body, thread_id=thread)
        return _Reply(200, {}) if sent is None else _Reply(201, {"id": sent.id})

    def _target_activity(self, conv: FakeConversation, activity_id: str) -> FakeActivity:
        target = self.find_activity(conv.id, activity_id)
        if target is None or target.deleted:
            raise TeamsError(404, "ActivityNotFound", f"Activity {activity_id} not found.")
        return target

    def _reply(self, req: _Request) -> _Reply:
        conv, thread = self._connector_conversation(req.params["conversation"])
        target = self._target_activity(conv, req.params["activity"])
        sent = self._send_into(
            conv, req.body, thread_id=target.thread_id or thread, reply_to_id=target.id
        )
        return _Reply(200, {}) if sent is None else _Reply(201, {"id": sent.id})

    def _own_activity(self, req: _Request) -> tuple[FakeConversation, FakeActivity]:
        conv, _ = self._connector_conversation(req.params["conversation"])
        target = self._target_activity(conv, req.params["activity"])
        if not target.from_bot:
            raise TeamsError(403, "Forbidden", "The bot can only change its own messages.")
        return conv, target

    def _update(self, req: _Request) -> _Reply:
        conv, target = self._own_activity(req)
        self._check_writable(conv)
        body = self._check_activity(req.body)
        if body["type"] != "message":
            raise TeamsError(400, "BadArgument", "Only message activities can be updated.")
        target.history.append(target.activity)
        target.text = str(body.get("text") or "")
        target.attachments = list(body.get("attachments") or [])
        target.entities = list(body.get("entities") or [])
        target.value = body.get("value")
        target.activity = {
            **body,
            "id": target.id,
            "timestamp": target.timestamp,
            "lastModifiedTimestamp": self._now_iso(),
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": {"id": self.bot_id, "name": self.bot_name},
            "conversation": self._conversation_account(conv, target.thread_id),
        }
        if target.reply_to_id is not None:
            target.activity["replyToId"] = target.reply_to_id
        return _Reply(200, {"id": target.id})

    def _delete(self, req: _Request) -> _Reply:
        _, target = self._own_activity(req)
        target.deleted = True
        return _Reply(200, None)

    def _roster(self, conv: FakeConversation) -> list[str]:
        """User ids in a conversation (the bot itself is not listed)."""
        if conv.kind == "channel" and conv.membership_type == "standard":
            team = self.teams.get(conv.team_id or "")
            return list(team.members) if team is not None else []
        return list(conv.members)

    def _account_json(self, user: FakeUser) -> dict[str, Any]:
        return {
            "id": user.teams_id,
            "name": user.name,
            "aadObjectId": user.id,
            "givenName": user.given_name,
            "surname": user.surname,
            "email": user.email,
            "userPrincipalName": user.upn,
            "tenantId": self.tenant_id,
            "userRole": "user",
        }

    def _read_throttle(self, conv: FakeConversation) -> None:
        wait = self._throttle("read", conv.id)
        if wait is not None:
            raise self._throttled(wait)

    def _get_member(self, req: _Request) -> _Reply:
        conv, _ = self._connector_conversation(req.params["conversation"])
        self._read_throttle(conv)
        user = self._user_by_any(req.params["member"], graph=False)
        if user is None or user.id not in self._roster(conv):
            raise TeamsError(
                404,
                "MemberNotFoundInConversation",
                "The member was not found in the conversation.",
            )
        return _Reply(200, self._account_json(user))

    def _get_members(self, req: _Request) -> _Reply:
        conv, _ = self._connector_conversation(req.params["conversation"])
        self._read_throttle(conv)
        return _Reply(200, [self._account_json(self.users[u]) for u in self._roster(conv)])

    def _paged_members(self, req: _Request) -> _Reply:
        conv, _ = self._connector_conversation(req.params["conversation"])
        self._read_throttle(conv)
        try:
            size = max(1, min(int(req.query.get("pageSize") or 200), 500))
        except ValueError:
            raise TeamsError(400, "BadArgument", "pageSize must be a number.") from None
        start = 0
        token = req.query.get("continuationToken")
        if token:
            try:
                start = int(base64.urlsafe_b64decode(token + "==").decode().removeprefix("o:"))
            except (ValueError, UnicodeDecodeError):
                raise TeamsError(400, "BadArgument", "Invalid continuation token.") from None
        roster = self._roster(conv)
        page = roster[start : start + size]
        out: dict[str, Any] = {"members": [self._account_json(self.users[u]) for u in page]}
        if start + size < len(roster):
            out["continuationToken"] = _b64url(f"o:{start + size}".encode())
        return _Reply(200, out)

    def _connector_team(self, ref: str) -> FakeTeam:
        for team in self.teams.values():
            if ref in (team.general_channel_id, team.id):
                if not team.bot_installed:
                    raise TeamsError(
                        403,
                        "BotNotInConversationRoster",
                        "The bot is not part of the conversation roster.",
                    )
                return team
        raise TeamsError(404, "NotFound", f"Team {ref} not found.")

    def _team_details(self, req: _Request) -> _Reply:
        team = self._connector_team(req.params["team"])
        return _Reply(
            200,
            {
                "id": team.general_channel_id,
                "name": team.name,
                "aadGroupId": team.id,
                "type": "standard",
                "tenantId": self.tenant_id,
            },
        )

    def _team_conversations(self, req: _Request) -> _Reply:
        team = self._connector_team(req.params["team"])
        channels = [
            {"id": c.id, "name": None if c.is_general else c.topic}
            for c in self.channels_of(team.id)
            if self._bot_present(c)
        ]
        return _Reply(200, {"conversations": channels})

    # -- Microsoft Graph ----------------------------------------------------------------

    def _build_graph_routes(self) -> list[tuple[str, tuple[str, ...], str, Handler]]:
        c, t, ch = "chats/{chat}", "teams/{team}", "teams/{team}/channels/{channel}"
        table: list[tuple[str, str, str, Handler]] = [
            ("GET", "users", "list_users", self._g_list_users),
            ("GET", "users/{user}", "get_user", self._g_get_user),
            ("GET", "users/{user}/teamwork/installedApps", "list_user_apps", self._g_user_apps),
            (
                "POST",
                "users/{user}/teamwork/installedApps",
                "install_user_app",
                self._g_install_user_app,
            ),
            ("POST", "chats", "create_chat", self._g_create_chat),
            ("GET", c, "get_chat", self._g_get_chat),
            ("PATCH", c, "update_chat", self._g_update_chat),
            ("GET", f"{c}/members", "list_chat_members", self._g_chat_members),
            ("POST", f"{c}/members", "add_chat_member", self._g_add_chat_member),
            (
                "DELETE",
                f"{c}/members/{{membership}}",
                "remove_chat_member",
                self._g_remove_chat_member,
            ),
            ("GET", f"{c}/installedApps", "list_chat_apps", self._g_chat_apps),
            ("POST", f"{c}/installedApps", "install_chat_app", self._g_install_chat_app),
            ("GET", f"{c}/pinnedMessages", "list_pins", self._g_list_pins),
            ("POST", f"{c}/pinnedMessages", "pin", self._g_pin),
            ("DELETE", f"{c}/pinnedMessages/{{pin}}", "unpin", self._g_unpin),
            ("POST", f"{c}/messages", "post_chat_message", self._g_post_message),
            ("GET", f"{c}/messages/{{message}}", "get_chat_message", self._g_get_chat_message),
            ("GET", "appCatalogs/teamsApps", "list_catalog_apps", self._g_catalog_apps),
            ("GET", t, "get_team", self._g_get_team),
            ("GET", f"{t}/members", "list_team_members", self._g_team_members),
            ("POST", f"{t}/members", "add_team_member", self._g_add_team_member),
            ("GET", f"{t}/installedApps", "list_team_apps", self._g_team_apps),
            ("POST", f"{t}/installedApps", "install_team_app", self._g_install_team_app),
            ("GET", f"{t}/channels", "list_channels", self._g_list_channels),
            ("POST", f"{t}/channels", "create_channel", self._g_create_channel),
            ("GET", ch, "get_channel", self._g_get_channel),
            ("PATCH", ch, "update_channel", self._g_update_channel),
            ("GET", f"{ch}/members", "list_channel_members", self._g_channel_members),
            ("POST", f"{ch}/members", "add_channel_member", self._g_add_channel_member),
            (
                "DELETE",
                f"{ch}/members/{{membership}}",
                "remove_channel_member",
                self._g_remove_channel_member,
            ),
            ("POST", f"{ch}/archive", "archive_channel", self._g_archive),
            ("POST", f"{ch}/unarchive", "unarchive_channel", self._g_unarchive),
            ("POST", f"{ch}/messages", "post_channel_message", self._g_post_message),
            ("GET", f"{t}/operations/{{operation}}", "get_operation", self._g_operation),
        ]
        return [(verb, tuple(path.split("/")), op, fn) for verb, path, op, fn in table]

    async def _serve_graph(self, request: web.Request) -> web.Response:
        return await self._handle(request, "graph", self._resolve_graph, authorize=True)

    def _resolve_graph(self, request: web.Request) -> tuple[str, Handler, dict[str, str]]:
        segs = self._segments(request, 1)
        if not segs or segs[0] != "v1.0":
            first = segs[0] if segs else ""
            raise TeamsError(400, "BadRequest", f"Invalid version: {first}")
        segs = segs[1:]
        path_known = False
        for verb, pattern, op, handler in self._graph_routes:
            if len(pattern) != len(segs):
                continue
            params: dict[str, str] = {}
            for want, got in zip(pattern, segs, strict=True):
                if want.startswith("{"):
                    params[want[1:-1]] = got
                elif want.lower() != got.lower():
                    break
            else:
                path_known = True
                if verb == request.method:
                    return op, handler, params
        if path_known:
            raise TeamsError(405, "Request_BadRequest", "Specified HTTP method is not allowed.")
        last = segs[-1] if segs else ""
        raise TeamsError(400, "BadRequest", f"Resource not found for the segment '{last}'.")

    @staticmethod
    def _not_found(ref: str) -> TeamsError:
        return TeamsError(
            404,
            "Request_ResourceNotFound",
            f"Resource '{ref}' does not exist or one of its queried reference-property "
            "objects are not present.",
        )

    @staticmethod
    def _context(path: str) -> str:
        return f"{REAL_GRAPH}/v1.0/$metadata#{path}"

    def _graph_user(self, ref: str) -> FakeUser:
        lowered = ref.lower()
        for user in self.users.values():
            if user.in_tenant and lowered in (user.id.lower(), user.email.lower()):
                return user
        raise self._not_found(ref)

    def _user_json(self, user: FakeUser) -> dict[str, Any]:
        return {
            "businessPhones": [],
            "displayName": user.name,
            "givenName": user.given_name,
            "jobTitle": None,
            "mail": user.email,
            "mobilePhone": None,
            "officeLocation": None,
            "preferredLanguage": "en-GB",
            "surname": user.surname,
            "userPrincipalName": user.upn,
            "id": user.id,
            "accountEnabled": user.enabled,
        }

    @staticmethod
    def _select(obj: dict[str, Any], query: Mapping[str, str]) -> dict[str, Any]:
        wanted = [f.strip() for f in query.get("$select", "").split(",") if f.strip()]
        if not wanted:
            return obj
        lowered = {w.lower() for w in wanted}
        return {k: v for k, v in obj.items() if k.lower() in lowered or k.startswith("@")}

    def _member_json(self, member: FakeMember) -> dict[str, Any]:
        user = self.users[member.user_id]
        return {
            "@odata.type": ODATA_MEMBER,
            "id": member.membership_id,
            "roles": list(member.roles),
            "displayName": user.name,
            "visibleHistoryStartDateTime": "0001-01-01T00:00:00Z",
            "userId": user.id,
            "email": user.email,
            "tenantId": self.tenant_id,
        }

    def _chat_json(self, chat: FakeConversation) -> dict[str, Any]:
        return {
            "@odata.context": self._context("chats/$entity"),
            "id": chat.id,
            "topic": chat.topic,
            "createdDateTime": chat.created,
            "lastUpdatedDateTime": chat.created,
            "chatType": chat.chat_type,
            "webUrl": f"https://teams.microsoft.com/l/chat/{quote(chat.id, safe='')}/0"
            f"?tenantId={self.tenant_id}",
            "tenantId": self.tenant_id,
            "onlineMeetingInfo": None,
            "viewpoint": None,
        }

    def _channel_json(self, channel: FakeConversation) -> dict[str, Any]:
        team = self.teams[channel.team_id or ""]
        return {
            "@odata.context": self._context(f"teams('{team.id}')/channels/$entity"),
            "id": channel.id,
            "createdDateTime": channel.created,
            "displayName": channel.topic,
            "description": channel.description or None,
            "isFavoriteByDefault": None,
            "email": "",
            "tenantId": self.tenant_id,
            "webUrl": f"https://teams.microsoft.com/l/channel/{quote(channel.id, safe='')}/"
            f"{quote(channel.topic or '', safe='')}?groupId={team.id}&tenantId={self.tenant_id}",
            "membershipType": channel.membership_type,
            "isArchived": channel.archived,
        }

    def _app_json(self, app: FakeApp) -> dict[str, Any]:
        return {
            "id": app.catalog_id,
            "externalId": app.external_id,
            "displayName": app.display_name,
            "distributionMethod": "organization",
        }

    def _installations_json(
        self, installs: Mapping[str, str], query: Mapping[str, str]
    ) -> dict[str, Any]:
        rows: list[dict[str, Any]] = []
        for install_id, catalog_id in installs.items():
            app = self.apps.get(catalog_id)
            rows.append(
                {
                    "id": install_id,
                    "teamsApp": self._app_json(app) if app else {"id": catalog_id},
                }
            )
        expression = query.get("$filter")
        if expression:
            clauses = _eq_filter(
                expression, ["teamsApp/id", "teamsApp/externalId", "teamsApp/displayName"]
            )
            rows = [
                row
                for row in rows
                if any(row["teamsApp"].get(f.split("/")[1]) == v for f, v in clauses)
            ]
        return {"value": rows}

    def _bound_app(self, body: Any) -> FakeApp:
        bind = body.get("teamsApp@odata.bind") if isinstance(body, dict) else None
        catalog_id = _bound_tail(bind, "teamsApps")
        if not catalog_id:
            raise TeamsError(400, "BadRequest", "teamsApp@odata.bind is required.")
        app = self.apps.get(catalog_id)
        if app is None:
            raise TeamsError(404, "NotFound", f"App '{catalog_id}' was not found in the catalog.")
        return app

    def _install(self, installs: dict[str, str], container: str, app: FakeApp) -> bool:
        """Record an installation; 409 when present; True when it is our bot."""
        if app.catalog_id in installs.values():
            raise TeamsError(409, "Conflict", "The app is already installed.")
        installs[_b64url(f"{container}##{app.catalog_id}".encode())] = app.catalog_id
        return app.bot_id == self.app_id

    def _graph_member(self, member: Any) -> tuple[FakeUser, list[str]]:
        if not isinstance(member, dict):
            raise TeamsError(400, "BadRequest", "Each member must be an object.")
        odata_type = member.get("@odata.type")
        if odata_type is None:
            raise TeamsError(400, "BadRequest", ODATA_TYPE_REQUIRED)
        if str(odata_type).lstrip("#") != ODATA_MEMBER.lstrip("#"):
            raise TeamsError(
                400, "BadRequest", f"Member type '{odata_type}' is not supported here."
            )
        ref = _bound_user(member.get("user@odata.bind")) or member.get("userId")
        if not ref:
            raise TeamsError(400, "BadRequest", "Each member needs a user@odata.bind.")
        user = self._graph_user(str(ref))
        roles = member.get("roles", [])
        if not isinstance(roles, list) or not all(r in ("owner", "guest") for r in roles):
            raise TeamsError(400, "BadRequest", f"Invalid roles {roles!r}: use [], ['owner'].")
        return user, [str(r) for r in roles]

    # users

    def _g_get_user(self, req: _Request) -> _Reply:
        user = self._graph_user(req.params["user"])
        body = {"@odata.context": self._context("users/$entity"), **self._user_json(user)}
        return _Reply(200, self._select(body, req.query))

    def _g_list_users(self, req: _Request) -> _Reply:
        people = [u for u in self.users.values() if u.in_tenant]
        expression = req.query.get("$filter")
        if expression:
            clauses = _eq_filter(expression, ["mail", "userPrincipalName", "id", "displayName"])
            people = [
                u
                for u in people
                if any(str(self._user_json(u)[f]).lower() == v.lower() for f, v in clauses)
            ]
        return _Reply(
            200,
            {
                "@odata.context": self._context("users"),
                "value": [self._select(self._user_json(u), req.query) for u in people],
            },
        )

    def _g_user_apps(self, req: _Request) -> _Reply:
        user = self._graph_user(req.params["user"])
        installs: dict[str, str] = {}
        if user.app_installed:
            app = next((a for a in self.apps.values() if a.bot_id == self.app_id), None)
            catalog = app.catalog_id if app else "unpublished"
            installs[_b64url(f"{user.id}##{catalog}".encode())] = catalog
        return _Reply(200, self._installations_json(installs, req.query))

    def _g_install_user_app(self, req: _Request) -> _Reply:
        user = self._graph_user(req.params["user"])
        app = self._bound_app(req.body)
        if app.bot_id == self.app_id:
            if user.app_installed:
                raise TeamsError(409, "Conflict", "The app is already installed for the user.")
            self.install_for_user(user)
        return _Reply(201, None)

    # chats

    def _chat(self, chat_id: str) -> FakeConversation:
        chat = self.conversations.get(chat_id)
        if chat is None or chat.kind == "channel":
            raise TeamsError(404, "NotFound", f"Chat '{chat_id}' was not found.")
        return chat

    def _check_topic(self, topic: Any) -> str | None:
        if topic is None:
            return None
        if not isinstance(topic, str) or len(topic) > MAX_CHAT_TOPIC or ":" in topic:
            raise TeamsError(
                400,
                "BadRequest",
                f"Invalid topic: at most {MAX_CHAT_TOPIC} characters and no ':'.",
            )
        return topic

    def _g_create_chat(self, req: _Request) -> _Reply:
        body = req.body if isinstance(req.body, dict) else {}
        chat_type = body.get("chatType")
        if chat_type not in ("oneOnOne", "group"):
            raise TeamsError(400, "BadRequest", "chatType must be 'oneOnOne' or 'group'.")
        members = body.get("members")
        if not isinstance(members, list) or not members:
            raise TeamsError(400, "BadRequest", "Members are required to create a chat.")
        parsed: dict[str, tuple[FakeUser, list[str]]] = {}
        for member in members:
            user, roles = self._graph_member(member)
            parsed.setdefault(user.id, (user, roles))
        topic = self._check_topic(body.get("topic"))
        if chat_type == "oneOnOne":
            if len(parsed) != 2:
                raise TeamsError(400, "BadRequest", "A oneOnOne chat must have exactly 2 members.")
            if topic is not None:
                raise TeamsError(400, "BadRequest", "Only group chats can have a topic.")
            pair = sorted(parsed)
            chat_id = f"19:{pair[0]}_{pair[1]}@unq.gbl.spaces"
            chat = self.conversations.get(chat_id) or self._new_conversation(chat_id, "oneOnOne")
        else:
            if len(parsed) < self.min_group_chat_members:
                raise TeamsError(
                    400,
                    "BadRequest",
                    f"A group chat must have at least {self.min_group_chat_members} members.",
                )
            chat = self._new_conversation(
                f"19:{uuid.uuid4().hex}@thread.v2", "groupChat", topic=topic
            )
        for user, roles in parsed.values():
            chat.members.setdefault(
                user.id, FakeMember(self._membership_id(chat.id, user.id), user.id, roles)
            )
        return _Reply(201, self._chat_json(chat))

    def _g_get_chat(self, req: _Request) -> _Reply:
        chat = self._chat(req.params["chat"])
        body = self._chat_json(chat)
        if "members" in req.query.get("$expand", ""):
            body["members"] = [self._member_json(m) for m in chat.members.values()]
        return _Reply(200, body)

    def _g_update_chat(self, req: _Request) -> _Reply:
        chat = self._chat(req.params["chat"])
        body = req.body if isinstance(req.body, dict) else {}
        if "topic" in body:
            if chat.kind != "groupChat":
                raise TeamsError(400, "BadRequest", "Only group chats can have a topic.")
            chat.topic = self._check_topic(body["topic"])
        return _Reply(200, self._chat_json(chat))

    def _g_chat_members(self, req: _Request) -> _Reply:
        chat = self._chat(req.params["chat"])
        return _Reply(200, {"value": [self._member_json(m) for m in chat.members.values()]})

    def _g_add_chat_member(self, req: _Request) -> _Reply:
        chat = self._chat(req.params["chat"])
        if chat.kind != "groupChat":
            raise TeamsError(400, "BadRequest", "Members can be added only to group chats.")
        user, roles = self._graph_member(req.body)
        member = chat.members.setdefault(
            user.id, FakeMember(self._membership_id(chat.id, user.id), user.id, roles)
        )
        return _Reply(201, self._member_json(member))

    def _g_remove_chat_member(self, req: _Request) -> _Reply:
        chat = self._chat(req.params["chat"])
        for user_id, member in list(chat.members.items()):
            if member.membership_id == req.params["membership"]:
                del chat.members[user_id]
                return _Reply(204, None)
        raise TeamsError(404, "NotFound", "Membership not found.")

    def _g_chat_apps(self, req: _Request) -> _Reply:
        chat = self._chat(req.params["chat"])
        return _Reply(200, self._installations_json(chat.apps, req.query))

    def _g_install_chat_app(self, req: _Request) -> _Reply:
        chat = self._chat(req.params["chat"])
        if self._install(chat.apps, chat.id, self._bound_app(req.body)):
            chat.bot_installed = True
        return _Reply(201, None)

    def _message_json(self, chat_id: str, activity: FakeActivity) -> dict[str, Any]:
        sender: dict[str, Any]
        if activity.from_bot:
            sender = {
                "application": {
                    "id": self.app_id,
                    "displayName": self.bot_name,
                    "applicationIdentityType": "bot",
                }
            }
        else:
            user = self._user_by_any(activity.from_id, graph=False)
            sender = {
                "user": {
                    "id": user.id if user else None,
                    "displayName": activity.from_name,
                    "userIdentityType": "aadUser",
                }
            }
        return {
            "id": activity.id,
            "replyToId": activity.reply_to_id,
            "messageType": "message",
            "createdDateTime": activity.timestamp,
            "chatId": chat_id,
            "from": sender,
            "body": {"contentType": "html", "content": activity.text},
            "attachments": [
                {
                    "id": str(i),
                    "contentType": a.get("contentType"),
                    "content": json.dumps(a.get("content")),
                }
                for i, a in enumerate(activity.attachments)
            ],
        }

    def _g_list_pins(self, req: _Request) -> _Reply:
        chat = self._chat(req.params["chat"])
        expand = "message" in req.query.get("$expand", "")
        rows = []
        for pin_id, message_id in chat.pins.items():
            row: dict[str, Any] = {"id": pin_id}
            activity = self.find_activity(chat.id, message_id)
            if expand and activity is not None:
                row["message"] = self._message_json(chat.id, activity)
            rows.append(row)
        return _Reply(200, {"value": rows})

    def _g_pin(self, req: _Request) -> _Reply:
        chat = self._chat(req.params["chat"])
        bind = req.body.get("message@odata.bind") if isinstance(req.body, dict) else None
        bound_chat = _bound_tail(bind, "chats")
        message_id = _bound_tail(bind, "messages")
        if not bound_chat or not message_id:
            raise TeamsError(400, "BadRequest", "message@odata.bind is required.")
        if bound_chat != chat.id:
            raise TeamsError(400, "BadRequest", "The message belongs to a different chat.")
        activity = self.find_activity(chat.id, message_id)
        if activity is None or activity.deleted:
            raise TeamsError(404, "NotFound", f"Message '{message_id}' was not found.")
        if message_id in chat.pins.values():
            raise TeamsError(409, "Conflict", "The message is already pinned.")
        pin_id = f"{len(chat.pins) + 1}{self._next_activity_id()}"
        chat.pins[pin_id] = message_id
        return _Reply(
            201,
            {
                "@odata.context": self._context(f"chats('{chat.id}')/pinnedMessages/$entity"),
                "id": pin_id,
            },
        )

    def _g_unpin(self, req: _Request) -> _Reply:
        chat = self._chat(req.params["chat"])
        if chat.pins.pop(req.params["pin"], None) is None:
            raise TeamsError(404, "NotFound", "Pinned message not found.")
        return _Reply(204, None)

    def _g_post_message(self, req: _Request) -> _Reply:
        raise TeamsError(401, "Unauthorized", APP_ONLY_POST)

    def _g_get_chat_message(self, req: _Request) -> _Reply:
        chat = self._chat(req.params["chat"])
        activity = self.find_activity(chat.id, req.params["message"])
        if activity is None or activity.deleted:
            raise TeamsError(404, "NotFound", "Message not found.")
        return _Reply(200, self._message_json(chat.id, activity))

    def _g_catalog_apps(self, req: _Request) -> _Reply:
        apps = list(self.apps.values())
        expression = req.query.get("$filter")
        if expression:
            clauses = _eq_filter(
                expression, ["externalId", "id", "displayName", "distributionMethod"]
            )
            apps = [
                app for app in apps if all(str(self._app_json(app)[f]) == v for f, v in clauses)
            ]
        return _Reply(
            200,
            {
                "@odata.context": self._context("appCatalogs/teamsApps"),
                "value": [self._app_json(app) for app in apps],
            },
        )

    # teams and channels

    def _team(self, team_id: str) -> FakeTeam:
        team = self.teams.get(team_id)
        if team is None:
            raise TeamsError(404, "NotFound", f"No team found with Group Id {team_id}")
        return team

    def _channel(self, team: FakeTeam, channel_id: str) -> FakeConversation:
        channel = self.conversations.get(channel_id)
        if channel is None or channel.kind != "channel" or channel.team_id != team.id:
            raise TeamsError(404, "NotFound", "Channel not found.")
        return channel

    def _g_get_team(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        return _Reply(
            200,
            {
                "@odata.context": self._context("teams/$entity"),
                "id": team.id,
                "displayName": team.name,
                "description": None,
                "isArchived": False,
                "tenantId": self.tenant_id,
                "internalId": team.general_channel_id,
            },
        )

    def _g_team_members(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        return _Reply(200, {"value": [self._member_json(m) for m in team.members.values()]})

    def _g_add_team_member(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        user, roles = self._graph_member(req.body)
        if not user.enabled:
            raise self._not_found(user.id)
        return _Reply(201, self._member_json(self._add_team_member(team, user, roles)))

    def _g_team_apps(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        return _Reply(200, self._installations_json(team.apps, req.query))

    def _g_install_team_app(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        if self._install(team.apps, team.id, self._bound_app(req.body)):
            team.bot_installed = True
        return _Reply(201, None)

    def _g_list_channels(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        channels = self.channels_of(team.id)
        expression = req.query.get("$filter")
        if expression:
            clauses = _eq_filter(expression, ["displayName", "membershipType"])
            channels = [
                c for c in channels if any(str(self._channel_json(c)[f]) == v for f, v in clauses)
            ]
        rows = []
        for channel in channels:
            row = self._channel_json(channel)
            row.pop("@odata.context")
            rows.append(row)
        return _Reply(
            200,
            {"@odata.context": self._context(f"teams('{team.id}')/channels"), "value": rows},
        )

    def _check_channel_name(self, team: FakeTeam, name: Any, *, exclude: str = "") -> str:
        if not isinstance(name, str) or not name.strip():
            raise TeamsError(400, "BadRequest", "Channel.DisplayName is required.")
        if len(name) > MAX_CHANNEL_NAME:
            raise TeamsError(
                400,
                "BadRequest",
                f"Channel.DisplayName is longer than {MAX_CHANNEL_NAME} characters.",
            )
        if set(name) & CHANNEL_FORBIDDEN or name.startswith(("_", ".")) or name.endswith("."):
            raise TeamsError(400, "BadRequest", CHANNEL_NAME_CHARS)
        for channel in self.channels_of(team.id):
            if channel.id != exclude and (channel.topic or "").lower() == name.lower():
                raise TeamsError(400, "BadRequest", CHANNEL_NAME_TAKEN)
        return name

    def _require_team_member(self, team: FakeTeam, user: FakeUser) -> None:
        if not user.enabled:
            raise self._not_found(user.id)
        if user.id not in team.members:
            raise TeamsError(
                400,
                "BadRequest",
                f"User '{user.id}' is not a member of the team. Add them to the team first.",
            )

    def _g_create_channel(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        body = req.body if isinstance(req.body, dict) else {}
        name = self._check_channel_name(team, body.get("displayName"))
        membership_type = body.get("membershipType", "standard")
        if membership_type not in ("standard", "private", "shared"):
            raise TeamsError(400, "BadRequest", f"Invalid membershipType '{membership_type}'.")
        description = body.get("description") or ""
        if not isinstance(description, str) or len(description) > 1024:
            raise TeamsError(400, "BadRequest", "Channel description is too long.")
        raw_members = body.get("members") or []
        if not isinstance(raw_members, list):
            raise TeamsError(400, "BadRequest", "members must be a list.")
        if len(raw_members) > MAX_CHANNEL_MEMBERS:
            raise TeamsError(
                400, "BadRequest", f"At most {MAX_CHANNEL_MEMBERS} members at creation."
            )
        members = [self._graph_member(m) for m in raw_members]
        if membership_type == "standard" and members:
            raise TeamsError(400, "BadRequest", "Standard channels do not take members.")
        if membership_type != "standard":
            if not members:
                raise TeamsError(400, "BadRequest", PRIVATE_NO_MEMBERS)
            owners = [u for u, roles in members if "owner" in roles]
            if not owners:
                raise TeamsError(400, "BadRequest", PRIVATE_NO_OWNER)
            if membership_type == "shared" and len(owners) != 1:
                raise TeamsError(400, "BadRequest", "A shared channel takes exactly one owner.")
            for user, _ in members:
                self._require_team_member(team, user)
        channel = self._new_conversation(
            f"19:{uuid.uuid4().hex}@thread.tacv2",
            "channel",
            topic=name,
            team_id=team.id,
            membership_type=membership_type,
            description=description,
        )
        for user, roles in members:
            channel.members.setdefault(
                user.id, FakeMember(self._membership_id(channel.id, user.id), user.id, roles)
            )
        return _Reply(201, self._channel_json(channel))

    def _g_get_channel(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        return _Reply(200, self._channel_json(self._channel(team, req.params["channel"])))

    def _g_update_channel(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        channel = self._channel(team, req.params["channel"])
        body = req.body if isinstance(req.body, dict) else {}
        if "displayName" in body and body["displayName"] != channel.topic:
            if channel.is_general:
                raise TeamsError(400, "BadRequest", "The General channel cannot be renamed.")
            channel.topic = self._check_channel_name(team, body["displayName"], exclude=channel.id)
        if "description" in body:
            description = body["description"] or ""
            if not isinstance(description, str) or len(description) > 1024:
                raise TeamsError(400, "BadRequest", "Channel description is too long.")
            channel.description = description
        return _Reply(204, None)

    def _channel_members(self, team: FakeTeam, channel: FakeConversation) -> list[FakeMember]:
        if channel.membership_type == "standard":
            return list(team.members.values())
        return list(channel.members.values())

    def _g_channel_members(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        channel = self._channel(team, req.params["channel"])
        members = self._channel_members(team, channel)
        return _Reply(200, {"value": [self._member_json(m) for m in members]})

    def _g_remove_channel_member(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        channel = self._channel(team, req.params["channel"])
        if channel.membership_type == "standard":
            raise TeamsError(
                400, "BadRequest", "Members can be removed only from private and shared channels."
            )
        for user_id, member in list(channel.members.items()):
            if member.membership_id == req.params["membership"]:
                del channel.members[user_id]
                return _Reply(204, None)
        raise TeamsError(404, "NotFound", "Membership not found.")

    def _g_add_channel_member(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        channel = self._channel(team, req.params["channel"])
        if channel.membership_type == "standard":
            raise TeamsError(
                400,
                "BadRequest",
                "Members can be added only to private and shared channels.",
            )
        user, roles = self._graph_member(req.body)
        self._require_team_member(team, user)
        member = channel.members.setdefault(
            user.id, FakeMember(self._membership_id(channel.id, user.id), user.id, roles)
        )
        return _Reply(201, self._member_json(member))

    def _g_archive(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        channel = self._channel(team, req.params["channel"])
        if channel.is_general:
            raise TeamsError(400, "BadRequest", "The General channel cannot be archived.")
        if channel.archive_at is not None:
            raise TeamsError(400, "BadRequest", "The channel is already archived.")
        if not any(m.is_owner for m in self._channel_members(team, channel)):
            raise TeamsError(
                400, "BadRequest", "The channel cannot be archived because it has no owner."
            )
        channel.archive_at = self.clock() + self.archive_delay
        operation = _Operation(
            id=str(uuid.uuid4()),
            team_id=team.id,
            channel_id=channel.id,
            kind="archiveChannel",
            done_at=channel.archive_at,
        )
        self.operations[operation.id] = operation
        location = f"/teams('{team.id}')/operations('{operation.id}')"
        return _Reply(202, None, {"Location": location, "Content-Location": location})

    def _g_unarchive(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        channel = self._channel(team, req.params["channel"])
        if channel.archive_at is None:
            raise TeamsError(400, "BadRequest", "The channel is not archived.")
        channel.archive_at = None
        return _Reply(204, None)

    def _g_operation(self, req: _Request) -> _Reply:
        team = self._team(req.params["team"])
        operation = self.operations.get(req.params["operation"])
        if operation is None or operation.team_id != team.id:
            raise TeamsError(404, "NotFound", "Operation not found.")
        done = self.clock() >= operation.done_at
        return _Reply(
            200,
            {
                "id": operation.id,
                "operationType": operation.kind,
                "status": "succeeded" if done else "inProgress",
                "attemptsCount": 1,
                "targetResourceId": operation.channel_id,
                "targetResourceLocation": (
                    f"/teams('{team.id}')/channels('{operation.channel_id}')"
                ),
                "error": None,
            },
        )

    # -- inbound activities (Teams → the bot's /api/messages) ---------------------------

    def _inbound(
        self,
        kind: str,
        conv: FakeConversation,
        *,
        activity_id: str,
        thread_id: str | None,
        sender: FakeUser | None,
    ) -> dict[str, Any]:
        channel_data: dict[str, Any] = {"tenant": {"id": self.tenant_id}}
        team = self.teams.get(conv.team_id or "") if conv.kind == "channel" else None
        if team is not None:
            channel: dict[str, Any] = {"id": conv.id}
            if not conv.is_general:
                channel["name"] = conv.topic
            channel_data.update(
                teamsChannelId=conv.id,
                teamsTeamId=team.general_channel_id,
                channel=channel,
                team={"id": team.general_channel_id, "name": team.name, "aadGroupId": team.id},
            )
        stamp = self._now_iso()
        out: dict[str, Any] = {
            "type": kind,
            "id": activity_id,
            "timestamp": stamp,
            "localTimestamp": stamp.replace("Z", "+00:00"),
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "conversation": self._conversation_account(conv, thread_id),
            "recipient": {"id": self.bot_id, "name": self.bot_name},
            "channelData": channel_data,
            "locale": "en-GB",
            "localTimezone": "Europe/London",
        }
        if sender is not None:
            out["from"] = {"id": sender.teams_id, "name": sender.name, "aadObjectId": sender.id}
        return out

    @staticmethod
    def _client_info() -> dict[str, Any]:
        return {
            "type": "clientInfo",
            "locale": "en-GB",
            "country": "GB",
            "platform": "Web",
            "timezone": "Europe/London",
        }

    def message_activity(
        self,
        sender: FakeUser,
        conversation_id: str,
        text: str,
        *,
        mentions: Sequence[FakeUser] = (),
        mention_bot: bool | None = None,
        record: bool = True,
    ) -> dict[str, Any]:
        """A message from ``sender``. Outside personal chats it @mentions the bot
        (``<at>Teamaround</at>`` is prepended unless present). Each user in
        ``mentions`` must appear in ``text`` as ``<at>{name}</at>``; every mention
        gets an entity (the bot as ``28:<app id>``, users by their ``29:`` id).
        ``…;messageid=X`` posts into that channel thread; a plain channel id starts
        a new one. Recorded in ``activities`` unless ``record=False``."""
        base, _, thread = conversation_id.partition(";messageid=")
        conv = self.conversations[base]
        if mention_bot is None:
            mention_bot = conv.kind != "personal"
        bot_tag = f"<at>{self.bot_name}</at>"
        if mention_bot and bot_tag not in text:
            text = f"{bot_tag} {text}"
        entities: list[dict[str, Any]] = []
        if mention_bot:
            entities.append(
                {
                    "type": "mention",
                    "text": bot_tag,
                    "mentioned": {"id": self.bot_id, "name": self.bot_name},
                }
            )
        for user in mentions:
            tag = f"<at>{user.name}</at>"
            if tag not in text:
                raise ValueError(f"{tag} does not appear in the text {text!r}")
            entities.append(
                {
                    "type": "mention",
                    "text": tag,
                    "mentioned": {"id": user.teams_id, "name": user.name},
                }
            )
        entities.append(self._client_info())
        activity_id = self._next_activity_id()
        thread_id = (thread or activity_id) if conv.kind == "channel" else None
        activity = self._inbound(
            "message", conv, activity_id=activity_id, thread_id=thread_id, sender=sender
        )
        activity.update(text=text, textFormat="plain", attachments=[], entities=entities)
        if record:
            self.activities.setdefault(conv.id, []).append(
                FakeActivity(
                    id=activity_id,
                    conversation_id=conv.id,
                    type="message",
                    text=text,
                    entities=entities,
                    thread_id=thread_id,
                    from_id=sender.teams_id,
                    from_name=sender.name,
                    timestamp=activity["timestamp"],
                    activity=activity,
                )
            )
        return activity

    def card_submit_activity(
        self,
        sender: FakeUser,
        conversation_id: str,
        *,
        reply_to_id: str,
        value: Mapping[str, Any],
    ) -> dict[str, Any]:
        """An ``Action.Submit`` press on the card ``reply_to_id``: a message activity
        with ``value`` (action data + inputs) and no text or mention."""
        base = conversation_id.split(";", 1)[0]
        conv = self.conversations[base]
        card = self.find_activity(base, reply_to_id)
        thread_id = card.thread_id if card is not None else None
        activity = self._inbound(
            "message",
            conv,
            activity_id=self._next_activity_id(),
            thread_id=thread_id,
            sender=sender,
        )
        activity.update(
            replyToId=reply_to_id,
            value=dict(value),
            attachments=[],
            entities=[self._client_info()],
        )
        activity["channelData"].update(
            source={"name": "message"}, legacy={"replyToId": reply_to_id}
        )
        return activity

    def conversation_update_activity(
        self,
        conversation_id: str,
        *,
        members_added: Sequence[FakeUser | str] | None = None,
        members_removed: Sequence[FakeUser | str] = (),
        sender: FakeUser | None = None,
        event_type: str | None = None,
    ) -> dict[str, Any]:
        """``conversationUpdate``; by default the bot was added (an install). Pass
        ``"bot"`` in a member list for the bot. In a team, use the General channel
        id (``eventType`` defaults to ``teamMemberAdded``/``teamMemberRemoved``)."""
        conv = self.conversations[conversation_id.split(";", 1)[0]]

        def account(member: FakeUser | str) -> dict[str, Any]:
            if isinstance(member, FakeUser):
                return {"id": member.teams_id, "aadObjectId": member.id}
            if member in ("bot", self.bot_id):
                return {"id": self.bot_id}
            return {"id": member}

        if sender is None:
            roster = self._roster(conv)
            sender = self.users[roster[0]] if roster else None
        activity = self._inbound(
            "conversationUpdate",
            conv,
            activity_id=f"f:{uuid.uuid4()}",
            thread_id=None,
            sender=sender,
        )
        added = ["bot"] if members_added is None else list(members_added)
        if added:
            activity["membersAdded"] = [account(m) for m in added]
        if members_removed:
            activity["membersRemoved"] = [account(m) for m in members_removed]
        if event_type is None and conv.kind == "channel":
            event_type = "teamMemberAdded" if added else "teamMemberRemoved"
        if event_type is not None:
            activity["channelData"]["eventType"] = event_type
        return activity

    def installation_update_activity(
        self, conversation_id: str, *, action: str = "add", sender: FakeUser | None = None
    ) -> dict[str, Any]:
        """``installationUpdate`` (``action`` ``add`` or ``remove``)."""
        conv = self.conversations[conversation_id.split(";", 1)[0]]
        activity = self._inbound(
            "installationUpdate",
            conv,
            activity_id=f"f:{uuid.uuid4()}",
            thread_id=None,
            sender=sender,
        )
        activity["action"] = action
        return activity

    async def deliver(
        self,
        endpoint: str,
        activity: Mapping[str, Any],
        *,
        token: str | None = None,
        scheme: str = "Bearer ",
        **mint: Any,
    ) -> tuple[int, Any]:
        """POST ``activity`` to the bot at ``endpoint`` as Teams would, with a
        freshly minted JWT (``mint`` overrides go to ``issuer.mint``; ``token=""``
        sends no Authorization header; ``scheme`` is what precedes the token).
        Returns (status, parsed body or text)."""
        if token is None:
            token = self.issuer.mint(activity, **mint)
        headers = {"Authorization": f"{scheme}{token}"} if token else {}
        async with (
            aiohttp.ClientSession() as session,
            session.post(endpoint, json=dict(activity), headers=headers) as response,
        ):
            text = await response.text()
        try:
            return response.status, json.loads(text) if text else None
        except json.JSONDecodeError:
            return response.status, text
