"""Microsoft Graph with application permissions (PLATFORMS.md B4): people,
group chats, channels, app installation and pinning.

Graph cannot post messages app-only, so messages always go through the Bot
Connector; Graph only builds and looks after the spaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from integrations.teams.api import JsonApi, TeamsApiError

ODATA_MEMBER = "#microsoft.graph.aadUserConversationMember"


@dataclass(frozen=True)
class GraphUser:
    id: str  # Entra object id
    email: str
    name: str


def _q(value: str) -> str:
    return quote(value, safe="")


class Graph:
    def __init__(self, api: JsonApi, *, base_url: str) -> None:
        self._api = api
        self._root = base_url.rstrip("/") + "/v1.0"
        self._bind = "https://graph.microsoft.com/v1.0"

    def _member(self, user_id: str, *, owner: bool) -> dict[str, Any]:
        return {
            "@odata.type": ODATA_MEMBER,
            "user@odata.bind": f"{self._bind}/users('{user_id}')",
            "roles": ["owner"] if owner else [],
        }

    # -- people -----------------------------------------------------------------

    async def user(self, id_or_email: str) -> GraphUser | None:
        """A user of our tenant by object id or sign-in name; None when not there."""
        url = f"{self._root}/users/{_q(id_or_email)}?$select=id,mail,userPrincipalName,displayName"
        try:
            _, body, _ = await self._api.call("GET", url)
        except TeamsApiError as exc:
            if exc.status == 404:
                return None
            raise
        return _user(body)

    async def user_by_email(self, email: str) -> GraphUser | None:
        """By sign-in name first (usually the email), then by the mail attribute."""
        found = await self.user(email)
        if found is not None:
            return found
        escaped = email.replace("'", "''")
        flt = _q(f"mail eq '{escaped}'")
        url = f"{self._root}/users?$filter={flt}&$select=id,mail,userPrincipalName,displayName"
        _, body, _ = await self._api.call("GET", url)
        values = body.get("value") or []
        return _user(values[0]) if values else None

    # -- group chats ------------------------------------------------------------

    async def create_group_chat(self, *, topic: str, member_ids: list[str]) -> str:
        body = {
            "chatType": "group",
            "topic": topic,
            "members": [self._member(m, owner=True) for m in member_ids],
        }
        _, answer, _ = await self._api.call("POST", f"{self._root}/chats", body)
        return str(answer["id"])

    async def chat_members(self, chat_id: str) -> dict[str, str]:
        """Entra object id → membership id."""
        _, body, _ = await self._api.call("GET", f"{self._root}/chats/{_q(chat_id)}/members")
        return {str(m.get("userId")): str(m.get("id")) for m in body.get("value") or []}

    async def add_chat_member(self, chat_id: str, user_id: str) -> None:
        await self._api.call(
            "POST", f"{self._root}/chats/{_q(chat_id)}/members", self._member(user_id, owner=True)
        )

    async def remove_chat_member(self, chat_id: str, membership_id: str) -> None:
        url = f"{self._root}/chats/{_q(chat_id)}/members/{_q(membership_id)}"
        await self._api.call("DELETE", url)

    async def set_chat_topic(self, chat_id: str, topic: str) -> None:
        await self._api.call("PATCH", f"{self._root}/chats/{_q(chat_id)}", {"topic": topic})

    async def install_in_chat(self, chat_id: str, catalog_id: str) -> None:
        await self._install(f"{self._root}/chats/{_q(chat_id)}/installedApps", catalog_id)

    async def pin_in_chat(self, chat_id: str, message_id: str) -> None:
        body = {"message@odata.bind": f"{self._bind}/chats/{chat_id}/messages/{message_id}"}
        await self._api.call("POST", f"{self._root}/chats/{_q(chat_id)}/pinnedMessages", body)

    # -- apps ---------------------------------------------------------------------

    async def catalog_id(self, external_id: str) -> str | None:
        """Our app's id in the organisation's app catalogue (None until uploaded)."""
        flt = _q(f"externalId eq '{external_id}'")
        _, body, _ = await self._api.call(
            "GET", f"{self._root}/appCatalogs/teamsApps?$filter={flt}"
        )
        values = body.get("value") or []
        return str(values[0]["id"]) if values else None

    async def install_for_user(self, user_id: str, catalog_id: str) -> None:
        await self._install(f"{self._root}/users/{_q(user_id)}/teamwork/installedApps", catalog_id)

    async def install_in_team(self, team_id: str, catalog_id: str) -> None:
        await self._install(f"{self._root}/teams/{_q(team_id)}/installedApps", catalog_id)

    async def _install(self, url: str, catalog_id: str) -> None:
        body = {"teamsApp@odata.bind": f"{self._bind}/appCatalogs/teamsApps/{catalog_id}"}
        try:
            await self._api.call("POST", url, body)
        except TeamsApiError as exc:
            if exc.status != 409:  # already installed
                raise

    # -- teams and channels -----------------------------------------------------

    async def team_member_ids(self, team_id: str) -> set[str]:
        _, body, _ = await self._api.call("GET", f"{self._root}/teams/{_q(team_id)}/members")
        return {str(m.get("userId")) for m in body.get("value") or []}

    async def create_channel(
        self, team_id: str, *, name: str, description: str, private: bool, owner_id: str | None
    ) -> str:
        body: dict[str, Any] = {
            "displayName": name,
            "description": description,
            "membershipType": "private" if private else "standard",
        }
        if private and owner_id:
            body["members"] = [self._member(owner_id, owner=True)]
        _, answer, _ = await self._api.call(
            "POST", f"{self._root}/teams/{_q(team_id)}/channels", body
        )
        return str(answer["id"])

    async def channel_by_name(self, team_id: str, name: str) -> str | None:
        _, body, _ = await self._api.call("GET", f"{self._root}/teams/{_q(team_id)}/channels")
        for channel in body.get("value") or []:
            if channel.get("displayName") == name:
                return str(channel["id"])
        return None

    async def add_channel_member(self, team_id: str, channel_id: str, user_id: str) -> None:
        url = f"{self._root}/teams/{_q(team_id)}/channels/{_q(channel_id)}/members"
        await self._api.call("POST", url, self._member(user_id, owner=False))

    async def set_channel_description(self, team_id: str, channel_id: str, text: str) -> None:
        url = f"{self._root}/teams/{_q(team_id)}/channels/{_q(channel_id)}"
        await self._api.call("PATCH", url, {"description": text})

    async def archive_channel(self, team_id: str, channel_id: str) -> None:
        url = f"{self._root}/teams/{_q(team_id)}/channels/{_q(channel_id)}/archive"
        await self._api.call("POST", url, {})


def _user(body: dict[str, Any]) -> GraphUser:
    email = str(body.get("mail") or body.get("userPrincipalName") or "").lower()
    return GraphUser(id=str(body["id"]), email=email, name=str(body.get("displayName") or ""))
