"""The port between the relay and a chat platform.

A gateway does one thing: deliver one message to one address and say where
it landed. Everything about *what* to send and *when* lives elsewhere.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from bot.messages import Message

Op = Literal["post", "update", "dm"]


class Address(BaseModel):
    model_config = ConfigDict(frozen=True)

    platform: str
    kind: Literal["channel", "user"]
    conversation_id: str  # channel id, or the person's platform user id for DMs
    label: str = ""  # human label for logs and the console ("#yp-0042", "sam@…")


class Delivery(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str  # the outbox idempotency key
    op: Op
    address: Address
    message: Message
    message_id: str | None = None  # for op == "update": the message to edit


class SendResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    conversation_id: str
    message_id: str


class DeliveryError(Exception):
    """A delivery failed. ``retryable`` failures are tried again later."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class ChatGateway(Protocol):
    platform: str

    async def deliver(self, delivery: Delivery) -> SendResult: ...
