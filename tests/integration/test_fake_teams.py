"""The fake Teams (Entra + Bot Connector + Graph + Bot Framework keys), driven by
plain HTTP, by the real msal client and by PyJWT."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import jwt
import msal
import pytest
from aiohttp import web

from integrations.teams.tokens import RewritingSession
from tests.fakes.server import ManualClock
from tests.fakes.teams import (
    APP_ONLY_POST,
    BOTFRAMEWORK_SCOPE,
    GRAPH_SCOPE,
    ODATA_MEMBER,
    ODATA_TYPE_REQUIRED,
    PRIVATE_NO_MEMBERS,
    FakeTeams,
    FakeUser,
)

TENANT = "11111111-2222-4333-8444-555555555555"
APP = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
SECRET = "s3cret~value"
ACTIVITY_ID = re.compile(r"\d{13}")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def teams(clock: ManualClock) -> AsyncIterator[FakeTeams]:
    """A fake Teams on a clock the test moves (never the host's: see ManualClock)."""
    async with FakeTeams(tenant_id=TENANT, app_id=APP, app_password=SECRET, clock=clock) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Api:
    """Thin helper: tokens from the fake, JSON in and out."""

    def __init__(self, teams: FakeTeams, http: aiohttp.ClientSession) -> None:
        self.teams, self.http = teams, http
        self._tokens: dict[str, str] = {}

    async def token(self, scope: str = BOTFRAMEWORK_SCOPE) -> str:
        if scope not in self._tokens:
            status, body, _ = await self.form(
                f"{self.teams.login_url}/{TENANT}/oauth2/v2.0/token",
                {
                    "grant_type": "client_credentials",
                    "client_id": APP,
                    "client_secret": SECRET,
                    "scope": scope,
                },
            )
            assert status == 200, body
            self._tokens[scope] = body["access_token"]
        return self._tokens[scope]

    def forget_tokens(self) -> None:
        self._tokens.clear()

    async def form(self, url: str, data: dict[str, str]) -> tuple[int, Any, Any]:
        async with self.http.post(url, data=data) as response:
            return response.status, await response.json(), response.headers

    async def call(
        self, verb: str, url: str, body: Any = None, *, token: str | None = None
    ) -> tuple[int, Any, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["json"] = body
        async with self.http.request(verb, url, **kwargs) as response:
            text = await response.text()
            return response.status, json.loads(text) if text else None, response.headers

    async def bot(self, verb: str, path: str, body: Any = None) -> tuple[int, Any, Any]:
        token = await self.token(BOTFRAMEWORK_SCOPE)
        return await self.call(verb, f"{self.teams.service_url}{path}", body, token=token)

    async def graph(self, verb: str, path: str, body: Any = None) -> tuple[int, Any, Any]:
        token = await self.token(GRAPH_SCOPE)
        return await self.call(verb, f"{self.teams.graph_url}/v1.0/{path}", body, token=token)


@pytest.fixture
def api(teams: FakeTeams, http: aiohttp.ClientSession) -> Api:
    return Api(teams, http)


def member(user: FakeUser, *roles: str) -> dict[str, Any]:
    return {
        "@odata.type": ODATA_MEMBER,
        "roles": list(roles),
        "user@odata.bind": f"https://graph.microsoft.com/v1.0/users('{user.id}')",
    }


def message(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"type": "message", "text": text, **extra}


def card(body_text: str = "Card") -> dict[str, Any]:
    return {
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": {
            "type": "AdaptiveCard",
            "version": "1.5",
            "body": [{"type": "TextBlock", "text": body_text}],
            "actions": [{"type": "Action.Submit", "title": "Done", "data": {"verb": "done"}}],
        },
    }


def error_code(body: Any) -> str:
    return str(body["error"]["code"])


# -- Entra: msal against the fake ------------------------------------------------------


_SESSIONS: list[RewritingSession] = []


@pytest.fixture(autouse=True)
def close_msal_sessions() -> Iterator[None]:
    """msal keeps its HTTP connections open: close them after each test."""
    yield
    while _SESSIONS:
        _SESSIONS.pop().close()


def msal_app(teams: FakeTeams, secret: str = SECRET) -> msal.ConfidentialClientApplication:
    """msal with the app's own plumbing (login.microsoftonline.com → the fake)."""
    session = RewritingSession(teams.login_url)
    _SESSIONS.append(session)
    return msal.ConfidentialClientApplication(
        APP,
        client_credential=secret,
        authority=f"https://login.microsoftonline.com/{TENANT}",
        http_client=session,
    )


async def test_msal_gets_and_caches_tokens_for_both_scopes(teams: FakeTeams) -> None:
    app = await asyncio.to_thread(msal_app, teams)
    first = await asyncio.to_thread(app.acquire_token_for_client, [BOTFRAMEWORK_SCOPE])
    assert first["token_type"] == "Bearer" and first["expires_in"] == 3599, first
    again = await asyncio.to_thread(app.acquire_token_for_client, [BOTFRAMEWORK_SCOPE])
    assert again["access_token"] == first["access_token"]
    graph = await asyncio.to_thread(app.acquire_token_for_client, [GRAPH_SCOPE])
    assert graph["access_token"] != first["access_token"]
    assert teams.tokens_issued == {BOTFRAMEWORK_SCOPE: 1, GRAPH_SCOPE: 1}
    assert [c.op for c in teams.calls] == ["openid_configuration", "token", "token"]
    token_call = teams.calls_to("token")[0]
    assert token_call.body["client_secret"] == "***"
    assert token_call.body["scope"] == BOTFRAMEWORK_SCOPE
    assert teams.tokens[first["access_token"]].audience == "https://api.botframework.com"


async def test_msal_sees_entra_errors(teams: FakeTeams) -> None:
    wrong = await asyncio.to_thread(msal_app, teams, "not-the-secret")
    result = await asyncio.to_thread(wrong.acquire_token_for_client, [BOTFRAMEWORK_SCOPE])
    assert result["error"] == "invalid_client"
    assert result["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert result["error_codes"] == [7000215]
    right = await asyncio.to_thread(msal_app, teams)
    result = await asyncio.to_thread(
        right.acquire_token_for_client, ["https://example.org/.default"]
    )
    assert result["error"] == "invalid_scope" and result["error_codes"] == [70011]
    assert teams.tokens_issued == {}


async def test_token_endpoint_errors_over_plain_http(teams: FakeTeams, api: Api) -> None:
    url = f"{teams.login_url}/{TENANT}/oauth2/v2.0/token"
    base = {"grant_type": "client_credentials", "client_id": APP, "scope": GRAPH_SCOPE}
    status, body, _ = await api.form(url, {**base, "client_secret": "nope"})
    assert (status, body["error"], body["error_codes"]) == (401, "invalid_client", [7000215])
    status, body, _ = await api.form(url, {**base, "client_secret": SECRET, "client_id": "x"})
    assert (status, body["error"]) == (400, "unauthorized_client")
    status, body, _ = await api.form(url, {**base, "client_secret": SECRET, "scope": "User.Read"})
    assert (status, body["error"]) == (400, "invalid_scope")
    assert body["error_description"].startswith("AADSTS70011")
    status, body, _ = await api.form(
        f"{teams.login_url}/other-tenant/oauth2/v2.0/token", {**base, "client_secret": SECRET}
    )
    assert (status, body["error"]) == (400, "invalid_tenant")
    async with api.http.get(
        f"{teams.login_url}/{TENANT}/v2.0/.well-known/openid-configuration"
    ) as response:
        config = await response.json()
    assert config["token_endpoint"] == (
        f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
    )
    async with api.http.get(
        f"{teams.login_url}/common/discovery/instance",
        params={"authorization_endpoint": f"https://login.microsoftonline.com/{TENANT}/x"},
    ) as response:
        discovery = await response.json()
    assert TENANT in discovery["tenant_discovery_endpoint"]
    assert all("Authorization" not in json.dumps(c.body) for c in teams.calls)


# -- Bot Connector: auth, send, reply, update, delete -------------------------------------


async def test_connector_rejects_missing_wrong_and_expired_tokens(
    teams: FakeTeams, api: Api
) -> None:
    kim = teams.add_user(email="kim@nhs.example", name="Kim Lee")
    conv = teams.install_for_user(kim)
    url = f"{teams.service_url}v3/conversations/{conv}/activities"
    status, body, _ = await api.call("POST", url, message())
    assert (status, error_code(body)) == (401, "Unauthorized")
    graph_token = await api.token(GRAPH_SCOPE)
    status, body, _ = await api.call("POST", url, message(), token=graph_token)
    assert status == 401
    status, _, _ = await api.bot("POST", f"v3/conversations/{conv}/activities", message())
    assert status == 201
    teams.expire_tokens()
    status, body, _ = await api.bot("POST", f"v3/conversations/{conv}/activities", message())
    assert (status, error_code(body)) == (401, "Unauthorized")
    assert len(teams.messages_in(conv)) == 1
    assert [c.status for c in teams.calls_to("send")] == [401, 401, 201, 401]


@pytest.mark.parametrize("uptime", [5.0, 86_400.0])
async def test_tokens_last_an_hour_of_the_fakes_own_clock_however_long_the_host_is_up(
    http: aiohttp.ClientSession, uptime: float
) -> None:
    """A machine booted seconds ago and one up for a day see the same lifetimes:
    the token's expiry and the test's clock are the same clock."""
    clock = ManualClock(start=uptime)
    async with FakeTeams(tenant_id=TENANT, app_id=APP, app_password=SECRET, clock=clock) as teams:
        api = Api(teams, http)
        kim = teams.add_user(email="kim@nhs.example", name="Kim Lee")
        path = f"v3/conversations/{teams.install_for_user(kim)}/activities"
        assert (await api.bot("POST", path, message()))[0] == 201
        clock.advance(3598)
        assert (await api.bot("POST", path, message()))[0] == 201
        clock.advance(2)
        assert (await api.bot("POST", path, message()))[0] == 401
        with pytest.raises(AttributeError):
            teams.clock = ManualClock()  # type: ignore[misc]


async def test_channel_thread_send_reply_update_delete(teams: FakeTeams, api: Api) -> None:
    kim = teams.add_user(email="kim@nhs.example", name="Kim Lee")
    team = teams.add_team("Children's services", members=[kim], bot_installed=True)
    channel = teams.add_channel(team, "Network 42")
    status, created, _ = await api.bot(
        "POST",
        "v3/conversations",
        {
            "isGroup": True,
            "channelData": {"channel": {"id": channel}, "tenant": {"id": TENANT}},
            "activity": message("root", attachments=[card()]),
        },
    )
    assert status == 201
    root = created["activityId"]
    assert created["id"] == f"{channel};messageid={root}" and ACTIVITY_ID.fullmatch(root)

    status, sent, _ = await api.bot(
        "POST", f"v3/conversations/{created['id']}/activities", message("in thread")
    )
    assert status == 201 and int(sent["id"]) > int(root)
    status, replied, _ = await api.bot(
        "POST", f"v3/conversations/{channel}/activities/{root}", message("a reply")
    )
    assert status == 201
    status, _, _ = await api.bot(
        "PUT",
        f"v3/conversations/{channel}/activities/{root}",
        message("root v2", attachments=[card("v2")]),
    )
    assert status == 200
    status, _, _ = await api.bot("DELETE", f"v3/conversations/{channel}/activities/{sent['id']}")
    assert status == 200

    everything = teams.activities[channel]
    assert [a.id for a in everything] == [root, sent["id"], replied["id"]]
    assert everything[1].deleted
    live = teams.messages_in(f"{channel};messageid={root}")
    assert [a.text for a in live] == ["root v2", "a reply"]
    first = live[0]
    assert first.updates == 1 and first.history[0]["text"] == "root"
    assert first.cards[0]["body"][0]["text"] == "v2"
    assert live[1].reply_to_id == root and live[1].thread_id == root
    assert first.activity["from"]["id"] == f"28:{APP}"

    status, body, _ = await api.bot(
        "PUT", f"v3/conversations/{channel}/activities/9999999999999", message()
    )
    assert (status, error_code(body)) == (404, "ActivityNotFound")
    status, body, _ = await api.bot(
        "POST", f"v3/conversations/{channel};messageid=123/activities", message()
    )
    assert (status, error_code(body)) == (404, "ConversationNotFound")


async def test_percent_encoded_conversation_ids_work(teams: FakeTeams, api: Api) -> None:
    sam = teams.add_user(email="sam@nhs.example", name="Sam Jones")
    chat = teams.add_group_chat([sam], topic="Network")
    encoded = "".join(f"%{b:02X}" for b in chat.encode())
    status, _, _ = await api.bot("POST", f"v3/conversations/{encoded}/activities", message())
    assert status == 201 and len(teams.messages_in(chat)) == 1


async def test_personal_conversation_needs_the_app_installed(teams: FakeTeams, api: Api) -> None:
    sam = teams.add_user(email="sam@nhs.example", name="Sam Jones")
    params = {
        "bot": {"id": f"28:{APP}"},
        "members": [{"id": sam.id}],
        "channelData": {"tenant": {"id": TENANT}},
    }
    status, body, _ = await api.bot("POST", "v3/conversations", params)
    assert (status, error_code(body)) == (403, "BotNotInConversationRoster")

    catalog = teams.publish_app("teamaround-manifest-id")
    status, _, _ = await api.graph(
        "POST",
        f"users/{sam.id}/teamwork/installedApps",
        {
            "teamsApp@odata.bind": f"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalog}"
        },
    )
    assert status == 201
    status, first, _ = await api.bot("POST", "v3/conversations", params)
    assert status == 201 and first["id"].startswith("a:")
    by_teams_id = {**params, "members": [{"id": sam.teams_id}], "activity": message("hi")}
    status, second, _ = await api.bot("POST", "v3/conversations", by_teams_id)
    assert second["id"] == first["id"] and ACTIVITY_ID.fullmatch(second["activityId"])
    assert [a.text for a in teams.messages_in(first["id"])] == ["hi"]

    status, body, _ = await api.bot(
        "POST", "v3/conversations", {"isGroup": True, "members": [{"id": sam.id}]}
    )
    assert (status, error_code(body)) == (400, "BadArgument")
    sam.blocked_bot = True
    status, body, _ = await api.bot("POST", f"v3/conversations/{first['id']}/activities", message())
    assert (status, error_code(body)) == (403, "ConversationBlockedByUser")


async def test_bot_must_be_in_the_conversation_and_own_what_it_edits(
    teams: FakeTeams, api: Api
) -> None:
    sam = teams.add_user(email="sam@nhs.example", name="Sam Jones")
    chat = teams.add_group_chat([sam], topic="Without the bot", bot_installed=False)
    status, body, _ = await api.bot("POST", f"v3/conversations/{chat}/activities", message())
    assert (status, error_code(body)) == (403, "BotNotInConversationRoster")
    status, body, _ = await api.bot(
        "POST", "v3/conversations/19:nope@thread.v2/activities", message()
    )
    assert (status, error_code(body)) == (404, "ConversationNotFound")

    teams.install_in_chat(chat)
    theirs = teams.message_activity(sam, chat, "hello bot")
    status, body, _ = await api.bot(
        "PUT", f"v3/conversations/{chat}/activities/{theirs['id']}", message("edited")
    )
    assert (status, error_code(body)) == (403, "Forbidden")
    status, body, _ = await api.bot("DELETE", f"v3/conversations/{chat}/activities/{theirs['id']}")
    assert status == 403


async def test_activity_validation_and_the_size_limit(teams: FakeTeams, api: Api) -> None:
    sam = teams.add_user(email="sam@nhs.example", name="Sam Jones")
    chat = teams.add_group_chat([sam])
    path = f"v3/conversations/{chat}/activities"
    status, body, _ = await api.bot("POST", path, {"text": "no type"})
    assert (status, error_code(body)) == (400, "BadArgument")
    no_content = {"contentType": "application/vnd.microsoft.card.adaptive"}
    status, body, _ = await api.bot("POST", path, message("", attachments=[no_content]))
    assert (status, error_code(body)) == (400, "BadArgument")
    status, body, _ = await api.bot("POST", path, {"type": "message"})
    assert status == 400

    status, _, _ = await api.bot("POST", path, message("a" * 50_000))
    assert status == 201
    status, body, _ = await api.bot("POST", path, message("a" * 52_000))
    assert (status, error_code(body)) == (413, "MessageSizeTooBig")
    # 26,000 astral characters: 104 KB in UTF-16 though only 26k code points.
    status, body, _ = await api.bot("POST", path, message("\U0001f600" * 26_000))
    assert status == 413
    status, body, _ = await api.bot("POST", path, {"type": "typing"})
    assert (status, body) == (200, {})
    assert len(teams.messages_in(chat)) == 1


async def test_roster_lookups_and_paging(teams: FakeTeams, api: Api) -> None:
    people = [teams.add_user(email=f"p{i}@nhs.example", name=f"Person {i}") for i in range(5)]
    outsider = teams.add_user(email="out@else.example", name="Out Sider")
    team = teams.add_team("Team", members=people, bot_installed=True)
    general = teams.teams[team].general_channel_id
    status, found, _ = await api.bot("GET", f"v3/conversations/{general}/members/{people[0].id}")
    assert status == 200
    assert found == {
        "id": people[0].teams_id,
        "name": "Person 0",
        "aadObjectId": people[0].id,
        "givenName": "Person",
        "surname": "0",
        "email": "p0@nhs.example",
        "userPrincipalName": "p0@nhs.example",
        "tenantId": TENANT,
        "userRole": "user",
    }
    status, same, _ = await api.bot(
        "GET", f"v3/conversations/{general}/members/{people[0].teams_id}"
    )
    assert same == found
    status, body, _ = await api.bot("GET", f"v3/conversations/{general}/members/{outsider.id}")
    assert (status, error_code(body)) == (404, "MemberNotFoundInConversation")

    seen: list[str] = []
    query = "pageSize=2"
    while True:
        status, page, _ = await api.bot("GET", f"v3/conversations/{general}/pagedmembers?{query}")
        seen += [m["aadObjectId"] for m in page["members"]]
        if "continuationToken" not in page:
            break
        query = f"pageSize=2&continuationToken={page['continuationToken']}"
    assert seen == [p.id for p in people]
    status, details, _ = await api.bot("GET", f"v3/teams/{general}")
    assert details["aadGroupId"] == team


# -- rate limits and failure injection ------------------------------------------------


async def test_send_buckets_per_thread(teams: FakeTeams, api: Api, clock: ManualClock) -> None:
    sam = teams.add_user(email="sam@nhs.example", name="Sam Jones")
    one, two = teams.add_group_chat([sam]), teams.add_group_chat([sam])

    async def send(chat: str) -> tuple[int, Any]:
        status, _, headers = await api.bot("POST", f"v3/conversations/{chat}/activities", message())
        return status, headers.get("Retry-After")

    assert [(await send(one))[0] for _ in range(7)] == [201] * 7
    assert await send(one) == (429, "1")
    assert (await send(two))[0] == 201  # another thread has its own buckets
    clock.now += 1.0
    assert (await send(one))[0] == 201  # the 8th within 2 s
    status, retry_after = await send(one)
    assert status == 429 and retry_after == "1"
    clock.now += 1.0
    assert (await send(one))[0] == 201

    # 60 per 30 s: keep under 7/1 s and 8/2 s by spacing sends 0.3 s apart.
    teams.activities.clear()
    clock.now += 3600
    api.forget_tokens()  # an hour on: the first token has expired, as Entra's do
    statuses = []
    for _ in range(61):
        clock.now += 0.3
        statuses.append((await send(one))[0])
    assert statuses.count(201) == 60 and statuses[-1] == 429
    assert teams.calls_to("send")[-1].code == "TooManyRequests"

    teams.retry_after_header = False
    assert await send(one) == (429, None)
    teams.send_limits = ()
    assert (await send(one))[0] == 201


async def test_fail_next_outage_and_heal(teams: FakeTeams, api: Api) -> None:
    sam = teams.add_user(email="sam@nhs.example", name="Sam Jones")
    chat = teams.add_group_chat([sam])
    path = f"v3/conversations/{chat}/activities"
    teams.fail_next("send", status=429, retry_after=3, times=2)
    for _ in range(2):
        status, body, headers = await api.bot("POST", path, message())
        assert (status, error_code(body), headers["Retry-After"]) == (429, "TooManyRequests", "3")
    assert (await api.bot("POST", path, message()))[0] == 201

    teams.fail_next("graph", status=429)
    status, body, headers = await api.graph("GET", f"users/{sam.id}")
    assert status == 429 and headers["Retry-After"] == "1" and "innerError" in body["error"]

    teams.fail_next("send", status=504, apply_then_fail=True)
    status, body, _ = await api.bot("POST", path, message("sent but lost"))
    assert (status, error_code(body)) == (504, "GatewayTimeout")
    assert teams.messages_in(chat)[-1].text == "sent but lost"

    teams.fail_next("send", status=200, delay=0.05)
    assert (await api.bot("POST", path, message("slow")))[0] == 201

    teams.outage(service="connector")
    assert (await api.bot("POST", path, message()))[0] == 503
    assert (await api.graph("GET", f"users/{sam.id}"))[0] == 200
    teams.heal()
    assert (await api.bot("POST", path, message()))[0] == 201
    with pytest.raises(ValueError):
        teams.fail_next("chat.postMessage")


# -- Graph --------------------------------------------------------------------------------


async def test_graph_users(teams: FakeTeams, api: Api) -> None:
    kim = teams.add_user(email="Kim.Lee@nhs.example", name="Kim Lee")
    teams.add_user(email="guest@council.example", name="Gus Test", in_tenant=False)
    status, body, _ = await api.graph("GET", "users/kim.lee@nhs.example")
    assert status == 200 and body["id"] == kim.id and body["mail"] == kim.email
    status, body, _ = await api.graph("GET", f"users/{kim.id}?$select=id,displayName")
    assert set(body) == {"@odata.context", "id", "displayName"}
    status, body, _ = await api.graph("GET", "users?$filter=mail eq 'kim.lee@nhs.example'")
    assert [u["id"] for u in body["value"]] == [kim.id]
    status, body, _ = await api.graph("GET", "users?$filter=mail eq 'guest@council.example'")
    assert (status, body["value"]) == (200, [])
    status, body, _ = await api.graph("GET", "users/guest@council.example")
    assert status == 404
    assert body["error"]["code"] == "Request_ResourceNotFound"
    assert body["error"]["message"] == (
        "Resource 'guest@council.example' does not exist or one of its queried "
        "reference-property objects are not present."
    )
    connector_token = await api.token(BOTFRAMEWORK_SCOPE)
    status, body, _ = await api.call(
        "GET", f"{teams.graph_url}/v1.0/users/{kim.id}", token=connector_token
    )
    assert (status, error_code(body)) == (401, "InvalidAuthenticationToken")


async def test_group_chat_created_installed_and_pinned(teams: FakeTeams, api: Api) -> None:
    kim = teams.add_user(email="kim@nhs.example", name="Kim Lee")
    sam = teams.add_user(email="sam@council.example", name="Sam Jones")
    ali = teams.add_user(email="ali@school.example", name="Ali Khan")
    bad = {**member(kim, "owner")}
    del bad["@odata.type"]
    status, body, _ = await api.graph(
        "POST", "chats", {"chatType": "group", "members": [bad, member(sam, "owner")]}
    )
    assert (status, body["error"]["message"]) == (400, ODATA_TYPE_REQUIRED)
    status, body, _ = await api.graph(
        "POST", "chats", {"chatType": "group", "members": [member(kim, "owner")]}
    )
    assert status == 400

    status, chat, _ = await api.graph(
        "POST",
        "chats",
        {
            "chatType": "group",
            "topic": "Network for YP 0042",
            "members": [member(kim, "owner"), member(sam, "owner"), member(ali, "owner")],
        },
    )
    assert status == 201 and chat["chatType"] == "group"
    chat_id = chat["id"]
    assert chat_id.endswith("@thread.v2")
    assert teams.chat_with_topic("Network for YP 0042") is teams.conversations[chat_id]

    status, body, _ = await api.bot("POST", f"v3/conversations/{chat_id}/activities", message())
    assert (status, error_code(body)) == (403, "BotNotInConversationRoster")

    catalog = teams.publish_app("teamaround-manifest-id")
    status, apps, _ = await api.graph(
        "GET", "appCatalogs/teamsApps?$filter=externalId eq 'teamaround-manifest-id'"
    )
    assert [a["id"] for a in apps["value"]] == [catalog]
    bind = {
        "teamsApp@odata.bind": f"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalog}"
    }
    assert (await api.graph("POST", f"chats/{chat_id}/installedApps", bind))[0] == 201
    status, body, _ = await api.graph("POST", f"chats/{chat_id}/installedApps", bind)
    assert (status, error_code(body)) == (409, "Conflict")
    assert teams.calls[-1].op == "install_chat_app"

    status, sent, _ = await api.bot(
        "POST", f"v3/conversations/{chat_id}/activities", message("", attachments=[card()])
    )
    assert status == 201
    pin = {
        "message@odata.bind": (
            f"https://graph.microsoft.com/v1.0/chats/{chat_id}/messages/{sent['id']}"
        )
    }
    status, pinned, _ = await api.graph("POST", f"chats/{chat_id}/pinnedMessages", pin)
    assert status == 201
    assert (await api.graph("POST", f"chats/{chat_id}/pinnedMessages", pin))[0] == 409
    status, pins, _ = await api.graph("GET", f"chats/{chat_id}/pinnedMessages?$expand=message")
    assert [p["message"]["id"] for p in pins["value"]] == [sent["id"]]
    assert [a.id for a in teams.pinned_in(chat_id)] == [sent["id"]]
    missing = {"message@odata.bind": f"https://graph.microsoft.com/v1.0/chats/{chat_id}/messages/1"}
    assert (await api.graph("POST", f"chats/{chat_id}/pinnedMessages", missing))[0] == 404
    status, _, _ = await api.graph("DELETE", f"chats/{chat_id}/pinnedMessages/{pinned['id']}")
    assert status == 204 and teams.pinned_in(chat_id) == []

    status, members, _ = await api.graph("GET", f"chats/{chat_id}/members")
    assert {m["userId"] for m in members["value"]} == {kim.id, sam.id, ali.id}
    ali_membership = next(m["id"] for m in members["value"] if m["userId"] == ali.id)
    assert (await api.graph("DELETE", f"chats/{chat_id}/members/{ali_membership}"))[0] == 204
    status, renamed, _ = await api.graph("PATCH", f"chats/{chat_id}", {"topic": "Renamed"})
    assert (status, renamed["topic"]) == (200, "Renamed")
    status, body, _ = await api.graph("POST", f"chats/{chat_id}/messages", {"body": {}})
    assert (status, body["error"]["message"]) == (401, APP_ONLY_POST)


async def test_private_channel_owner_and_membership_rules(teams: FakeTeams, api: Api) -> None:
    kim = teams.add_user(email="kim@nhs.example", name="Kim Lee")
    sam = teams.add_user(email="sam@council.example", name="Sam Jones")
    team = teams.add_team("Networks", owners=[kim], bot_installed=True)
    path = f"teams/{team}/channels"
    status, body, _ = await api.graph(
        "POST", path, {"displayName": "YP 0042", "membershipType": "private"}
    )
    assert (status, body["error"]["message"]) == (400, PRIVATE_NO_MEMBERS)
    no_type = member(kim, "owner")
    del no_type["@odata.type"]
    status, body, _ = await api.graph(
        "POST", path, {"displayName": "YP 0042", "membershipType": "private", "members": [no_type]}
    )
    assert (status, body["error"]["message"]) == (400, ODATA_TYPE_REQUIRED)
    status, body, _ = await api.graph(
        "POST",
        path,
        {"displayName": "YP 0042", "membershipType": "private", "members": [member(kim)]},
    )
    assert status == 400 and "no owner" in body["error"]["message"]
    status, body, _ = await api.graph(
        "POST",
        path,
        {"displayName": "YP 0042", "membershipType": "private", "members": [member(sam, "owner")]},
    )
    assert status == 400 and "not a member of the team" in body["error"]["message"]

    for bad in ("x" * 51, "YP #42", "_hidden", 'say "hi"'):
        status, body, _ = await api.graph("POST", path, {"displayName": bad})
        assert status == 400, bad

    status, channel, _ = await api.graph(
        "POST",
        path,
        {
            "displayName": "YP 0042",
            "description": "Network",
            "membershipType": "private",
            "members": [member(kim, "owner")],
        },
    )
    assert status == 201 and channel["membershipType"] == "private"
    status, body, _ = await api.graph("POST", path, {"displayName": "yp 0042"})
    assert status == 400 and "already existed" in body["error"]["message"]

    channel_members = f"{path}/{channel['id']}/members"
    status, body, _ = await api.graph("POST", channel_members, member(sam))
    assert status == 400
    assert (await api.graph("POST", f"teams/{team}/members", member(sam)))[0] == 201
    assert (await api.graph("POST", channel_members, member(sam)))[0] == 201
    status, listed, _ = await api.graph("GET", channel_members)
    assert {m["userId"] for m in listed["value"]} == {kim.id, sam.id}

    general = teams.teams[team].general_channel_id
    status, body, _ = await api.graph("POST", f"{path}/{general}/members", member(sam))
    assert status == 400  # standard channels have no member list of their own
    assert (await api.graph("PATCH", f"{path}/{channel['id']}", {"description": "New"}))[0] == 204
    assert teams.channel_named("YP 0042", team).description == "New"  # type: ignore[union-attr]
    status, _, _ = await api.bot("POST", f"v3/conversations/{channel['id']}/activities", message())
    assert status == 201
    teams.private_channel_bots = False
    status, body, _ = await api.bot(
        "POST", f"v3/conversations/{channel['id']}/activities", message()
    )
    assert (status, error_code(body)) == (403, "BotNotInConversationRoster")
    status, body, _ = await api.graph("POST", f"{path}/{channel['id']}/messages", {"body": {}})
    assert (status, body["error"]["message"]) == (401, APP_ONLY_POST)


async def test_channel_archive_is_asynchronous_and_needs_an_owner(
    teams: FakeTeams, api: Api, clock: ManualClock
) -> None:
    kim = teams.add_user(email="kim@nhs.example", name="Kim Lee")
    ownerless = teams.add_team("No owners", members=[kim], bot_installed=True)
    lonely = teams.add_channel(ownerless, "Lonely")
    status, body, _ = await api.graph("POST", f"teams/{ownerless}/channels/{lonely}/archive")
    assert status == 400 and "no owner" in body["error"]["message"]

    team = teams.add_team("Owned", owners=[kim], bot_installed=True)
    channel = teams.add_channel(team, "Closing")
    status, body, headers = await api.graph("POST", f"teams/{team}/channels/{channel}/archive")
    assert (status, body) == (202, None)
    operation = headers["Location"].split("operations('")[1].rstrip("')")
    assert not teams.conversations[channel].archived
    status, state, _ = await api.graph("GET", f"teams/{team}/operations/{operation}")
    assert state["status"] == "inProgress"
    assert (await api.bot("POST", f"v3/conversations/{channel}/activities", message()))[0] == 201

    clock.now += 1
    assert teams.conversations[channel].archived
    status, state, _ = await api.graph("GET", f"teams/{team}/operations/{operation}")
    assert state["status"] == "succeeded"
    status, got, _ = await api.graph("GET", f"teams/{team}/channels/{channel}")
    assert got["isArchived"] is True
    status, body, _ = await api.bot("POST", f"v3/conversations/{channel}/activities", message())
    assert (status, error_code(body)) == (403, "MessageWritesBlocked")
    general = teams.teams[team].general_channel_id
    assert (await api.graph("POST", f"teams/{team}/channels/{general}/archive"))[0] == 400


async def test_team_install_through_graph(teams: FakeTeams, api: Api) -> None:
    team = teams.add_team("Networks")
    general = teams.teams[team].general_channel_id
    status, body, _ = await api.bot("POST", f"v3/conversations/{general}/activities", message())
    assert status == 403
    catalog = teams.publish_app("manifest-id")
    bind = {
        "teamsApp@odata.bind": f"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalog}"
    }
    assert (await api.graph("POST", f"teams/{team}/installedApps", bind))[0] == 201
    status, apps, _ = await api.graph(
        "GET", f"teams/{team}/installedApps?$filter=teamsApp/externalId eq 'manifest-id'"
    )
    assert [a["teamsApp"]["id"] for a in apps["value"]] == [catalog]
    assert (await api.bot("POST", f"v3/conversations/{general}/activities", message()))[0] == 201
    status, listed, _ = await api.graph("GET", f"teams/{team}/channels")
    assert [c["displayName"] for c in listed["value"]] == ["General"]
    status, body, _ = await api.graph("GET", "teams/not-a-team/channels")
    assert (status, error_code(body)) == (404, "NotFound")


# -- Bot Framework JWTs ------------------------------------------------------------------


async def published_keys(teams: FakeTeams, http: aiohttp.ClientSession) -> dict[str, Any]:
    async with http.get(teams.bf_metadata_url) as response:
        metadata = await response.json()
    assert metadata["issuer"] == "https://api.botframework.com"
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    async with http.get(metadata["jwks_uri"]) as response:
        keys = await response.json()
    return {key["kid"]: key for key in keys["keys"]}


def validate(token: str, keys: dict[str, Any], service_url: str) -> dict[str, Any]:
    """A validator as PLATFORMS.md B2 describes it."""
    header = jwt.get_unverified_header(token)
    key = keys.get(str(header.get("kid")))
    if key is None:
        raise LookupError("unknown kid")
    if "msteams" not in key["endorsements"]:
        raise PermissionError("not endorsed for msteams")
    claims = jwt.decode(
        token,
        jwt.PyJWK(key).key,
        algorithms=["RS256"],
        audience=APP,
        issuer="https://api.botframework.com",
        leeway=300,
        options={"require": ["exp", "iss", "aud"]},
    )
    if claims["serviceurl"] != service_url:
        raise PermissionError("serviceurl mismatch")
    return claims


async def test_minted_tokens_validate_against_the_served_jwks(
    teams: FakeTeams, http: aiohttp.ClientSession
) -> None:
    kim = teams.add_user(email="kim@nhs.example", name="Kim Lee")
    activity = teams.message_activity(kim, teams.install_for_user(kim), "hi")
    keys = await published_keys(teams, http)
    assert (teams.metadata_fetches, teams.jwks_fetches) == (1, 1)
    assert all(key["kty"] == "RSA" and "kid" in key for key in keys.values())
    good = validate(teams.issuer.mint(activity), keys, activity["serviceUrl"])
    assert good["serviceurl"] == teams.service_url and good["aud"] == APP
    assert good["exp"] > good["iat"] >= good["nbf"]

    su = activity["serviceUrl"]
    with pytest.raises(jwt.InvalidAudienceError):
        validate(teams.issuer.mint(activity, audience="someone-else"), keys, su)
    with pytest.raises(jwt.InvalidIssuerError):
        validate(teams.issuer.mint(activity, issuer="https://sts.windows.net/x/"), keys, su)
    with pytest.raises(jwt.ExpiredSignatureError):
        validate(teams.issuer.mint(activity, expired=True), keys, su)
    with pytest.raises(PermissionError, match="endorsed"):
        validate(teams.issuer.mint(activity, unendorsed=True), keys, su)
    with pytest.raises(PermissionError, match="serviceurl"):
        validate(teams.issuer.mint(activity, service_url="https://evil.example/"), keys, su)
    with pytest.raises(jwt.InvalidAlgorithmError):
        validate(teams.issuer.mint(activity, alg="none"), keys, su)
    with pytest.raises(jwt.InvalidAlgorithmError):
        validate(teams.issuer.mint(activity, alg="HS256"), keys, su)
    with pytest.raises(jwt.MissingRequiredClaimError):
        validate(teams.issuer.mint(activity, drop=["exp"]), keys, su)

    early = teams.issuer.mint(activity, unpublished=True)
    with pytest.raises(LookupError):
        validate(early, keys, su)
    teams.issuer.rotate()  # a validator refreshing on an unknown kid now finds it
    refreshed = await published_keys(teams, http)
    assert validate(early, refreshed, su)["aud"] == APP
    assert validate(teams.issuer.mint(activity), refreshed, su)  # new current key
    assert teams.jwks_fetches == 2


# -- inbound builders -----------------------------------------------------------------


async def test_inbound_builders(teams: FakeTeams) -> None:
    kim = teams.add_user(email="kim@nhs.example", name="Kim Lee")
    sam = teams.add_user(email="sam@council.example", name="Sam Jones")
    team = teams.add_team("Networks", members=[kim, sam], bot_installed=True)
    channel = teams.add_channel(team, "YP 0042")

    activity = teams.message_activity(
        kim, channel, "action assign <at>Sam Jones</at> call the GP", mentions=[sam]
    )
    assert activity["text"] == "<at>Teamaround</at> action assign <at>Sam Jones</at> call the GP"
    mentions = [e for e in activity["entities"] if e["type"] == "mention"]
    assert [m["mentioned"]["id"] for m in mentions] == [f"28:{APP}", sam.teams_id]
    assert activity["from"] == {"id": kim.teams_id, "name": "Kim Lee", "aadObjectId": kim.id}
    assert activity["conversation"] == {
        "id": f"{channel};messageid={activity['id']}",
        "conversationType": "channel",
        "tenantId": TENANT,
        "isGroup": True,
        "name": "YP 0042",
    }
    data = activity["channelData"]
    assert data["team"]["aadGroupId"] == team and data["channel"]["id"] == channel
    assert activity["serviceUrl"] == teams.service_url and activity["channelId"] == "msteams"
    assert teams.messages_in(channel, from_bot=False)[0].id == activity["id"]
    with pytest.raises(ValueError):
        teams.message_activity(kim, channel, "no tag", mentions=[sam])

    submit = teams.card_submit_activity(
        sam, channel, reply_to_id=activity["id"], value={"verb": "done", "evidence": "letter"}
    )
    assert submit["replyToId"] == activity["id"] and "text" not in submit
    assert submit["value"] == {"verb": "done", "evidence": "letter"}
    assert submit["conversation"]["id"] == f"{channel};messageid={activity['id']}"

    general = teams.teams[team].general_channel_id
    update = teams.conversation_update_activity(general)
    assert update["membersAdded"] == [{"id": f"28:{APP}"}]
    assert update["channelData"]["eventType"] == "teamMemberAdded"
    personal = teams.conversation_update_activity(teams.install_for_user(kim), sender=kim)
    assert personal["conversation"]["conversationType"] == "personal"


async def test_deliver_posts_with_a_valid_token(teams: FakeTeams) -> None:
    received: list[tuple[str, dict[str, Any]]] = []

    async def endpoint(request: web.Request) -> web.Response:
        received.append((request.headers.get("Authorization", ""), await request.json()))
        return web.json_response({"ok": True}, status=200)

    app = web.Application()
    app.router.add_post("/api/messages", endpoint)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        kim = teams.add_user(email="kim@nhs.example", name="Kim Lee")
        activity = teams.message_activity(kim, teams.install_for_user(kim), "hi")
        status, body = await teams.deliver(f"http://127.0.0.1:{port}/api/messages", activity)
        assert (status, body) == (200, {"ok": True})
        header, sent = received[0]
        claims = jwt.decode(header.removeprefix("Bearer "), options={"verify_signature": False})
        assert claims["serviceurl"] == sent["serviceUrl"] == teams.service_url
        await teams.deliver(f"http://127.0.0.1:{port}/api/messages", activity, token="")
        assert received[1][0] == ""
    finally:
        await runner.cleanup()
