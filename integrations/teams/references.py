"""Conversation references: how to reach each Teams conversation again.

Every inbound activity refreshes its conversation's row (service URL, tenant,
team, channel; for a 1:1 chat, whose it is). Proactive messages read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from store.db import Database
from store.models import TeamsConversation


@dataclass(frozen=True)
class Reference:
    conversation_id: str
    kind: str
    service_url: str
    tenant_id: str
    team_id: str | None = None
    channel_id: str | None = None
    user_id: str | None = None


def base_conversation(conversation_id: str) -> str:
    """A channel thread's id without its ``;messageid=`` part."""
    return conversation_id.split(";", 1)[0]


def reference_of(activity: dict[str, Any]) -> Reference | None:
    """The reference an inbound activity gives, or None if it lacks the basics."""
    conversation = activity.get("conversation") or {}
    channel_data = activity.get("channelData") or {}
    service_url = str(activity.get("serviceUrl") or "")
    conversation_id = base_conversation(str(conversation.get("id") or ""))
    tenant = str(conversation.get("tenantId") or (channel_data.get("tenant") or {}).get("id") or "")
    if not (service_url and conversation_id and tenant):
        return None
    kind = str(conversation.get("conversationType") or "personal")
    team = channel_data.get("team") or {}
    channel = channel_data.get("channel") or {}
    user = (activity.get("from") or {}).get("aadObjectId") if kind == "personal" else None
    return Reference(
        conversation_id=conversation_id,
        kind=kind,
        service_url=service_url,
        tenant_id=tenant,
        team_id=str(team.get("aadGroupId") or "") or None,
        channel_id=str(channel.get("id") or "") or None,
        user_id=str(user) if user else None,
    )


def _as_reference(row: TeamsConversation) -> Reference:
    return Reference(
        conversation_id=row.id,
        kind=row.kind,
        service_url=row.service_url,
        tenant_id=row.tenant_id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        user_id=row.user_id,
    )


class References:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(self, reference: Reference) -> None:
        """Insert or refresh; two first activities of one conversation racing
        each other both end with the row there (the loser tries once more)."""
        try:
            await self._save(reference)
        except IntegrityError:
            await self._save(reference)

    async def forget(self, conversation_id: str) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                delete(TeamsConversation).where(TeamsConversation.id == conversation_id)
            )

    async def _save(self, reference: Reference) -> None:
        now = datetime.now(UTC)
        async with self._db.transaction() as session:
            row = await session.get(TeamsConversation, reference.conversation_id)
            if reference.user_id:
                # A person has one 1:1 chat with the bot; a reinstall gives a new id.
                old = await session.scalar(
                    select(TeamsConversation).where(
                        TeamsConversation.user_id == reference.user_id,
                        TeamsConversation.id != reference.conversation_id,
                    )
                )
                if old is not None:
                    await session.delete(old)
                    await session.flush()
            if row is None:
                row = TeamsConversation(id=reference.conversation_id)
                session.add(row)
            row.kind = reference.kind
            row.service_url = reference.service_url
            row.tenant_id = reference.tenant_id
            row.team_id = reference.team_id or row.team_id
            row.channel_id = reference.channel_id or row.channel_id
            row.user_id = reference.user_id or row.user_id
            row.updated_at = now

    async def get(self, conversation_id: str) -> Reference | None:
        async with self._db.reader() as session:
            row = await session.get(TeamsConversation, base_conversation(conversation_id))
            return _as_reference(row) if row is not None else None

    async def personal(self, user_id: str) -> Reference | None:
        async with self._db.reader() as session:
            row = await session.scalar(
                select(TeamsConversation).where(TeamsConversation.user_id == user_id)
            )
            return _as_reference(row) if row is not None else None

    async def latest_service_url(self, tenant_id: str) -> str | None:
        """The most recent service URL Teams used for this tenant."""
        async with self._db.reader() as session:
            value = await session.scalar(
                select(TeamsConversation.service_url)
                .where(TeamsConversation.tenant_id == tenant_id)
                .order_by(TeamsConversation.updated_at.desc())
                .limit(1)
            )
            return str(value) if value else None
