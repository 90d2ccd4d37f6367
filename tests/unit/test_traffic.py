"""The relay steps aside while its replica answers someone, but never for long."""

from __future__ import annotations

import asyncio

from bot.traffic import MAX_WAIT_SECONDS, Traffic


async def test_the_relay_waits_until_the_request_in_hand_is_answered() -> None:
    traffic = Traffic()
    traffic.begin()
    waiting = asyncio.create_task(traffic.requests_first())
    await asyncio.sleep(0.005)
    assert not waiting.done()  # a command is being answered: the relay waits
    traffic.end()
    await asyncio.wait_for(waiting, 1)


async def test_with_nobody_waiting_the_relay_goes_on_at_once() -> None:
    traffic = Traffic()
    traffic.begin()
    traffic.end()
    await asyncio.wait_for(traffic.requests_first(), 0.001)


async def test_under_constant_traffic_the_relay_still_delivers() -> None:
    traffic = Traffic()
    traffic.begin()  # never answered: the wait ends anyway
    await asyncio.wait_for(traffic.requests_first(), 50 * MAX_WAIT_SECONDS)
