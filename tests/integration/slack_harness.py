"""A running Teamaround (real HTTP server) wired to a fake Slack on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bot.clock import FrozenClock
from bot.main import App
from bot.relay import RelayReport
from bot.server import create_web_app
from bot.settings import Settings
from commands.directory.demo import PEOPLE
from tests.conftest import seeded_app
from tests.fakes.slack import (
    FakeSlack,
    block_actions_body,
    sign,
    slash_command_body,
    view_submission_body,
)
from tests.integration.loopback import serving

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"


@dataclass
class SlackRig:
    app: App
    slack: FakeSlack
    http: httpx.AsyncClient
    clock: FrozenClock
    user_ids: dict[str, str]  # email -> fake Slack user id

    def uid(self, email: str) -> str:
        return self.user_ids[email]

    async def post(self, body: bytes, *, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post(
            "/slack/events", content=body, headers=headers or sign(body, secret=SECRET)
        )

    async def command(
        self, email: str, command: str, text: str, *, channel: str = "C0GENERAL"
    ) -> dict[str, Any]:
        body = slash_command_body(
            command=command,
            text=text,
            user_id=self.uid(email),
            channel_id=channel,
            trigger_id=self.slack.new_trigger_id(),
            response_url=self.slack.new_response_url(),
        )
        response = await self.post(body)
        assert response.status_code == 200, response.text
        return dict(response.json()) if response.content else {}

    async def click(
        self, email: str, action_id: str, value: str, *, channel: str, message_ts: str
    ) -> httpx.Response:
        # Answers through the response_url land in the conversation, for the
        # person who pressed (or for everyone, as Slack does with in_channel).
        body = block_actions_body(
            user_id=self.uid(email),
            action_id=action_id,
            value=value,
            channel_id=channel,
            message_ts=message_ts,
            trigger_id=self.slack.new_trigger_id(),
            response_url=self.slack.new_response_url(
                channel=channel, user=self.uid(email), message_ts=message_ts
            ),
        )
        return await self.post(body)

    async def submit(
        self, email: str, view: dict[str, Any], values: dict[str, Any], *, view_id: str = "V0001"
    ) -> httpx.Response:
        body = view_submission_body(
            user_id=self.uid(email),
            callback_id=view["callback_id"],
            private_metadata=view["private_metadata"],
            values=values,
            view_id=view_id,
        )
        return await self.post(body)

    async def deliver(self) -> RelayReport:
        return await self.app.relay(worker="test").drain()

    def channel_named(self, name: str) -> Any:
        matches = [c for c in self.slack.channels.values() if c.name == name]
        assert len(matches) == 1, [c.name for c in self.slack.channels.values()]
        return matches[0]

    def messages_in(self, channel_id: str) -> list[Any]:
        return [m for m in self.slack.messages.get(channel_id, []) if not m.ephemeral_for]


@asynccontextmanager
async def running(
    database_url: str,
    *,
    not_on_slack: Iterable[str] = (),
    port: int | None = None,
    **settings_values: Any,
) -> AsyncIterator[SlackRig]:
    """``not_on_slack``: directory people with no account in the workspace;
    ``settings_values``: more settings (email's, say), served on ``port``."""
    away = set(not_on_slack)
    async with FakeSlack(token=TOKEN) as slack:
        user_ids = {
            email: slack.add_user(name=name, email=email)
            for name, email, *_ in PEOPLE
            if email not in away
        }
        settings = Settings(
            database_url=database_url,
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=slack.base_url,
            **settings_values,
        )
        app, clock = await seeded_app(settings)
        async with serving(create_web_app(app, run_relay=False), port=port) as http:
            yield SlackRig(app=app, slack=slack, http=http, clock=clock, user_ids=user_ids)
        # The fake grants exactly the manifest's scopes: nothing may need more.
        beyond = [(c.method, c.args.get("channel")) for c in slack.calls_to_error("missing_scope")]
        assert not beyond, f"calls beyond the manifest's scopes: {beyond}"


def metadata_key(message: Any) -> str:
    meta = message.metadata or {}
    if isinstance(meta, str):
        meta = json.loads(meta)
    return str((meta.get("event_payload") or {}).get("key", ""))
