"""The Bot Connector REST API (PLATFORMS.md B3): send, reply, update, 1:1 chats, roster."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from integrations.teams.api import JsonApi


def _path(value: str) -> str:
    return quote(value, safe="")


def _base(service_url: str) -> str:
    return service_url.rstrip("/") + "/v3/conversations"


class Connector:
    def __init__(self, api: JsonApi) -> None:
        self._api = api

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> str:
        """Post into a conversation (or into a channel thread, ``…;messageid=X``)."""
        url = f"{_base(service_url)}/{_path(conversation_id)}/activities"
        _, body, _ = await self._api.call("POST", url, activity)
        return str(body.get("id") or "")

    async def reply(
        self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]
    ) -> str:
        url = f"{_base(service_url)}/{_path(conversation_id)}/activities/{_path(activity_id)}"
        _, body, _ = await self._api.call("POST", url, {**activity, "replyToId": activity_id})
        return str(body.get("id") or "")

    async def update(
        self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]
    ) -> None:
        url = f"{_base(service_url)}/{_path(conversation_id)}/activities/{_path(activity_id)}"
        await self._api.call("PUT", url, {**activity, "id": activity_id})

    async def new_thread(
        self, service_url: str, *, channel_id: str, tenant_id: str, activity: dict[str, Any]
    ) -> tuple[str, str]:
        """Start a thread in a channel: (conversation id with ;messageid, activity id)."""
        body = {
            "isGroup": True,
            "channelData": {"channel": {"id": channel_id}, "tenant": {"id": tenant_id}},
            "activity": activity,
        }
        _, answer, _ = await self._api.call("POST", _base(service_url), body)
        return str(answer.get("id") or ""), str(answer.get("activityId") or "")

    async def open_personal(
        self, service_url: str, *, bot_id: str, user_id: str, tenant_id: str
    ) -> str:
        """The 1:1 chat between the bot and a person (created if new)."""
        body = {
            "bot": {"id": bot_id},
            "members": [{"id": user_id}],
            "channelData": {"tenant": {"id": tenant_id}},
            "isGroup": False,
        }
        _, answer, _ = await self._api.call("POST", _base(service_url), body)
        return str(answer.get("id") or "")

    async def member(self, service_url: str, conversation_id: str, user_id: str) -> dict[str, Any]:
        """One member of a conversation: aadObjectId, email, userPrincipalName, name."""
        url = f"{_base(service_url)}/{_path(conversation_id)}/members/{_path(user_id)}"
        _, body, _ = await self._api.call("GET", url)
        return body
