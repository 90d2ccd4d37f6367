"""Delivers outbox rows to Slack through the real ``AsyncWebClient``.

Exactly once: every post carries Slack message metadata with the outbox key.
When an earlier attempt may have landed (Slack accepted the post but the
response was lost), the gateway looks for that key in the channel's recent
history before posting again.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.gateway import Address, Delivery, DeliveryError, Member, SendResult, SpaceRequest
from bot.messages import Attachment
from integrations.slack.render import render

log = logging.getLogger(__name__)

METADATA_EVENT = "teamaround_delivery"
RETRYABLE_CODES = {
    "ratelimited",
    "rate_limited",
    "fatal_error",
    "internal_error",
    "service_unavailable",
    "request_timeout",
}
MAX_NAME_TRIES = 20
HISTORY_PAGES = 5  # up to 1,000 recent messages searched for a post whose answer was lost


def _translate(exc: Exception) -> DeliveryError:
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        code = _code(exc) or "unknown_error"
        retry_after: float | None = None
        header = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
        if header:
            try:
                retry_after = float(header)
            except ValueError:
                retry_after = None
        retryable = status == 429 or status >= 500 or code in RETRYABLE_CODES
        return DeliveryError(
            f"slack: {code} (HTTP {status})", retryable=retryable, retry_after=retry_after
        )
    if isinstance(exc, SlackRequestError):
        # files_upload_v2: the bytes were refused at the upload URL.
        return DeliveryError(f"slack: file upload failed ({exc})"[:300], retryable=True)
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, OSError)):
        return DeliveryError(f"slack: connection problem ({type(exc).__name__})", retryable=True)
    return DeliveryError(f"slack: unexpected {type(exc).__name__}", retryable=True)


def _code(exc: SlackApiError) -> str:
    """Slack's error code; "" when the answer was not Slack's JSON (a proxy's
    or load balancer's 5xx page in plain text)."""
    data = exc.response.data
    return str(data.get("error", "")) if isinstance(data, dict) else ""


MAX_REMEMBERED_IMS = 50_000


class SlackGateway:
    platform = "slack"

    def __init__(
        self, client: AsyncWebClient, *, post_client: AsyncWebClient | None = None
    ) -> None:
        self._client = client
        # Posting is not safe to repeat blindly (see integrations.slack.client).
        self._post_client = post_client or client
        self._bot_user_id: str | None = None
        self._workspace_url: str | None = None
        # A person's direct-message channel never changes: open it once, not
        # before every message (a Web API call saved per DM).
        self._ims: dict[str, str] = {}

    async def deliver(self, delivery: Delivery) -> SendResult:
        try:
            if delivery.op == "space":
                assert delivery.space is not None
                return await self._space(delivery.address, delivery.space, delivery.attempt)
            if delivery.op == "update":
                return await self._update(delivery)
            if delivery.op == "retract":
                return await self._delete(delivery)
            if delivery.op == "dm":
                return await self._dm(delivery)
            return await self._post(delivery, delivery.address.conversation_id)
        except DeliveryError:
            raise
        except Exception as exc:
            raise _translate(exc) from exc

    # -- messages -----------------------------------------------------------------

    async def _post(
        self, delivery: Delivery, channel: str, *, linked: dict[str, str] | None = None
    ) -> SendResult:
        assert delivery.message is not None
        if delivery.attempt > 0:
            found = await self._find_posted(channel, delivery.key)
            if found:
                log.info(
                    "slack: %s had already landed as %s; not posting again", delivery.key, found
                )
                # What followed the post may not have: the pin, the files.
                if delivery.pin:
                    await self._pin(channel, found)
                await self._attach(channel, found, delivery.message.attachments, check=True)
                return SendResult(conversation_id=channel, message_id=found, linked=linked or {})
        rendered = render(delivery.message)
        blocks = list(rendered.blocks)
        text = rendered.text
        mentions = await self._mentions(delivery)
        if mentions:
            blocks.insert(0, {"type": "section", "text": {"type": "mrkdwn", "text": mentions}})
            text = f"{mentions} {text}"
        if delivery.card_location:
            blocks.append(await self._card_link(*delivery.card_location))
        response = await self._post_client.chat_postMessage(
            channel=channel,
            text=text,
            blocks=blocks,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"key": delivery.key}},
            unfurl_links=False,
            unfurl_media=False,
        )
        ts = str(response["ts"])
        channel_id = str(response.get("channel") or channel)
        if delivery.pin:
            await self._pin(channel_id, ts)
        await self._attach(channel_id, ts, delivery.message.attachments, check=False)
        return SendResult(conversation_id=channel_id, message_id=ts, linked=linked or {})

    async def _attach(
        self, channel: str, ts: str, attachments: Sequence[Attachment], *, check: bool
    ) -> None:
        """Upload a message's files into its thread, in one ``files_upload_v2``.
        After a retry (``check``), files already in the thread are not sent again."""
        wanted = list(attachments)
        if wanted and check:
            shared = await self._files_in_thread(channel, ts)
            wanted = [a for a in wanted if a.filename not in shared]
        if not wanted:
            return
        uploads: list[dict[str, Any]] = []
        for attachment in wanted:
            upload: dict[str, Any] = {
                "filename": attachment.filename,
                "content": base64.b64decode(attachment.content_b64),
                "title": attachment.title or attachment.filename,
            }
            if attachment.is_image and attachment.alt_text:
                upload["alt_txt"] = attachment.alt_text[:1000]
            uploads.append(upload)
        await self._post_client.files_upload_v2(file_uploads=uploads, channel=channel, thread_ts=ts)

    async def _files_in_thread(self, channel: str, ts: str) -> set[str]:
        try:
            replies = await self._client.conversations_replies(channel=channel, ts=ts, limit=200)
        except SlackApiError as exc:
            # Without the history scope for this conversation (a direct
            # message): send them all rather than risk losing one.
            log.warning("slack: could not read the thread of %s: %s", channel, _code(exc))
            return set()
        messages: list[dict[str, Any]] = replies.get("messages", []) or []
        return {
            str(file.get("name")) for message in messages for file in message.get("files", []) or []
        }

    async def _mentions(self, delivery: Delivery) -> str:
        """``<@U…>`` for each person the message mentions (found by email when
        their Slack id is not known yet); people Slack can't find are skipped."""
        assert delivery.message is not None
        ids = []
        for email in delivery.message.mentions:
            user_id = delivery.mention_ids.get(email) or await self._lookup(email)
            if user_id:
                ids.append(f"<@{user_id}>")
        return " ".join(ids)

    async def _card_link(self, channel: str, ts: str) -> dict[str, Any]:
        """A context block linking to a card (a Slack permalink we build ourselves)."""
        await self._bot_id()
        base = self._workspace_url or "https://slack.com/"
        link = f"{base.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
        return {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"<{link}|Open the card>"}],
        }

    async def _find_posted(self, channel: str, key: str) -> str | None:
        """Our message tagged with ``key`` among the channel's recent history
        (newest first, a few pages: busy channels move on quickly)."""
        cursor = ""
        for _ in range(HISTORY_PAGES):
            try:
                history = await self._client.conversations_history(
                    channel=channel, limit=200, include_all_metadata=True, cursor=cursor or None
                )
            except SlackApiError as exc:
                if _code(exc) in ("missing_scope", "not_in_channel", "channel_not_found"):
                    log.warning("slack: could not read history of %s: %s", channel, _code(exc))
                    return None
                raise  # a rate limit or outage: try the whole delivery again later
            messages: list[dict[str, Any]] = history.get("messages", []) or []
            for message in messages:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == METADATA_EVENT and payload.get("key") == key:
                    return str(message["ts"])
            cursor = (history.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                break
        return None

    async def _pin(self, channel: str, ts: str) -> None:
        try:
            await self._client.pins_add(channel=channel, timestamp=ts)
        except SlackApiError as exc:
            if _code(exc) != "already_pinned":
                raise

    async def _update(self, delivery: Delivery) -> SendResult:
        assert delivery.message is not None and delivery.message_id
        rendered = render(delivery.message)
        channel = delivery.address.conversation_id
        await self._client.chat_update(
            channel=channel, ts=delivery.message_id, text=rendered.text, blocks=rendered.blocks
        )
        return SendResult(conversation_id=channel, message_id=delivery.message_id)

    async def _delete(self, delivery: Delivery) -> SendResult:
        """Slack deletes a message (``chat.delete``, our own messages only).
        One already gone, deleted by someone or by an earlier try whose answer
        was lost, is what was wanted."""
        assert delivery.message_id
        channel = delivery.address.conversation_id
        try:
            await self._client.chat_delete(channel=channel, ts=delivery.message_id)
        except SlackApiError as exc:
            if _code(exc) != "message_not_found":
                raise
            log.info("slack: %s in %s was already gone", delivery.message_id, channel)
        return SendResult(conversation_id=channel, message_id=delivery.message_id)

    async def _dm(self, delivery: Delivery) -> SendResult:
        linked: dict[str, str] = {}
        user_id = delivery.address.conversation_id
        if not user_id:
            found = await self._lookup(delivery.address.email)
            if found is None:
                raise DeliveryError(
                    f"slack: {delivery.address.email} is not in this Slack workspace",
                    retryable=False,
                    not_on_platform=True,
                )
            user_id = found
            linked[delivery.address.email] = user_id
        channel = self._ims.get(user_id)
        if channel is None:
            opened = await self._client.conversations_open(users=user_id)
            channel = str(opened["channel"]["id"])
            if len(self._ims) >= MAX_REMEMBERED_IMS:
                self._ims.clear()
            self._ims[user_id] = channel
        try:
            return await self._post(delivery, channel, linked=linked)
        except DeliveryError:
            self._ims.pop(user_id, None)  # opened afresh on the next try
            raise

    async def _lookup(self, email: str) -> str | None:
        try:
            response = await self._client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            if _code(exc) == "users_not_found":
                return None
            raise
        return str(response["user"]["id"])

    # -- spaces -------------------------------------------------------------------

    async def _resolve_members(
        self, members: tuple[Member, ...]
    ) -> tuple[list[str], dict[str, str], list[str]]:
        ids: list[str] = []
        linked: dict[str, str] = {}
        missing: list[str] = []
        for member in members:
            user_id = member.platform_user_id
            if not user_id:
                user_id = await self._lookup(member.email)
                if user_id is None:
                    missing.append(member.email)
                    continue
                linked[member.email] = user_id
            ids.append(user_id)
        return ids, linked, missing

    async def _space(self, address: Address, space: SpaceRequest, attempt: int) -> SendResult:
        channel = address.conversation_id
        problems: list[str] = []
        linked: dict[str, str] = {}
        if space.action == "create":
            channel = await self._create(space.name, retrying=attempt > 0)
            if space.topic:
                await self._client.conversations_setTopic(channel=channel, topic=space.topic[:250])
        if space.action in ("create", "invite"):
            ids, linked, missing = await self._resolve_members(space.members)
            await self._invite(channel, ids)
            problems += [
                f"{email} isn't in this Slack workspace, so I couldn't invite them; once they "
                f"have joined, run /network add {email} again."
                for email in missing
            ]
        elif space.action == "remove":
            ids, linked, _ = await self._resolve_members(space.members)
            for user_id in ids:
                try:
                    await self._client.conversations_kick(channel=channel, user=user_id)
                except SlackApiError as exc:
                    if _code(exc) not in ("not_in_channel", "user_not_found"):
                        raise
        elif space.action == "topic":
            await self._client.conversations_setTopic(channel=channel, topic=space.topic[:250])
        elif space.action == "archive":
            try:
                await self._client.conversations_archive(channel=channel)
            except SlackApiError as exc:
                if _code(exc) != "already_archived":
                    raise
        return SendResult(conversation_id=channel, linked=linked, problems=tuple(problems))

    async def _create(self, name: str, *, retrying: bool) -> str:
        """Create the private channel; on a clash use name-2, name-3, …

        When this is a retry, a clash may be our own channel from the earlier
        attempt: a private channel the bot is in with that name is reused.
        """
        for n in range(1, MAX_NAME_TRIES + 1):
            candidate = name if n == 1 else f"{name[: 80 - len(str(n)) - 1]}-{n}"
            try:
                response = await self._client.conversations_create(name=candidate, is_private=True)
                return str(response["channel"]["id"])
            except SlackApiError as exc:
                if _code(exc) != "name_taken":
                    raise
                if retrying and (mine := await self._my_private_channel(candidate)):
                    return mine
        raise DeliveryError(
            f"slack: could not find a free channel name for {name}", retryable=False
        )

    async def _my_private_channel(self, name: str) -> str | None:
        cursor: str | None = None
        for _ in range(20):
            kwargs: dict[str, Any] = {
                "types": "private_channel",
                "limit": 200,
                "exclude_archived": True,
            }
            if cursor:
                kwargs["cursor"] = cursor
            response = await self._client.users_conversations(**kwargs)
            channels: list[dict[str, Any]] = response.get("channels", []) or []
            for channel in channels:
                if channel.get("name") == name:
                    return str(channel["id"])
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None

    async def _invite(self, channel: str, user_ids: list[str]) -> None:
        bot = await self._bot_id()
        wanted = [u for u in dict.fromkeys(user_ids) if u != bot]
        for start in range(0, len(wanted), 100):
            batch = wanted[start : start + 100]
            try:
                await self._client.conversations_invite(channel=channel, users=",".join(batch))
            except SlackApiError as exc:
                if _code(exc) != "already_in_channel":
                    raise

    async def _bot_id(self) -> str:
        if self._bot_user_id is None:
            response = await self._client.auth_test()
            self._bot_user_id = str(response["user_id"])
            self._workspace_url = str(response.get("url") or "")
        return self._bot_user_id
