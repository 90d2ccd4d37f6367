"""Neutral inbound vocabulary: who typed what, where."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.messages import Message


class Actor(BaseModel):
    """The person behind a command, as the platform identifies them.

    ``platform_user_id`` is the platform's id (Slack ``U…``, Teams AAD object
    id, console email); ``email`` is filled when the platform tells us.
    """

    model_config = ConfigDict(frozen=True)

    platform: str
    platform_user_id: str
    email: str | None = None
    display_name: str | None = None


class Conversation(BaseModel):
    model_config = ConfigDict(frozen=True)

    platform: str
    conversation_id: str
    name: str | None = None


class Invocation(BaseModel):
    """One slash command (or @mention in Teams), platform-neutral."""

    model_config = ConfigDict(frozen=True)

    actor: Actor
    conversation: Conversation
    command: str  # "network", "action", ... without the slash
    text: str
    idempotency_key: str | None = None  # platform delivery id, for de-duplication
    # Emails the adapter looked up for platform user ids (see NeedsIdentity).
    known_emails: dict[str, str] = {}


class Interaction(BaseModel):
    """A button press or form submission, platform-neutral."""

    model_config = ConfigDict(frozen=True)

    actor: Actor
    conversation: Conversation
    action_id: str
    value: str = ""
    inputs: dict[str, str] = {}
    idempotency_key: str | None = None


class Reply(BaseModel):
    """What a handler returns: the immediate reply to the caller, and
    optionally a hint for the adapter (the console follows ``switch_to``)."""

    model_config = ConfigDict(frozen=True)

    message: Message
    switch_to: str | None = None  # conversation id the caller should move to
