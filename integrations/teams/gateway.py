"""Delivers outbox rows to Microsoft Teams: messages through the Bot
Connector, spaces through Microsoft Graph (PLATFORMS.md B3, B4).

Spaces follow the register's ``teams.spaces`` policy: a group chat (the
default), a private channel or a standard channel in a configured team.
People are found by email in our own tenant; anyone Graph can't find is
reported back to the network instead of failing the whole operation.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.gateway import Address, Delivery, DeliveryError, Member, SendResult, SpaceRequest
from bot.messages import Message
from bot.policy import TeamsPolicy
from integrations.teams.api import TeamsApiError
from integrations.teams.connector import Connector
from integrations.teams.graph import Graph, GraphUser
from integrations.teams.references import Reference, References
from integrations.teams.render import Mention, render_activity
from integrations.teams.tokens import TokenError

log = logging.getLogger("teamaround.teams")

NOT_IN_CONVERSATION = "BotNotInConversationRoster"
MIN_CHAT_MEMBERS = 2
WAIT_FOR_MEMBERS_SECONDS = 30.0
REINSTALL_WAIT_SECONDS = 20.0
MAX_CHANNEL_NAME = 50  # Graph's limit for a channel's display name
MAX_NAME_TRIES = 20
BLOCKED = "ConversationBlockedByUser"
# What an over-size message is replaced by (413 MessageSizeTooBig).
TOO_BIG_TEXT_LIMIT = 1500


def translate(exc: Exception) -> DeliveryError:
    """A Teams or network failure as a relay error: retry what may pass."""
    if isinstance(exc, TeamsApiError):
        return DeliveryError(
            f"teams: {exc.code} (HTTP {exc.status})",
            retryable=exc.retryable,
            retry_after=exc.retry_after,
        )
    if isinstance(exc, TokenError):
        return DeliveryError(str(exc), retryable=exc.retryable)
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, OSError)):
        return DeliveryError(f"teams: connection problem ({type(exc).__name__})", retryable=True)
    return DeliveryError(f"teams: unexpected {type(exc).__name__}", retryable=True)


def deep_link(reference: Reference | None, conversation_id: str, message_id: str) -> str:
    """A link that opens one message in Teams."""
    base = f"https://teams.microsoft.com/l/message/{quote(conversation_id, safe='')}/{message_id}"
    if reference is not None and reference.kind == "channel" and reference.team_id:
        return (
            f"{base}?tenantId={reference.tenant_id}&groupId={reference.team_id}"
            f"&parentMessageId={message_id}"
        )
    context = quote(json.dumps({"contextType": "chat"}, separators=(",", ":")), safe="")
    return f"{base}?context={context}"


class TeamsGateway:
    platform = "teams"

    def __init__(
        self,
        *,
        connector: Connector,
        graph: Graph,
        references: References,
        policy: TeamsPolicy,
        app_id: str,
        tenant_id: str,
        manifest_id: str,
    ) -> None:
        self._connector = connector
        self._graph = graph
        self._references = references
        self._policy = policy
        self._bot_id = f"28:{app_id}"
        self._tenant = tenant_id
        self._manifest_id = manifest_id
        self._catalog_id: str | None = None
        self._names: dict[str, str] = {}  # Entra object id -> display name

    async def deliver(self, delivery: Delivery) -> SendResult:
        try:
            if delivery.op == "space":
                assert delivery.space is not None
                return await self._space(delivery.address, delivery.space)
            if delivery.op == "update":
                return await self._update(delivery)
            if delivery.op == "retract":
                return await self._retract(delivery)
            if delivery.op == "dm":
                return await self._dm(delivery)
            return await self._post(delivery, delivery.address.conversation_id)
        except DeliveryError:
            raise
        except Exception as exc:
            error = translate(exc)
            if isinstance(exc, TeamsApiError) and exc.code == NOT_IN_CONVERSATION:
                error = await self._not_in_conversation(delivery)
            raise error from exc

    async def _not_in_conversation(self, delivery: Delivery) -> DeliveryError:
        """403 BotNotInConversationRoster. In a network's chat or channel the app
        is put back (it may also still be spreading through Teams after being
        installed) and the row retried; elsewhere the row is parked with why."""
        reference = await self._references.get(delivery.address.conversation_id)
        if reference is None or reference.kind == "personal" or delivery.op == "space":
            return DeliveryError(
                "teams: Teamaround is not in this conversation (BotNotInConversationRoster); "
                "add the Teamaround app back to it",
                retryable=False,
            )
        try:
            await self._reinstall(reference)
        except (TeamsApiError, DeliveryError) as exc:
            log.warning("teams: could not put Teamaround back into %s: %s", reference.kind, exc)
        return DeliveryError(
            "teams: Teamaround was not in the conversation (BotNotInConversationRoster); "
            "added it again, trying again",
            retryable=True,
            retry_after=REINSTALL_WAIT_SECONDS,
        )

    # -- where conversations are ----------------------------------------------------

    async def _service_url(self, conversation_id: str) -> tuple[str, Reference | None]:
        reference = await self._references.get(conversation_id)
        if reference is not None:
            return reference.service_url, reference
        latest = await self._references.latest_service_url(self._tenant)
        return latest or self._policy.service_url, None

    async def _catalog(self) -> str:
        if self._catalog_id is None:
            self._catalog_id = await self._graph.catalog_id(self._manifest_id)
        if self._catalog_id is None:
            raise DeliveryError(
                "teams: the Teamaround app is not in your organisation's app catalogue yet; "
                "upload the package from `teamaround manifest teams` (README, Connect to Teams)",
                retryable=False,
            )
        return self._catalog_id

    # -- messages -------------------------------------------------------------------

    async def _activity(self, delivery: Delivery, reference: Reference | None) -> dict[str, Any]:
        assert delivery.message is not None
        mentions = await self._mentions(delivery)
        activity = render_activity(delivery.message, mentions=mentions)
        if delivery.card_location:
            conversation, message_id = delivery.card_location
            target = await self._references.get(conversation)
            link = deep_link(target, conversation, message_id)
            card = activity["attachments"][0]["content"]
            card.setdefault("actions", []).append(
                {"type": "Action.OpenUrl", "title": "Open the card", "url": link}
            )
        return activity

    async def _mentions(self, delivery: Delivery) -> list[Mention]:
        assert delivery.message is not None
        found: list[Mention] = []
        for email in delivery.message.mentions:
            user_id = delivery.mention_ids.get(email)
            name = self._names.get(user_id or "")
            if not user_id or not name:
                user = await self._graph.user(user_id) if user_id else None
                user = user or await self._graph.user_by_email(email)
                if user is None:
                    continue  # not in our tenant: the message still names their agency
                user_id, name = user.id, user.name or email
                self._names[user_id] = name
            found.append(Mention(user_id=user_id, name=name))
        return found

    async def _send(
        self, service_url: str, conversation_id: str, activity: dict[str, Any], message: Message
    ) -> str:
        try:
            return await self._connector.send(service_url, conversation_id, activity)
        except TeamsApiError as exc:
            if exc.status != 413:
                raise
            log.warning(
                "teams: message for %s was too big (413); sending it shortened", conversation_id
            )
            return await self._connector.send(service_url, conversation_id, shortened(message))

    async def _post(self, delivery: Delivery, conversation_id: str) -> SendResult:
        assert delivery.message is not None
        service_url, reference = await self._service_url(conversation_id)
        activity = await self._activity(delivery, reference)
        message_id = await self._send(service_url, conversation_id, activity, delivery.message)
        problems: tuple[str, ...] = ()
        if delivery.pin:
            problems = await self._pin(reference, conversation_id, message_id)
        return SendResult(conversation_id=conversation_id, message_id=message_id, problems=problems)

    async def _reinstall(self, reference: Reference) -> None:
        catalog = await self._catalog()
        if reference.kind == "groupChat":
            await self._graph.install_in_chat(reference.conversation_id, catalog)
        elif reference.team_id:
            await self._graph.install_in_team(reference.team_id, catalog)

    async def _pin(
        self, reference: Reference | None, conversation_id: str, message_id: str
    ) -> tuple[str, ...]:
        """Pin the network card: a real pin in a chat; in a channel (Graph has no
        channel pin) the card's link goes in the channel's description. The card
        has landed whatever happens here, so a failure is reported, not retried."""
        try:
            if reference is not None and reference.kind == "channel" and reference.team_id:
                link = deep_link(reference, conversation_id, message_id)
                await self._graph.set_channel_description(
                    reference.team_id, conversation_id, f"Network card: {link}"
                )
            else:
                await self._graph.pin_in_chat(conversation_id, message_id)
        except TeamsApiError as exc:
            if exc.status == 409:  # already pinned
                return ()
            log.warning("teams: could not pin the network card: %s", exc)
            return ("I couldn't pin the network card in Teams; it is the first card above.",)
        return ()

    async def _update(self, delivery: Delivery) -> SendResult:
        assert delivery.message is not None and delivery.message_id
        conversation_id = delivery.address.conversation_id
        service_url, reference = await self._service_url(conversation_id)
        activity = await self._activity(delivery, reference)
        await self._connector.update(service_url, conversation_id, delivery.message_id, activity)
        return SendResult(conversation_id=conversation_id, message_id=delivery.message_id)

    async def _retract(self, delivery: Delivery) -> SendResult:
        """In Teams a retracted message is replaced by its note ("moved to the
        case record"), so the thread still reads; one already gone (404) is
        what was wanted."""
        try:
            return await self._update(delivery)
        except TeamsApiError as exc:
            if exc.status != 404:
                raise
            log.info("teams: %s was already gone", delivery.message_id)
            return SendResult(
                conversation_id=delivery.address.conversation_id,
                message_id=delivery.message_id or "",
            )

    async def _dm(self, delivery: Delivery) -> SendResult:
        """A 1:1 message: the person's chat with the bot, opened (and the app
        installed for them) when it doesn't exist yet or no longer works."""
        linked: dict[str, str] = {}
        user_id = delivery.address.conversation_id
        if not user_id:
            user = await self._graph.user_by_email(delivery.address.email)
            if user is None:
                raise DeliveryError(
                    f"teams: {delivery.address.email} is not in this organisation's "
                    "Microsoft 365 directory",
                    retryable=False,
                    not_on_platform=True,
                )
            user_id = user.id
            linked[delivery.address.email] = user_id
        reference = await self._references.personal(user_id)
        if reference is None:
            reference = await self._open_personal(user_id)
            result = await self._post(delivery, reference.conversation_id)
        else:
            try:
                result = await self._post(delivery, reference.conversation_id)
            except TeamsApiError as exc:
                if exc.status not in (403, 404) or exc.code == BLOCKED:
                    raise
                # The app was uninstalled (or the chat is gone): open it afresh.
                await self._references.forget(reference.conversation_id)
                reference = await self._open_personal(user_id)
                result = await self._post(delivery, reference.conversation_id)
        return result.model_copy(update={"linked": linked})

    async def _open_personal(self, user_id: str) -> Reference:
        service_url = await self._references.latest_service_url(self._tenant)
        service_url = service_url or self._policy.service_url
        try:
            conversation = await self._connector.open_personal(
                service_url, bot_id=self._bot_id, user_id=user_id, tenant_id=self._tenant
            )
        except TeamsApiError as exc:
            if exc.status != 403:
                raise
            # Not installed for this person yet: install it for them, then open.
            await self._graph.install_for_user(user_id, await self._catalog())
            try:
                conversation = await self._connector.open_personal(
                    service_url, bot_id=self._bot_id, user_id=user_id, tenant_id=self._tenant
                )
            except TeamsApiError as again:
                if again.status != 403:
                    raise
                raise DeliveryError(  # the installation is still spreading through Teams
                    "teams: waiting for Teamaround to be installed for this person",
                    retryable=True,
                    retry_after=REINSTALL_WAIT_SECONDS,
                ) from again
        reference = Reference(
            conversation_id=conversation,
            kind="personal",
            service_url=service_url,
            tenant_id=self._tenant,
            user_id=user_id,
        )
        await self._references.save(reference)
        return reference

    # -- spaces ---------------------------------------------------------------------

    async def _people(
        self, members: tuple[Member, ...]
    ) -> tuple[list[GraphUser], dict[str, str], list[str]]:
        found: list[GraphUser] = []
        linked: dict[str, str] = {}
        missing: list[str] = []
        for member in members:
            user = None
            if member.platform_user_id:
                user = await self._graph.user(member.platform_user_id)
            if user is None:
                user = await self._graph.user_by_email(member.email)
                if user is not None:
                    linked[member.email] = user.id
            if user is None:
                missing.append(member.email)
            else:
                found.append(user)
        return found, linked, missing

    @staticmethod
    def _outside(missing: list[str]) -> list[str]:
        return [
            f"{email} isn't in this organisation's Microsoft 365 directory, so I couldn't add "
            "them in Teams; guests must be invited to the organisation first, then run "
            f"/network add {email} again."
            for email in missing
        ]

    async def _space(self, address: Address, space: SpaceRequest) -> SendResult:
        people, linked, missing = await self._people(space.members)
        problems = self._outside(missing)
        conversation = address.conversation_id
        mode = self._policy.spaces
        if space.action == "create":
            if mode == "group-chat":
                conversation = await self._create_chat(space.name, people, missing)
            else:
                conversation, more = await self._create_channel(space, people)
                problems += more
        elif space.action == "invite":
            problems += await self._invite(conversation, people)
        elif space.action == "remove":
            await self._remove(conversation, people)
        elif space.action == "topic" and mode != "group-chat":
            assert self._policy.team_id
            await self._graph.set_channel_description(
                self._policy.team_id, conversation, space.topic[:1024]
            )
        elif space.action == "archive":
            await self._archive(conversation, space.name)
        return SendResult(conversation_id=conversation, linked=linked, problems=tuple(problems))

    async def _create_chat(self, name: str, people: list[GraphUser], missing: list[str]) -> str:
        members = list({p.id: p for p in people}.values())
        if len(members) < MIN_CHAT_MEMBERS:
            # Teams has no group chat of one: wait until someone else is added.
            unfound = f" ({', '.join(missing)} not in Microsoft 365)" if missing else ""
            raise DeliveryError(
                "teams: waiting for a second network member in Microsoft 365 before "
                f"creating the group chat{unfound}",
                retryable=True,
                retry_after=WAIT_FOR_MEMBERS_SECONDS,
                waiting=True,
            )
        catalog = await self._catalog()  # before creating: a retry must not make two chats
        chat_id = await self._graph.create_group_chat(topic=name, members=members)
        await self._remember(chat_id, kind="groupChat")
        try:
            await self._graph.install_in_chat(chat_id, catalog)
        except TeamsApiError as exc:
            # The chat exists: keep it. The first post installs the app again.
            log.warning("teams: installing in the new chat failed (%s); will retry", exc.code)
        return chat_id

    async def _create_channel(
        self, space: SpaceRequest, people: list[GraphUser]
    ) -> tuple[str, list[str]]:
        team = self._policy.team_id
        assert team
        private = self._policy.spaces == "private-channel"
        owner_id: str | None = None
        if private:
            owner = None
            if self._policy.channel_owner:
                owner = await self._graph.user_by_email(self._policy.channel_owner)
            owner_id = owner.id if owner else (people[0].id if people else None)
            if owner_id is None:
                raise DeliveryError(
                    "teams: a private channel needs an owner; set teams.channel_owner in the "
                    "policy file or add a member to the network first",
                    retryable=False,
                )
        channel_id = await self._channel_for(team, space, private=private, owner_id=owner_id)
        await self._graph.install_in_team(team, await self._catalog())
        await self._remember(channel_id, kind="channel", team_id=team)
        problems = await self._invite(channel_id, [p for p in people if p.id != owner_id])
        return channel_id, problems

    async def _channel_for(
        self, team: str, space: SpaceRequest, *, private: bool, owner_id: str | None
    ) -> str:
        """The network's channel: a live one of that name (an earlier attempt's),
        else a new one, named ``name``, ``name-2``, … past archived ones."""
        names = await self._graph.channel_names(team)
        base = space.name[:MAX_CHANNEL_NAME]
        for n in range(1, MAX_NAME_TRIES + 1):
            suffix = "" if n == 1 else f"-{n}"
            candidate = base[: MAX_CHANNEL_NAME - len(suffix)] + suffix
            found = names.get(candidate)
            if found is None:
                return await self._graph.create_channel(
                    team,
                    name=candidate,
                    description=space.topic[:1024],
                    private=private,
                    owner_id=owner_id,
                )
            channel_id, archived = found
            if not archived:
                return channel_id
        raise DeliveryError(f"teams: no free channel name for {base}", retryable=False)

    async def _invite(self, conversation: str, people: list[GraphUser]) -> list[str]:
        problems: list[str] = []
        if self._policy.spaces == "group-chat":
            present = await self._graph.chat_members(conversation)
            for person in people:
                if person.id not in present:
                    await self._graph.add_chat_member(conversation, person)
            return problems
        team = self._policy.team_id
        assert team
        in_team = await self._graph.team_member_ids(team)
        for person in people:
            if person.id not in in_team:
                who = person.email or person.id
                problems.append(
                    f"{who} isn't a member of the Teams team that holds network channels; "
                    f"ask its owner to add them, then run /network add {who} again."
                )
            elif self._policy.spaces == "private-channel":
                try:
                    await self._graph.add_channel_member(team, conversation, person.id)
                except TeamsApiError as exc:
                    if exc.status != 409:
                        raise
        return problems

    async def _remove(self, conversation: str, people: list[GraphUser]) -> None:
        if self._policy.spaces == "channel":
            return  # a standard channel follows its team: nothing of its own to change
        if self._policy.spaces == "private-channel":
            assert self._policy.team_id
            for person in people:
                await self._graph.remove_channel_member(
                    self._policy.team_id, conversation, person.id
                )
            return
        present = await self._graph.chat_members(conversation)
        for person in people:
            if person.id in present:
                try:
                    await self._graph.remove_chat_member(conversation, present[person.id])
                except TeamsApiError as exc:
                    if exc.status != 404:
                        raise

    async def _archive(self, conversation: str, name: str) -> None:
        if self._policy.spaces == "group-chat":
            # Graph can't archive a chat: mark it closed; it stays as the record.
            await self._graph.set_chat_topic(conversation, f"[closed] {name}"[:250])
            return
        assert self._policy.team_id
        try:
            await self._graph.archive_channel(self._policy.team_id, conversation)
        except TeamsApiError as exc:
            if exc.status != 409:  # already archived
                raise

    async def _remember(
        self, conversation_id: str, *, kind: str, team_id: str | None = None
    ) -> None:
        service_url = await self._references.latest_service_url(self._tenant)
        await self._references.save(
            Reference(
                conversation_id=conversation_id,
                kind=kind,
                service_url=service_url or self._policy.service_url,
                tenant_id=self._tenant,
                team_id=team_id,
                channel_id=conversation_id if kind == "channel" else None,
            )
        )


def shortened(message: Message) -> dict[str, Any]:
    """A plain-text stand-in for a message Teams refused as too big."""
    text = message.text
    if len(text) > TOO_BIG_TEXT_LIMIT:
        text = text[:TOO_BIG_TEXT_LIMIT].rstrip() + " … (shortened: too long for Teams)"
    return {"type": "message", "textFormat": "plain", "text": text}
