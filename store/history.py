"""History the quarterly reports are rebuilt from, written in the caller's
unit of work whenever the current state changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from store.models import KeyworkerChange, YoungPerson


def set_keyworker(
    session: AsyncSession,
    young_person: YoungPerson,
    *,
    keyworker_id: int | None,
    actor_id: int | None,
    at: datetime,
) -> bool:
    """Record the register's keyworker for ``young_person`` and keep the
    history; returns False (and writes nothing) when it is unchanged."""
    if young_person.keyworker_id == keyworker_id:
        return False
    young_person.keyworker_id = keyworker_id
    add_keyworker_change(
        session,
        young_person_id=young_person.id,
        keyworker_id=keyworker_id,
        actor_id=actor_id,
        at=at,
    )
    return True


def add_keyworker_change(
    session: AsyncSession,
    *,
    young_person_id: int,
    keyworker_id: int | None,
    actor_id: int | None,
    at: datetime,
) -> None:
    """One dated line of the keyworker history, without touching the current
    keyworker (a change recorded for an earlier day, before a later one)."""
    session.add(
        KeyworkerChange(
            young_person_id=young_person_id, keyworker_id=keyworker_id, actor_id=actor_id, at=at
        )
    )
