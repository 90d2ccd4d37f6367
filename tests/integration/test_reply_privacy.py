"""Who sees a reply, in the console: the feature declares it (a reply about
a network is public in that network's own space; anything else, and every
/dsr answer, is for the person who typed it) and the console shows it."""

from __future__ import annotations

from integrations.sandbox.console import ConsoleSession
from tests.conftest import Harness

KIM = "kim.lee@example.org"
PRIYA = "priya.shah@example.org"


async def session_of(h: Harness, email: str, channel: str) -> tuple[ConsoleSession, list[str]]:
    written: list[str] = []
    session = ConsoleSession(
        dispatcher=h.app.dispatcher,
        relay=h.app.relay(worker="test"),
        write=written.append,
        actor_email=email,
        channel=channel,
    )
    return session, written


async def test_register_answers_in_a_network_space_are_shown_only_to_the_asker(
    harness: Harness,
) -> None:
    h = harness
    reply = await h.say(KIM, "/network open DSR-0042")
    assert reply.switch_to == "yp-dsr-0042"
    kim, said_to_kim = await session_of(h, KIM, "yp-dsr-0042")
    priya, said_to_priya = await session_of(h, PRIYA, "yp-dsr-0042")

    await priya.run_line('/dsr rate DSR-0043 red "Crisis at home"')
    assert said_to_priya[0].startswith("[only you can see this]\n"), said_to_priya[0]
    assert "DSR-0043 is now rated Red" in said_to_priya[0]

    await kim.run_line("/network add @priya.shah")
    assert said_to_kim[0].startswith("[#yp-dsr-0042]\n"), said_to_kim[0]

    # The same news typed in #general, about DSR-0042's network, stays with the asker.
    kim.channel = "general"
    await kim.run_line("/network add @jo.hughes --network DSR-0042")
    [added] = [line for line in said_to_kim if "Added Jo Hughes" in line]
    assert added.startswith("[only you can see this]\n"), added
