"""Network spaces as channels in a team (policy ``teams.spaces``), against the fake Teams."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.policy import Policy, TeamsPolicy
from tests.fakes.teams import FakeTeams
from tests.integration.teams_harness import TeamsRig, running

KIM = "kim.lee@example.org"
SAM = "sam.patel@example.org"
JO = "jo.hughes@example.org"
DANA = "dana.cole@example.org"


async def channel_rig(database_url: str, spaces: str) -> AsyncIterator[TeamsRig]:
    """A rig whose networks live in channels of a 'DSR networks' team that has
    Kim, Sam and Dana (owner) but not Jo."""
    holder: dict[str, Any] = {}

    def policy_for(teams: FakeTeams) -> Policy:
        team = teams.add_team("DSR networks", bot_installed=False)
        holder["team"] = team
        return Policy(
            teams=TeamsPolicy(
                spaces=spaces,  # type: ignore[arg-type]
                team_id=team,
                channel_owner=DANA,
                service_url=teams.service_url,
            )
        )

    async with running(database_url, policy_for=policy_for) as rig:
        team = rig.teams.teams[holder["team"]]
        for email, roles in ((KIM, []), (SAM, []), (DANA, ["owner"])):
            rig.teams._add_team_member(team, rig.users[email], roles)
        yield rig


@pytest.fixture
async def private_rig(migrated_url: str) -> AsyncIterator[TeamsRig]:
    async for rig in channel_rig(migrated_url, "private-channel"):
        yield rig


@pytest.fixture
async def standard_rig(migrated_url: str) -> AsyncIterator[TeamsRig]:
    async for rig in channel_rig(migrated_url, "channel"):
        yield rig


async def open_in_channel(rig: TeamsRig) -> Any:
    kim_chat = rig.personal(KIM)
    assert await rig.say(KIM, kim_chat, f"network open DSR-0042 --members {SAM} {JO}") == 200
    await rig.deliver()
    channel = rig.teams.channel_named("yp-dsr-0042")
    assert channel is not None
    return channel


async def test_a_private_channel_has_an_owner_the_team_members_and_reports_the_rest(
    private_rig: TeamsRig,
) -> None:
    rig = private_rig
    channel = await open_in_channel(rig)
    assert channel.membership_type == "private"
    members = {rig.teams.users[u].email: m.roles for u, m in channel.members.items()}
    assert members[DANA] == ["owner"]
    assert {KIM, SAM} <= set(members) and JO not in members
    # Jo isn't in the team: the network is told what to do.
    assert any(
        "jo.hughes@example.org isn't a member of the Teams team" in t for t in rig.texts(channel.id)
    )
    # No pin for channels: the description links to the network card.
    card = next(
        a
        for a in rig.teams.messages_in(channel.id, from_bot=True)
        if "DSR-0042" in json.dumps(a.cards)
    )
    assert f"/{card.id}?" in channel.description


async def test_a_standard_channel_is_archived_when_the_network_closes(
    standard_rig: TeamsRig,
) -> None:
    rig = standard_rig
    channel = await open_in_channel(rig)
    assert channel.membership_type == "standard"
    status = await rig.say(KIM, channel.id, 'network close --reason stepped-down "Outcomes met"')
    assert status == 200
    await rig.deliver()
    assert any("closed" in t.lower() for t in rig.texts(channel.id))
    assert rig.teams.calls_to("archive_channel")


async def test_removing_someone_takes_them_out_of_the_private_channel(
    private_rig: TeamsRig,
) -> None:
    rig = private_rig
    channel = await open_in_channel(rig)
    status = await rig.say(KIM, channel.id, f"network remove {SAM}")
    assert status == 200
    await rig.deliver()
    members = {rig.teams.users[u].email for u in channel.members}
    assert SAM not in members and KIM in members
