"""Slack inbound: slash commands, buttons and modal submissions → neutral requests.

The one error boundary for Slack is ``_run``: known errors become a kind
ephemeral reply (or field errors in a modal); anything unexpected is logged
with a short reference that is also shown to the person.

The request path makes no platform calls except those Slack requires to be
immediate (opening a modal with a trigger id, answering a button through its
``response_url``, and looking up a person we have never seen before, once);
everything else goes through the outbox.

A button that runs a command (**Open** on an escalation message) is answered
through its ``response_url``, to the person who pressed it; a button that
opens a modal keeps that ``response_url`` in the modal, and the reply to the
submission goes there, as a typed command's reply would.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.dispatcher import Dispatcher, run_with_identity
from bot.forms import submission_text
from bot.invocation import Actor, Conversation, Invocation, Reply
from bot.messages import Message
from integrations.slack import modals
from integrations.slack.render import render
from integrations.slack.text import command_text

log = logging.getLogger("teamaround.slack")

COMMANDS = ("network", "action", "cetr", "dsr")
BUTTON_MODALS = ("action.done", "action.due", "action.reassign", "action.update")
# Buttons that run a command straight away (their form needs no input).
BUTTON_COMMANDS = ("action.show", "network.review-remove", "network.review-keep")
UNREADABLE_FORM = (
    "I can't read which action this form is for. Close it and press the button on the "
    "action's card again."
)
# Which modal field an error most likely belongs to.
ERROR_FIELD = {
    "action.done": "evidence",
    "action.due": "due",
    "action.reassign": "owner",
    "action.update": "note",
    "action.assign": "text",
    "cetr.record": "kind",
}


class SlackInbound:
    """Turns Slack payloads into invocations and runs them through the dispatcher."""

    def __init__(
        self, *, dispatcher: Dispatcher, client: AsyncWebClient, agencies: list[str] | None = None
    ) -> None:
        self._dispatcher = dispatcher
        self._client = client
        self._agencies = agencies or []

    async def run(self, invocation: Invocation) -> Reply:
        """Dispatch, looking up unknown Slack users by email once if needed."""
        return await run_with_identity(
            self._dispatcher, invocation, email_of=self._email_of, platform="Slack"
        )

    async def _email_of(self, user_id: str) -> str | None:
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("slack: users.info for %s failed: %s", user_id, exc.response.get("error"))
            return None
        profile = (response.get("user") or {}).get("profile") or {}
        email = profile.get("email")
        return str(email).lower() if email else None


def _actor(user_id: str) -> Actor:
    return Actor(platform="slack", platform_user_id=user_id)


def _ack_payload(message: Message) -> dict[str, Any]:
    rendered = render(message)
    return {
        "text": rendered.text,
        "blocks": rendered.blocks,
        "response_type": "in_channel" if message.audience == "space" else "ephemeral",
    }


def register(app: AsyncApp, inbound: SlackInbound) -> None:
    """Wire the listeners onto a bolt app."""

    async def on_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        command = str(body.get("command", "")).lstrip("/")
        text = command_text(str(body.get("text", ""))).strip()
        channel_id = str(body.get("channel_id", ""))
        form = None
        if command == "action" and not text:
            form = modals.assign_modal(channel_id=channel_id, agencies=inbound._agencies)
        elif command == "cetr" and text.lower() == "record":
            form = modals.cetr_record_modal(channel_id=channel_id)
        if form is not None:
            await _open_modal(client, body.get("trigger_id"), form)
            await ack()
            return
        invocation = Invocation(
            actor=_actor(str(body.get("user_id", ""))),
            conversation=Conversation(
                platform="slack", conversation_id=channel_id, name=body.get("channel_name")
            ),
            command=command,
            text=text,
            idempotency_key=f"slack:command:{body.get('trigger_id')}"
            if body.get("trigger_id")
            else None,
        )
        reply = await inbound.run(invocation)
        await ack(**_ack_payload(reply.message))

    for name in COMMANDS:
        app.command(f"/{name}")(on_command)

    async def on_button(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        response_url = str(body.get("response_url") or "") or None
        action = (body.get("actions") or [{}])[0]
        action_id = str(action.get("action_id", ""))
        # Values are "ID", or "ID:YYYY-MM-DD" for the due-date button.
        number_text, _, due_text = str(action.get("value", "")).partition(":")
        try:
            number = int(number_text)
            current_due = date.fromisoformat(due_text) if due_text else date.today()
        except ValueError:
            return
        channel_id = str(
            (body.get("container") or {}).get("channel_id")
            or (body.get("channel") or {}).get("id", "")
        )
        if action_id == "action.done":
            view = modals.done_modal(
                action_id=number, channel_id=channel_id, response_url=response_url
            )
        elif action_id == "action.due":
            view = modals.due_modal(
                action_id=number,
                channel_id=channel_id,
                current_due=current_due,
                response_url=response_url,
            )
        elif action_id == "action.reassign":
            view = modals.reassign_modal(
                action_id=number, channel_id=channel_id, response_url=response_url
            )
        else:
            view = modals.update_modal(
                action_id=number, channel_id=channel_id, response_url=response_url
            )
        await _open_modal(client, body.get("trigger_id"), view)

    for action_id in BUTTON_MODALS:
        app.action(action_id)(on_button)

    async def on_command_button(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        form = str(action.get("action_id", ""))
        number = str(action.get("value", "")).partition(":")[0]
        text = submission_text(form, number=number, values={})
        if text is None or not number.isdigit():
            return
        channel_id = str(
            (body.get("container") or {}).get("channel_id")
            or (body.get("channel") or {}).get("id", "")
        )
        invocation = Invocation(
            actor=_actor(str((body.get("user") or {}).get("id", ""))),
            conversation=Conversation(platform="slack", conversation_id=channel_id),
            command=form.split(".")[0],
            text=text,
            # A second press of the same button (or Slack's retry) is one press.
            idempotency_key=f"slack:action:{body['trigger_id']}"
            if body.get("trigger_id")
            else None,
        )
        reply = await inbound.run(invocation)
        await _respond(respond, reply.message)

    for action_id in BUTTON_COMMANDS:
        app.action(action_id)(on_command_button)

    async def on_submit(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        callback = str(view.get("callback_id", ""))
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        if not isinstance(meta, dict):
            meta = {}
        if callback in BUTTON_MODALS and not str(meta.get("action_id", "")).isdigit():
            # Not a form of ours as we made it: say so next to its field.
            await ack(
                response_action="errors",
                errors={ERROR_FIELD[callback]: UNREADABLE_FORM},
            )
            return
        values = modals.values_from_submission(view)
        # Slack's user pickers give user ids; the grammar reads them as mentions.
        for person in ("owner", "chair"):
            if values.get(person):
                values[person] = f"<@{values[person]}>"
        text = submission_text(callback, number=meta.get("action_id"), values=values)
        if text is None:
            await ack()
            return
        invocation = Invocation(
            actor=_actor(str((body.get("user") or {}).get("id", ""))),
            conversation=Conversation(
                platform="slack", conversation_id=str(meta.get("channel_id", ""))
            ),
            command=callback.split(".")[0],
            text=text,
            idempotency_key=f"slack:view:{view.get('id')}" if view.get("id") else None,
        )
        reply = await inbound.run(invocation)
        if reply.message.tone == "error":
            field = _error_field(callback, reply.message.text)
            await ack(response_action="errors", errors={field: reply.message.text[:2000]})
            return
        await ack()
        if meta.get("response_url"):
            await _respond(AsyncWebhookClient(str(meta["response_url"])), reply.message)

    for callback in ERROR_FIELD:
        app.view(callback)(on_submit)


def _error_field(callback: str, error: str) -> str:
    """The modal field an error most likely belongs to, so Slack shows it there."""
    lowered = error.lower()
    if callback == "action.assign":
        if any(word in lowered for word in ("date", "passed", "weekend")):
            return "due"
        if any(word in lowered for word in ("directory", "network", "who ", "agency")):
            return "agency" if "agency" in lowered else "owner"
    if callback == "action.due" and "date" in lowered:
        return "due"
    if callback == "cetr.record":
        for word, field in (
            ("clinical expert", "clinical_expert"),
            ("expert by experience", "expert_by_experience"),
            ("held", "held"),
            ("date", "held"),
            ("chair", "chair"),
        ):
            if word in lowered:
                return field
    return ERROR_FIELD.get(callback, "text")


async def _respond(target: AsyncRespond | AsyncWebhookClient, message: Message) -> None:
    """Answer an interaction through its ``response_url`` (best effort: the
    change itself is already made, and shows on the card)."""
    payload = {**_ack_payload(message), "replace_original": False}
    try:
        if isinstance(target, AsyncWebhookClient):
            response = await target.send_dict(payload)
            if response.status_code != 200:
                log.warning("slack: response_url answered %s", response.status_code)
        else:
            await target(**payload)
    except Exception as exc:  # an expired or used-up response_url, a network failure
        log.warning("slack: could not answer through response_url: %s", type(exc).__name__)


async def _open_modal(client: AsyncWebClient, trigger_id: Any, view: dict[str, Any]) -> None:
    if not trigger_id:
        return
    try:
        await client.views_open(trigger_id=str(trigger_id), view=view)
    except SlackApiError as exc:
        log.warning("slack: views.open failed: %s", exc.response.get("error"))


def create_app(
    *,
    client: AsyncWebClient,
    signing_secret: str | None,
    inbound: SlackInbound,
    socket_mode: bool = False,
) -> AsyncApp:
    """A bolt app that answers only after its handler has done its work
    (``process_before_response``), with request verification on over HTTP."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        process_before_response=True,
        request_verification_enabled=not socket_mode,
    )
    register(app, inbound)
    return app
