"""Teams inbound: ``/api/messages`` activities → neutral invocations.

The one error boundary for Teams is :meth:`TeamsInbound.handle`: a request
that fails the Bot Framework checks gets 401 and changes nothing; known errors
become a kind reply; anything unexpected is logged with a short reference
that is also shown to the person.

- A message that @mentions the bot is the same command as Slack's slash
  command: ``@Teamaround action assign @Sam …``. The bot's mention is removed
  using the activity's entities; a person's mention becomes ``<@object-id>``
  (their Entra object id), which the grammar reads like a Slack mention.
- A card's ``Action.Submit`` (``data.teamaround`` names the form) becomes
  the same command text as the Slack modal (:mod:`bot.forms`).
- Every activity refreshes the conversation's reference (service URL, tenant,
  team, channel) so that proactive messages can reach it later.

Replies go back into the conversation when the feature declared them public
to it (``Message.audience == "space"``); any other reply asked in a shared
chat or channel goes to the asker's 1:1 chat with the bot, with a short note
in the conversation that it did (none after a card's form worked: the card
shows it). Only Teams activities from our own tenant are accepted.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from collections import OrderedDict
from typing import Any

import aiohttp

from bot.dispatcher import Dispatcher, new_reference, run_with_identity, unexpected_message
from bot.forms import submission_text
from bot.gateway import Address, Delivery
from bot.invocation import Actor, Conversation, Invocation
from bot.messages import Message, plain
from integrations.teams.activity import shape_problem
from integrations.teams.api import TeamsApiError
from integrations.teams.auth import AuthError, BotFrameworkAuth
from integrations.teams.connector import Connector
from integrations.teams.gateway import TeamsGateway, shortened
from integrations.teams.graph import Graph
from integrations.teams.references import References, base_conversation, reference_of
from integrations.teams.render import render_activity, submission_values
from integrations.teams.tokens import TokenError

log = logging.getLogger("teamaround.teams")

# The largest activity accepted; the server stops reading beyond it.
MAX_BODY = 256 * 1024
SEEN_ACTIVITIES = 2000
# Said in a shared conversation when the answer went to the asker's 1:1 chat.
SENT_PRIVATELY = "I've sent you the answer in your chat with me."
REFUSED_PRIVATELY = "I couldn't do that; I've told you why in your chat with me."
_TAG = re.compile(r"<[^>]+>")
# A reply met by a rate limit or a gateway error is tried this many times in
# all, waiting Retry-After (at most this long) between tries.
REPLY_TRIES = 3
REPLY_WAIT_SECONDS = 1.0


class TeamsInbound:
    def __init__(
        self,
        *,
        dispatcher: Dispatcher,
        auth: BotFrameworkAuth,
        connector: Connector,
        graph: Graph,
        references: References,
        gateway: TeamsGateway,
        app_id: str,
    ) -> None:
        self._dispatcher = dispatcher
        self._auth = auth
        self._connector = connector
        self._graph = graph
        self._references = references
        self._gateway = gateway
        self._bot_ids = {f"28:{app_id}", app_id}
        self._seen: OrderedDict[str, None] = OrderedDict()
        # Bot-scoped ids (29:…) already resolved: -> (Entra object id, email).
        self._people: dict[str, tuple[str, str]] = {}

    async def handle(self, *, authorization: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) for one POST to /api/messages.

        The token is checked before the body is parsed: anything unsigned gets
        401 however malformed it is. A signed activity that is not the shape
        Teams sends gets 400; neither is an error of ours, so neither is logged
        as one."""
        try:
            token = await self._auth.verify_token(authorization)
        except AuthError as exc:
            log.warning("teams: refused a request to /api/messages: %s", exc)
            return 401, {"error": "unauthorized"}
        try:
            activity = json.loads(body)
        except ValueError:
            log.warning("teams: refused a signed request whose body is not JSON")
            return 400, {"error": "the body is not JSON"}
        problem = shape_problem(activity)
        if problem is not None:
            log.warning("teams: refused a signed activity: %s", problem)
            return 400, {"error": f"not an activity: {problem}"}
        try:
            self._auth.check_activity(token, activity)
        except AuthError as exc:
            log.warning("teams: refused a request to /api/messages: %s", exc)
            return 401, {"error": "unauthorized"}
        try:
            await self._handle(activity)
        except Exception:
            reference = new_reference()
            log.exception(
                "unexpected error handling a Teams activity, reference %s",
                reference,
                extra={"reference": reference},
            )
            if activity.get("type") == "message":
                await self._reply(activity, unexpected_message(reference))
        return 200, {}

    async def _handle(self, activity: dict[str, Any]) -> None:
        seen_key = _delivery_key(activity)
        if seen_key:
            if seen_key in self._seen:
                log.info("teams: activity %s arrived again; ignored", activity.get("id"))
                return
            self._seen[seen_key] = None
            while len(self._seen) > SEEN_ACTIVITIES:
                self._seen.popitem(last=False)
        reference = reference_of(activity)
        if reference is not None:
            await self._references.save(reference)
        if activity.get("type") != "message":
            return  # installs and membership updates: the reference is all we need
        invocation = await self._invocation(activity)
        if invocation is None:
            return
        if isinstance(invocation, Message):
            await self._reply(activity, invocation)
            return
        reply = await run_with_identity(
            self._dispatcher, invocation, email_of=self._email_of, platform="Microsoft Teams"
        )
        await self._reply(activity, reply.message)

    # -- building the invocation ----------------------------------------------------

    async def _invocation(self, activity: dict[str, Any]) -> Invocation | Message | None:
        sender = activity.get("from") or {}
        actor = Actor(
            platform="teams",
            platform_user_id=str(sender.get("aadObjectId") or sender.get("id") or ""),
            display_name=sender.get("name"),
        )
        conversation = Conversation(
            platform="teams",
            # A channel thread belongs to its channel (the network's space).
            conversation_id=base_conversation(
                str((activity.get("conversation") or {}).get("id") or "")
            ),
            name=(activity.get("conversation") or {}).get("name"),
        )
        key = _delivery_key(activity)
        value = activity.get("value")
        if isinstance(value, dict) and value.get("teamaround"):
            form = str(value["teamaround"])
            number = str(value.get("value", "")).partition(":")[0]
            text = submission_text(form, number=number, values=submission_values(value))
            if text is None:
                return None
            return Invocation(
                actor=actor,
                conversation=conversation,
                command=form.split(".")[0],
                text=text,
                idempotency_key=key,
            )
        text, known = await self._command_text(activity)
        command, _, rest = text.partition(" ")
        command = command.lstrip("/").lower()
        if command not in self._dispatcher.commands:
            names = ", ".join(self._dispatcher.commands)
            return plain(
                f"Mention me with a command: {names}. For example: "
                "@Teamaround action assign @Sam Send the EHCP draft by Friday. "
                "Add help after a command to see what it can do.",
                audience="space",
            )
        return Invocation(
            actor=actor,
            conversation=conversation,
            command=command,
            text=rest.strip(),
            idempotency_key=key,
            known_emails=known,
        )

    async def _command_text(self, activity: dict[str, Any]) -> tuple[str, dict[str, str]]:
        """The text after the bot's mention, with people's mentions as ``<@id>``."""
        text = str(activity.get("text") or "")
        known: dict[str, str] = {}
        tokens: list[str] = []
        for entity in activity.get("entities") or []:
            if entity.get("type") != "mention" or not entity.get("text"):
                continue
            mentioned = entity.get("mentioned") or {}
            mentioned_id = str(mentioned.get("id") or "")
            if mentioned_id in self._bot_ids:
                replacement = " "
            else:
                person = await self._person(activity, mentioned_id)
                if person is None:
                    replacement = "@" + str(mentioned.get("name") or "someone").replace(" ", "")
                else:
                    object_id, email = person
                    replacement = f"<@{object_id}>"
                    if email:
                        known[object_id] = email
            tokens.append(replacement)
            text = text.replace(str(entity["text"]), f"\x00{len(tokens) - 1}\x00", 1)
        text = html.unescape(_TAG.sub(" ", text)).replace("\xa0", " ")
        # Only a real mention becomes <@id>: text typed as "&lt;@…" stays text.
        text = text.replace("<@", "< @")
        for index, replacement in enumerate(tokens):
            text = text.replace(f"\x00{index}\x00", f" {replacement} ")
        return " ".join(text.split()), known

    async def _person(self, activity: dict[str, Any], user_id: str) -> tuple[str, str] | None:
        """A mentioned person's Entra object id and email, from the roster."""
        if user_id in self._people:
            return self._people[user_id]
        conversation = str((activity.get("conversation") or {}).get("id") or "")
        try:
            member = await self._connector.member(
                str(activity.get("serviceUrl") or ""), conversation, user_id
            )
        except (TeamsApiError, TokenError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("teams: could not look up a mentioned person: %s", type(exc).__name__)
            return None
        object_id = str(member.get("aadObjectId") or "")
        if not object_id:
            return None
        email = str(member.get("email") or member.get("userPrincipalName") or "").lower()
        self._people[user_id] = (object_id, email)
        return object_id, email

    async def _email_of(self, user_id: str) -> str | None:
        for object_id, email in self._people.values():
            if object_id == user_id and email:
                return email
        user = await self._graph.user(user_id)
        return user.email if user is not None and user.email else None

    # -- replying -----------------------------------------------------------------

    async def _reply(self, activity: dict[str, Any], message: Message) -> None:
        conversation = activity.get("conversation") or {}
        service_url = str(activity.get("serviceUrl") or "")
        conversation_id = str(conversation.get("id") or "")
        shared = str(conversation.get("conversationType") or "personal") != "personal"
        try:
            if shared and message.audience == "asker":
                await self._privately(activity, message)
                if _from_card(activity) and message.tone != "error":
                    return  # the card itself shows that it worked
                note = REFUSED_PRIVATELY if message.tone == "error" else SENT_PRIVATELY
                message = plain(note, audience="space")
            # A card submission is no message of its own: answer under the card.
            target = str(activity.get("replyToId") or activity.get("id") or "")
            try:
                await self._send_reply(
                    service_url, conversation_id, target, render_activity(message)
                )
            except TeamsApiError as exc:
                if exc.status != 413:
                    raise
                await self._send_reply(service_url, conversation_id, target, shortened(message))
        except Exception as exc:
            reference = new_reference()
            if isinstance(exc, TeamsApiError) and exc.retryable:
                # The command itself was done; only its answer is lost, to a
                # rate limit or an outage of the platform's: no bug of ours.
                log.warning(
                    "teams: a reply was not delivered after %d tries (HTTP %s), reference %s",
                    REPLY_TRIES,
                    exc.status,
                    reference,
                    extra={"reference": reference},
                )
            else:
                log.exception(
                    "teams: could not send a reply, reference %s",
                    reference,
                    extra={"reference": reference},
                )

    async def _send_reply(
        self, service_url: str, conversation_id: str, target: str, activity: dict[str, Any]
    ) -> None:
        """Send a reply, waiting briefly through a rate limit or a passing
        gateway error (as the Bot Framework asks), a few times at most: the
        person is waiting for the answer, so the waits are short."""
        for attempt in range(1, REPLY_TRIES + 1):
            try:
                await self._connector.reply(service_url, conversation_id, target, activity)
                return
            except TeamsApiError as exc:
                if not exc.retryable or attempt == REPLY_TRIES:
                    raise
                wait = exc.retry_after if exc.retry_after is not None else REPLY_WAIT_SECONDS
                await asyncio.sleep(min(wait, REPLY_WAIT_SECONDS))

    async def _privately(self, activity: dict[str, Any], message: Message) -> None:
        sender = activity.get("from") or {}
        object_id = str(sender.get("aadObjectId") or "")
        await self._gateway.deliver(
            Delivery(
                key=f"teams:reply:{activity.get('id')}",
                op="dm",
                address=Address(
                    platform="teams", kind="user", conversation_id=object_id, label=object_id
                ),
                message=message,
            )
        )


def _from_card(activity: dict[str, Any]) -> bool:
    """A card's form was submitted (rather than a message typed)."""
    value = activity.get("value")
    return isinstance(value, dict) and bool(value.get("teamaround"))


def _delivery_key(activity: dict[str, Any]) -> str | None:
    """Teams message ids are unique within a conversation, not across them."""
    if not activity.get("id"):
        return None
    conversation = base_conversation(str((activity.get("conversation") or {}).get("id") or ""))
    return f"teams:{conversation}:{activity['id']}"
