"""A stateful fake of the Slack Web API on 127.0.0.1, plus inbound helpers.

Point a real ``AsyncWebClient(token=..., base_url=slack.base_url)`` at it::

    async with FakeSlack() as slack:
        kim = slack.add_user(name="kim.lee", email="kim.lee@example.org")
        client = AsyncWebClient(token=slack.token, base_url=slack.base_url)
        await client.chat_postMessage(channel=kim, text="hi")
        assert slack.messages[slack.ims[kim]][0].text == "hi"

Spec: ``shared/docs/PLATFORMS.md`` A4-A6 and C. Errors use Slack's exact codes
(HTTP 200 ``{"ok": false, "error": code}``); rate limits are HTTP 429 with an
integer ``Retry-After``; unknown methods are HTTP 404 ``unknown_method``.

Choices where Slack's behaviour is not pinned down by the spec:

- Scopes: the bot token holds ``scopes``, by default exactly the bot scopes of
  Teamaround's own manifest. A method that needs another answers
  ``missing_scope`` with ``needed`` and ``provided``, as Slack does; a method
  on a conversation needs the scope for its kind (``conversations.history``
  on a ``D…`` channel needs ``im:history``). See ``METHOD_SCOPES`` and
  ``CONVERSATION_SCOPES``.
- Every request to ``/api/<method>`` is recorded in ``calls``, including ones
  rejected for auth, unknown methods, injected failures and rate limits; the
  token is never stored in the recorded ``args``.
- New channels get ``C`` ids whether public or private (as Slack does today);
  DMs get ``D`` ids, group DMs ``G`` ids.
- ``conversations.history`` returns ``metadata`` only when
  ``include_all_metadata`` is true, like Slack; it leaves out thread replies and
  ephemeral messages. ``chat.postMessage``'s own response always echoes it.
- The bot must be a member to post, invite, pin, read history and so on
  (``not_in_channel``), for public and private channels alike: the app has no
  ``chat:write.public`` scope.
- ``conversations.invite``: members already present are skipped;
  ``already_in_channel`` only when nobody new would be added. Without
  ``force`` the first bad id fails the call and nothing is added; with
  ``force`` bad ids are skipped and listed in ``errors``.
- ``users.lookupByEmail`` does not find deactivated (``deleted``) users.
- ``response_url``: 5 uses within 30 minutes; the 6th POST gets HTTP 404 with
  body ``used_url``, a POST after 30 minutes HTTP 404 ``expired_url``, an
  unknown id HTTP 404 ``no_service``, a body that is not a JSON object HTTP 400
  ``invalid_payload``. Rejected POSTs are not recorded in ``responses``.
- Block Kit checks (``invalid_blocks``): a list of ≤50 objects (≤100 in a
  view), each with a string ``type``; section text ≤3000, ≤10 fields of ≤2000,
  header text ≤150, actions ≤25 elements, context ≤10, ``block_id`` ≤255.
  Slack's ~13k-character ``msg_blocks_too_long`` heuristic is not emulated.
- ``views.push`` stacks onto the most recently opened or pushed view
  (``push_limit_reached`` beyond 3 deep); ``views.update`` honours ``hash``.
- A bug in the fake itself answers HTTP 500 and is re-raised by ``stop()``.
- Files (``files_upload_v2``): ``files.getUploadURLExternal`` needs a
  ``filename`` and a positive whole ``length`` (else ``invalid_arguments``) and
  answers a one-file upload URL on this server (no token needed, as Slack's
  pre-signed URLs); POSTing the bytes there answers ``OK - <size>`` (an unknown
  URL HTTP 404). ``files.completeUploadExternal`` needs ``files`` as a JSON list
  of ``{"id", "title"}`` (else ``invalid_arguments``); an id that is unknown,
  not uploaded yet or already completed is ``file_not_found``; a channel must
  exist (``channel_not_found``) with the bot in it (``not_in_channel``), and a
  ``thread_ts`` must be a message in it (``thread_not_found``). Completing with
  a channel shares the files there as one message from the bot (in the thread,
  with ``thread_ts``), listed under ``files`` in history and replies; without
  one the files stay private. Declared and uploaded sizes are not compared.
- Trigger ids, rate-limit windows and response_url ages use ``clock``
  (``time.monotonic`` unless the test builds the fake with its own);
  ``chat.scheduleMessage`` compares ``post_at`` with ``wall_clock``
  (``time.time``, the clock the app under test reads too).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.fakes.server import Clock, Fault, LoopbackServer

__all__ = [
    "EVERY_SCOPE",
    "FakeCall",
    "FakeChannel",
    "FakeFile",
    "FakeMessage",
    "FakeScheduledMessage",
    "FakeSlack",
    "FakeUser",
    "block_actions_body",
    "manifest_scopes",
    "sign",
    "slash_command_body",
    "view_submission_body",
]

TRIGGER_TTL = 3.0  # seconds a trigger_id stays usable
RESPONSE_URL_USES = 5
RESPONSE_URL_TTL = 30 * 60.0
RATE_WINDOW = 60.0
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 40_000  # chat.postMessage truncates beyond this
MAX_UPDATE_TEXT = 4_000  # chat.update answers msg_too_long beyond this
MAX_TOPIC = 250
MAX_INVITE = 100
MAX_PINS = 100
MAX_VIEW_BYTES = 250_000
CHANNEL_NAME = re.compile(r"[a-z0-9_-]+")
TS_FORMAT = re.compile(r"\d{10}\.\d{6}")
_STATUSES = {status.value for status in HTTPStatus}

# The bot-token scopes each Web API method needs (docs.slack.dev/reference/
# methods/…): any one of those listed is enough. Methods on a conversation
# need the scope for its kind (public, private, im, mpim); the first listed
# is the one Slack names as ``needed``.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "bookmarks.add": ("bookmarks:write",),
    "bookmarks.list": ("bookmarks:read",),
    "chat.delete": ("chat:write",),
    "chat.deleteScheduledMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.postMessage": ("chat:write",),
    "chat.scheduleMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "files.completeUploadExternal": ("files:write",),
    "files.getUploadURLExternal": ("files:write",),
    "pins.add": ("pins:write",),
    "pins.list": ("pins:read",),
    "pins.remove": ("pins:write",),
    "users.info": ("users:read",),
    "users.lookupByEmail": ("users:read.email",),
}
_READ = {"public": "channels:read", "private": "groups:read", "im": "im:read", "mpim": "mpim:read"}
_HISTORY = {
    "public": "channels:history",
    "private": "groups:history",
    "im": "im:history",
    "mpim": "mpim:history",
}
_MANAGE = {"public": "channels:manage", "private": "groups:write", "mpim": "mpim:write"}
CONVERSATION_SCOPES: dict[str, dict[str, str]] = {
    "conversations.archive": _MANAGE,
    "conversations.history": _HISTORY,
    "conversations.info": _READ,
    "conversations.invite": _MANAGE,
    "conversations.join": {"public": "channels:join"},
    "conversations.kick": _MANAGE,
    "conversations.members": _READ,
    "conversations.replies": _HISTORY,
    "conversations.setPurpose": _MANAGE,
    "conversations.setTopic": _MANAGE,
    "conversations.unarchive": _MANAGE,
}
_TYPES = {"public_channel": "public", "private_channel": "private", "im": "im", "mpim": "mpim"}
EVERY_SCOPE = frozenset(
    {scope for scopes in METHOD_SCOPES.values() for scope in scopes}
    | {scope for by_kind in CONVERSATION_SCOPES.values() for scope in by_kind.values()}
    | {"im:write", "mpim:write", "commands"}
)


def manifest_scopes() -> frozenset[str]:
    """The bot scopes Teamaround's own manifest asks for (what a workspace grants)."""
    from commands.catalogue import neutral
    from integrations.slack.manifest import slack_manifest

    manifest = slack_manifest("https://teamaround.example.org", commands=neutral())
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


# -- state ------------------------------------------------------------------------


@dataclass
class FakeUser:
    id: str
    name: str
    email: str
    is_bot: bool = False
    deleted: bool = False
    real_name: str = ""


@dataclass
class FakeChannel:
    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    members: set[str] = field(default_factory=set)
    topic: str = ""
    purpose: str = ""
    pins: list[str] = field(default_factory=list)  # message ts, oldest pin first
    bookmarks: list[dict[str, Any]] = field(default_factory=list)
    is_im: bool = False
    is_mpim: bool = False
    user: str | None = None  # the other party of an IM
    creator: str = ""
    created: int = 0


@dataclass
class FakeMessage:
    ts: str
    channel: str
    user: str
    text: str = ""
    blocks: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None
    edited: int = 0  # times chat.update (or a replacing response_url) changed it
    ephemeral_for: str | None = None
    edited_ts: str | None = None
    files: list[str] = field(default_factory=list)  # ids of files shared with it


@dataclass
class FakeFile:
    id: str
    name: str
    length: int
    upload_key: str
    title: str = ""
    alt_txt: str = ""
    content: bytes | None = None  # None until the bytes are POSTed to the upload URL
    completed: bool = False
    channels: list[str] = field(default_factory=list)


@dataclass
class FakeScheduledMessage:
    id: str
    channel: str
    post_at: int
    text: str
    blocks: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None


@dataclass
class FakeCall:
    method: str
    args: dict[str, Any]
    status: int = 0  # HTTP status answered
    time: float = 0.0  # FakeSlack.clock() when the request arrived
    error: str | None = None  # Slack error code (or injected failure) answered, if any
    http_verb: str = "POST"


@dataclass
class _Trigger:
    minted: float
    used: bool = False


@dataclass
class _ResponseUrl:
    created: float
    uses: int = 0
    channel: str | None = None
    user: str | None = None
    message_ts: str | None = None


class SlackError(Exception):
    """A Slack error answer: HTTP 200 ``{"ok": false, "error": code, **extra}``."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


Handler = Callable[[dict[str, Any]], dict[str, Any]]


# -- argument helpers -------------------------------------------------------------


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes")


def _str(args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    return "" if value is None else str(value)


def _int(args: dict[str, Any], key: str, default: int) -> int:
    value = args.get(key)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SlackError("invalid_arguments") from None


def _float(args: dict[str, Any], key: str, default: float) -> float:
    value = args.get(key)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SlackError("invalid_arguments") from None


def _json_value(args: dict[str, Any], key: str, error: str) -> Any:
    """``blocks``/``metadata``/``view`` arrive as JSON strings (form, query) or
    as objects (JSON body)."""
    value = args.get(key)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise SlackError(error) from None
    return value


def _id_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _text_of(element: Any) -> str:
    if isinstance(element, dict):
        return str(element.get("text", ""))
    return ""


def _block_errors(blocks: Any, limit: int) -> list[str]:
    """Block Kit problems as Slack words them (a subset of its checks)."""
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        where = f"[json-pointer:/blocks/{i}]"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            errors.append(f"missing required field: type {where}")
            continue
        kind = block["type"]
        if len(str(block.get("block_id", ""))) > 255:
            errors.append(f"must be less than 256 characters {where[:-1]}/block_id]")
        if kind == "section":
            if "text" not in block and "fields" not in block:
                errors.append(f"must provide either text or fields {where}")
            if len(_text_of(block.get("text"))) > 3000:
                errors.append(f"must be less than 3001 characters {where[:-1]}/text/text]")
            fields = block.get("fields") or []
            if len(fields) > 10:
                errors.append(f"no more than 10 items allowed {where[:-1]}/fields]")
            for j, item in enumerate(fields):
                if len(_text_of(item)) > 2000:
                    errors.append(
                        f"must be less than 2001 characters {where[:-1]}/fields/{j}/text]"
                    )
        elif kind == "header":
            if len(_text_of(block.get("text"))) > 150:
                errors.append(f"must be less than 151 characters {where[:-1]}/text/text]")
        elif kind == "actions":
            if len(block.get("elements") or []) > 25:
                errors.append(f"no more than 25 items allowed {where[:-1]}/elements]")
        elif kind == "context" and len(block.get("elements") or []) > 10:
            errors.append(f"no more than 10 items allowed {where[:-1]}/elements]")
    return errors


def _check_blocks(args: dict[str, Any], *, limit: int = MAX_MESSAGE_BLOCKS) -> list[Any] | None:
    if args.get("blocks") in (None, ""):
        return None
    blocks = _json_value(args, "blocks", "invalid_blocks")
    errors = _block_errors(blocks, limit)
    if errors:
        raise SlackError("invalid_blocks", errors=errors, response_metadata={"messages": errors})
    return list(blocks)


def _check_metadata(args: dict[str, Any]) -> dict[str, Any] | None:
    if args.get("metadata") in (None, ""):
        return None
    metadata = _json_value(args, "metadata", "invalid_metadata_format")
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload", {}), dict)
    ):
        raise SlackError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata.get("event_payload")}


# -- the fake ---------------------------------------------------------------------


class FakeSlack(LoopbackServer):
    """aiohttp web server on 127.0.0.1 with an ephemeral port, answering like
    Slack's Web API at ``/api/<method>`` and recording every call.

    Usable as ``async with FakeSlack() as slack:`` or with ``start()``/``stop()``.
    State is plain dataclasses: tests read and arrange it directly.
    """

    def __init__(
        self,
        *,
        token: str = "xoxb-test-token",
        team_id: str = "T0TEAM",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        team_name: str = "Teamaround Test",
        team_domain: str = "teamaround-test",
        client_id: str = "1111.2222",
        client_secret: str = "client-secret",
        clock: Clock | None = None,
        scopes: Iterable[str] | None = None,
    ) -> None:
        super().__init__(clock=clock)
        # What the bot token was granted: by default exactly what our manifest
        # asks for, so a call needing more fails as in a real install.
        self.scopes = frozenset(manifest_scopes() if scopes is None else scopes)
        self.token = token
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = "A0APP"
        self.client_id = client_id
        self.client_secret = client_secret

        self.wall_clock: Callable[[], float] = time.time

        self.users: dict[str, FakeUser] = {}
        self.channels: dict[str, FakeChannel] = {}
        self.messages: dict[str, list[FakeMessage]] = {}
        self.ims: dict[str, str] = {}
        self.scheduled: dict[str, FakeScheduledMessage] = {}
        self.views: list[dict[str, Any]] = []
        self.files: dict[str, FakeFile] = {}
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[FakeCall] = []
        self.rate_limit: dict[str, int] = {}
        self.post_limit_per_channel: int | None = None  # chat.postMessage per channel per 1 s

        self._ids = itertools.count(1)
        self._ts = 1_700_000_000_000_000  # microseconds; next ts adds 100
        self._rate_log: dict[str, deque[float]] = {}
        self._post_log: dict[str, deque[float]] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._oauth_codes: dict[str, bool] = {}
        self._request_authorization = ""
        self.base_url = ""

        self.users[bot_user_id] = FakeUser(
            id=bot_user_id, name="teamaround", email="", is_bot=True, real_name="Teamaround"
        )
        self._methods: dict[str, Handler] = {
            "api.test": lambda args: {"args": args},
            "auth.test": self._auth_test,
            "bookmarks.add": self._bookmarks_add,
            "bookmarks.list": self._bookmarks_list,
            "chat.delete": self._chat_delete,
            "chat.deleteScheduledMessage": self._chat_delete_scheduled,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.postMessage": self._chat_post_message,
            "chat.scheduleMessage": self._chat_schedule_message,
            "chat.update": self._chat_update,
            "conversations.archive": self._conversations_archive,
            "conversations.create": self._conversations_create,
            "conversations.history": self._conversations_history,
            "conversations.info": self._conversations_info,
            "conversations.invite": self._conversations_invite,
            "conversations.join": self._conversations_join,
            "conversations.kick": self._conversations_kick,
            "conversations.members": self._conversations_members,
            "conversations.open": self._conversations_open,
            "conversations.replies": self._conversations_replies,
            "conversations.setPurpose": self._conversations_set_purpose,
            "conversations.setTopic": self._conversations_set_topic,
            "conversations.unarchive": self._conversations_unarchive,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "oauth.v2.access": self._oauth_v2_access,
            "pins.add": self._pins_add,
            "pins.list": self._pins_list,
            "pins.remove": self._pins_remove,
            "users.conversations": self._users_conversations,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
        }

    # -- lifecycle ----------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._serve_api)
        app.router.add_route("*", "/response/{rid}", self._serve_response_url)
        app.router.add_route("*", "/upload/v1/{key}", self._serve_upload)
        await self._listen(app)
        self.base_url = f"{self.url}/api/"

    # -- arranging state ----------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _next_ts(self) -> str:
        self._ts += 100
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def add_user(self, *, name: str, email: str, is_bot: bool = False, real_name: str = "") -> str:
        """A workspace member; returns the new ``U…`` id."""
        user_id = self._new_id("U")
        self.users[user_id] = FakeUser(
            id=user_id, name=name, email=email, is_bot=is_bot, real_name=real_name or name
        )
        return user_id

    def add_channel(
        self,
        name: str,
        *,
        is_private: bool = False,
        members: Iterable[str] = (),
        bot_member: bool = True,
        is_archived: bool = False,
    ) -> str:
        """A channel that already exists (e.g. to provoke ``name_taken``)."""
        channel_id = self._new_id("C")
        people = set(members) | ({self.bot_user_id} if bot_member else set())
        self.channels[channel_id] = FakeChannel(
            id=channel_id,
            name=name,
            is_private=is_private,
            is_archived=is_archived,
            members=people,
            creator=self.bot_user_id if bot_member else next(iter(people), ""),
            created=int(self.wall_clock()),
        )
        self.messages[channel_id] = []
        return channel_id

    def add_message(
        self,
        channel: str,
        *,
        user: str,
        text: str = "",
        blocks: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """A message someone (not necessarily the bot) posted; returns its ts."""
        ts = self._next_ts()
        self.messages.setdefault(channel, []).append(
            FakeMessage(
                ts=ts,
                channel=channel,
                user=user,
                text=text,
                blocks=blocks,
                metadata=metadata,
                thread_ts=thread_ts,
            )
        )
        return ts

    def find_message(self, channel: str, ts: str) -> FakeMessage | None:
        """A non-ephemeral message by channel and ts."""
        for message in self.messages.get(channel, []):
            if message.ts == ts and message.ephemeral_for is None:
                return message
        return None

    def files_in(self, channel: str, *, thread_ts: str | None = None) -> list[FakeFile]:
        """Files shared in ``channel`` (only in the thread of ``thread_ts``, if given)."""
        return [
            self.files[file_id]
            for message in self.messages.get(channel, [])
            if thread_ts is None or message.thread_ts == thread_ts
            for file_id in message.files
        ]

    def channel_named(self, name: str) -> FakeChannel | None:
        for channel in self.channels.values():
            if channel.name == name and not channel.is_im:
                return channel
        return None

    def calls_to(self, method: str) -> list[FakeCall]:
        return [call for call in self.calls if call.method == method]

    def calls_to_error(self, error: str) -> list[FakeCall]:
        """The calls answered with Slack error ``error``."""
        return [call for call in self.calls if call.error == error]

    def new_trigger_id(self) -> str:
        """A single-use trigger id, valid for 3 s of ``clock``."""
        trigger = f"{next(self._ids)}.{self.team_id}.{secrets.token_hex(16)}"
        self._triggers[trigger] = _Trigger(minted=self.clock())
        return trigger

    def new_response_url(
        self, *, channel: str | None = None, user: str | None = None, message_ts: str | None = None
    ) -> str:
        """A ``response_url`` served by this fake. With ``channel`` (and ``user``,
        ``message_ts``) posts also act on state: ``in_channel`` posts a message,
        ``ephemeral`` records one for ``user``, ``replace_original`` edits and
        ``delete_original`` removes ``message_ts``."""
        if not self.url:
            raise RuntimeError("start the FakeSlack before minting response urls")
        rid = secrets.token_hex(12)
        self._response_urls[rid] = _ResponseUrl(
            created=self.clock(), channel=channel, user=user, message_ts=message_ts
        )
        self.responses[rid] = []
        return f"{self.url}/response/{rid}"

    def new_oauth_code(self) -> str:
        code = f"{next(self._ids)}.{secrets.token_hex(8)}"
        self._oauth_codes[code] = False
        return code

    # -- failure injection --------------------------------------------------------

    def fail_next(
        self,
        method: str | None,
        count: int = 1,
        *,
        error: str | None = None,
        status: int = 500,
        retry_after: int | None = None,
        delay: float | None = None,
        apply_then_fail: bool = False,
    ) -> None:
        """Fail the next ``count`` calls to ``method`` (``None``: any method).

        - ``status=429``: HTTP 429, ``Retry-After: retry_after`` (1 if None),
          body ``{"ok": false, "error": "ratelimited"}``.
        - ``error="code"`` (other statuses): HTTP 200 ``{"ok": false, "error": code}``.
        - ``status`` 5xx without ``error``: that status with a plain-text body.
        - ``status=200`` without ``error``: answer normally (with ``delay`` or
          ``apply_then_fail``: just a slow answer).
        - ``delay``: wait that long first (cut short by ``stop()``), to provoke
          client timeouts.
        - ``apply_then_fail``: perform the call (state changes) and *then* fail
          or delay: Slack accepted it but the response was lost.

        ``outage()``, ``chaos()`` and ``heal()`` come from the loopback base.
        """
        self.inject(
            Fault(
                target=method,
                remaining=count,
                error=error,
                status=status,
                retry_after=retry_after,
                delay=delay,
                apply_then_fail=apply_then_fail,
            )
        )

    @staticmethod
    def _failure_response(failure: Fault, call: FakeCall) -> web.Response | None:
        if failure.status == 429:
            retry_after = 1 if failure.retry_after is None else failure.retry_after
            call.status, call.error = 429, "ratelimited"
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        if failure.error is not None:
            call.status, call.error = 200, failure.error
            return web.json_response({"ok": False, "error": failure.error})
        if failure.status == 200:
            return None
        call.status, call.error = failure.status, f"http_{failure.status}"
        headers = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
        reason = HTTPStatus(failure.status).phrase if failure.status in _STATUSES else "Error"
        return web.Response(status=failure.status, text=reason, headers=headers)

    def _rate_limited(self, method: str, args: dict[str, Any]) -> int | None:
        """Seconds to wait if this call exceeds a configured limit, else None."""
        now = self.clock()
        checks: list[tuple[deque[float], int, float]] = []
        if method in self.rate_limit:
            log = self._rate_log.setdefault(method, deque())
            checks.append((log, self.rate_limit[method], RATE_WINDOW))
        if method == "chat.postMessage" and self.post_limit_per_channel is not None:
            log = self._post_log.setdefault(_str(args, "channel"), deque())
            checks.append((log, self.post_limit_per_channel, 1.0))
        for log, limit, window in checks:
            while log and log[0] <= now - window:
                log.popleft()
            if len(log) >= limit:
                return max(1, math.ceil(log[0] + window - now))
        for log, _, _ in checks:
            log.append(now)
        return None

    # -- HTTP ---------------------------------------------------------------------

    async def _read_args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return args
        if request.content_type == "application/json":
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    raise SlackError("invalid_json") from None
                if not isinstance(body, dict):
                    raise SlackError("invalid_json")
                args.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
        return args

    async def _serve_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = FakeCall(method=method, args={}, time=self.clock(), http_verb=request.method)
        self.calls.append(call)
        try:
            args = await self._read_args(request)
        except SlackError as exc:
            call.status, call.error = 200, exc.code
            return web.json_response({"ok": False, "error": exc.code})
        header = request.headers.get("Authorization", "")
        body_token = args.pop("token", None)
        call.args = args
        if method not in self._methods:
            call.status, call.error = 404, "unknown_method"
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        if method != "oauth.v2.access":
            token = header[len("Bearer ") :] if header.startswith("Bearer ") else body_token
            if not token:
                call.status, call.error = 200, "not_authed"
                return web.json_response({"ok": False, "error": "not_authed"})
            if token != self.token:
                call.status, call.error = 200, "invalid_auth"
                return web.json_response({"ok": False, "error": "invalid_auth"})
            needed = self._missing_scope(method, args)
            if needed is not None:
                call.status, call.error = 200, "missing_scope"
                return web.json_response(
                    {
                        "ok": False,
                        "error": "missing_scope",
                        "needed": needed,
                        "provided": ",".join(sorted(self.scopes)),
                    }
                )

        failure = self._take_fault(method)
        if failure is not None and not failure.apply_then_fail:
            if failure.delay:
                await self._sleep(failure.delay)
            early = self._failure_response(failure, call)
            if early is not None:
                return early
        wait = self._rate_limited(method, args)
        if wait is not None:
            call.status, call.error = 429, "ratelimited"
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(wait)},
            )
        response = self._run(method, args, call, authorization=header)
        if failure is not None and failure.apply_then_fail:
            if failure.delay:
                await self._sleep(failure.delay)
            late = self._failure_response(failure, call)
            if late is not None:
                return late
        return response

    def _conversation_kind(self, method: str, args: dict[str, Any]) -> str | None:
        if method == "conversations.create":
            return "private" if _flag(args.get("is_private", False)) else "public"
        channel = self.channels.get(_str(args, "channel"))
        if channel is None:
            return None  # the method itself answers channel_not_found
        if channel.is_im:
            return "im"
        if channel.is_mpim:
            return "mpim"
        return "private" if channel.is_private else "public"

    def _missing_scope(self, method: str, args: dict[str, Any]) -> str | None:
        """The scope Slack would name as ``needed``, or None when the token has one."""
        wanted: list[tuple[str, ...]] = []
        if method in METHOD_SCOPES:
            wanted.append(METHOD_SCOPES[method])
        elif method in CONVERSATION_SCOPES or method == "conversations.create":
            kind = self._conversation_kind(method, args)
            scopes = _MANAGE if method == "conversations.create" else CONVERSATION_SCOPES[method]
            if kind is not None:
                wanted.append((scopes.get(kind, "missing_scope"),))
        elif method == "conversations.open":
            several = len(_id_list(args.get("users"))) > 1
            wanted.append(("mpim:write",) if several else ("im:write",))
        elif method == "users.conversations":
            types = _id_list(args.get("types")) or ["public_channel"]
            wanted += [(_READ[_TYPES.get(t, "public")],) for t in types]
        for scopes in wanted:
            if not self.scopes.intersection(scopes):
                return scopes[0]
        return None

    def _run(
        self, method: str, args: dict[str, Any], call: FakeCall, *, authorization: str
    ) -> web.Response:
        self._request_authorization = authorization  # read by oauth.v2.access
        try:
            payload = self._methods[method](args)
        except SlackError as exc:
            call.status, call.error = 200, exc.code
            return web.json_response({"ok": False, "error": exc.code, **exc.extra})
        except Exception as exc:  # a bug in the fake: answer, then re-raise at stop()
            self.internal_errors.append(exc)
            call.status, call.error = 500, "fake_slack_internal_error"
            return web.Response(status=500, text=f"fake slack bug: {exc!r}")
        call.status = 200
        return web.json_response({"ok": True, **payload})

    async def _serve_response_url(self, request: web.Request) -> web.Response:
        rid = request.match_info["rid"]
        target = self._response_urls.get(rid)
        if target is None or request.method != "POST":
            return web.Response(status=404, text="no_service")
        if self.clock() - target.created > RESPONSE_URL_TTL:
            return web.Response(status=404, text="expired_url")
        if target.uses >= RESPONSE_URL_USES:
            return web.Response(status=404, text="used_url")
        try:
            body = json.loads(await request.read())
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        target.uses += 1
        self.responses[rid].append(body)
        self._apply_response(target, body)
        return web.Response(status=200, text="ok")

    async def _serve_upload(self, request: web.Request) -> web.Response:
        """The upload URL from files.getUploadURLExternal: the file's bytes, POSTed."""
        key = request.match_info["key"]
        call = FakeCall(method="(upload)", args={"key": key}, time=self.clock())
        self.calls.append(call)
        found = next((f for f in self.files.values() if f.upload_key == key), None)
        if found is None or request.method != "POST":
            call.status, call.error = 404, "not_found"
            return web.Response(status=404, text="Not Found")
        failure = self._take_fault("(upload)")
        if failure is not None:
            early = self._failure_response(failure, call)
            if early is not None:
                return early
        found.content = await request.read()
        call.status = 200
        return web.Response(status=200, text=f"OK - {len(found.content)}")

    def _apply_response(self, target: _ResponseUrl, body: dict[str, Any]) -> None:
        if target.channel is None:
            return
        blocks = body.get("blocks") if isinstance(body.get("blocks"), list) else None
        text = str(body.get("text", ""))
        if _flag(body.get("delete_original", False)) and target.message_ts:
            self.messages[target.channel] = [
                m for m in self.messages.get(target.channel, []) if m.ts != target.message_ts
            ]
            return
        if _flag(body.get("replace_original", False)) and target.message_ts:
            for message in self.messages.get(target.channel, []):
                if message.ts == target.message_ts:
                    message.text, message.blocks = text, blocks
                    message.edited += 1
                    message.edited_ts = self._next_ts()
            return
        ephemeral = body.get("response_type", "ephemeral") != "in_channel"
        self.messages.setdefault(target.channel, []).append(
            FakeMessage(
                ts=self._next_ts(),
                channel=target.channel,
                user=self.bot_user_id,
                text=text,
                blocks=blocks,
                thread_ts=body.get("thread_ts"),
                ephemeral_for=target.user if ephemeral else None,
            )
        )

    # -- JSON shapes --------------------------------------------------------------

    def _channel_json(self, channel: FakeChannel) -> dict[str, Any]:
        if channel.is_im:
            return {
                "id": channel.id,
                "created": channel.created,
                "is_im": True,
                "is_org_shared": False,
                "user": channel.user,
                "is_user_deleted": bool(
                    channel.user and self.users.get(channel.user, FakeUser("", "", "")).deleted
                ),
            }
        return {
            "id": channel.id,
            "name": channel.name,
            "name_normalized": channel.name,
            "is_channel": not channel.is_private and not channel.is_mpim,
            "is_group": channel.is_private and not channel.is_mpim,
            "is_im": False,
            "is_mpim": channel.is_mpim,
            "is_private": channel.is_private,
            "is_archived": channel.is_archived,
            "is_general": False,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": self.bot_user_id in channel.members,
            "created": channel.created,
            "creator": channel.creator,
            "context_team_id": self.team_id,
            "topic": {"value": channel.topic, "creator": "", "last_set": 0},
            "purpose": {"value": channel.purpose, "creator": "", "last_set": 0},
            "num_members": len(channel.members),
        }

    def _user_json(self, user: FakeUser) -> dict[str, Any]:
        return {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.name,
            "real_name": user.real_name or user.name,
            "deleted": user.deleted,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "profile": {
                "email": user.email,
                "real_name": user.real_name or user.name,
                "display_name": user.name,
                "team": self.team_id,
            },
        }

    def _message_json(self, message: FakeMessage, *, metadata: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "ts": message.ts, "text": message.text}
        out["user"] = message.user
        if message.user == self.bot_user_id:
            out["bot_id"] = self.bot_id
            out["app_id"] = self.app_id
        if message.blocks:
            out["blocks"] = message.blocks
        if message.thread_ts:
            out["thread_ts"] = message.thread_ts
        if message.files:
            out["files"] = [self._file_json(self.files[f]) for f in message.files]
        if message.edited:
            out["edited"] = {"user": message.user, "ts": message.edited_ts or message.ts}
        if metadata and message.metadata:
            out["metadata"] = message.metadata
        channel = self.channels.get(message.channel)
        if channel is not None and message.ts in channel.pins:
            out["pinned_to"] = [channel.id]
        return out

    def _file_json(self, file: FakeFile) -> dict[str, Any]:
        return {
            "id": file.id,
            "name": file.name,
            "title": file.title or file.name,
            "size": len(file.content or b""),
            "alt_txt": file.alt_txt,
            "channels": list(file.channels),
            "user": self.bot_user_id,
        }

    # -- lookups ------------------------------------------------------------------

    def _channel(self, channel_id: str) -> FakeChannel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _member_channel(self, channel_id: str, *, archived_ok: bool = False) -> FakeChannel:
        channel = self._channel(channel_id)
        if channel.is_archived and not archived_ok:
            raise SlackError("is_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _user(self, user_id: str) -> FakeUser:
        user = self.users.get(user_id)
        if user is None:
            raise SlackError("user_not_found")
        return user

    def _im_for(self, user_id: str) -> FakeChannel:
        if user_id in self.ims:
            return self.channels[self.ims[user_id]]
        channel = FakeChannel(
            id=self._new_id("D"),
            name="",
            is_private=True,
            members={self.bot_user_id, user_id},
            is_im=True,
            user=user_id,
            created=int(self.wall_clock()),
        )
        self.channels[channel.id] = channel
        self.messages[channel.id] = []
        self.ims[user_id] = channel.id
        return channel

    @staticmethod
    def _page(
        items: list[Any], args: dict[str, Any], *, default: int, cap: int
    ) -> tuple[list[Any], str]:
        limit = max(1, min(_int(args, "limit", default) or default, cap))
        cursor = _str(args, "cursor")
        start = 0
        if cursor:
            match = re.fullmatch(r"next:(\d+)", cursor)
            if match is None:
                raise SlackError("invalid_cursor")
            start = int(match.group(1))
        page = items[start : start + limit]
        nxt = f"next:{start + limit}" if start + limit < len(items) else ""
        return page, nxt

    # -- methods: auth, oauth -------------------------------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.users[self.bot_user_id].name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        client_id, client_secret = _str(args, "client_id"), _str(args, "client_secret")
        basic = self._request_authorization
        if basic.startswith("Basic "):
            decoded = base64.b64decode(basic[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
        if client_id != self.client_id:
            raise SlackError("invalid_client_id")
        if client_secret != self.client_secret:
            raise SlackError("bad_client_secret")
        code = _str(args, "code")
        if code not in self._oauth_codes or self._oauth_codes[code]:
            raise SlackError("invalid_code")
        self._oauth_codes[code] = True
        return {
            "access_token": self.token,
            "token_type": "bot",
            "scope": ",".join(sorted(self.scopes)),
            "bot_user_id": self.bot_user_id,
            "app_id": self.app_id,
            "team": {"id": self.team_id, "name": self.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": ""},
        }

    # -- methods: conversations -------------------------------------------------------

    def _conversations_create(self, args: dict[str, Any]) -> dict[str, Any]:
        name = _str(args, "name")
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if not CHANNEL_NAME.fullmatch(name):
            raise SlackError("invalid_name_specials")
        if not name.strip("-_"):
            raise SlackError("invalid_name_punctuation")
        if self.channel_named(name) is not None:
            raise SlackError("name_taken")
        channel_id = self.add_channel(name, is_private=_flag(args.get("is_private", False)))
        return {"channel": self._channel_json(self.channels[channel_id])}

    def _conversations_invite(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(_str(args, "channel"))
        if channel.is_im or channel.is_mpim:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        wanted = _id_list(args.get("users"))
        if not wanted:
            raise SlackError("no_user")
        if len(wanted) > MAX_INVITE:
            raise SlackError("too_many_users")
        force = _flag(args.get("force", False))
        new: list[str] = []
        errors: list[dict[str, Any]] = []
        for user_id in wanted:
            problem = None
            if user_id == self.bot_user_id:
                problem = "cant_invite_self"
            elif user_id not in self.users:
                problem = "user_not_found"
            elif self.users[user_id].deleted:
                problem = "cant_invite"
            if problem is not None:
                if not force:
                    raise SlackError(problem)
                errors.append({"user": user_id, "ok": False, "error": problem})
            elif user_id not in channel.members and user_id not in new:
                new.append(user_id)
        if not new and not errors:
            raise SlackError("already_in_channel")
        channel.members.update(new)
        out: dict[str, Any] = {"channel": self._channel_json(channel)}
        if errors:
            out["errors"] = errors
        return out

    def _conversations_kick(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(_str(args, "channel"))
        user_id = _str(args, "user")
        if user_id == self.bot_user_id:
            raise SlackError("cant_kick_self")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        if user_id not in self.users:
            raise SlackError("user_not_found")
        if user_id not in channel.members:
            raise SlackError("not_in_channel")
        channel.members.discard(user_id)
        return {}

    def _conversations_archive(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(_str(args, "channel"))
        if channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("already_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        channel.is_archived = True
        return {}

    def _conversations_unarchive(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(_str(args, "channel"))
        if not channel.is_archived:
            raise SlackError("not_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        channel.is_archived = False
        return {}

    def _set_text(self, args: dict[str, Any], key: str) -> FakeChannel:
        channel = self._member_channel(_str(args, "channel"))
        value = _str(args, key)
        if len(value) > MAX_TOPIC:
            raise SlackError("too_long")
        setattr(channel, key, value)
        return channel

    def _conversations_set_topic(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self._channel_json(self._set_text(args, "topic"))}

    def _conversations_set_purpose(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self._channel_json(self._set_text(args, "purpose"))}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return_im = _flag(args.get("return_im", False))
        if args.get("channel"):
            channel = self._channel(_str(args, "channel"))
            return {"channel": self._channel_json(channel) if return_im else {"id": channel.id}}
        users = list(dict.fromkeys(_id_list(args.get("users"))))
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 8:
            raise SlackError("too_many_users")
        for user_id in users:
            if self._user(user_id).deleted:
                raise SlackError("user_disabled")
        if len(users) == 1:
            existed = users[0] in self.ims
            if not existed and _flag(args.get("prevent_creation", False)):
                return {"no_op": True, "channel": {}}
            channel = self._im_for(users[0])
        else:
            wanted = set(users) | {self.bot_user_id}
            found = next(
                (c for c in self.channels.values() if c.is_mpim and c.members == wanted), None
            )
            existed = found is not None
            if found is None:
                found = FakeChannel(
                    id=self._new_id("G"),
                    name="mpdm-" + "--".join(sorted(self.users[u].name for u in wanted)) + "-1",
                    is_private=True,
                    members=wanted,
                    is_mpim=True,
                    creator=self.bot_user_id,
                    created=int(self.wall_clock()),
                )
                self.channels[found.id] = found
                self.messages[found.id] = []
            channel = found
        out: dict[str, Any] = {
            "channel": self._channel_json(channel) if return_im else {"id": channel.id}
        }
        if existed:
            out.update(no_op=True, already_open=True)
        return out

    def _conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(_str(args, "channel"))
        if channel.is_private or channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        already = self.bot_user_id in channel.members
        channel.members.add(self.bot_user_id)
        out: dict[str, Any] = {"channel": self._channel_json(channel)}
        if already:
            out["warning"] = "already_in_channel"
            out["response_metadata"] = {"warnings": ["already_in_channel"]}
        return out

    def _visible_messages(self, channel: FakeChannel) -> list[FakeMessage]:
        return [m for m in self.messages.get(channel.id, []) if m.ephemeral_for is None]

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(_str(args, "channel"), archived_ok=True)
        oldest = _float(args, "oldest", 0.0)
        latest = _float(args, "latest", math.inf)
        inclusive = _flag(args.get("inclusive", False))
        top = [
            m
            for m in self._visible_messages(channel)
            if m.thread_ts in (None, m.ts)
            and (oldest <= float(m.ts) <= latest if inclusive else oldest < float(m.ts) < latest)
        ]
        top.sort(key=lambda m: float(m.ts), reverse=True)
        page, nxt = self._page(top, args, default=100, cap=999)
        with_metadata = _flag(args.get("include_all_metadata", False))
        return {
            "messages": [self._message_json(m, metadata=with_metadata) for m in page],
            "has_more": bool(nxt),
            "pin_count": len(channel.pins),
            "response_metadata": {"next_cursor": nxt},
        }

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(_str(args, "channel"), archived_ok=True)
        ts = _str(args, "ts")
        parent = self.find_message(channel.id, ts)
        if parent is None:
            raise SlackError("thread_not_found")
        thread = [parent] + [
            m for m in self._visible_messages(channel) if m.thread_ts == ts and m.ts != ts
        ]
        thread.sort(key=lambda m: float(m.ts))
        page, nxt = self._page(thread, args, default=1000, cap=1000)
        with_metadata = _flag(args.get("include_all_metadata", False))
        return {
            "messages": [self._message_json(m, metadata=with_metadata) for m in page],
            "has_more": bool(nxt),
            "response_metadata": {"next_cursor": nxt},
        }

    def _conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(_str(args, "channel"))
        if channel.is_private and self.bot_user_id not in channel.members:
            raise SlackError("channel_not_found")
        page, nxt = self._page(sorted(channel.members), args, default=100, cap=1000)
        return {"members": page, "response_metadata": {"next_cursor": nxt}}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(_str(args, "channel"))
        if channel.is_private and self.bot_user_id not in channel.members:
            raise SlackError("channel_not_found")
        return {"channel": self._channel_json(channel)}

    def _users_conversations(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = _str(args, "user") or self.bot_user_id
        self._user(user_id)
        types = set(_id_list(args.get("types"))) or {"public_channel"}
        exclude_archived = _flag(args.get("exclude_archived", False))

        def kind(channel: FakeChannel) -> str:
            if channel.is_im:
                return "im"
            if channel.is_mpim:
                return "mpim"
            return "private_channel" if channel.is_private else "public_channel"

        found = [
            c
            for c in self.channels.values()
            if user_id in c.members
            and kind(c) in types
            and not (exclude_archived and c.is_archived)
        ]
        page, nxt = self._page(found, args, default=100, cap=1000)
        return {
            "channels": [self._channel_json(c) for c in page],
            "response_metadata": {"next_cursor": nxt},
        }

    # -- methods: files ---------------------------------------------------------------

    def _files_get_upload_url_external(self, args: dict[str, Any]) -> dict[str, Any]:
        name = _str(args, "filename")
        length_text = _str(args, "length")
        if not name or not length_text.isdigit() or int(length_text) < 1:
            raise SlackError("invalid_arguments")
        file = FakeFile(
            id=self._new_id("F"),
            name=name,
            length=int(length_text),
            upload_key=secrets.token_hex(12),
            alt_txt=_str(args, "alt_txt"),
        )
        self.files[file.id] = file
        return {"upload_url": f"{self.url}/upload/v1/{file.upload_key}", "file_id": file.id}

    def _files_complete_upload_external(self, args: dict[str, Any]) -> dict[str, Any]:
        wanted = _json_value(args, "files", "invalid_arguments")
        if not isinstance(wanted, list) or not wanted:
            raise SlackError("invalid_arguments")
        files: list[FakeFile] = []
        for item in wanted:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise SlackError("invalid_arguments")
            file = self.files.get(item["id"])
            if file is None or file.content is None or file.completed:
                raise SlackError("file_not_found")
            files.append(file)
        target = _str(args, "channel_id") or (_id_list(args.get("channels")) or [""])[0]
        channel = self._member_channel(target) if target else None
        thread_ts = _str(args, "thread_ts") or None
        if thread_ts is not None and (
            channel is None or self.find_message(channel.id, thread_ts) is None
        ):
            raise SlackError("thread_not_found")
        for file, item in zip(files, wanted, strict=True):
            file.completed = True
            file.title = str(item.get("title") or file.name)
            if channel is not None:
                file.channels.append(channel.id)
        if channel is not None:
            self.messages.setdefault(channel.id, []).append(
                FakeMessage(
                    ts=self._next_ts(),
                    channel=channel.id,
                    user=self.bot_user_id,
                    text=_str(args, "initial_comment"),
                    thread_ts=thread_ts,
                    files=[f.id for f in files],
                )
            )
        return {"files": [{"id": f.id, "title": f.title} for f in files]}

    # -- methods: chat ----------------------------------------------------------------

    def _post_target(self, target: str) -> FakeChannel:
        if target.startswith(("U", "W")):
            user = self.users.get(target)
            if user is None:
                raise SlackError("channel_not_found")
            if user.deleted:
                raise SlackError("user_disabled")
            return self._im_for(target)
        return self._member_channel(target)

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._post_target(_str(args, "channel"))
        blocks = _check_blocks(args)
        metadata = _check_metadata(args)
        text = _str(args, "text")
        if not text and not blocks and not args.get("attachments"):
            raise SlackError("no_text")
        message = FakeMessage(
            ts=self._next_ts(),
            channel=channel.id,
            user=self.bot_user_id,
            text=text[:MAX_TEXT],
            blocks=blocks,
            metadata=metadata,
            thread_ts=_str(args, "thread_ts") or None,
        )
        self.messages.setdefault(channel.id, []).append(message)
        return {
            "channel": channel.id,
            "ts": message.ts,
            "message": self._message_json(message, metadata=True),
        }

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(_str(args, "channel"))
        user_id = _str(args, "user")
        if user_id not in self.users:
            raise SlackError("user_not_found")
        if user_id not in channel.members:
            raise SlackError("user_not_in_channel")
        blocks = _check_blocks(args)
        text = _str(args, "text")
        if not text and not blocks and not args.get("attachments"):
            raise SlackError("no_text")
        ts = self._next_ts()
        self.messages.setdefault(channel.id, []).append(
            FakeMessage(
                ts=ts,
                channel=channel.id,
                user=self.bot_user_id,
                text=text[:MAX_TEXT],
                blocks=blocks,
                thread_ts=_str(args, "thread_ts") or None,
                ephemeral_for=user_id,
            )
        )
        return {"message_ts": ts}

    def _own_message(self, args: dict[str, Any], *, cant: str) -> tuple[FakeChannel, FakeMessage]:
        channel = self._channel(_str(args, "channel"))
        message = self.find_message(channel.id, _str(args, "ts"))
        if message is None:
            raise SlackError("message_not_found")
        if message.user != self.bot_user_id:
            raise SlackError(cant)
        return channel, message

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, message = self._own_message(args, cant="cant_update_message")
        text = _str(args, "text")
        if len(text) > MAX_UPDATE_TEXT:
            raise SlackError("msg_too_long")
        blocks = _check_blocks(args)
        metadata = _check_metadata(args)
        if "text" in args:
            message.text = text
        if "blocks" in args:
            message.blocks = blocks
        if metadata is not None:
            message.metadata = metadata
        message.edited += 1
        message.edited_ts = self._next_ts()
        return {
            "channel": channel.id,
            "ts": message.ts,
            "text": message.text,
            "message": self._message_json(message, metadata=True),
        }

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, message = self._own_message(args, cant="cant_delete_message")
        self.messages[channel.id].remove(message)
        if message.ts in channel.pins:
            channel.pins.remove(message.ts)
        return {"channel": channel.id, "ts": message.ts}

    def _chat_schedule_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._post_target(_str(args, "channel"))
        post_at = _int(args, "post_at", 0)
        if post_at <= 0:
            raise SlackError("invalid_time")
        now = self.wall_clock()
        if post_at <= now:
            raise SlackError("time_in_past")
        if post_at > now + 120 * 86_400:
            raise SlackError("time_too_far")
        blocks = _check_blocks(args)
        text = _str(args, "text")
        if not text and not blocks:
            raise SlackError("no_text")
        scheduled = FakeScheduledMessage(
            id=self._new_id("Q"),
            channel=channel.id,
            post_at=post_at,
            text=text,
            blocks=blocks,
            metadata=_check_metadata(args),
            thread_ts=_str(args, "thread_ts") or None,
        )
        self.scheduled[scheduled.id] = scheduled
        return {
            "channel": channel.id,
            "scheduled_message_id": scheduled.id,
            "post_at": post_at,
            "message": {"type": "message", "text": text, "bot_id": self.bot_id},
        }

    def _chat_delete_scheduled(self, args: dict[str, Any]) -> dict[str, Any]:
        scheduled = self.scheduled.get(_str(args, "scheduled_message_id"))
        if scheduled is None or scheduled.channel != _str(args, "channel"):
            raise SlackError("invalid_scheduled_message_id")
        del self.scheduled[scheduled.id]
        return {}

    # -- methods: pins, bookmarks -------------------------------------------------

    def _pins_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(_str(args, "channel"))
        ts = _str(args, "timestamp")
        if not ts:
            raise SlackError("no_item_specified")
        if not TS_FORMAT.fullmatch(ts):
            raise SlackError("bad_timestamp")
        if self.find_message(channel.id, ts) is None:
            raise SlackError("message_not_found")
        if ts in channel.pins:
            raise SlackError("already_pinned")
        if len(channel.pins) >= MAX_PINS:
            raise SlackError("too_many_pins")
        channel.pins.append(ts)
        return {}

    def _pins_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(_str(args, "channel"), archived_ok=True)
        ts = _str(args, "timestamp")
        if ts not in channel.pins:
            raise SlackError("no_pin")
        channel.pins.remove(ts)
        return {}

    def _pins_list(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(_str(args, "channel"), archived_ok=True)
        items = []
        for ts in channel.pins:
            message = self.find_message(channel.id, ts)
            if message is not None:
                items.append(
                    {
                        "type": "message",
                        "channel": channel.id,
                        "message": self._message_json(message, metadata=False),
                    }
                )
        return {"items": items}

    def _bookmarks_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(_str(args, "channel_id"))
        title = _str(args, "title")
        if not title:
            raise SlackError("invalid_arguments")
        if _str(args, "type") != "link":
            raise SlackError("invalid_bookmark_type")
        link = _str(args, "link")
        if not re.fullmatch(r"https?://\S+", link):
            raise SlackError("invalid_link")
        bookmark = {
            "id": self._new_id("Bk"),
            "channel_id": channel.id,
            "title": title,
            "link": link,
            "emoji": args.get("emoji"),
            "type": "link",
            "date_created": int(self.wall_clock()),
        }
        channel.bookmarks.append(bookmark)
        return {"bookmark": bookmark}

    def _bookmarks_list(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._member_channel(_str(args, "channel_id"), archived_ok=True)
        return {"bookmarks": list(channel.bookmarks)}

    # -- methods: users -----------------------------------------------------------

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = _str(args, "email").strip().lower()
        if not email:
            raise SlackError("invalid_arguments")
        for user in self.users.values():
            if user.email.lower() == email and not user.deleted:
                return {"user": self._user_json(user)}
        raise SlackError("users_not_found")

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"user": self._user_json(self._user(_str(args, "user")))}

    # -- methods: views -----------------------------------------------------------

    def _use_trigger(self, args: dict[str, Any]) -> None:
        trigger = self._triggers.get(_str(args, "trigger_id"))
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self.clock() - trigger.minted > TRIGGER_TTL:
            raise SlackError("expired_trigger_id")
        trigger.used = True

    def _check_view(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _json_value(args, "view", "invalid_arguments")
        if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
            raise SlackError("invalid_arguments")
        if len(json.dumps(view)) > MAX_VIEW_BYTES:
            raise SlackError("view_too_large")
        problems = _block_errors(view.get("blocks", []), MAX_VIEW_BLOCKS)
        for key in ("title", "submit", "close"):
            if len(_text_of(view.get(key))) > 24:
                problems.append(f"must be less than 25 characters [json-pointer:/view/{key}/text]")
        if len(str(view.get("private_metadata", ""))) > 3000:
            problems.append(
                "must be less than 3001 characters [json-pointer:/view/private_metadata]"
            )
        if len(str(view.get("callback_id", ""))) > 255:
            problems.append("must be less than 256 characters [json-pointer:/view/callback_id]")
        if problems:
            raise SlackError("invalid_arguments", response_metadata={"messages": problems})
        return view

    def _record_view(self, view: dict[str, Any], *, previous: str | None) -> dict[str, Any]:
        view_id = self._new_id("V")
        root = previous and next(v["root_view_id"] for v in self.views if v["id"] == previous)
        record = {
            **view,
            "id": view_id,
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": secrets.token_hex(8),
            "root_view_id": root or view_id,
            "previous_view_id": previous,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
        }
        self.views.append(record)
        return record

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._check_view(args)
        self._use_trigger(args)
        return {"view": self._record_view(view, previous=None)}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._check_view(args)
        self._use_trigger(args)
        previous = self.views[-1]["id"] if self.views else None
        depth = 1
        walk = previous
        while walk is not None:
            parent = next(v for v in self.views if v["id"] == walk)
            walk = parent["previous_view_id"]
            depth += 1
        if previous is None:
            raise SlackError("not_found")
        if depth > 3:
            raise SlackError("push_limit_reached")
        return {"view": self._record_view(view, previous=previous)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id, external_id = _str(args, "view_id"), _str(args, "external_id")
        if not view_id and not external_id:
            raise SlackError("invalid_arguments")
        current = next(
            (
                v
                for v in self.views
                if (view_id and v["id"] == view_id)
                or (external_id and v.get("external_id") == external_id)
            ),
            None,
        )
        if current is None:
            raise SlackError("not_found")
        wanted_hash = _str(args, "hash")
        if wanted_hash and wanted_hash != current["hash"]:
            raise SlackError("hash_conflict")
        view = self._check_view(args)
        keep = {k: current[k] for k in ("id", "root_view_id", "previous_view_id", "state")}
        current.clear()
        current.update(
            {
                **view,
                **keep,
                "team_id": self.team_id,
                "hash": secrets.token_hex(8),
                "app_id": self.app_id,
                "bot_id": self.bot_id,
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
                "external_id": view.get("external_id", external_id),
            }
        )
        return {"view": current}


# -- inbound helpers (Slack → our server) --------------------------------------------


def sign(body: bytes, *, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack would send with ``body``: ``v0=`` HMAC-SHA256 of
    ``v0:{timestamp}:{body}`` keyed by the signing secret (now by default;
    pass an old ``timestamp`` for the >300 s staleness check)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def slash_command_body(
    *,
    command: str,
    text: str,
    user_id: str,
    channel_id: str,
    team_id: str = "T0TEAM",
    trigger_id: str,
    response_url: str,
    user_name: str = "someone",
    channel_name: str = "general",
    team_domain: str = "teamaround-test",
    api_app_id: str = "A0APP",
) -> bytes:
    """A slash-command POST body, form-encoded as Slack sends it."""
    fields = {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return urlencode(fields).encode()


def _payload_body(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()


def block_actions_body(
    *,
    user_id: str,
    action_id: str,
    value: str,
    channel_id: str,
    message_ts: str,
    trigger_id: str,
    response_url: str,
    team_id: str = "T0TEAM",
    block_id: str = "actions",
    message: dict[str, Any] | None = None,
    is_ephemeral: bool = False,
    user_name: str = "someone",
    api_app_id: str = "A0APP",
) -> bytes:
    """A button click on a message: form field ``payload=<json>``."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": "deprecated-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": "teamaround-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "channel"},
        "message": message or {"type": "message", "ts": message_ts, "text": ""},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": action_id},
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return _payload_body(payload)


def view_submission_body(
    *,
    user_id: str,
    callback_id: str,
    private_metadata: str,
    values: dict[str, dict[str, dict[str, Any]]],
    view_id: str = "V123",
    team_id: str = "T0TEAM",
    trigger_id: str = "1.T0TEAM.submission",
    user_name: str = "someone",
    api_app_id: str = "A0APP",
) -> bytes:
    """A modal submission: form field ``payload=<json>``; ``values`` is
    ``state.values[block_id][action_id]`` (e.g. ``{"type": "plain_text_input",
    "value": "…"}``)."""
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "teamaround-test"},
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": "deprecated-verification-token",
        "trigger_id": trigger_id,
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": values},
            "hash": "1700000000.000000",
            "title": {"type": "plain_text", "text": "Teamaround"},
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": api_app_id,
            "external_id": "",
            "bot_id": "B0BOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _payload_body(payload)
