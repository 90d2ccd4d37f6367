"""The fake Slack Web API, driven only through the real slack_sdk client."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.server import ManualClock
from tests.fakes.slack import (
    EVERY_SCOPE,
    FakeSlack,
    block_actions_body,
    manifest_scopes,
    sign,
    slash_command_body,
    view_submission_body,
)

TS = re.compile(r"\d{10}\.\d{6}")


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """A fake granted every scope: these tests are about everything else."""
    async with FakeSlack(scopes=EVERY_SCOPE) as fake:
        yield fake


def client_for(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.token, base_url=slack.base_url, timeout=5)


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return client_for(slack)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def clocked(clock: ManualClock) -> AsyncIterator[FakeSlack]:
    """A fake Slack timing everything on a clock the test moves."""
    async with FakeSlack(clock=clock, scopes=EVERY_SCOPE) as fake:
        yield fake


async def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as caught:
        await call
    return str(caught.value.response["error"])


async def private_channel(client: AsyncWebClient, name: str = "yp-dsr-0042") -> str:
    response = await client.conversations_create(name=name, is_private=True)
    return str(response["channel"]["id"])


# -- auth, unknown methods ------------------------------------------------------------


async def test_auth_test_and_bad_tokens(slack: FakeSlack, client: AsyncWebClient) -> None:
    me = await client.auth_test()
    assert (me["user_id"], me["team_id"], me["bot_id"]) == ("U0BOT", "T0TEAM", "B0BOT")

    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.base_url)
    assert await error_of(wrong.auth_test()) == "invalid_auth"
    anonymous = AsyncWebClient(base_url=slack.base_url)
    assert await error_of(anonymous.auth_test()) == "not_authed"
    assert [c.error for c in slack.calls_to("auth.test")] == [None, "invalid_auth", "not_authed"]
    assert all("token" not in c.args for c in slack.calls)


async def test_unknown_method_is_a_404(slack: FakeSlack, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client.api_call("chat.postTelegram", json={"channel": "C1"})
    assert caught.value.response.status_code == 404
    assert caught.value.response["error"] == "unknown_method"
    assert slack.calls_to("chat.postTelegram")[0].status == 404


# -- channels -----------------------------------------------------------------------


async def test_create_private_channel_name_taken_and_invalid_names(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    response = await client.conversations_create(name="yp-dsr-0042", is_private=True)
    channel = response["channel"]
    assert channel["id"].startswith(("C", "G"))
    assert (channel["name"], channel["is_private"], channel["is_member"]) == (
        "yp-dsr-0042",
        True,
        True,
    )
    assert slack.channels[channel["id"]].members == {"U0BOT"}

    assert await error_of(client.conversations_create(name="yp-dsr-0042")) == "name_taken"
    slack.add_channel("old-network", is_archived=True)
    assert await error_of(client.conversations_create(name="old-network")) == "name_taken"
    assert await error_of(client.conversations_create(name="")) == "invalid_name_required"
    assert await error_of(client.conversations_create(name="x" * 81)) == "invalid_name_maxlength"
    assert await error_of(client.conversations_create(name="Bad Name")) == "invalid_name_specials"
    assert await error_of(client.conversations_create(name="--")) == "invalid_name_punctuation"
    assert (await client.conversations_create(name="x" * 80))["ok"]


async def test_invite_kick_and_their_errors(slack: FakeSlack, client: AsyncWebClient) -> None:
    kim = slack.add_user(name="kim.lee", email="kim.lee@example.org")
    sam = slack.add_user(name="sam.patel", email="sam.patel@example.org")
    channel = await private_channel(client)

    invited = await client.conversations_invite(channel=channel, users=f"{kim},{sam}")
    assert invited["channel"]["id"] == channel
    assert slack.channels[channel].members == {"U0BOT", kim, sam}

    invite = client.conversations_invite
    assert await error_of(invite(channel=channel, users="U404")) == "user_not_found"
    assert await error_of(invite(channel=channel, users=[kim, sam])) == "already_in_channel"
    assert await error_of(invite(channel=channel, users="U0BOT")) == "cant_invite_self"
    assert await error_of(invite(channel="C404", users=kim)) == "channel_not_found"
    elsewhere = slack.add_channel("not-ours", is_private=True, bot_member=False)
    assert await error_of(invite(channel=elsewhere, users=kim)) == "not_in_channel"

    assert (await client.conversations_kick(channel=channel, user=sam))["ok"]
    assert sam not in slack.channels[channel].members
    kick = client.conversations_kick
    assert await error_of(kick(channel=channel, user=sam)) == "not_in_channel"
    assert await error_of(kick(channel=channel, user="U404")) == "user_not_found"
    assert await error_of(kick(channel=channel, user="U0BOT")) == "cant_kick_self"

    assert (await client.conversations_archive(channel=channel))["ok"]
    assert await error_of(client.conversations_archive(channel=channel)) == "already_archived"
    assert await error_of(invite(channel=channel, users=sam)) == "is_archived"


async def test_topic_purpose_members_info_and_open(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    kim = slack.add_user(name="kim.lee", email="kim.lee@example.org")
    channel = await private_channel(client)
    topic = await client.conversations_setTopic(channel=channel, topic="Network for DSR-0042")
    assert topic["channel"]["topic"]["value"] == "Network for DSR-0042"
    too_long = client.conversations_setTopic(channel=channel, topic="x" * 251)
    assert await error_of(too_long) == "too_long"
    await client.conversations_setPurpose(channel=channel, purpose="Coordination")
    assert slack.channels[channel].purpose == "Coordination"

    await client.conversations_invite(channel=channel, users=kim)
    members = await client.conversations_members(channel=channel)
    assert sorted(members["members"]) == sorted(["U0BOT", kim])
    info = await client.conversations_info(channel=channel)
    assert info["channel"]["is_archived"] is False

    opened = await client.conversations_open(users=kim)
    im = opened["channel"]["id"]
    assert im.startswith("D") and slack.ims[kim] == im
    again = await client.conversations_open(users=[kim])
    assert again["channel"]["id"] == im and again["already_open"] is True
    assert await error_of(client.conversations_open(users="U404")) == "user_not_found"

    await client.conversations_archive(channel=channel)
    archived_topic = client.conversations_setTopic(channel=channel, topic="late")
    assert await error_of(archived_topic) == "is_archived"

    mine = await client.users_conversations(types="private_channel,im", limit=1)
    assert len(mine["channels"]) == 1 and mine["response_metadata"]["next_cursor"]
    rest = await client.users_conversations(
        types="private_channel,im", cursor=mine["response_metadata"]["next_cursor"]
    )
    assert {c["id"] for c in mine["channels"] + rest["channels"]} == {channel, im}


# -- messages -----------------------------------------------------------------------


async def test_post_with_metadata_then_history_returns_it(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    channel = await private_channel(client)
    metadata = {"event_type": "teamaround_card", "event_payload": {"key": "network:1"}}
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Network*"}}]
    first = await client.chat_postMessage(
        channel=channel, text="Network", blocks=blocks, metadata=metadata
    )
    second = await client.chat_postMessage(channel=channel, text="Second")
    assert first["channel"] == channel and TS.fullmatch(first["ts"])
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["metadata"] == metadata

    history = await client.conversations_history(
        channel=channel, limit=100, include_all_metadata=True
    )
    assert [m["ts"] for m in history["messages"]] == [second["ts"], first["ts"]]  # newest first
    found = history["messages"][1]
    assert (found["text"], found["blocks"], found["metadata"]) == ("Network", blocks, metadata)
    plain = await client.conversations_history(channel=channel)
    assert all("metadata" not in m for m in plain["messages"])
    assert slack.messages[channel][0].metadata == metadata


async def test_post_to_a_user_id_lands_in_their_dm(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    kim = slack.add_user(name="kim.lee", email="kim.lee@example.org")
    posted = await client.chat_postMessage(channel=kim, text="You were added")
    assert posted["channel"].startswith("D") and posted["channel"] == slack.ims[kim]
    assert [m.text for m in slack.messages[slack.ims[kim]]] == ["You were added"]


async def test_post_message_errors(slack: FakeSlack, client: AsyncWebClient) -> None:
    channel = await private_channel(client)
    post = client.chat_postMessage
    assert await error_of(post(channel="C404", text="hi")) == "channel_not_found"
    assert await error_of(post(channel="U404", text="hi")) == "channel_not_found"
    elsewhere = slack.add_channel("not-ours", bot_member=False)
    assert await error_of(post(channel=elsewhere, text="hi")) == "not_in_channel"
    divider = {"type": "divider"}
    assert await error_of(post(channel=channel, text="hi", blocks=[divider] * 51)) == (
        "invalid_blocks"
    )
    assert await error_of(post(channel=channel, text="hi", blocks=[{"text": "x"}])) == (
        "invalid_blocks"
    )
    long = await post(channel=channel, text="x" * 40_500)
    assert len(slack.find_message(channel, long["ts"]).text) == 40_000  # type: ignore[union-attr]
    await client.conversations_archive(channel=channel)
    assert await error_of(post(channel=channel, text="hi")) == "is_archived"


async def test_chat_update_edits_in_place(slack: FakeSlack, client: AsyncWebClient) -> None:
    kim = slack.add_user(name="kim.lee", email="kim.lee@example.org")
    dm = await client.chat_postMessage(channel=kim, text="Draft")
    updated = await client.chat_update(channel=dm["channel"], ts=dm["ts"], text="Final")
    assert updated["ts"] == dm["ts"]
    [message] = slack.messages[dm["channel"]]
    assert (message.ts, message.text, message.edited) == (dm["ts"], "Final", 1)

    update = client.chat_update
    assert await error_of(update(channel=kim, ts=dm["ts"], text="x")) == "channel_not_found"
    assert await error_of(update(channel=dm["channel"], ts="1.000000", text="x")) == (
        "message_not_found"
    )
    assert await error_of(update(channel=dm["channel"], ts=dm["ts"], text="x" * 4001)) == (
        "msg_too_long"
    )
    theirs = slack.add_message(dm["channel"], user=kim, text="Thanks")
    assert await error_of(update(channel=dm["channel"], ts=theirs, text="x")) == (
        "cant_update_message"
    )
    assert message.edited == 1


async def test_post_ephemeral(slack: FakeSlack, client: AsyncWebClient) -> None:
    kim = slack.add_user(name="kim.lee", email="kim.lee@example.org")
    jo = slack.add_user(name="jo.hughes", email="jo.hughes@example.org")
    channel = await private_channel(client)
    await client.conversations_invite(channel=channel, users=kim)
    sent = await client.chat_postEphemeral(channel=channel, user=kim, text="Only you")
    [message] = slack.messages[channel]
    assert (message.ts, message.ephemeral_for) == (sent["message_ts"], kim)
    assert (await client.conversations_history(channel=channel))["messages"] == []
    assert await error_of(client.chat_postEphemeral(channel=channel, user=jo, text="x")) == (
        "user_not_in_channel"
    )


async def test_pins(slack: FakeSlack, client: AsyncWebClient) -> None:
    channel = await private_channel(client)
    posted = await client.chat_postMessage(channel=channel, text="Card")
    assert (await client.pins_add(channel=channel, timestamp=posted["ts"]))["ok"]
    assert slack.channels[channel].pins == [posted["ts"]]
    pin = client.pins_add
    assert await error_of(pin(channel=channel, timestamp=posted["ts"])) == "already_pinned"
    assert await error_of(pin(channel=channel, timestamp="1700000999.000100")) == (
        "message_not_found"
    )
    elsewhere = slack.add_channel("not-ours", bot_member=False)
    assert await error_of(pin(channel=elsewhere, timestamp=posted["ts"])) == "not_in_channel"


# -- users --------------------------------------------------------------------------


async def test_lookup_by_email_and_users_info(slack: FakeSlack, client: AsyncWebClient) -> None:
    kim = slack.add_user(name="kim.lee", email="kim.lee@example.org")
    found = await client.users_lookupByEmail(email="kim.lee@example.org")
    assert found["user"]["id"] == kim
    assert found["user"]["profile"]["email"] == "kim.lee@example.org"
    lookup = client.users_lookupByEmail(email="nobody@example.org")
    assert await error_of(lookup) == "users_not_found"
    assert slack.calls_to("users.lookupByEmail")[0].http_verb == "GET"
    assert (await client.users_info(user=kim))["user"]["name"] == "kim.lee"
    assert await error_of(client.users_info(user="U404")) == "user_not_found"


# -- failures and retries -----------------------------------------------------------


async def test_429_is_retried_after_retry_after(slack: FakeSlack) -> None:
    client = AsyncWebClient(
        token=slack.token,
        base_url=slack.base_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    kim = slack.add_user(name="kim.lee", email="kim.lee@example.org")
    posted = await client.chat_postMessage(channel=kim, text="hello")
    assert posted["ok"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]
    assert len(slack.messages[posted["channel"]]) == 1


async def test_429_without_retry_handler_carries_retry_after(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.fail_next(None, status=429, retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        await client.auth_test()
    response = caught.value.response
    assert (response.status_code, response["error"]) == (429, "ratelimited")
    assert response.headers["Retry-After"] == "7"


async def test_503_is_retried_by_the_server_error_handler(slack: FakeSlack) -> None:
    fast = FixedValueRetryIntervalCalculator(0.05)
    client = AsyncWebClient(
        token=slack.token,
        base_url=slack.base_url,
        retry_handlers=[AsyncServerErrorRetryHandler(max_retry_count=1, interval_calculator=fast)],
    )
    slack.fail_next("auth.test", status=503)
    assert (await client.auth_test())["ok"]
    assert [c.status for c in slack.calls_to("auth.test")] == [503, 200]


async def test_injected_error_code_raises_slack_api_error(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.fail_next("users.info", error="fatal_error")
    with pytest.raises(SlackApiError) as caught:
        await client.users_info(user="U0BOT")
    assert (caught.value.response.status_code, caught.value.response["error"]) == (
        200,
        "fatal_error",
    )
    assert (await client.users_info(user="U0BOT"))["ok"]  # only the next call failed


async def test_apply_then_fail_posts_although_the_client_saw_an_error(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    channel = await private_channel(client)
    slack.fail_next("chat.postMessage", status=500, apply_then_fail=True)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=channel, text="Card")
    assert caught.value.response.status_code == 500
    assert [m.text for m in slack.messages[channel]] == ["Card"]
    assert slack.calls_to("chat.postMessage")[0].status == 500


async def test_delay_provokes_a_client_timeout_after_the_post_landed(slack: FakeSlack) -> None:
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url, timeout=1)
    kim = slack.add_user(name="kim.lee", email="kim.lee@example.org")
    slack.fail_next("chat.postMessage", delay=1.5, apply_then_fail=True)
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await client.chat_postMessage(channel=kim, text="Card")
    assert time.monotonic() - started < 1.5
    assert [m.text for m in slack.messages[slack.ims[kim]]] == ["Card"]


async def test_outage_until_heal(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.outage()
    for _ in range(2):
        with pytest.raises(SlackApiError) as caught:
            await client.auth_test()
        assert caught.value.response.status_code == 503
    slack.heal()
    assert (await client.auth_test())["ok"]


async def test_per_method_rate_limit_window(clocked: FakeSlack, clock: ManualClock) -> None:
    slack, client = clocked, client_for(clocked)
    slack.rate_limit["users.info"] = 2
    for _ in range(2):
        await client.users_info(user="U0BOT")
    with pytest.raises(SlackApiError) as caught:
        await client.users_info(user="U0BOT")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "60"
    clock.advance(61)
    assert (await client.users_info(user="U0BOT"))["ok"]


# -- views and response_url ---------------------------------------------------------


async def test_views_open_trigger_is_single_use_and_expires(
    slack: FakeSlack, client: AsyncWebClient, clocked: FakeSlack, clock: ManualClock
) -> None:
    view = {
        "type": "modal",
        "callback_id": "action.assign",
        "title": {"type": "plain_text", "text": "Assign"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Who?"}}],
    }
    trigger = slack.new_trigger_id()
    opened = await client.views_open(trigger_id=trigger, view=view)
    assert opened["view"]["id"].startswith("V")
    assert [v["callback_id"] for v in slack.views] == ["action.assign"]
    assert await error_of(client.views_open(trigger_id=trigger, view=view)) == (
        "exchanged_trigger_id"
    )
    assert await error_of(client.views_open(trigger_id="1.2.3", view=view)) == (
        "invalid_trigger_id"
    )

    stale = clocked.new_trigger_id()
    clock.advance(3.5)
    assert (
        await error_of(client_for(clocked).views_open(trigger_id=stale, view=view))
        == "expired_trigger_id"
    )

    changed = {**view, "title": {"type": "plain_text", "text": "Assigned"}}
    updated = await client.views_update(view_id=opened["view"]["id"], view=changed)
    assert updated["view"]["title"]["text"] == "Assigned"


async def test_response_url_sink_allows_five_uses(slack: FakeSlack) -> None:
    channel = slack.add_channel("yp-dsr-0042")
    url = slack.new_response_url(channel=channel, user="U1")
    rid = url.rsplit("/", 1)[1]
    async with aiohttp.ClientSession() as session:
        statuses = []
        for n in range(6):
            body = {"text": f"reply {n}", "response_type": "in_channel" if n == 0 else None}
            async with session.post(url, json=body) as response:
                statuses.append((response.status, await response.text()))
        assert statuses[:5] == [(200, "ok")] * 5
        assert statuses[5] == (404, "used_url")
    assert [r["text"] for r in slack.responses[rid]] == [f"reply {n}" for n in range(5)]
    visible = [m for m in slack.messages[channel] if m.ephemeral_for is None]
    assert [m.text for m in visible] == ["reply 0"]


async def test_response_url_expires_after_30_minutes(
    clocked: FakeSlack, clock: ManualClock
) -> None:
    url = clocked.new_response_url()
    clock.advance(30 * 60 + 1)
    async with aiohttp.ClientSession() as session, session.post(url, json={"text": "x"}) as r:
        assert (r.status, await r.text()) == (404, "expired_url")


# -- argument encodings ---------------------------------------------------------------


async def test_query_form_and_json_arguments(slack: FakeSlack, client: AsyncWebClient) -> None:
    kim = slack.add_user(name="kim.lee", email="kim.lee@example.org")
    # params= on a POST: slack_sdk puts the arguments in the query string.
    created = await client.api_call(
        "conversations.create", params={"name": "by-query", "is_private": True}
    )
    channel = created["channel"]["id"]
    assert created["channel"]["is_private"] is True
    call = slack.calls_to("conversations.create")[-1]
    assert (call.http_verb, call.args) == ("POST", {"name": "by-query", "is_private": "1"})

    # data= is a form body; blocks arrive as a JSON string.
    blocks = [{"type": "section", "text": {"type": "plain_text", "text": "form"}}]
    form = await client.api_call(
        "chat.postMessage",
        data={"channel": channel, "text": "form", "blocks": json.dumps(blocks)},
    )
    assert slack.find_message(channel, form["ts"]).blocks == blocks  # type: ignore[union-attr]

    # json= is a JSON body; objects stay objects.
    metadata = {"event_type": "t", "event_payload": {"n": 1}}
    posted = await client.api_call(
        "chat.postMessage",
        json={"channel": channel, "text": "json", "blocks": blocks, "metadata": metadata},
    )
    assert slack.find_message(channel, posted["ts"]).metadata == metadata  # type: ignore[union-attr]

    # Query string and body merge.
    await client.api_call("conversations.invite", params={"channel": channel}, data={"users": kim})
    assert kim in slack.channels[channel].members


# -- inbound helpers ----------------------------------------------------------------


def test_sign_is_accepted_by_the_sdk_verifier() -> None:
    body = slash_command_body(
        command="/network",
        text="open DSR-0042",
        user_id="U1",
        channel_id="C1",
        trigger_id="1.2.3",
        response_url="http://127.0.0.1:1/response/x",
    )
    verifier = SignatureVerifier("s3cret")
    assert verifier.is_valid_request(body, sign(body, secret="s3cret"))
    assert not verifier.is_valid_request(body, sign(body, secret="other"))
    assert not verifier.is_valid_request(body + b"x", sign(body, secret="s3cret"))
    stale = sign(body, secret="s3cret", timestamp=int(time.time()) - 301)
    assert not verifier.is_valid_request(body, stale)
    fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert (fields["command"], fields["text"], fields["team_id"]) == (
        "/network",
        "open DSR-0042",
        "T0TEAM",
    )


def test_interactive_bodies_carry_a_json_payload() -> None:
    clicked = block_actions_body(
        user_id="U1",
        action_id="action.done",
        value="42",
        channel_id="C1",
        message_ts="1700000000.000100",
        trigger_id="1.2.3",
        response_url="http://127.0.0.1:1/response/x",
    )
    payload = json.loads(parse_qs(clicked.decode())["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["actions"][0]["value"] == "42"
    assert payload["container"] == {
        "type": "message",
        "message_ts": "1700000000.000100",
        "channel_id": "C1",
        "is_ephemeral": False,
    }
    values = {"evidence": {"text": {"type": "plain_text_input", "value": "Rang them"}}}
    submitted = view_submission_body(
        user_id="U1", callback_id="action.done", private_metadata='{"id": 42}', values=values
    )
    view = json.loads(parse_qs(submitted.decode())["payload"][0])["view"]
    assert (view["callback_id"], view["state"]["values"]) == ("action.done", values)


# -- scopes -------------------------------------------------------------------------


async def test_calls_beyond_the_manifests_scopes_get_missing_scope() -> None:
    """By default the fake grants what Teamaround's manifest asks for, no more."""
    async with FakeSlack() as slack:
        client = client_for(slack)
        assert slack.scopes == manifest_scopes()
        kim = slack.add_user(name="kim.lee", email="kim.lee@example.org")
        public = slack.add_channel("general")
        private = slack.add_channel("yp-dsr-0042", is_private=True)
        im = (await client.conversations_open(users=kim))["channel"]["id"]
        assert (await client.conversations_history(channel=private))["ok"]  # groups:history
        with pytest.raises(SlackApiError) as caught:
            await client.conversations_history(channel=public)
        assert caught.value.response["error"] == "missing_scope"
        assert caught.value.response["needed"] == "channels:history"
        assert "groups:history" in caught.value.response["provided"].split(",")
        assert await error_of(client.conversations_create(name="open-to-all")) == "missing_scope"
        assert await error_of(client.bookmarks_list(channel_id=private)) == "missing_scope"

    async with FakeSlack(scopes=manifest_scopes() - {"im:history"}) as slack:
        client = client_for(slack)
        kim = slack.add_user(name="kim.lee", email="kim.lee@example.org")
        im = (await client.conversations_open(users=kim))["channel"]["id"]
        with pytest.raises(SlackApiError) as caught:
            await client.conversations_replies(channel=im, ts="1700000000.000100")
        assert caught.value.response["needed"] == "im:history"
        assert slack.calls_to_error("missing_scope")[0].method == "conversations.replies"


# -- chaos (the loopback base's random faults, for soak tests) ------------------------


async def test_chaos_fails_a_share_of_calls_in_every_way_and_spares_what_it_is_told_to(
    slack: FakeSlack,
) -> None:
    channel = slack.add_channel("yp-dsr-0042", is_private=True)
    client = AsyncWebClient(token=slack.token, base_url=slack.base_url, timeout=5)
    slack.chaos(0.3, seed=7, spare={"auth.test"})
    outcomes = []
    for n in range(200):
        try:
            await client.chat_postMessage(channel=channel, text=f"message {n}")
            outcomes.append("ok")
        except SlackApiError as exc:
            outcomes.append(str(exc.response.status_code))
    failed = len(outcomes) - outcomes.count("ok")
    assert 40 <= failed <= 80  # about 30%
    assert sum(slack.chaos_injected.values()) == failed
    assert set(slack.chaos_injected) == {"refused", "rate limited", "answer lost"}
    # Lost answers were carried out: Slack has more messages than the client saw.
    landed = len(slack.messages[channel])
    assert landed == outcomes.count("ok") + slack.chaos_injected["answer lost"]
    for _ in range(20):
        assert (await client.auth_test())["ok"]  # spared
    slack.heal()
    assert (await client.chat_postMessage(channel=channel, text="calm"))["ok"]
