"""The port between the relay and a chat platform.

A gateway does one thing: carry out one delivery (a message, a card edit, or
an operation on a network's space) and say where it landed. Everything about
*what* to send and *when* lives elsewhere.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from bot.messages import Message

# "retract": take back a sent message (``message_id`` in the conversation): deleted
# where the platform can delete it, else replaced by ``message`` (a short note).
Op = Literal["post", "update", "dm", "space", "retract"]


class Address(BaseModel):
    model_config = ConfigDict(frozen=True)

    platform: str
    kind: Literal["channel", "user"]
    # Channel id; for a person, their platform user id ("" when not yet known,
    # in which case the gateway finds them by ``email``).
    conversation_id: str
    email: str = ""
    label: str = ""  # human label for logs and the console ("#yp-0042", "sam@…")
    # For a person: their directory id (an emailed link is scoped to them).
    person_id: int | None = None


class Member(BaseModel):
    model_config = ConfigDict(frozen=True)

    email: str
    platform_user_id: str | None = None


class SpaceRequest(BaseModel):
    """An operation on a network's private space."""

    model_config = ConfigDict(frozen=True)

    action: Literal["create", "invite", "remove", "archive", "topic"]
    name: str = ""
    topic: str = ""
    members: tuple[Member, ...] = ()


class Delivery(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str  # the outbox idempotency key
    op: Op
    address: Address
    message: Message | None = None
    message_id: str | None = None  # for op "update" and "retract": the message
    space: SpaceRequest | None = None
    pin: bool = False  # pin a newly posted card (the network card)
    attempt: int = 0  # earlier attempts of this row: >0 means a previous try may have landed
    # Where the card named by ``message.link_card`` lives: (conversation id, message id).
    card_location: tuple[str, str] | None = None
    # Platform user ids already known for ``message.mentions`` (email -> id);
    # the gateway looks up the rest by email.
    mention_ids: dict[str, str] = {}


class SendResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    conversation_id: str
    message_id: str = ""
    # People the platform found by email: email -> platform user id.
    linked: dict[str, str] = {}
    # Things people should hear about, e.g. "x@y isn't in this Slack workspace".
    problems: tuple[str, ...] = ()


class DeliveryError(Exception):
    """A delivery failed. ``retryable`` failures are tried again later."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        not_on_platform: bool = False,
        waiting: bool = False,
        undeliverable: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        # The person has no account on this platform: another platform may reach them.
        self.not_on_platform = not_on_platform
        # Not a failure but a wait (for something people will do): try again
        # after ``retry_after`` without using up an attempt.
        self.waiting = waiting
        # The recipient cannot be reached there at all (an email address that
        # does not exist): parked at once, and the network's keyworker is told.
        self.undeliverable = undeliverable


class ChatGateway(Protocol):
    platform: str

    async def deliver(self, delivery: Delivery) -> SendResult: ...
