"""One deployment serving Slack and Teams at once: a person is one person
(their email) whichever platform they use, and jobs don't care where a
network lives."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.clock import FrozenClock
from bot.main import App
from bot.policy import Policy, TeamsPolicy
from bot.server import create_web_app
from bot.settings import Settings
from commands.action.jobs import run_chase
from commands.directory.demo import PEOPLE
from integrations.teams.manifest import manifest_id
from tests.conftest import seeded_app
from tests.fakes.slack import FakeSlack, sign, slash_command_body
from tests.fakes.teams import FakeTeams, FakeUser
from tests.integration.loopback import serving

KIM = "kim.lee@example.org"  # works in Slack
SAM = "sam.patel@example.org"  # CAMHS: works in Teams only
ADE = "ade.okafor@example.org"  # keyworker, in both
LONDON = ZoneInfo("Europe/London")
SECRET = "both-signing-secret"
TOKEN = "xoxb-both"


@dataclass
class Both:
    app: App
    slack: FakeSlack
    teams: FakeTeams
    http: httpx.AsyncClient
    clock: FrozenClock
    slack_ids: dict[str, str]
    teams_users: dict[str, FakeUser]

    async def slash(self, email: str, command: str, text: str, channel: str) -> str:
        body = slash_command_body(
            command=command,
            text=text,
            user_id=self.slack_ids[email],
            channel_id=channel,
            trigger_id=self.slack.new_trigger_id(),
            response_url=self.slack.new_response_url(),
        )
        response = await self.http.post(
            "/slack/events", content=body, headers=sign(body, secret=SECRET)
        )
        assert response.status_code == 200, response.text
        return str(response.json().get("text", ""))

    async def mention(self, email: str, conversation_id: str, text: str) -> None:
        activity = self.teams.message_activity(self.teams_users[email], conversation_id, text)
        endpoint = str(self.http.base_url).rstrip("/") + "/api/messages"
        status, _ = await self.teams.deliver(endpoint, activity)
        assert status == 200

    async def deliver(self) -> None:
        await self.app.relay(worker="test").drain()


@pytest.fixture
async def both(migrated_url: str) -> AsyncIterator[Both]:
    async with FakeSlack(token=TOKEN) as slack, FakeTeams() as teams:
        slack_ids = {
            email: slack.add_user(name=name, email=email)
            for name, email, *_ in PEOPLE
            if email != SAM
        }
        teams_users = {email: teams.add_user(email=email, name=name) for name, email, *_ in PEOPLE}
        teams.publish_app(manifest_id(teams.app_id))
        settings = Settings(
            database_url=migrated_url,
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=slack.base_url,
            microsoft_app_id=teams.app_id,
            microsoft_app_password=teams.app_password,
            microsoft_app_tenant_id=teams.tenant_id,
            teams_login_url=teams.login_url,
            teams_openid_url=teams.bf_metadata_url,
            graph_url=teams.graph_url,
        )
        policy = Policy(teams=TeamsPolicy(service_url=teams.service_url))
        app, clock = await seeded_app(settings, policy=policy)
        assert set(app.gateways) == {"slack", "teams"}
        async with serving(create_web_app(app, run_relay=False)) as http:
            yield Both(app, slack, teams, http, clock, slack_ids, teams_users)


async def test_a_teams_only_owner_of_a_slack_network_hears_in_teams_and_the_chase_reaches_both(
    both: Both,
) -> None:
    # A Slack network: Kim opens it in Slack and assigns to Sam by email.
    reply = await both.slash(KIM, "/network", "open DSR-0042", channel="C0GENERAL")
    assert "yp-dsr-0042" in reply
    await both.deliver()
    slack_channel = next(c for c in both.slack.channels.values() if c.name == "yp-dsr-0042")
    reply = await both.slash(KIM, "/network", f"add {SAM}", channel=slack_channel.id)
    assert "Added Sam Patel" in reply
    reply = await both.slash(
        KIM, "/action", f"assign {SAM} Send the CAMHS letter by 25/11", channel=slack_channel.id
    )
    assert "Action #1" in reply
    # A Teams network for another young person, opened by Ade in Teams.
    ade_chat = both.teams.install_for_user(both.teams_users[ADE])
    await both.mention(ADE, ade_chat, f"network open DSR-0043 --members {SAM}")
    await both.deliver()
    teams_chat = both.teams.chat_with_topic("yp-dsr-0043")
    assert teams_chat is not None
    await both.mention(
        ADE, teams_chat.id, "action assign sam.patel@example.org Book the CETR by 25/11"
    )
    await both.deliver()

    # Sam isn't in the Slack workspace: the assignment reached them in Teams, 1:1.
    sam_chat = both.teams.personal_conversation(both.teams_users[SAM])
    sam_texts = [json.dumps(a.cards) for a in both.teams.messages_in(sam_chat, from_bot=True)]
    assert any("CAMHS letter" in t for t in sam_texts)
    assert not any(
        "CAMHS letter" in str(m.blocks)
        for ms in both.slack.messages.values()
        for m in ms
        if m.channel != slack_channel.id
    )

    # One chase run, two platforms: each network's digest lands in its own space.
    both.clock.set(datetime(2026, 11, 26, 9, 30, tzinfo=LONDON))
    await run_chase(both.app.services, now=both.clock.now())
    await both.deliver()
    slack_digest = both.slack.messages[slack_channel.id][-1]
    assert "Overdue actions for DSR-0042" in slack_digest.text
    teams_digest = both.teams.messages_in(teams_chat.id, from_bot=True)[-1]
    assert "Overdue actions for DSR-0043" in json.dumps(teams_digest.cards)
