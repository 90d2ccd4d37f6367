"""No door lets an NHS number in: every spelling, through every place where
chat text enters (Slack slash commands and modals, Teams messages and card
submissions, the console), is refused before anything is stored or sent.

Numbers are from the reserved test range only (tests/nhs.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from store.models import Action, AuditEvent, Outbox
from tests.conftest import Harness, text_of
from tests.integration.slack_harness import SlackRig
from tests.integration.slack_harness import running as running_slack
from tests.integration.teams_harness import TeamsRig
from tests.integration.teams_harness import running as running_teams
from tests.nhs import SPELLINGS, VALID

ELSEWHERE = "I couldn't do that; I've told you why in your chat with me."
KIM = "kim.lee@example.org"
SAM = "sam.patel@example.org"
# Enough spellings to cover each kind of separator at every door (the unit
# tests try every spelling against the guard itself).
DOOR_SPELLINGS = [
    "dots",
    "brackets",
    "en dashes",
    "pairs",
    "no-break spaces",
    "zero-width spaces",
    "double spaces",
    "full-width digits",
]


def numbers() -> list[str]:
    return [SPELLINGS[name](VALID) for name in DOOR_SPELLINGS]


async def stored(app: Any) -> tuple[int, int, int]:
    async with app.db.reader() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(AuditEvent)) or 0),
            int(await session.scalar(select(func.count()).select_from(Outbox)) or 0),
            int(await session.scalar(select(func.count()).select_from(Action)) or 0),
        )


def no_number_in(text: str) -> None:
    for number in numbers():
        assert number not in text


# -- Slack --------------------------------------------------------------------------


@pytest.fixture
async def slack(migrated_url: str) -> AsyncIterator[SlackRig]:
    async with running_slack(migrated_url) as rig:
        yield rig


async def slack_network(rig: SlackRig) -> str:
    await rig.command(KIM, "/network", "open DSR-0042")
    await rig.deliver()
    channel = rig.channel_named("yp-dsr-0042").id
    await rig.command(KIM, "/network", f"add <@{rig.uid(SAM)}|sam.patel>", channel=channel)
    await rig.deliver()
    return str(channel)


async def test_slack_commands_and_modals_refuse_every_spelling(slack: SlackRig) -> None:
    channel = await slack_network(slack)
    before = await stored(slack.app)
    posts = len(slack.slack.calls_to("chat.postMessage"))
    sam = f"<@{slack.uid(SAM)}|sam.patel>"
    for number in numbers():
        reply = await slack.command(
            KIM, "/action", f"assign {sam} Ring the GP about {number} by Friday", channel=channel
        )
        assert "NHS number" in reply["text"], (number, reply)
        assert reply["response_type"] == "ephemeral"
        reply = await slack.command(KIM, "/network", f"open {number}")
        assert "NHS number" in reply["text"], (number, reply)

        await slack.command(KIM, "/action", "", channel=channel)  # opens the assign form
        view = slack.slack.views[-1]
        assert view["callback_id"] == "action.assign"
        values = {
            "owner": {"user": {"type": "users_select", "selected_user": slack.uid(SAM)}},
            "text": {"value": {"type": "plain_text_input", "value": f"Ring about {number}"}},
            "due": {"date": {"type": "datepicker", "selected_date": "2026-11-27"}},
        }
        response = await slack.submit(KIM, view, values, view_id=f"V-{number}")
        body = response.json()
        assert body["response_action"] == "errors", body
        assert "NHS number" in json.dumps(body["errors"])
        no_number_in(json.dumps(body))
    await slack.deliver()
    assert await stored(slack.app) == before
    assert len(slack.slack.calls_to("chat.postMessage")) == posts


# -- Teams --------------------------------------------------------------------------


@pytest.fixture
async def teams(migrated_url: str) -> AsyncIterator[TeamsRig]:
    async with running_teams(migrated_url) as rig:
        yield rig


async def test_teams_messages_and_card_submissions_refuse_every_spelling(
    teams: TeamsRig,
) -> None:
    kim_chat = teams.personal(KIM)
    assert await teams.say(KIM, kim_chat, f"network open DSR-0042 --members {SAM}") == 200
    await teams.deliver()
    chat = teams.teams.chat_with_topic("yp-dsr-0042")
    assert chat is not None
    assert (
        await teams.say(KIM, chat.id, f"action assign @{SAM} Ring the GP by Friday", mentions=[SAM])
        == 200
    )
    await teams.deliver()
    [card] = [
        a
        for a in teams.teams.messages_in(chat.id, from_bot=True)
        if a.cards and "Action #1" in json.dumps(a.cards) and a.reply_to_id is None
    ]
    before = await stored(teams.app)
    teams.teams.send_limits = ()  # sixteen refusals in a second are not what is tested here
    for number in numbers():
        status = await teams.say(
            KIM, chat.id, f"action assign @{SAM} Ring about {number} by Friday", mentions=[SAM]
        )
        assert status == 200
        status = await teams.submit(
            SAM, chat.id, card, {"teamaround": "action.update", "value": "1", "note": number}
        )
        assert status == 200
        # A refusal goes to the asker's 1:1 chat; the shared chat is told only that.
        told = teams.texts(chat.id)[-2:]
        assert all(ELSEWHERE in t and "NHS" not in t for t in told), told
        for person in (KIM, SAM):
            said = teams.texts(teams.teams.personal_conversation(teams.users[person]))[-1]
            assert "NHS number" in said, (person, said)
            no_number_in(said)
    await teams.deliver()
    assert await stored(teams.app) == before
    assert card.updates == 0 or "Ring about" not in json.dumps(card.cards)


# -- the console ----------------------------------------------------------------------


async def test_the_console_refuses_every_spelling(harness: Harness) -> None:
    reply = await harness.say(KIM, "/network open DSR-0042")
    channel = reply.switch_to
    assert channel
    await harness.say(KIM, "/network add @sam.patel", channel=channel)
    before = await harness.audit_and_outbox()
    for number in numbers():
        for line in (
            f"/action assign @sam.patel Ring about {number} by Friday",
            f"/cetr rec 1\n@sam.patel | Ring about {number} | Friday",
            f"/dsr add {number}",
        ):
            reply = await harness.say(KIM, line, channel=channel)
            assert "NHS number" in text_of(reply), line
            no_number_in(text_of(reply))
    assert await harness.audit_and_outbox() == before
