"""Slack as it really sends: escaped mentions (``should_escape``) and escaped
text, in every grammar, through real signed requests to the running server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from store.models import Action, Network, YoungPerson
from tests.integration.slack_harness import SlackRig, running

KIM = "kim.lee@example.org"
SAM = "sam.patel@example.org"
JO = "jo.hughes@example.org"
PRIYA = "priya.shah@example.org"
PANEL = '--clinical-expert "Dr A Khan" --expert-by-experience "R Jones"'


@pytest.fixture
async def rig(migrated_url: str) -> AsyncIterator[SlackRig]:
    async with running(migrated_url) as rig:
        yield rig


def escaped(rig: SlackRig, email: str) -> str:
    """A person as Slack writes them with should_escape: <@U…|username>."""
    return f"<@{rig.uid(email)}|{email.split('@')[0]}>"


async def network_with_everyone(rig: SlackRig) -> str:
    await rig.command(KIM, "/network", "open DSR-0042")
    await rig.deliver()
    channel = rig.channel_named("yp-dsr-0042").id
    people = " ".join(escaped(rig, e) for e in (SAM, JO, PRIYA))
    reply = await rig.command(KIM, "/network", f"add {people}", channel=channel)
    assert "Added Sam Patel" in reply["text"] and "Priya Shah" in reply["text"], reply
    await rig.deliver()
    return str(channel)


async def owners_and_texts(rig: SlackRig) -> list[tuple[str, str]]:
    async with rig.app.db.reader() as session:
        found = (await session.scalars(select(Action).order_by(Action.id))).unique().all()
        return [(a.owner.email, a.text) for a in found]


async def test_cetr_rec_with_slacks_escaped_mention_creates_the_action(rig: SlackRig) -> None:
    channel = await network_with_everyone(rig)
    reply = await rig.command(
        KIM,
        "/cetr",
        f"record community-cetr 20/11 --chair {escaped(rig, PRIYA)} {PANEL}",
        channel=channel,
    )
    assert "Review #1 recorded" in reply["text"], reply
    before = await owners_and_texts(rig)

    reply = await rig.command(
        KIM,
        "/cetr",
        f"rec 1 {escaped(rig, JO)} Confirm the short-break offer by Friday",
        channel=channel,
    )
    assert reply.get("response_type") == "in_channel", reply
    assert (await owners_and_texts(rig))[len(before) :] == [(JO, "Confirm the short-break offer")]

    lines = (
        f"rec 1 --confirm\n{escaped(rig, SAM)} | Review the medication plan | 18/12\n"
        f"{escaped(rig, JO)} | Book the family meeting | Friday"
    )
    reply = await rig.command(KIM, "/cetr", lines, channel=channel)
    assert reply.get("response_type") == "in_channel", reply
    assert (await owners_and_texts(rig))[len(before) + 1 :] == [
        (SAM, "Review the medication plan"),
        (JO, "Book the family meeting"),
    ]


async def test_every_grammar_reads_escaped_mentions(rig: SlackRig) -> None:
    channel = await network_with_everyone(rig)
    reply = await rig.command(
        KIM, "/action", f"assign {escaped(rig, SAM)} Ring the school by Friday", channel=channel
    )
    assert "Action #1" in reply["text"], reply
    reply = await rig.command(
        KIM, "/action", f"reassign 1 {escaped(rig, JO)} Sam is on leave", channel=channel
    )
    assert "now with Jo Hughes" in reply["text"], reply
    assert await owners_and_texts(rig) == [(JO, "Ring the school")]

    reply = await rig.command(KIM, "/network", f"keyworker {escaped(rig, SAM)}", channel=channel)
    assert "Sam Patel" in reply["text"], reply
    reply = await rig.command(PRIYA, "/dsr", f"keyworker DSR-0042 {escaped(rig, JO)}")
    assert "Jo Hughes" in reply["text"], reply
    async with rig.app.db.reader() as session:
        network = await session.scalar(select(Network))
        young_person = await session.scalar(select(YoungPerson).where(YoungPerson.id == 1))
        assert network is not None and young_person is not None
        assert network.keyworker is not None and network.keyworker.email == JO
        assert young_person.keyworker_id == network.keyworker_id


async def test_typed_text_arrives_escaped_and_is_shown_as_typed_pinging_nobody(
    rig: SlackRig,
) -> None:
    channel = await network_with_everyone(rig)
    typed = "Send the draft &lt;!channel&gt; &amp; &lt;@U0BOT&gt; co"  # as Slack sends it
    await rig.command(
        KIM, "/action", f"assign {escaped(rig, SAM)} {typed} by Friday", channel=channel
    )
    await rig.deliver()
    assert await owners_and_texts(rig) == [(SAM, "Send the draft <!channel> & < @U0BOT> co")]
    [card] = [m for m in rig.messages_in(channel) if "Action #1" in json.dumps(m.blocks)]
    shown = json.dumps(card.blocks)
    assert "&lt;!channel&gt; &amp; &lt; @U0BOT&gt; co" in shown
    assert "<!channel>" not in shown and "<@U0BOT>" not in shown
