"""A running Teamaround (real HTTP server) wired to a fake Microsoft Teams on loopback.

The fake plays Entra (msal gets real tokens from it), the Bot Framework's
signing keys, the Bot Connector and Graph; messages reach ``/api/messages``
as real HTTP requests with freshly minted JWTs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bot.clock import FrozenClock
from bot.main import App
from bot.policy import Policy, TeamsPolicy
from bot.relay import RelayReport
from bot.server import create_web_app
from bot.settings import Settings
from commands.directory.demo import PEOPLE
from integrations.teams.manifest import manifest_id
from tests.conftest import seeded_app
from tests.fakes.teams import FakeActivity, FakeTeams, FakeUser
from tests.integration.loopback import serving


@dataclass
class TeamsRig:
    app: App
    teams: FakeTeams
    http: httpx.AsyncClient
    clock: FrozenClock
    users: dict[str, FakeUser]  # by email

    @property
    def endpoint(self) -> str:
        return str(self.http.base_url).rstrip("/") + "/api/messages"

    def personal(self, email: str) -> str:
        """The person's 1:1 chat with the bot (the app installed for them)."""
        return self.teams.install_for_user(self.users[email])

    async def say(
        self,
        email: str,
        conversation_id: str,
        text: str,
        *,
        mentions: Sequence[str] = (),
        **mint: Any,
    ) -> int:
        """``email`` types ``text`` (people in ``mentions`` written as <at>Name</at>)."""
        people = [self.users[m] for m in mentions]
        for person in people:
            text = text.replace(f"@{person.email}", f"<at>{person.name}</at>")
        activity = self.teams.message_activity(
            self.users[email], conversation_id, text, mentions=people
        )
        status, _ = await self.teams.deliver(self.endpoint, activity, **mint)
        return status

    async def submit(
        self, email: str, conversation_id: str, card: FakeActivity, value: dict[str, Any]
    ) -> int:
        activity = self.teams.card_submit_activity(
            self.users[email], conversation_id, reply_to_id=card.id, value=value
        )
        status, _ = await self.teams.deliver(self.endpoint, activity)
        return status

    async def deliver(self) -> RelayReport:
        return await self.app.relay(worker="test").drain()

    def texts(self, conversation_id: str) -> list[str]:
        """What the bot posted in a conversation, card text included, in order."""
        return [_visible(a) for a in self.teams.messages_in(conversation_id, from_bot=True)]


def _visible(activity: FakeActivity) -> str:
    parts = [activity.text or ""]
    for card in activity.cards:
        parts.append(_card_text(card))
    return "\n".join(p for p in parts if p)


def _card_text(node: Any) -> str:
    if isinstance(node, dict):
        found = [str(node[k]) for k in ("text", "title", "value") if isinstance(node.get(k), str)]
        found += [_card_text(v) for k, v in node.items() if isinstance(v, (dict, list))]
        return "\n".join(f for f in found if f)
    if isinstance(node, list):
        return "\n".join(_card_text(v) for v in node)
    return ""


@asynccontextmanager
async def running(
    database_url: str, *, policy_for: Callable[[FakeTeams], Policy] | None = None
) -> AsyncIterator[TeamsRig]:
    """``policy_for`` builds the register policy once the fake is up (default:
    group chats, with the fake's service URL)."""
    async with FakeTeams() as teams:
        users = {email: teams.add_user(email=email, name=name) for name, email, *_ in PEOPLE}
        teams.publish_app(manifest_id(teams.app_id))
        settings = Settings(
            database_url=database_url,
            microsoft_app_id=teams.app_id,
            microsoft_app_password=teams.app_password,
            microsoft_app_tenant_id=teams.tenant_id,
            teams_login_url=teams.login_url,
            teams_openid_url=teams.bf_metadata_url,
            graph_url=teams.graph_url,
        )
        if policy_for is None:
            policy = Policy(teams=TeamsPolicy(service_url=teams.service_url))
        else:
            policy = policy_for(teams)
        app, clock = await seeded_app(settings, policy=policy)
        async with serving(create_web_app(app, run_relay=False)) as http:
            yield TeamsRig(app=app, teams=teams, http=http, clock=clock, users=users)
