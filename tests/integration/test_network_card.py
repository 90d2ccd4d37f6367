"""The pinned network card stays current: every change it shows (open and
overdue actions, rating, keyworker, next review) edits it, once per change."""

from __future__ import annotations

import pytest

from bot.gateway import Delivery
from tests.conftest import Harness, text_of

KIM = "kim.lee@example.org"  # keyworker
SAM = "sam.patel@example.org"
JO = "jo.hughes@example.org"
PRIYA = "priya.shah@example.org"  # DSR chair
PANEL = '--chair @priya.shah --clinical-expert "Dr A Khan" --expert-by-experience "R Jones"'


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


def network_card(h: Harness) -> Delivery:
    """The one network-card edit the last command sent (one per change, never two)."""
    edits = [d for d in h.gateway.delivered if d.key.startswith("card:network:")]
    assert len(edits) == 1, [d.key for d in edits]
    [edit] = edits
    assert edit.op == "update"  # edited in place, never posted again
    return edit


def shown(edit: Delivery) -> str:
    assert edit.message is not None
    return edit.message.text + "\n" + str(edit.message.blocks)


async def ok(h: Harness, email: str, line: str, channel: str = "general") -> None:
    reply = await h.say(email, line, channel=channel)
    assert reply.message.tone != "error", text_of(reply)


async def test_the_network_card_follows_every_change_it_shows(h: Harness) -> None:
    reply = await h.say(KIM, "/network open DSR-0042")
    channel = reply.switch_to
    assert channel
    await ok(h, KIM, "/network add @sam.patel @jo.hughes @priya.shah", channel)

    for n in range(1, 8):
        await ok(h, KIM, f"/action assign @sam.patel Task {n} by in {n + 1} weeks", channel)
        assert f"{n} open" in shown(network_card(h)), n

    await ok(h, SAM, "/action done 1 Sent by secure email", channel)
    assert "6 open" in shown(network_card(h))
    await ok(h, KIM, "/action cancel 2 No longer needed", channel)
    assert "5 open" in shown(network_card(h))

    await ok(h, PRIYA, '/dsr rate DSR-0042 red "Crisis at home this week"')
    card = shown(network_card(h))
    assert "Red" in card and "Amber" not in card

    await ok(h, PRIYA, "/dsr keyworker DSR-0042 @jo.hughes")
    assert "keyworker Jo Hughes" in shown(network_card(h))

    await ok(h, JO, f"/cetr record inpatient 20/11 {PANEL}", channel)  # the keyworker now
    card = shown(network_card(h))
    assert "Next review" in card and "not scheduled" not in card

    await ok(h, PRIYA, '/dsr admit DSR-0042 today --setting "Oak Ward"')
    assert "Blue" in shown(network_card(h))
