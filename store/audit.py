"""Audit events: the append-only record of who changed what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import AuditEvent, Person


def record(
    session: AsyncSession,
    *,
    at: datetime,
    actor: Person | None,
    verb: str,
    object_type: str,
    object_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session (committed with the change)."""
    event = AuditEvent(
        at=at,
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else (actor_label or "system"),
        verb=verb,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
    )
    session.add(event)
    return event


async def list_events(
    session: AsyncSession, *, object_type: str | None = None, limit: int = 100
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    return list((await session.scalars(query)).all())
