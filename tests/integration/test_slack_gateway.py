"""The Slack gateway against the fake Slack, through the real AsyncWebClient."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.gateway import Address, Delivery, DeliveryError
from bot.messages import plain
from integrations.slack.client import make_client
from integrations.slack.gateway import SlackGateway
from tests.fakes.slack import FakeSlack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def gateway_for(slack: FakeSlack) -> SlackGateway:
    client = make_client(token=slack.token, base_url=slack.base_url, timeout=5)
    poster = make_client(
        token=slack.token, base_url=slack.base_url, timeout=5, safe_to_repeat=False
    )
    return SlackGateway(client, post_client=poster)


def card(channel: str, *, attempt: int = 0, pin: bool = True) -> Delivery:
    return Delivery(
        key="card:network:1:open",
        op="post",
        address=Address(platform="slack", kind="channel", conversation_id=channel),
        message=plain("DSR-0042 network", audience="space"),
        pin=pin,
        attempt=attempt,
    )


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_plain_text_5xx_keeps_its_status_and_retry_after(
    slack: FakeSlack, status: int
) -> None:
    """A load balancer's error page is plain text, not Slack's JSON."""
    channel = slack.add_channel("yp-dsr-0042", is_private=True)
    slack.fail_next("chat.postMessage", status=status, retry_after=30)
    with pytest.raises(DeliveryError) as caught:
        await gateway_for(slack).deliver(card(channel))
    error = caught.value
    assert f"HTTP {status}" in str(error)
    assert error.retryable and error.retry_after == 30


async def test_a_network_card_found_again_after_a_lost_answer_is_pinned_once(
    slack: FakeSlack,
) -> None:
    channel = slack.add_channel("yp-dsr-0042", is_private=True)
    gateway = gateway_for(slack)
    slack.fail_next("chat.postMessage", status=503, apply_then_fail=True)
    with pytest.raises(DeliveryError):
        await gateway.deliver(card(channel))
    assert slack.channels[channel].pins == []  # posted, never pinned: the answer was lost

    result = await gateway.deliver(card(channel, attempt=1))
    [message] = slack.messages[channel]
    assert result.message_id == message.ts
    assert slack.channels[channel].pins == [message.ts]
    await gateway.deliver(card(channel, attempt=2))  # found again, already pinned: fine
    assert slack.channels[channel].pins == [message.ts] and len(slack.messages[channel]) == 1


async def test_a_pin_that_failed_after_the_post_is_made_on_the_retry(slack: FakeSlack) -> None:
    channel = slack.add_channel("yp-dsr-0042", is_private=True)
    gateway = gateway_for(slack)
    slack.fail_next("pins.add", 4, status=503)  # twice, each time after the client's own retry
    for attempt in range(2):
        with pytest.raises(DeliveryError):
            await gateway.deliver(card(channel, attempt=attempt))
    await gateway.deliver(card(channel, attempt=2))
    [message] = slack.messages[channel]
    assert slack.channels[channel].pins == [message.ts]


async def test_when_history_cannot_be_read_for_now_the_post_is_not_repeated(
    slack: FakeSlack,
) -> None:
    """A retry that cannot search (Slack busy) fails again rather than risk a second copy."""
    channel = slack.add_channel("yp-dsr-0042", is_private=True)
    gateway = gateway_for(slack)
    slack.fail_next("chat.postMessage", status=503, apply_then_fail=True)
    with pytest.raises(DeliveryError):
        await gateway.deliver(card(channel, pin=False))
    slack.fail_next("conversations.history", 2, status=429, retry_after=1)
    with pytest.raises(DeliveryError) as caught:
        await gateway.deliver(card(channel, attempt=1, pin=False))
    assert caught.value.retryable
    await gateway.deliver(card(channel, attempt=2, pin=False))
    assert len(slack.messages[channel]) == 1
