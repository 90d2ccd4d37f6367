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
USER_FIELDS = "id,mail,userPrincipalName,displayName,userType"


@dataclass(frozen=True)
class GraphUser:
    id: str  # Entra object id
    email: str
    name: str
    guest: bool = False  # Graph gives guests the "guest" role, never "owner"


def _q(value: str) -> str:
    return quote(value, safe="")


class Graph:
    def __init__(self, api: JsonApi, *, base_url: str) -> None:
        self._api = api
        self._root = base_url.rstrip("/") + "/v1.0"
        self._bind = "https://graph.microsoft.com/v1.0"

    def _member(self, user_id: str, *, owner: bool, guest: bool = False) -> dict[str, Any]:
        return {
            "@odata.type": ODATA_MEMBER,
            "user@odata.bind": f"{self._bind}/users('{user_id}')",
            "roles": ["guest"] if guest else ["owner"] if owner else [],
        }

    async def _all(self, url: str) -> list[dict[str, Any]]:
        """Every item of a Graph list, following ``@odata.nextLink``."""
        items: list[dict[str, Any]] = []
        for _ in range(50):  # 50 pages is far more than a team or chat has
            _, body, _ = await self._api.call("GET", url)
            items += list(body.get("value") or [])
            next_link = body.get("@odata.nextLink")
            if not next_link:
                break
            url = str(next_link).replace(self._bind, self._root, 1)
        return items

    # -- people -----------------------------------------------------------------

    async def user(self, id_or_email: str) -> GraphUser | None:
        """A user of our tenant by object id or sign-in name; None when not there."""
        url = f"{self._root}/users/{_q(id_or_email)}?$select={USER_FIELDS}"
        try:
            _, body, _ = await self._api.call("GET", url)
        except TeamsApiError as exc:
            if exc.status in (400, 404):  # 400: not an id or sign-in name at all
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
        url = f"{self._root}/users?$filter={flt}&$select={USER_FIELDS}"
        _, body, _ = await self._api.call("GET", url)
        values = body.get("value") or []
        return _user(values[0]) if values else None

    # -- group chats ------------------------------------------------------------

    async def create_group_chat(self, *, topic: str, members: list[GraphUser]) -> str:
        body = {
            "chatType": "group",
            "topic": topic,
            "members": [self._member(m.id, owner=True, guest=m.guest) for m in members],
        }
        _, answer, _ = await self._api.call("POST", f"{self._root}/chats", body)
        return str(answer["id"])

    async def chat_members(self, chat_id: str) -> dict[str, str]:
        """Entra object id → membership id."""
        members = await self._all(f"{self._root}/chats/{_q(chat_id)}/members")
        return {str(m.get("userId")): str(m.get("id")) for m in members}

    async def add_chat_member(self, chat_id: str, user: GraphUser) -> None:
        member = self._member(user.id, owner=True, guest=user.guest)
        await self._api.call("POST", f"{self._root}/chats/{_q(chat_id)}/members", member)

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
        members = await self._all(f"{self._root}/teams/{_q(team_id)}/members")
        return {str(m.get("userId")) for m in members}

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

    async def channel_names(self, team_id: str) -> dict[str, tuple[str, bool]]:
        """Display name → (channel id, archived)."""
        channels = await self._all(f"{self._root}/teams/{_q(team_id)}/channels")
        return {
            str(c.get("displayName")): (str(c["id"]), bool(c.get("isArchived"))) for c in channels
        }

    async def add_channel_member(self, team_id: str, channel_id: str, user_id: str) -> None:
        url = f"{self._root}/teams/{_q(team_id)}/channels/{_q(channel_id)}/members"
        await self._api.call("POST", url, self._member(user_id, owner=False))

    async def remove_channel_member(self, team_id: str, channel_id: str, user_id: str) -> bool:
        """Take someone out of a private channel; False if they weren't in it."""
        base = f"{self._root}/teams/{_q(team_id)}/channels/{_q(channel_id)}/members"
        for member in await self._all(base):
            if str(member.get("userId")) == user_id:
                try:
                    await self._api.call("DELETE", f"{base}/{_q(str(member['id']))}")
                except TeamsApiError as exc:
                    if exc.status != 404:
                        raise
                return True
        return False

    async def set_channel_description(self, team_id: str, channel_id: str, text: str) -> None:
        url = f"{self._root}/teams/{_q(team_id)}/channels/{_q(channel_id)}"
        await self._api.call("PATCH", url, {"description": text})

    async def archive_channel(self, team_id: str, channel_id: str) -> None:
        url = f"{self._root}/teams/{_q(team_id)}/channels/{_q(channel_id)}/archive"
        await self._api.call("POST", url, {})


def _user(body: dict[str, Any]) -> GraphUser:
    email = str(body.get("mail") or body.get("userPrincipalName") or "").lower()
    return GraphUser(
        id=str(body["id"]),
        email=email,
        name=str(body.get("displayName") or ""),
        guest=str(body.get("userType") or "").lower() == "guest",
    )
